"""Rendering a template within budgets, and finding the right locale's version of it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateNotFound, UndefinedError
from jinja2.exceptions import SecurityError
from msgspec import Struct

from crisisctl.errors import RefusedError
from crisisctl.render.environment import (
    MAX_OUTPUT_CHARS,
    MAX_RENDER_SECONDS,
    CrisisSandbox,
    make_environment,
    resolve_template,
)


class RenderError(RefusedError):
    """A template that could not be rendered: undefined name, unsafe operation, over budget."""


def localized_name(name: str, locale: str) -> str:
    """`dir/notice.md.j2` for locale zh is `dir/notice.zh.md.j2`."""
    folder, _, base = name.rpartition("/")
    stem, dot, rest = base.partition(".")
    localized = f"{stem}.{locale}{dot}{rest}" if dot else f"{stem}.{locale}"
    return f"{folder}/{localized}" if folder else localized


class Rendered(Struct, frozen=True):
    text: str
    template: str
    template_sha256: str


def choose_template(name: str, locale: str, roots: Sequence[Path]) -> str:
    """The locale's own version when it exists, else the shared one."""
    if locale:
        localized = localized_name(name, locale)
        if resolve_template(localized, roots) is not None:
            return localized
    return name


class RenderTimeout(Exception):
    """A render that ran past its time budget."""


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Stop a render that runs too long (main thread only, where signals are delivered)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RenderTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), or None where it cannot be read."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


@contextlib.contextmanager
def memory_budget(extra: int) -> Iterator[None]:
    """Let a render grow the process by at most `extra` bytes of address space.

    One sandboxed call can ask for gigabytes at once (`('x' * 10**5).join(...)`, `'a'|center(10**9)`),
    long before the time and size budgets look again. With the limit, that allocation fails with a
    MemoryError instead. It is a soft limit, set back when the render ends.
    """
    current = _address_space()
    try:
        import resource
    except ImportError:  # no such limits on this system
        current = None
    if current is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + extra
    unlimited = resource.RLIM_INFINITY
    if (hard != unlimited and limit > hard) or (soft != unlimited and soft <= limit):
        yield  # a tighter limit is already set
        return
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def render_within_budget(
    environment: CrisisSandbox,
    name: str,
    context: dict[str, Any],
    *,
    max_chars: int = MAX_OUTPUT_CHARS,
    max_seconds: float = MAX_RENDER_SECONDS,
    names_doc: str = "docs/templates.md",
) -> tuple[str, Path]:
    """Render one template in the sandbox, within a size and time budget; return the text and its file.

    Any failure is one RenderError naming the template and the cause.
    """
    try:
        template = environment.get_template(name)
        pieces: list[str] = []
        size = 0
        with time_budget(max_seconds), memory_budget(_memory_for(max_chars)):
            for piece in template.generate(context):
                size += len(piece)
                if size > max_chars:
                    raise RenderError(f"{name} renders more than {max_chars:,} characters", "shorten the template")
                pieces.append(piece)
    except RenderTimeout:
        raise RenderError(f"{name} took longer than {max_seconds:g} s to render", "simplify its loops") from None
    except MemoryError:
        raise RenderError(
            f"{name} needs more memory to render than any notice or report should",
            "look for repeated text or lists built in loops",
        ) from None
    except TemplateNotFound as error:
        raise RenderError(f"template {error.name} not found", "run `crisisctl playbook validate`") from None
    except UndefinedError as error:
        raise RenderError(f"{name}: {error.message}", f"use only the names in {names_doc} or declared inputs") from None
    except SecurityError as error:
        raise RenderError(
            f"{name} tried something templates may not do: {error}", "remove it from the template"
        ) from None
    except TemplateError as error:
        raise RenderError(f"{name}: {error}", "fix the template") from None
    except RenderError:
        raise
    except Exception as error:  # noqa: BLE001 - a template's own arithmetic or conversion failing
        raise RenderError(
            f"{name} failed while rendering: {type(error).__name__}: {error}", "fix the template"
        ) from None
    return "".join(pieces), Path(template.filename or name)


def _memory_for(max_chars: int) -> int:
    """Room for the pieces of the largest output allowed (up to 4 bytes a character) and the work to build it."""
    return 256 * 1024 * 1024 + 8 * max_chars


def render_template(name: str, roots: Sequence[Path], context: dict[str, Any]) -> Rendered:
    """Render a notice template; the result carries the template file's digest."""
    text, source_path = render_within_budget(make_environment(roots), name, context)
    return Rendered(text, name, hashlib.sha256(source_path.read_bytes()).hexdigest())
