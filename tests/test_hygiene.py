"""The test suite's own machinery does what it claims: the nightly Hypothesis profile raises every property test's
budget, and the home guard fails a test that writes into crisisctl's real folders and no other."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, crisisctl, subprocess_env
from homeguard import RealFolders, crisisctl_folders

TESTS = REPO / "tests"

# A pytest plugin that prints the settings each collected Hypothesis test will run with (Hypothesis keeps them on
# the test as _hypothesis_internal_use_settings: its own decorators' merge of the profile and @settings).
_PROBE = textwrap.dedent(
    """
    def pytest_collection_finish(session):
        for item in session.items:
            chosen = getattr(getattr(item, "obj", None), "_hypothesis_internal_use_settings", None)
            if chosen is not None:
                print("BUDGET", item.nodeid, chosen.max_examples)
    """
)


def _budgets(profile: str, probe: Path) -> dict[str, int]:
    """Each property test's effective max_examples, collected in a pytest run under the profile."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "budget_probe"],
        capture_output=True, text=True, cwd=REPO, timeout=300,
        env=subprocess_env(HYPOTHESIS_PROFILE=profile, PYTHONPATH=str(probe)),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    found = [line.split() for line in done.stdout.splitlines() if line.startswith("BUDGET ")]
    return {nodeid: int(count) for _, nodeid, count in found}


@pytest.mark.slow
def test_the_nightly_profile_raises_every_property_tests_examples(tmp_path: Path) -> None:
    (tmp_path / "budget_probe.py").write_text(_PROBE, encoding="utf-8")
    short, nightly = _budgets("ci", tmp_path), _budgets("nightly", tmp_path)
    assert short.keys() == nightly.keys()
    # The property tests with budgets of their own, and one that takes the profile's (test_inputs_and_time).
    for name in ("test_fuzz.py::", "test_validate_fuzz.py::", "test_yamlsource.py::", "test_inputs_and_time.py::"):
        assert any(name in nodeid for nodeid in short), f"no property test of {name} was collected"
    raised = {nodeid: (short[nodeid], nightly[nodeid]) for nodeid in short}
    assert all(long >= 100 * quick for quick, long in raised.values()), raised
    fuzz = "tests/test_fuzz.py::test_mutated_scenarios_get_problems_not_exceptions"  # @settings(examples(200))
    assert raised[fuzz] == (200, 40_000)


def _max_examples_given(tree: ast.AST) -> list[ast.keyword]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg == "max_examples"]


def test_every_budget_a_test_sets_goes_through_examples() -> None:
    # Property tests that Hypothesis does not show at collection (a @given inside a test, a state machine run by
    # run_state_machine_as_test) are held to the same rule by reading the source.
    unscaled = []
    for path in sorted(set(TESTS.glob("*.py")) - {TESTS / "conftest.py"}):  # where the profiles are set
        for keyword in _max_examples_given(ast.parse(path.read_text(encoding="utf-8"))):
            value = keyword.value
            if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "examples"):
                unscaled.append(f"{path.name}:{keyword.lineno}")
    assert unscaled == [], f"max_examples not taken from budget.examples(), so no profile raises it: {unscaled}"
    assert len([path for path in TESTS.glob("*.py") if _max_examples_given(ast.parse(path.read_text()))]) >= 6


def _a_real_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with no XDG variables, as a user's: crisisctl's folders are under ~/.local, ~/.config, ~/.cache."""
    home = tmp_path / "someone"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for variable in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(variable)
    return home


_OTHER_PROGRAMS = textwrap.dedent(
    """
    import pathlib, sys
    home = pathlib.Path(sys.argv[1])
    for name in (".bash_history", ".local/share/other-app/data.db", ".cache/pip/http/x", ".config/crisisctl-like/a"):
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text("written meanwhile")
    """
)


def test_the_home_guard_ignores_other_programs_writing_in_the_real_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _a_real_home(tmp_path, monkeypatch)
    folders = crisisctl_folders()
    assert all(folder.is_relative_to(home) for folder in folders), folders
    (folders[0]).mkdir(parents=True)  # crisisctl has been used here: its data folder exists
    guard = RealFolders(folders)
    subprocess.run([sys.executable, "-c", _OTHER_PROGRAMS, str(home)], check=True, timeout=60)
    assert (home / ".local/share/other-app/data.db").exists()
    assert guard.changed() == []


def test_the_home_guard_names_what_crisisctl_wrote_in_its_real_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _a_real_home(tmp_path, monkeypatch)
    corpus = REPO / "tests" / "corpus"
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "base.yaml").write_bytes((corpus / "base-playbook.yaml").read_bytes())
    where = ["--playbooks", str(playbooks), "--templates", str(corpus / "templates")]  # the log: the default one
    guard = RealFolders(crisisctl_folders())
    declared = crisisctl(*where, "declare", "base", "--input", "affected_customers=1200", cwd=tmp_path)
    assert declared.returncode == 0, declared.stderr
    log = home / ".local" / "share" / "crisisctl" / "incidents.sqlite3"
    assert str(log) in guard.changed()
    guard = RealFolders(crisisctl_folders())  # the log exists now: a later write into it is seen too
    noted = crisisctl(*where, "note", "INC-1", "written by a second process", cwd=tmp_path)
    assert noted.returncode == 0, noted.stderr
    assert str(log) in guard.changed() or f"{log}-wal" in guard.changed()


def test_the_test_suite_needs_none_of_the_dev_tools() -> None:
    # The README's test command runs after `pip install -e '.[test]'` alone: ruff, mypy and coverage are in the
    # dev dependency group, which only CI and developers install.
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    dev = {requirement.split("=")[0].split(">")[0].split("<")[0] for requirement in project["dependency-groups"]["dev"]}
    assert {"ruff", "mypy", "coverage"} <= dev
    test_extra = " ".join(project["project"]["optional-dependencies"]["test"])
    assert not [tool for tool in dev if tool in test_extra]
    imported = set()
    for path in TESTS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert not imported & {"ruff", "mypy", "coverage"}
