"""The playbook commands through the real entry point: output formats and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import Workspace, crisisctl, subprocess_env

from crisisctl import __version__
from crisisctl.entry import main

CORPUS = Path(__file__).parent / "corpus"
BASE = (CORPUS / "base-playbook.yaml").read_text(encoding="utf-8")


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "\x1b[" not in result.stderr + result.stdout


def test_version_prints_the_version() -> None:
    result = crisisctl("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"crisisctl {__version__}"


def test_help_lists_the_commands_and_global_options() -> None:
    result = crisisctl("--help")
    assert result.returncode == 0
    for word in ("playbook", "--db", "--playbooks", "--templates", "--as", "--version"):
        assert word in result.stdout


def test_bundled_samples_are_valid(in_repo: Path) -> None:
    result = crisisctl("playbook", "validate", "--format", "json", cwd=in_repo)
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["errors"] == []
    assert report["playbooks"] == 13
    assert report["files"] == 26  # and one drill scenario for each, in playbooks/scenarios/


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = crisisctl("playbook", "validate", str(tmp_path / "nowhere"))
    assert_clean_failure(result, 2)
    assert "nowhere does not exist" in result.stderr


def test_unknown_option_is_a_usage_error() -> None:
    assert_clean_failure(crisisctl("playbook", "validate", "--formt", "json"), 2)


def test_unknown_format_is_a_usage_error() -> None:
    assert_clean_failure(crisisctl("playbook", "validate", "--format", "xml"), 2)


def test_invalid_playbook_exits_1_in_every_format(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("category: service-outage", "category: outage"), encoding="utf-8")
    for report_format in ("text", "json", "github", "sarif"):
        result = crisisctl(
            "--templates", str(CORPUS / "templates"), "playbook", "validate", str(bad), "--format", report_format
        )
        assert_clean_failure(result, 1)
        assert "service-outage" in result.stdout  # the did-you-mean hint


def test_all_errors_in_a_file_are_reported_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    text = BASE.replace("category: service-outage", "category: outage").replace("due: 30m", "due: 30 minutes")
    bad.write_text(text.replace("role: comms-lead", "role: comms"), encoding="utf-8")
    assert main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(bad), "--format", "json"]) == 1
    rules = sorted(error["rule"] for error in json.loads(capsys.readouterr().out)["errors"])
    assert rules == ["duration", "enum", "unknown-ref"]


def test_duplicate_playbook_ids_across_files_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BASE, encoding="utf-8")
    assert (
        main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(tmp_path), "--format", "json"]) == 1
    )
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [(e["rule"], Path(e["file"]).name, e["line"], e["column"]) for e in errors] == [
        ("duplicate-playbook-id", "b.yaml", 3, 5)
    ]


def test_overdue_review_is_a_warning_and_never_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = BASE.replace(
        "category: service-outage", "category: service-outage\nreview:\n  every: 30d\n  last_reviewed: 2020-01-31"
    )
    (tmp_path / "old.yaml").write_text(text, encoding="utf-8")
    assert (
        main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(tmp_path), "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == []
    assert [w["rule"] for w in report["warnings"]] == ["review-overdue"]
    assert (
        main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(tmp_path), "--format", "github"])
        == 0
    )
    assert capsys.readouterr().out.startswith("::warning file=")


def test_github_annotations_escape_newlines_and_commas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / "a,b.yaml"
    odd.write_text("- not a mapping\n", encoding="utf-8")
    assert main(["playbook", "validate", str(odd), "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert "a%2Cb.yaml" in out and out.count("\n") == 1


def test_github_annotations_encode_carriage_returns_percent_colons_and_commas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "a\rb,c:d%.yaml"
    odd.write_text(BASE.replace("title: Base", '"x\\ry\\nz": 1\ntitle: Base'), encoding="utf-8")
    assert main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(odd), "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert "\r" not in out and out.count("\n") == 1
    (annotation,) = out.splitlines()
    assert annotation.startswith(f"::error file={tmp_path}/a%0Db%2Cc%3Ad%25.yaml,line=")
    assert "unknown key `x%0Dy%0Az`" in annotation


def test_sarif_is_2_1_0_with_one_result_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("phase: detect", "phase: detection"), encoding="utf-8")
    assert main(["--templates", str(CORPUS / "templates"), "playbook", "validate", str(bad), "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "enum" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 20, "startColumn": 12}


def test_list_and_show_in_json(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playbook", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["id"] for row in rows} >= {"data-leak", "service-outage", "product-recall"}
    assert all(row["valid"] for row in rows)
    assert main(["playbook", "show", "data-leak", "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["id"] == "data-leak" and detail["steps"] and detail["roles"]


def test_show_unknown_playbook_suggests_the_closest(in_repo: Path) -> None:
    result = crisisctl("playbook", "show", "data-leek", cwd=in_repo)
    assert_clean_failure(result, 2)
    assert "data-leak" in result.stderr


def test_show_invalid_playbook_lists_its_problems(tmp_path: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "base.yaml").write_text(BASE.replace("due: 2h", "due: soon"), encoding="utf-8")
    result = crisisctl("--playbooks", str(folder), "playbook", "show", "base")
    assert_clean_failure(result, 1)
    assert "steps[1].due" in result.stderr


def test_titles_are_shown_as_inert_text(tmp_path: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    hostile = 'title: "Outage \\e[2J\\e]0;owned\\a [bold red]RESOLVED[/] \\u202e"'
    (folder / "base.yaml").write_text(
        BASE.replace("title: Base playbook for the defect corpus", hostile), encoding="utf-8"
    )
    result = crisisctl("--playbooks", str(folder), "playbook", "list", COLUMNS="300")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[2J" in result.stdout and "[bold red]RESOLVED[/]" in result.stdout


def test_unexpected_error_writes_a_crash_report_and_exits_3(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        import crisisctl.playbook.files as files
        def broken(*args, **kwargs):
            raise RuntimeError("simulated defect")
        files.discover = broken
        from crisisctl.entry import main
        sys.exit(main(["playbook", "validate"]))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" in lines[0]
    report = Path(lines[0].rsplit(" ", 1)[-1])
    body = report.read_text(encoding="utf-8")
    assert "simulated defect" in body and "Traceback" in body and f"crisisctl {__version__}" in body


def test_large_sets_validate_in_parallel_with_the_same_answers(tmp_path: Path) -> None:
    import datetime as dt

    from crisisctl.playbook.catalog import PARALLEL_THRESHOLD, validate_files
    from crisisctl.playbook.files import discover
    from crisisctl.render.templatecheck import TemplateChecker

    for index in range(PARALLEL_THRESHOLD + 6):
        text = BASE.replace("id: base", f"id: base-{index}")
        if index == 3:
            text = text.replace("phase: detect", "phase: detection")
        if index == 41:
            text = text.replace("base/notice.md.j2", "base/missing.md.j2")
        if index == 60:
            text = text.replace(f"id: base-{index}", "id: base-5")
        if index in (7, 41):  # a notice lint warning; on 41 it is not reported, as its template is missing
            text = text.replace(
                "    approvals: [incident-lead]\n", "    approvals: [incident-lead]\n    locales: [en, fr]\n"
            )
        (tmp_path / f"p{index:03d}.yaml").write_text(text, encoding="utf-8")
    files = discover([tmp_path])
    today = dt.date(2026, 11, 25)
    checker = TemplateChecker(CORPUS / "templates")
    parallel = validate_files(files, today, checker.check, keep_models=False, notice_lint=checker.lint_notices)
    serial = [
        validate_files([path], today, checker.check, keep_models=False, notice_lint=checker.lint_notices)
        for path in files
    ]
    assert [problem.rule for problem in parallel.problems] == ["enum", "template-missing", "duplicate-playbook-id"]
    assert parallel.problems[:2] == [serial[3].problems[0], serial[41].problems[0]]
    assert [warning.rule for warning in parallel.warnings] == ["notice-locale-missing"]
    assert parallel.warnings == serial[7].warnings
    assert len(validate_files(files, today, checker.check).playbooks) == len(files) - 3


def test_validating_leaves_no_reference_cycles_behind(tmp_path: Path) -> None:
    # Without cycles each file's tree is freed as soon as it is checked; with them, a thousand
    # trees waited for the garbage collector (123 MB in one run, and its passes over them).
    import datetime as dt
    import gc

    from crisisctl.playbook.catalog import validate_files
    from crisisctl.playbook.files import discover
    from crisisctl.render.templatecheck import TemplateChecker

    repo = Path(__file__).resolve().parent.parent
    cyclic = BASE.replace("depends_on: [assess]", "depends_on: [assess, notify]")
    assert cyclic != BASE
    (tmp_path / "cyclic.yaml").write_text(cyclic.replace("id: base", "id: cyclic"), encoding="utf-8")
    files = [*discover([repo / "playbooks"], all_kinds=True), tmp_path / "cyclic.yaml"]
    checker = TemplateChecker(repo / "templates")
    validate_files(files, dt.date(2026, 11, 25), checker.check)  # warm: template analyses are cached for good
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        report = validate_files(files, dt.date(2026, 11, 25), checker.check, keep_models=False)
        gc.collect()
        garbage = [type(item).__name__ for item in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert "dependency-cycle" in [problem.rule for problem in report.problems]
    assert garbage == []


def _chain_playbook(step_count: int, back_edges: dict[int, list[int]]) -> str:
    """A valid playbook whose step i depends on step i+1, plus the given extra dependencies."""
    lines = [
        "apiVersion: crisisctl/v1",
        "kind: Playbook",
        "id: chain",
        'version: "1.0.0"',
        "title: A long chain",
        "category: service-outage",
        "roles:",
        "  - {id: lead, title: Lead}",
        "steps:",
    ]
    for index in range(step_count):
        depends = ([index + 1] if index + 1 < step_count else []) + back_edges.get(index, [])
        listed = ", ".join(f"s{target}" for target in depends)
        lines.append(f"  - {{id: s{index}, title: Step {index}, phase: respond, role: lead, depends_on: [{listed}]}}")
    return "\n".join(lines) + "\n"


def test_each_dependency_cycle_is_reported_once_at_the_entry_that_closes_it() -> None:
    import datetime as dt

    from crisisctl.playbook.validate import validate_playbook
    from crisisctl.playbook.yamlsource import load_text

    # s0 -> s1 -> s2 -> s3, and s3 -> s0, s3 -> s1: two cycles, each closed by an entry of s3.
    result = validate_playbook(load_text(_chain_playbook(4, {3: [0, 1]}), "chain.yaml"), dt.date(2026, 11, 25))
    cycles = [(problem.path, problem.message) for problem in result.problems if problem.rule == "dependency-cycle"]
    assert cycles == [
        ("steps[3].depends_on[0]", "steps depend on each other in a cycle: s0 -> s1 -> s2 -> s3 -> s0"),
        ("steps[3].depends_on[1]", "steps depend on each other in a cycle: s1 -> s2 -> s3 -> s1"),
    ]


def test_a_chain_of_thousands_of_steps_is_walked_without_recursion() -> None:
    import datetime as dt

    from crisisctl.playbook.validate import validate_playbook
    from crisisctl.playbook.yamlsource import load_text

    result = validate_playbook(load_text(_chain_playbook(5000, {4999: [0]}), "long.yaml"), dt.date(2026, 11, 25))
    assert [problem.rule for problem in result.problems] == ["dependency-cycle"]
    assert result.problems[0].path == "steps[4999].depends_on[0]"


# PyYAML as other machines may have it, set up before crisisctl is imported so that its own detection runs: built
# without libyaml (its C module missing), or bundling a libyaml older than 0.2.6 (the version the C module reports).
_PYYAML_BUILDS = {
    "none": "import sys\nsys.modules['yaml._yaml'] = None\n",
    "old": "import yaml._yaml\nyaml._yaml.get_version = lambda: (0, 2, 5)\n",
}
_VALIDATE = (
    "import sys\nfrom crisisctl.entry import main\nsys.exit(main(['playbook', 'validate', '--format', 'json']))\n"
)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        ("none", "PyYAML was built without libyaml"),
        ("old", "PyYAML's libyaml is 0.2.5, older than 0.2.6"),
        ("wheel", None),
    ],
)
def test_a_slow_yaml_loader_is_a_warning_that_says_why(in_repo: Path, build: str, reason: str | None) -> None:
    code = _PYYAML_BUILDS.get(build, "") + _VALIDATE
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=in_repo, env=subprocess_env(), timeout=120
    )
    assert child.returncode == 0, child.stderr  # a warning never fails the run, and the slower loader still loads
    report = json.loads(child.stdout)
    assert report["errors"] == [] and report["files"] > 0, report
    warnings = [(w["rule"], w["message"]) for w in report["warnings"] if w["rule"] == "libyaml-missing"]
    assert warnings == ([("libyaml-missing", f"{reason}; loading is several times slower")] if reason else [])


def test_hidden_yaml_files_in_a_playbook_folder_are_other_tools_settings(workspace: Workspace) -> None:
    (workspace.playbooks / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    report = json.loads(workspace.ok("playbook", "validate", str(workspace.playbooks), "--format", "json"))
    assert report["files"] == 1 and report["errors"] == []
    named = workspace.playbooks / ".pre-commit-config.yaml"
    code, _, _ = workspace.run("playbook", "validate", str(named))  # named directly, it is read as a playbook
    assert code == 1


@pytest.mark.parametrize("version", ["1.0.0-rc.01", "1.0.0-a..b", "1.0.0-.", "1.0.0+"])
def test_a_version_semantic_versioning_forbids_is_refused(workspace: Workspace, version: str) -> None:
    path = workspace.playbooks / "base.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('version: "1.0.0"', f'version: "{version}"'))
    code, out, _ = workspace.run("playbook", "validate", str(path))
    assert code == 1 and "version" in out


def github_annotation_files(cwd: Path, *args: str) -> set[str]:
    done = crisisctl(
        "--templates", str(CORPUS / "templates"), "playbook", "validate", *args, "--format", "github", cwd=cwd
    )
    assert done.returncode == 1, done.stderr
    return {line.split("file=", 1)[1].split(",line=", 1)[0] for line in done.stdout.splitlines()}


def test_github_annotations_name_files_from_the_repository_root(tmp_path: Path) -> None:
    """GitHub matches `file=` against the repository's root, wherever the workflow step runs (working-directory)."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "a b.yaml").write_text(BASE.replace("phase: detect", "phase: detection"))
    (tmp_path / "sub").mkdir()
    assert github_annotation_files(tmp_path / "sub", "../playbooks/a b.yaml") == {"playbooks/a b.yaml"}
    assert github_annotation_files(tmp_path / "sub", "../playbooks/a b.yaml", "--base-dir", str(tmp_path.parent)) == {
        f"{tmp_path.name}/playbooks/a b.yaml"
    }
    done = crisisctl(
        "--templates", str(CORPUS / "templates"), "playbook", "validate", "../playbooks", cwd=tmp_path / "sub"
    )
    assert "../playbooks/a b.yaml" in done.stdout  # text (and json) keep the path as given


def test_advice_about_no_file_names_no_file_and_no_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from crisisctl.playbook import catalog

    monkeypatch.setattr(catalog, "SLOW_LOADER_REASON", "PyYAML has no libyaml")
    (tmp_path / "p.yaml").write_text(BASE, encoding="utf-8")
    templates = ["--templates", str(CORPUS / "templates")]
    assert main([*templates, "playbook", "validate", str(tmp_path), "--format", "github"]) == 0
    (annotation,) = capsys.readouterr().out.splitlines()
    assert annotation.startswith("::warning::[libyaml-missing] PyYAML has no libyaml"), annotation
    assert main([*templates, "playbook", "validate", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (advice,) = [line for line in lines if "libyaml-missing" in line]
    assert advice.startswith("warning  PyYAML has no libyaml"), lines
    assert "1:1" not in "\n".join(lines) and "crisisctl" not in lines


def test_a_folder_without_playbook_files_is_a_usage_error(tmp_path: Path) -> None:
    """A wrong path in CI must not pass as "0 files, all valid"."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not yaml\n", encoding="utf-8")
    for report_format in ("text", "json", "github", "sarif"):
        done = crisisctl("playbook", "validate", "empty", "--format", report_format, cwd=tmp_path)
        assert done.returncode == 2, done.stdout
        assert done.stdout == "" and "no playbook files in empty" in done.stderr and "Traceback" not in done.stderr
