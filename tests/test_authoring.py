"""`crisisctl playbook new`: a valid, commented playbook per category, from flags or from the wizard."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from budget import examples
from conftest import subprocess_env
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crisisctl.authoring.answers import PlaybookRequest, text_problem
from crisisctl.authoring.new import playbook_text
from crisisctl.cli.playbook import CATEGORY_NAMES
from crisisctl.playbook.catalog import find_playbook
from crisisctl.playbook.model import Playbook
from crisisctl.playbook.validate import validate_playbook
from crisisctl.playbook.vocabulary import CATEGORIES, PHASES
from crisisctl.playbook.yamlsource import load_text

TODAY = dt.date.today()
PHASE_NOTES = {
    "detect": "recognise the crisis, judge its severity, activate the plan",
    "respond": "assemble the team, fill the roles, get the first words out fast",
    "contain": "find the root cause, decide the remedy and carry it out",
    "recover": "restore the service, win customers back, rebuild trust",
    "review": "what worked and what did not; update the plan and train people",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from crisisctl.entry import main

    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder: ./playbooks and ./templates are created by the command."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run(capsys, "playbook", "new", *args)
    assert code == 0, err
    return out


def load(folder: Path, playbook_id: str) -> Playbook:
    return find_playbook(folder / "playbooks", playbook_id, TODAY)


@pytest.mark.parametrize("category", CATEGORIES)
def test_playbook_new_for_every_category_passes_validate_unchanged(
    category: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    playbook_id = f"our-{category}"
    out = new(capsys, "--category", category, "--id", playbook_id, "--owner", "crisis-team@example.com")
    text = (folder / "playbooks" / f"{playbook_id}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# ")  # commented for the author
    assert f"wrote {Path('playbooks') / f'{playbook_id}.yaml'}" in out
    assert "next: adapt it, then run crisisctl playbook validate" in out

    code, report, err = run(capsys, "playbook", "validate")
    assert code == 0, report + err
    assert "1 valid playbook(s): 0 error(s), 0 warning(s)" in report

    playbook = load(folder, playbook_id)
    assert playbook.category == category
    assert playbook.owner == "crisis-team@example.com"
    assert playbook.review.last == TODAY
    assert [step.phase for step in playbook.steps] == sorted((step.phase for step in playbook.steps), key=PHASES.index)
    assert {step.phase for step in playbook.steps} == set(PHASES)
    roles = {role.id: role for role in playbook.roles}
    assert roles["incident-lead"].required
    assert {"comms-lead", "cs-lead", "scribe"} <= set(roles)
    assert len(roles) >= 5  # with the category's technical owner
    assert playbook.triggers
    communications = {comm.id: comm for comm in playbook.communications}
    assert communications["internal-update"].audience == "internal"
    assert communications["customer-notice"].channel == "email"
    for comm in playbook.communications:
        assert any(step.communication == comm.id for step in playbook.steps), f"no step sends {comm.id}"
        template = (folder / "templates" / comm.template).read_text(encoding="utf-8")
        if comm.channel == "email":
            # Line 1 is a Jinja comment, which leaves no line behind: the subject is the first line out.
            assert template.splitlines()[1].startswith("Subject: "), comm.template


def test_data_leaks_need_legal_and_a_regulator_notice(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new(capsys, "--category", "data-leak", "--id", "data-leak")
    playbook = load(folder, "data-leak")
    assert next(role for role in playbook.roles if role.id == "legal").required
    regulator = next(comm for comm in playbook.communications if comm.audience == "regulator")
    assert regulator.approvals == ("legal",)
    assert "legal" in next(comm for comm in playbook.communications if comm.id == "customer-notice").approvals


@pytest.mark.parametrize("category", CATEGORIES)
def test_no_step_is_due_before_a_step_it_waits_for(
    category: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new(capsys, "--category", category, "--id", category)
    steps = {step.id: step for step in load(folder, category).steps}
    for step in steps.values():
        for before in step.depends_on:
            earlier = steps[before].due
            if step.due is not None and earlier is not None:
                assert earlier <= step.due, f"{step.id} is due before {before}, which it waits for"


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_notice_of_a_new_playbook_drafts_in_a_drill(
    category: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new(capsys, "--category", category, "--id", category)
    playbook = load(folder, category)
    db = str(folder / "incidents.sqlite3")
    values = {"string": "Orders shipped to the wrong address", "list": "north,south", "integer": "12"}
    inputs = [arg for spec in playbook.inputs if spec.required for arg in ("--input", f"{spec.id}={values[spec.type]}")]
    code, _, err = run(capsys, "--db", db, "declare", category, "--drill", *inputs)
    assert code == 0, err
    for comm in playbook.communications:
        code, draft, err = run(capsys, "--db", db, "comms", "draft", "INC-1", comm.id)
        assert code == 0, f"{comm.id}: {err}"
        if comm.channel == "email":
            assert draft.startswith("Subject: [DRILL"), draft
        assert "DRILL" in draft


@pytest.mark.parametrize("category", CATEGORIES)
def test_playbook_new_with_locale_zh_writes_chinese_notices_that_draft_in_a_drill(
    category: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new(capsys, "--category", category, "--id", category, "--locale", "zh")
    assert run(capsys, "playbook", "validate")[0] == 0
    playbook = load(folder, category)
    db = str(folder / "incidents.sqlite3")
    values = {"string": "Orders shipped to the wrong address", "list": "north,south", "integer": "12"}
    inputs = [arg for spec in playbook.inputs if spec.required for arg in ("--input", f"{spec.id}={values[spec.type]}")]
    assert run(capsys, "--db", db, "declare", category, "--drill", *inputs)[0] == 0
    facing = ("customers", "key-accounts", "regulator")
    localised = [comm for comm in playbook.communications if comm.audience in facing]
    english_titles = [playbook.title, *(comm.title for comm in localised)]
    english_titles += [step.title for step in playbook.steps] + [role.title for role in playbook.roles]
    assert localised and all(comm.locales == ("en", "zh") for comm in localised)
    assert all(comm.locales == () for comm in playbook.communications if comm not in localised)
    for comm in localised:
        stem, _, rest = comm.template.partition(".")
        assert (folder / "templates" / f"{stem}.zh.{rest}").is_file()
        code, draft, err = run(capsys, "--db", db, "comms", "draft", "INC-1", comm.id, "--locale", "zh")
        assert code == 0, f"{comm.id}: {err}"
        assert "演练" in draft and sum("\u4e00" <= char <= "\u9fff" for char in draft) > 20, draft
        assert [title for title in english_titles if title in draft] == [], draft  # the playbook is in English


def test_playbook_new_locales_keep_the_order_given_and_copy_english_to_translate(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new(capsys, "--category", "service-outage", "--id", "outage", "--locale", "zh", "--locale", "en", "--locale", "de")
    comms = {comm.id: comm for comm in load(folder, "outage").communications}
    assert comms["customer-notice"].locales == ("zh", "en", "de")  # the first named is the default
    # the plain template is the default's (Chinese); English, now second, has a file of its own
    chinese = (folder / "templates/outage/customer-notice.md.j2").read_text(encoding="utf-8")
    english = (folder / "templates/outage/customer-notice.en.md.j2").read_text(encoding="utf-8")
    german = (folder / "templates/outage/customer-notice.de.md.j2").read_text(encoding="utf-8")
    assert "【演练，请勿发送】" in chinese and "[DRILL" in english
    assert german.startswith("{# Translate this notice into de;") and german.endswith(english)
    assert not (folder / "templates/outage/customer-notice.zh.md.j2").exists()
    assert run(capsys, "playbook", "validate")[0] == 0


@pytest.mark.parametrize("locale", ["zh-Hant", "zh-TW", "zh-HK", "zh_Hant_TW"])
def test_playbook_new_does_not_pass_simplified_chinese_off_as_traditional(
    locale: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The built-in Chinese notices are Simplified: Traditional Chinese gets the English text to translate."""
    new(capsys, "--category", "service-outage", "--id", "outage", "--locale", locale)
    english = (folder / "templates/outage/customer-notice.md.j2").read_text(encoding="utf-8")
    traditional = (folder / f"templates/outage/customer-notice.{locale}.md.j2").read_text(encoding="utf-8")
    assert traditional.startswith(f"{{# Translate this notice into {locale};") and traditional.endswith(english)
    assert not any("\u4e00" <= char <= "\u9fff" for char in traditional)
    assert run(capsys, "playbook", "validate")[0] == 0


@pytest.mark.parametrize("locale", ["zh-Hans", "zh-CN", "zh-Hans-HK"])
def test_playbook_new_writes_simplified_chinese_for_simplified_locales(
    locale: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new(capsys, "--category", "service-outage", "--id", "outage", "--locale", locale)
    simplified = (folder / f"templates/outage/customer-notice.{locale}.md.j2").read_text(encoding="utf-8")
    assert "【演练，请勿发送】" in simplified and "Translate" not in simplified


LOCALE_ORDERS = [list(order) for size in range(4) for order in itertools.permutations(("en", "zh", "de"), size)]


@pytest.mark.parametrize("locales", LOCALE_ORDERS, ids="-".join)
def test_playbook_new_validates_without_warnings_for_any_locale_order(
    locales: list[str], folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first locale is the default, served by the plain template; each other one has a file of its own."""
    new(capsys, "--category", "data-leak", "--id", "leak", *(arg for locale in locales for arg in ("--locale", locale)))
    code, report, err = run(capsys, "playbook", "validate")
    assert code == 0 and "0 error(s), 0 warning(s)" in report, report + err
    notice = next(comm for comm in load(folder, "leak").communications if comm.id == "regulator-notice")
    if not notice.locales:
        return
    db = str(folder / "incidents.sqlite3")
    inputs = [arg for spec in load(folder, "leak").inputs if spec.required for arg in ("--input", f"{spec.id}=x")]
    assert run(capsys, "--db", db, "declare", "leak", "--drill", *inputs)[0] == 0, inputs
    for locale in ("", *notice.locales):
        code, draft, err = run(
            capsys, "--db", db, "comms", "draft", "INC-1", notice.id, *(["--locale", locale] if locale else [])
        )
        assert code == 0, err
        chinese = sum("\u4e00" <= char <= "\u9fff" for char in draft) > 20
        assert chinese == ((locale or notice.locales[0]) == "zh"), (locale, draft)


def test_playbook_new_refuses_a_malformed_locale_and_writes_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "playbook", "new", "--category", "other", "--id", "plan", "--locale", "../zh")
    assert code == 2 and "`../zh` is not a locale" in err and "Traceback" not in err
    assert not (folder / "playbooks").exists() and not (folder / "templates").exists()


def test_playbook_new_writes_into_the_global_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    playbooks, templates = tmp_path / "plans" / "active", tmp_path / "notices"
    folders = ("--playbooks", str(playbooks), "--templates", str(templates))
    code, out, err = run(capsys, *folders, "playbook", "new", "--category", "service-outage", "--id", "checkout")
    assert code == 0, err
    assert (playbooks / "checkout.yaml").is_file()
    assert (templates / "checkout" / "status-update.md.j2").is_file()
    assert f"--playbooks {playbooks}" in out
    assert run(capsys, *folders, "playbook", "validate")[0] == 0


def test_playbook_new_points_the_editor_at_the_schema_of_an_initialised_repository(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init")[0] == 0
    new(capsys, "--category", "market-shock", "--id", "energy-prices", "--title", "Energy prices double")
    text = (folder / "playbooks" / "energy-prices.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema/playbook-v1.json\n")
    code, out, err = run(capsys, "playbook", "validate")
    assert code == 0, out + err
    assert "14 valid playbook(s)" in out  # the 13 samples and the new one


def test_playbook_new_as_json_lists_what_it_wrote(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = json.loads(new(capsys, "--category", "other", "--id", "misc", "--json"))
    assert payload["id"] == "misc"
    assert payload["category"] == "other"
    assert all((folder / name).is_file() for name in payload["files"])
    assert payload["files"][0] == str(Path("playbooks") / "misc.yaml")


def test_playbook_new_without_a_terminal_or_flags_names_the_category_flag(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "playbook", "new")
    assert code == 2
    assert out == ""
    assert "--category and --id are needed" in err
    assert "standard input is not a terminal" in err
    assert not (folder / "playbooks").exists()


def test_playbook_new_without_an_id_names_the_id_flag(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "playbook", "new", "--category", "data-leak")
    assert code == 2
    assert "--id is needed" in err


def test_playbook_new_in_a_script_without_a_terminal(folder: Path) -> None:
    """The real process, with standard input that is not a terminal."""
    result = subprocess.run(
        [sys.executable, "-m", "crisisctl", "playbook", "new", "--title", "x"],
        cwd=folder,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--category" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--category", "earthquake", "--id", "x"], "`earthquake` is not a category; use one of complaint-surge"),
        (["--category", "other", "--id", "Our_Plan"], "`Our_Plan` is not a slug"),
        (["--category", "other", "--id", "plan", "--title", " "], "the title is empty"),
        (["--category", "other", "--id", "plan", "--owner", "a\nb"], "the owner holds a line break"),
    ],
)
def test_playbook_new_refuses_answers_that_do_not_fit(
    args: list[str], message: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "playbook", "new", *args)
    assert code == 2
    assert message in err
    assert not (folder / "playbooks").exists()


def test_playbook_new_refuses_an_id_already_in_use(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new(capsys, "--category", "data-leak", "--id", "breach")
    (folder / "playbooks" / "breach.yaml").rename(folder / "playbooks" / "renamed.yml")
    code, _, err = run(capsys, "playbook", "new", "--category", "other", "--id", "breach")
    assert code == 1
    assert f"the playbook id `breach` is already used by {Path('playbooks') / 'renamed.yml'}" in err
    assert not (folder / "playbooks" / "breach.yaml").exists()


def test_playbook_new_never_overwrites_and_writes_nothing_then(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notice = folder / "templates" / "outage" / "customer-notice.md.j2"
    notice.parent.mkdir(parents=True)
    notice.write_text("our own notice\n", encoding="utf-8")
    code, _, err = run(capsys, "playbook", "new", "--category", "service-outage", "--id", "outage")
    assert code == 1
    assert f"refusing to overwrite 1 existing file(s): {Path('templates/outage/customer-notice.md.j2')}" in err
    assert "pass another --id" in err
    help_text = run(capsys, "playbook", "new", "--help")[1]
    assert [flag for flag in re.findall(r"--[a-z][a-z-]*", err) if flag not in help_text] == []  # no --force
    assert notice.read_text(encoding="utf-8") == "our own notice\n"
    assert not (folder / "playbooks").exists()
    assert [path.name for path in notice.parent.iterdir()] == ["customer-notice.md.j2"]


def test_playbook_new_writes_yaml_for_people_with_its_comments(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new(capsys, "--category", "service-outage", "--id", "outage")
    text = (folder / "playbooks" / "outage.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "# owner: team@example.com  # who keeps this plan up to date" in lines  # no --owner: a hint instead
    assert [line for line in lines if line.startswith("  # ")] == [
        f"  # {phase}: {note}" for phase, note in PHASE_NOTES.items()
    ]
    assert "    depends_on: [confirm, activate-team]" in lines  # short lists on one line
    assert '        - {metric: error_rate, op: ">=", value: 0.05}' in lines  # so are a condition's leaves
    assert (
        "    checklist:" in lines and "      - Roll back the last change or fail over" in lines
    )  # text lists in blocks
    assert "&id" not in text and "*id" not in text  # shared entries written out, no anchors
    assert lines.index("triggers:") < lines.index("inputs:") < lines.index("roles:") < lines.index("steps:")


def test_every_category_has_its_scaffold_file_and_no_file_is_left_over() -> None:
    scaffolds = Path(__file__).resolve().parent.parent / "crisisctl" / "scaffolds"
    plans = {path.stem for path in scaffolds.glob("*.yaml")} - {"common"}
    assert plans == set(CATEGORIES)


def test_help_lists_every_category() -> None:
    assert ", ".join(CATEGORIES) == CATEGORY_NAMES


TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=60)


@settings(max_examples=examples(300), deadline=None)
@given(title=TEXT, owner=TEXT)
@example(title="yes", owner="ok.")
@example(title="No", owner="x\\y")
@example(title="1.10", owner="a: b #c")
@example(title="2026-01-31", owner="null")
@example(title="- a list?", owner="~")
@example(title="key: value", owner="> x")
@example(title="# hash", owner="| x")
@example(title="'quoted'", owner="`x`")
@example(title='"double"', owner="%x")
@example(title="@team", owner="!tag")
@example(title="Ünïcödé 数据泄露", owner="&anchor")
@example(title="a  b", owner="*alias")
@example(title=" lead", owner="{x}")
@example(title="trail ", owner="[x]")
@example(title="dev 👩\u200d💻 team", owner="dev 👩\u200d💻 team")
@example(title="[x]", owner="trail ")
@example(title="{x}", owner=" lead")
@example(title="*alias", owner="a  b")
@example(title="&anchor", owner="Ünïcödé 数据泄露")
@example(title="!tag", owner="@team")
@example(title="%x", owner='"double"')
@example(title="`x`", owner="'quoted'")
@example(title="| x", owner="# hash")
@example(title="> x", owner="key: value")
@example(title="~", owner="- a list?")
@example(title="null", owner="2026-01-31")
@example(title="a: b #c", owner="1.10")
@example(title="x\\y", owner="No")
@example(title="ok.", owner="yes")
def test_any_accepted_title_and_owner_are_written_so_yaml_reads_them_back(title: str, owner: str) -> None:
    if text_problem(title, "title") or text_problem(owner, "owner"):
        return
    text = playbook_text(PlaybookRequest("other", "plan", title, owner), TODAY, None)
    result = validate_playbook(load_text(text, "plan.yaml"), TODAY)
    assert result.problems == []
    assert result.playbook is not None
    assert (result.playbook.title, result.playbook.owner) == (title, owner)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_playbook_new_wizard_in_a_real_terminal(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = f"crisisctl-new-{time.monotonic_ns()}"
    tmux = ["tmux", "-L", session]
    # The shell line reports the exit status and keeps the pane open to be read.
    command = f"{sys.executable} -m crisisctl playbook new; echo EXIT=$?; sleep 30"
    env = subprocess_env(COLUMNS="120", LINES="40")
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", str(folder), "sh", "-c", command],
        check=True,
        env=env,
    )

    def screen() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

    def wait_for(text: str) -> str:
        shown = ""
        for _ in range(80):
            shown = screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{shown}")

    def keys(*sent: str) -> None:
        subprocess.run([*tmux, "send-keys", "-t", session, *sent], check=True)

    try:
        shown = wait_for("What kind of crisis is the playbook for?")
        assert "complaint-surge" in shown and "other" in shown
        keys("Down", "Down")
        wait_for("Description: Personal data of customers exposed or stolen.")
        keys("Enter")
        shown = wait_for("Playbook id")
        assert "data-leak" in shown  # the suggested id
        keys("C-u", "EU Leak", "Enter")
        wait_for("`EU Leak` is not a slug")  # the same check as --id, and the question stays open
        keys("C-u", "eu-data-leak", "Enter")
        wait_for("Title:")
        keys("C-u", "Customer data leak in the EU", "Enter")
        wait_for("Owner")
        keys("privacy@example.com", "Enter")
        shown = wait_for("EXIT=")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    assert "EXIT=0" in shown, shown
    assert f"wrote {Path('playbooks') / 'eu-data-leak.yaml'}" in shown
    assert "next: adapt it, then run crisisctl playbook validate" in shown

    code, out, err = run(capsys, "playbook", "validate")
    assert code == 0, out + err
    playbook = load(folder, "eu-data-leak")
    assert (playbook.category, playbook.title, playbook.owner) == (
        "data-leak",
        "Customer data leak in the EU",
        "privacy@example.com",
    )
    assert (folder / "templates" / "eu-data-leak" / "regulator-notice.md.j2").is_file()
