"""Templates cannot escape: the sandbox refuses known escapes and stays inside its roots."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import TemplateError
from jinja2.exceptions import SecurityError, UndefinedError

from crisisctl.errors import UsageError
from crisisctl.render.environment import escapes_html, make_environment, resolve_template

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ 'x'.format_map({}) }}",
    "{{ 'a'|attr('format') }}",
    "{{ ('a'|attr('format'))('b') }}",
    "{% set f = 'x{0}'.format %}{{ f(1) }}",
    "{{ namespace.__init__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ [].append(1) }}",
    "{% set d = {} %}{{ d.update({'a': 1}) }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_known_escapes_fail_with_an_error(source: str, tmp_path: Path) -> None:
    environment = make_environment([tmp_path])
    with pytest.raises((SecurityError, UndefinedError, TemplateError)):
        environment.from_string(source).render(x=1)


def test_undefined_names_are_errors_that_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(UndefinedError, match="customer_name"):
        make_environment([tmp_path]).from_string("{{ customer_name }}").render()


@pytest.mark.parametrize("name", ["../a.j2", "a/../../b.j2", "/etc/passwd", "x{0.__class__}.j2", "a\\b.j2", ""])
def test_unsafe_template_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        resolve_template(name, [tmp_path])


def test_a_symlink_out_of_the_template_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    (root / "notice.md.j2").symlink_to(secret)
    with pytest.raises(UsageError, match="outside the template folder"):
        resolve_template("notice.md.j2", [root])


def test_templates_resolve_in_the_first_root_that_has_them(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for root in (first, second):
        (root / "x").mkdir(parents=True)
    (second / "x" / "n.md.j2").write_text("second")
    assert resolve_template("x/n.md.j2", [first, second]) == (second / "x" / "n.md.j2").resolve()
    (first / "x" / "n.md.j2").write_text("first")
    assert resolve_template("x/n.md.j2", [first, second]) == (first / "x" / "n.md.j2").resolve()


@pytest.mark.parametrize(
    ("name", "escaped"),
    [("report.html.j2", True), ("report.html", True), ("a/feed.xml.j2", True), ("notice.md.j2", False), (None, False)],
)
def test_html_templates_escape_by_name(name: str | None, escaped: bool) -> None:
    assert escapes_html(name) is escaped


def test_html_output_escapes_user_text(tmp_path: Path) -> None:
    (tmp_path / "r.html.j2").write_text("<p>{{ note }}</p>")
    html = make_environment([tmp_path]).get_template("r.html.j2").render(note="<img src=x onerror=alert(1)>")
    assert html == "<p>&lt;img src=x onerror=alert(1)&gt;</p>"


@pytest.mark.parametrize(
    "source", ["{{ ('%0900000000d' % 1) | length }}", "{{ '%.900000000f' % 1.5 }}", "{{ '%0900000000d' | format(1) }}"]
)
def test_printf_widths_past_the_budget_are_refused_before_building(source: str, tmp_path: Path) -> None:
    with pytest.raises(SecurityError):
        make_environment([tmp_path]).from_string(source).render()


def test_ordinary_printf_formatting_still_works(tmp_path: Path) -> None:
    environment = make_environment([tmp_path])
    assert environment.from_string("{{ '%.1f h' % 2.25 }} {{ '%05d' | format(42) }}").render() == "2.2 h 00042"


def test_a_template_failing_at_render_time_is_a_render_error(tmp_path: Path) -> None:
    from crisisctl.render.notices import RenderError, render_template

    (tmp_path / "n.md.j2").write_text("{{ 1 // 0 }}")
    with pytest.raises(RenderError, match="ZeroDivisionError"):
        render_template("n.md.j2", [tmp_path], {})
