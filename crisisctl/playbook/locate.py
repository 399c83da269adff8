"""Where a field of a playbook stands in its file: lints that work on the model report positions with it."""

from __future__ import annotations

import re
from typing import Protocol

from crisisctl.playbook.model import Playbook
from crisisctl.playbook.yamlsource import YMap, YNode, YSeq, load_text

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class Locator(Protocol):
    """The line and column (1-based) of a field path such as `steps[3].due`."""

    def position(self, path: str) -> tuple[int, int]: ...


class DocumentLocator:
    """Positions from a located YAML document; a path that is absent gives its nearest present parent."""

    def __init__(self, document: YMap | None) -> None:
        self.document = document

    def position(self, path: str) -> tuple[int, int]:
        node: YNode | None = self.document
        found = (1, 1) if node is None else (node.line, node.column)
        for name, index in _PART.findall(path):
            if isinstance(node, YMap) and name:
                node = node.items.get(name)
            elif isinstance(node, YSeq) and index and int(index) < len(node.items):
                node = node.items[int(index)]
            else:
                break
            if node is None:
                break
            found = (node.line, node.column)
        return found


def locate_playbook(playbook: Playbook) -> DocumentLocator:
    """Positions for a model whose file was read earlier: its kept text is read again."""
    return DocumentLocator(load_text(playbook.text, playbook.source).document if playbook.text else None)
