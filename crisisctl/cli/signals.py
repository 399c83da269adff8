"""Reading signals (metric name to value) from a YAML or JSON file or standard input: `check`, `run --signals`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from crisisctl.errors import InvalidFileError, UsageError


def read_signals(source: str) -> dict[str, Any]:
    from crisisctl.playbook.yamlsource import MAX_FILE_BYTES, YMap, YScalar, load_bytes, load_file

    if source == "-":
        try:
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)  # one byte more tells that it is too large
        except OSError as error:
            raise UsageError(
                f"cannot read standard input: {error.strerror or error}", "pass a file instead of -"
            ) from None
        loaded = load_bytes(data, "<stdin>")
    else:
        path = Path(source)
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise UsageError(f"signals file {source} {what}", "pass a YAML or JSON file, or - for standard input")
        loaded = load_file(path, source)
    if loaded.document is None or loaded.problems:
        raise InvalidFileError(f"{loaded.file} is not a valid signals file", loaded.problems)
    document: YMap = loaded.document
    signals: dict[str, Any] = {}
    for name, node in document.items.items():
        if not isinstance(node, YScalar) or isinstance(node.value, dict | list):
            from crisisctl.errors import Problem

            problem = Problem(
                loaded.file,
                node.line,
                node.column,
                name,
                "signal",
                f"signal `{name}` must be a single value",
                "write metric: number",
            )
            raise InvalidFileError(f"{loaded.file} is not a valid signals file", [problem])
        signals[name] = node.value
    return signals
