"""`playbook validate --format sarif` as its consumers read it: the SARIF 2.1.0 schema and Microsoft's SARIF
multitool with GitHub's rules.

tests/consumers/sarif-schema-2.1.0.json is the SARIF 2.1.0 schema (OASIS) as Microsoft's SARIF multitool ships
it: the file sarif-2.1.0.json of the npm package @microsoft/sarif-multitool-linux 5.7.0, unchanged (the OASIS
original: https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
from conftest import crisisctl
from realtools import CONSUMERS, node_package_program

from crisisctl.entry import main
from crisisctl.playbook.rules import RULE_BY_ID

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
BASE = (CORPUS / "base-playbook.yaml").read_text(encoding="utf-8")
ODD_NAME = "odd, name: 100%.yaml"
SCHEMA = json.loads((CONSUMERS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def sarif_validator() -> jsonschema.Draft202012Validator:
    """The schema with its formats checked: `uri-reference` is what a stray `%` or `:` breaks."""
    return jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def validate_sarif(
    capsys: pytest.CaptureFixture[str], *paths: Path | str, base_dir: Path | None = None
) -> tuple[int, Any]:
    args = ["--templates", str(CORPUS / "templates"), "playbook", "validate", *map(str, paths), "--format", "sarif"]
    code = main([*args, "--base-dir", str(base_dir)] if base_dir else args)
    return code, json.loads(capsys.readouterr().out)


def project_urls() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project.get("urls", {}).values())


def odd_playbook(root: Path) -> Path:
    """A playbook whose file name needs percent-encoding, with an error (a phase) and a warning (YAML `yes`)."""
    folder = root / "playbooks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ODD_NAME
    path.write_text(
        BASE.replace("phase: detect", "phase: detection").replace("required: true", "required: yes", 1),
        encoding="utf-8",
    )
    return path


def artifact(result: dict[str, Any]) -> dict[str, str]:
    location: dict[str, str] = result["locations"][0]["physicalLocation"]["artifactLocation"]
    return location


def test_a_file_name_with_comma_colon_space_and_percent_is_percent_encoded_and_schema_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd_playbook(tmp_path)
    code, sarif = validate_sarif(capsys, tmp_path / "playbooks", base_dir=tmp_path)
    assert code == 1
    assert [error.message for error in sarif_validator().iter_errors(sarif)] == []
    (run,) = sarif["runs"]
    assert {artifact(result)["uri"] for result in run["results"]} == {"playbooks/odd%2C%20name%3A%20100%25.yaml"}
    assert {artifact(result)["uriBaseId"] for result in run["results"]} == {"%SRCROOT%"}
    assert unquote(artifact(run["results"][0])["uri"]) == f"playbooks/{ODD_NAME}"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}
    assert sorted((r["ruleId"], r["level"]) for r in run["results"]) == [
        ("enum", "error"),
        ("yaml11-boolean", "warning"),
    ]


def test_the_unencoded_name_is_what_the_schema_refuses() -> None:
    """The schema check above has teeth: the name as it was written before is not a URI reference."""
    report = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "crisisctl"}},
                "results": [
                    {
                        "message": {"text": "m"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"playbooks/{ODD_NAME}"}}}],
                    }
                ],
            }
        ],
    }
    assert list(sarif_validator().iter_errors(report))


def test_every_rule_reported_has_a_real_short_and_full_description_and_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd_playbook(tmp_path)
    _, sarif = validate_sarif(capsys, CORPUS / "playbooks", CORPUS / "warnings", tmp_path / "playbooks")
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) >= 40
    for rule in rules:
        registered = RULE_BY_ID[rule["id"]]
        for text in (rule["shortDescription"]["text"], rule["fullDescription"]["text"], rule["help"]["text"]):
            assert text.strip() and text != rule["id"] and "`" not in text, rule
        assert rule["help"]["markdown"].startswith(registered.wrong)
        assert rule["defaultConfiguration"]["level"] == registered.level
    for result in run["results"]:
        assert result["level"] == RULE_BY_ID[result["ruleId"]].level or "suppressions" in result
    assert [error.message for error in sarif_validator().iter_errors(sarif)] == []


def multitool() -> Path:
    """The SARIF multitool's own executable: its npm wrapper passes arguments through a shell, which splits
    `Sarif;Gh` at the semicolon."""
    platform = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    name = "Sarif.Multitool.exe" if platform == "win32" else "Sarif.Multitool"
    package = f"@microsoft/sarif-multitool-{platform}"
    return node_package_program(f"{package}/{name}", package)


def test_microsofts_sarif_multitool_with_github_rules_finds_no_error_or_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every corpus case (errors, warnings, an ignored one), the odd file name, and a tool notification."""
    from crisisctl.playbook import catalog

    tool = multitool()
    monkeypatch.setattr(catalog, "SLOW_LOADER_REASON", "PyYAML has no libyaml")
    odd_playbook(tmp_path)
    (tmp_path / "playbooks" / "ignored.yaml").write_text(
        BASE.replace("id: base", "id: ignored").replace(
            "required: true", "required: yes  # crisisctl: ignore[yaml11-boolean]", 1
        ),
        encoding="utf-8",
    )
    _, sarif = validate_sarif(capsys, CORPUS / "playbooks", CORPUS / "warnings", tmp_path / "playbooks")
    report = tmp_path / "crisisctl.sarif"
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("suppressions" in result for result in sarif["runs"][0]["results"])
    assert len(sarif["runs"][0]["tool"]["driver"]["rules"]) >= 40
    report.write_text(json.dumps(sarif), encoding="utf-8")
    verdict = tmp_path / "verdict.sarif"
    done = subprocess.run(
        # The file comes first: the options that take lists would take it as one more of their values.
        [
            str(tool),
            "validate",
            str(report),
            "--rule-kind",
            "Sarif;Gh",
            "--output",
            str(verdict),
            "--log",
            "ForceOverwrite",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    findings = json.loads(verdict.read_text(encoding="utf-8"))["runs"][0].get("results", [])
    # The one advice left: a web page about the tool. crisisctl has none to give (not on PyPI, no project URL in
    # pyproject.toml); a URL there is the moment to fill informationUri and drop this exception.
    no_page = [] if project_urls() else [("SARIF2005", "Warning_ProvideToolnformationUri")]
    assert [(finding["ruleId"], finding["message"]["id"]) for finding in findings] == no_page
    assert "1 files scanned" in done.stdout and "Analysis completed successfully" in done.stdout


def test_columns_count_unicode_code_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An emoji is one code point but two UTF-16 units: the column after it says which the reader counts."""
    playbook = tmp_path / "p.yaml"
    playbook.write_text(BASE.replace("category: service-outage", 'category: service-outage\ntags: ["😀", no]'))
    code, sarif = validate_sarif(capsys, playbook, base_dir=tmp_path)
    assert code == 1
    (run,) = sarif["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    (result,) = [result for result in run["results"] if result["ruleId"] == "yaml11-surprise"]
    line = next(n for n, text in enumerate(playbook.read_text().splitlines(), 1) if text.startswith("tags:"))
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": 13}


def test_paths_are_relative_to_the_git_root_around_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
    work = tmp_path / "team" / "plans"
    odd_playbook(work)
    done = crisisctl("--templates", str(CORPUS / "templates"), "playbook", "validate", "--format", "sarif", cwd=work)
    assert done.returncode == 1, done.stderr
    (run,) = json.loads(done.stdout)["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert {artifact(result)["uri"] for result in run["results"]} == {
        "team/plans/playbooks/odd%2C%20name%3A%20100%25.yaml"
    }


def test_without_a_git_root_paths_are_relative_to_the_current_folder(tmp_path: Path) -> None:
    if any((folder / ".git").exists() for folder in tmp_path.resolve().parents):
        pytest.skip("the temporary folder lies inside a git repository")
    odd_playbook(tmp_path)
    done = crisisctl(
        "--templates", str(CORPUS / "templates"), "playbook", "validate", "--format", "sarif", cwd=tmp_path
    )
    (run,) = json.loads(done.stdout)["runs"]
    assert {artifact(result)["uri"] for result in run["results"]} == {"playbooks/odd%2C%20name%3A%20100%25.yaml"}


def test_a_file_outside_the_base_dir_is_an_absolute_file_uri(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook = odd_playbook(tmp_path / "outside")
    (tmp_path / "repo").mkdir()
    _, sarif = validate_sarif(capsys, playbook, base_dir=tmp_path / "repo")
    (run,) = sarif["runs"]
    locations = {json.dumps(artifact(result)) for result in run["results"]}
    assert locations == {json.dumps({"uri": playbook.resolve().as_uri()})}
    assert "%2C%20name%3A%20100%25.yaml" in playbook.resolve().as_uri()
    assert [error.message for error in sarif_validator().iter_errors(sarif)] == []


def test_a_base_dir_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    done = crisisctl("playbook", "validate", str(REPO / "playbooks"), "--format", "sarif", "--base-dir", "nowhere")
    assert done.returncode == 2
    assert "nowhere" in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_advice_about_no_file_is_a_tool_notification_not_a_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from crisisctl.playbook import catalog

    monkeypatch.setattr(catalog, "SLOW_LOADER_REASON", "PyYAML has no libyaml")
    (tmp_path / "p.yaml").write_text(BASE, encoding="utf-8")
    code, sarif = validate_sarif(capsys, tmp_path / "p.yaml", base_dir=tmp_path)
    assert code == 0
    (run,) = sarif["runs"]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["associatedRule"] == {"id": "libyaml-missing"} and notification["level"] == "warning"
    assert "PyYAML has no libyaml" in notification["message"]["text"]
    assert [error.message for error in sarif_validator().iter_errors(sarif)] == []


def test_every_rule_is_documented_and_every_documented_rule_is_registered() -> None:
    docs = (REPO / "docs" / "playbook-format.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Every rule") : docs.index("### Ignoring a warning")]
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE))
    assert documented == set(RULE_BY_ID)


def test_a_symbolic_link_is_named_where_it_is_not_where_it_points(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As text, json and github name it: a link in the repository to a shared file, or to a file outside it."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    target = odd_playbook(repo).rename(repo / "shared.yaml")
    (outside / "playbooks").mkdir(parents=True)
    (outside / "playbooks" / "far.yaml").write_text(target.read_text(encoding="utf-8"), encoding="utf-8")
    (repo / "playbooks" / "outage.yaml").symlink_to(Path("..") / "shared.yaml")
    (repo / "playbooks" / "far.yaml").symlink_to(outside / "playbooks" / "far.yaml")
    code, sarif = validate_sarif(capsys, repo / "playbooks", base_dir=repo)
    assert code == 1
    (run,) = sarif["runs"]
    assert {json.dumps(artifact(result)) for result in run["results"]} == {
        json.dumps({"uri": "playbooks/outage.yaml", "uriBaseId": "%SRCROOT%"}),
        json.dumps({"uri": "playbooks/far.yaml", "uriBaseId": "%SRCROOT%"}),
    }


def test_the_tool_names_no_web_page_the_project_does_not_have(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """crisisctl is not on PyPI, and pyproject.toml lists no project URL: no informationUri rather than a dead one."""
    (tmp_path / "p.yaml").write_text(BASE, encoding="utf-8")
    _, sarif = validate_sarif(capsys, tmp_path / "p.yaml", base_dir=tmp_path)
    (run,) = sarif["runs"]
    assert run["tool"]["driver"].get("informationUri") in {None, *project_urls()}
