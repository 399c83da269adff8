"""The only Jinja entry point: a sandboxed environment whose templates stay inside their roots."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crisisctl.errors import UsageError
from crisisctl.render.filters import FILTERS

MAX_OUTPUT_CHARS = 1_000_000
MAX_RENDER_SECONDS = 5.0
TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
_UNSAFE_ATTRIBUTES = frozenset({"format", "format_map", "mro", "gi_frame", "cr_frame", "f_globals"})


class TemplateNameError(UsageError):
    """A template name that could reach outside the template roots."""


class TemplateOutsideRootError(UsageError):
    """A template whose real path (symlinks resolved) lies outside every root."""


_PRINTF_SIZES = re.compile(r"%[-+ #0]*(\d*)(?:\.(\d+))?")


def refuse_wide_format(template: str) -> None:
    """`'%0900000000d' % 1` builds a huge string in one C call that no budget can interrupt."""
    for width, precision in _PRINTF_SIZES.findall(template):
        if any(size and int(size) > MAX_OUTPUT_CHARS for size in (width, precision)):
            raise SecurityError("a format width would exceed the template output budget")


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    """Jinja's `format` filter (printf style), with the same width limit as `%`."""
    if kwargs and args:
        raise SecurityError("format takes positional or keyword arguments, not both")
    refuse_wide_format(str(value))
    return str(value) % (kwargs or args)


def check_template_name(name: str) -> None:
    """Refuse names with `..`, absolute paths or characters outside a safe set."""
    if not TEMPLATE_NAME.fullmatch(name) or any(part == ".." for part in name.split("/")):
        raise TemplateNameError(
            f"template name `{name}` is not allowed",
            "use a relative path of letters, digits, `.`, `_`, `-` and `/`, without `..`",
        )


def resolve_template(name: str, roots: Sequence[Path]) -> Path | None:
    """The first root's file for `name`, symlinks resolved, refusing escapes from the root."""
    check_template_name(name)
    try:
        for root in roots:
            candidate = root / name
            if not candidate.exists():
                continue
            real = candidate.resolve()
            if not real.is_relative_to(root.resolve()):
                raise TemplateOutsideRootError(
                    f"template `{name}` resolves to {real}, outside the template folder {root}",
                    "copy the template into the template folder instead of linking to it",
                )
            if real.is_file():
                return real
    except OSError as error:  # a name too long, a folder that cannot be searched
        raise UsageError(
            f"template `{name}` cannot be looked up: {error.strerror or error}",
            "check the template's name and the permissions of its folder",
        ) from None
    return None


class RootedLoader(BaseLoader):
    """Loads templates by checked name from a list of roots, never from outside them."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = list(roots)

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = resolve_template(template, self.roots)
        if path is None:
            raise TemplateNotFound(template)
        source = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime
        return source, str(path), lambda: path.stat().st_mtime == mtime


class CrisisSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, also refusing str.format and friends on any object."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr in _UNSAFE_ATTRIBUTES:
            return False
        return super().is_safe_attribute(obj, attr, value)

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse products, powers and printf-style widths that would build values past the output budget."""
        if operator == "%":
            if isinstance(left, str):
                refuse_wide_format(left)
            return left % right
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError(f"power with exponent {right} is too large for a template")
            return left**right
        sized, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
        if isinstance(sized, str | list | tuple) and isinstance(count, int) and len(sized) * count > MAX_OUTPUT_CHARS:
            raise SecurityError("a repeated value would exceed the template output budget")
        return left * right

    def wrap_str_format(self, value: Any) -> None:
        """Refuse str.format outright instead of wrapping it: templates have filters for formatting."""
        return None


def escapes_html(name: str | None) -> bool:
    """HTML and XML templates escape every value: `report.html.j2` as well as `report.html`."""
    if name is None:
        return False
    base = name.removesuffix(".j2").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() in ("html", "htm", "xml")


# For files that are Jinja templates themselves (`playbook new`'s notice skeletons): their `{{ }}` and `{% %}` are
# text to keep, so the scaffold's own placeholders are written `[[ ]]`, `[% %]` and `[# #]`, as copier once did.
SCAFFOLD_SYNTAX = {
    "variable_start_string": "[[",
    "variable_end_string": "]]",
    "block_start_string": "[%",
    "block_end_string": "%]",
    "comment_start_string": "[#",
    "comment_end_string": "#]",
}


def make_environment(roots: Sequence[Path], *, syntax: Mapping[str, str] | None = None) -> CrisisSandbox:
    """A sandboxed environment with StrictUndefined and HTML autoescaping by file name; `syntax`: other delimiters."""
    environment = CrisisSandbox(
        loader=RootedLoader(roots),
        undefined=StrictUndefined,
        autoescape=escapes_html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        **(syntax or {}),
    )
    environment.filters.update(FILTERS)
    environment.filters["format"] = _format_filter
    return environment
