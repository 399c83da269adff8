"""Benchmark crisisctl's whole-process wall time and peak memory against `python -c pass`; see bench/README.md."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import importlib
import json
import os
import platform
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
CACHE_DIR = BENCH_DIR / "results"  # git-ignored; holds the cached big log and report log
PLAYBOOK_COPIES = 1000
YAML_SUFFIXES = (".yaml", ".yml")
MAX_MIB = 40  # peak memory budget of a non-interactive command
SMOKE_INCIDENTS = 300  # the big log of a --smoke run: 300 incidents, 3,000 events, built in a fraction of a second


# --- What is measured -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A budget: time (at most `max_ratio` times a reference median, at most `max_ms` milliseconds) and memory
    (a peak RSS of at most `max_mib` MiB). Each limit left at None is not checked.

    The reference of `max_ratio` is the baseline (`python -c pass`), or the row named by `relative_to`: that row
    then always runs with this one, in the same interleaved rounds, e.g. `Target(1.3, relative_to="crisisctl --help")`.
    """

    max_ratio: float | None = None
    max_ms: float | None = None
    max_mib: float | None = None
    relative_to: str | None = None

    def __post_init__(self) -> None:
        if self.relative_to is not None and self.max_ratio is None:
            raise ValueError(f"relative_to={self.relative_to!r} needs a max_ratio")

    def time_met(self, median_ms: float, ratio: float) -> bool | None:
        """`ratio`: the median over the reference's median (the baseline's, or that of the row `relative_to`)."""
        if self.max_ratio is None and self.max_ms is None:
            return None
        return (self.max_ratio is None or ratio <= self.max_ratio) and (self.max_ms is None or median_ms <= self.max_ms)

    def memory_met(self, peak_mib: float | None) -> bool | None:
        return None if self.max_mib is None or peak_mib is None else peak_mib <= self.max_mib

    def __str__(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"<= {self.max_ratio:g}x" + (f" {self.relative_to}" if self.relative_to else ""))
        if self.max_ms is not None:
            parts.append(f"<= {self.max_ms:g} ms")
        if self.max_mib is not None:
            parts.append(f"<= {self.max_mib:g} MiB")
        return ", ".join(parts) or "-"


@dataclass(frozen=True)
class Benchmark:
    """One row: a command line, its budget and how often to run it.

    `argv` follows the program; `{name}` in an argument is replaced by the fixture `name` (see FIXTURES),
    built once before any timing; a Cycle fixture gives its next value at each run. `max_runs` caps the
    rounds for slow commands; their runs are spread evenly over the session so that drift affects every
    row alike.
    """

    name: str
    argv: tuple[str, ...]
    target: Target | None = None
    max_runs: int | None = None
    program: Literal["crisisctl", "python"] = "crisisctl"
    backend: Literal["sqlite", "postgresql"] = "sqlite"
    env: tuple[tuple[str, str], ...] = ()  # variables set for this row alone


BASELINE = Benchmark("python -c pass", ("-c", "pass"), program="python")

HELP = Benchmark("crisisctl --help", ("--help",), Target(max_ratio=7, max_mib=MAX_MIB))

BIG_LOG = ("--db", "{big_log}")


def postmortem_row(fmt: str, events: int, target: Target) -> Benchmark:
    """`crisisctl postmortem` of the report log's incident of `events` events, as `fmt` (md or html)."""
    return Benchmark(
        f"crisisctl postmortem INC --format {fmt} ({events:,} events)",
        ("--db", "{report_log}", "postmortem", f"{{report_log_incident_{events}}}", "--format", fmt),
        target,
    )


BENCHMARKS: tuple[Benchmark, ...] = (
    BASELINE,
    Benchmark("crisisctl --version", ("--version",), Target(max_ratio=5, max_mib=MAX_MIB)),
    HELP,
    Benchmark(
        f"crisisctl playbook validate ({PLAYBOOK_COPIES:,} playbooks)",
        ("--templates", "{templates}", "playbook", "validate", "{playbooks_1000}"),
        Target(max_ms=1500, max_mib=MAX_MIB),
        max_runs=5,
    ),
    # The big log: 100,000 incidents, 1,000,000 events (bench/biglog.py). Writes go to this session's copy.
    Benchmark(
        "crisisctl note INC (big log)",
        (*BIG_LOG, "note", "{big_log_note_incident}", "bench: a note on the big log"),
        Target(max_ratio=7, max_mib=MAX_MIB),
    ),
    Benchmark(
        "crisisctl step done INC STEP --force (big log)",
        (*BIG_LOG, "step", "done", "{big_log_step_incident}", "{big_log_step}", "--force"),
        Target(max_ratio=7, max_mib=MAX_MIB),
    ),
    Benchmark("crisisctl incidents (big log)", (*BIG_LOG, "incidents"), Target(max_ratio=8, max_mib=MAX_MIB)),
    Benchmark(
        "crisisctl show INC (big log)", (*BIG_LOG, "show", "{big_log_incident}"), Target(max_ratio=8, max_mib=MAX_MIB)
    ),
    Benchmark(
        "crisisctl timeline INC (big log)",
        (*BIG_LOG, "timeline", "{big_log_incident}"),
        Target(max_ratio=8, max_mib=MAX_MIB),
    ),
    Benchmark(
        "crisisctl next INC (big log)", (*BIG_LOG, "next", "{big_log_incident}"), Target(max_ratio=8, max_mib=MAX_MIB)
    ),
    Benchmark(
        "crisisctl verify (big log, 1,000,000 events)",
        (*BIG_LOG, "verify"),
        Target(max_ms=5000, max_mib=MAX_MIB),  # 5 s per million events
        max_runs=5,
    ),
    # Every incident's figures: each of the 100,000 incidents is read and measured. No target yet; watched for
    # memory, which grew with the log (2.1 GiB until 2026-12-05).
    Benchmark("crisisctl stats --json (big log)", (*BIG_LOG, "stats", "--json"), Target(), max_runs=3),
    # The report log: two resolved incidents, of 1,000 and 10,000 events (bench/reportlog.py); read only.
    postmortem_row("md", 1_000, Target(max_ratio=1.3, relative_to=HELP.name, max_mib=MAX_MIB)),
    postmortem_row("html", 1_000, Target(max_ratio=1.3, relative_to=HELP.name, max_mib=MAX_MIB)),
    postmortem_row("md", 10_000, Target(max_ms=1000, max_mib=MAX_MIB)),
    postmortem_row("html", 10_000, Target(max_ms=1000, max_mib=MAX_MIB)),
)

# The same big log on a throwaway PostgreSQL over loopback (bench/pglog.py); skipped without PostgreSQL.
PG_LOG = ("--db", "{pg_big_log}")
SQLITE_NOTE = "crisisctl note INC (big log)"
PG_BENCHMARKS: tuple[Benchmark, ...] = tuple(
    dataclasses.replace(bench, backend="postgresql")
    for bench in (
        Benchmark(
            "crisisctl note INC (big log, PostgreSQL)",
            (*PG_LOG, "note", "{big_log_note_incident}", "bench: a note on the big log"),
            Target(max_ratio=1.3, relative_to=SQLITE_NOTE, max_mib=MAX_MIB),
        ),
        Benchmark(  # what the first command pays, before the agent is up (docs/team.md, "The agent")
            "crisisctl note INC (big log, PostgreSQL, no agent)",
            (*PG_LOG, "note", "{big_log_note_incident}", "bench: a note on the big log"),
            env=(("CRISISCTL_AGENT", "off"),),
        ),
        Benchmark(
            "crisisctl step done INC STEP --force (big log, PostgreSQL)",
            (*PG_LOG, "step", "done", "{pg_big_log_step_incident}", "{big_log_step}", "--force"),
            Target(max_ratio=7, max_mib=MAX_MIB),
        ),
        Benchmark(
            "crisisctl incidents (big log, PostgreSQL)", (*PG_LOG, "incidents"), Target(max_ratio=8, max_mib=MAX_MIB)
        ),
        Benchmark(
            "crisisctl show INC (big log, PostgreSQL)",
            (*PG_LOG, "show", "{big_log_incident}"),
            Target(max_ratio=8, max_mib=MAX_MIB),
        ),
        Benchmark(
            "crisisctl timeline INC (big log, PostgreSQL)",
            (*PG_LOG, "timeline", "{big_log_incident}"),
            Target(max_ratio=8, max_mib=MAX_MIB),
        ),
        Benchmark(
            "crisisctl next INC (big log, PostgreSQL)",
            (*PG_LOG, "next", "{big_log_incident}"),
            Target(max_ratio=8, max_mib=MAX_MIB),
        ),
        Benchmark(
            "crisisctl verify (big log, PostgreSQL, 1,000,000 events)",
            (*PG_LOG, "verify"),
            Target(max_ms=8000, max_mib=MAX_MIB),  # 8 s per million events, read through a server-side cursor
            max_runs=5,
        ),
    )
)


# --- Fixtures: files the commands work on -----------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """Where the bundled samples are and where fixtures may be written; `notes` collects what fixture builders
    report (build times) for the results' meta."""

    samples: Path
    templates: Path
    workdir: Path
    smoke: bool = False  # small fixtures, built in the session's folder and not cached
    progress: Callable[[str], None] = field(default=lambda message: None, compare=False)
    notes: dict[str, Any] = field(default_factory=dict, compare=False)
    cleanups: list[Callable[[], None]] = field(default_factory=list, compare=False)  # run when the session ends


class Cycle:
    """A fixture with one value per run, for a command that can succeed only once on a given value (marking a
    step done): each run takes the next value, in check, timing and memory runs alike."""

    def __init__(self, name: str, values: Sequence[str]) -> None:
        self.name = name
        self.values = tuple(values)
        self.used = 0

    def take(self) -> str:
        if self.used == len(self.values):
            raise BenchError(f"fixture {{{self.name}}} ran out after {self.used} runs; pass fewer --rounds")
        self.used += 1
        return self.values[self.used - 1]


def build_playbooks_1000(setup: Setup) -> str:
    """The sample playbooks, then copies of them up to PLAYBOOK_COPIES files, each copy with a unique top-level `id`."""
    samples = sorted(p for p in setup.samples.iterdir() if p.is_file() and p.suffix in YAML_SUFFIXES)
    if not samples:
        raise BenchError(f"no *.yaml or *.yml playbooks in {setup.samples}")
    texts = [(path, path.read_text(encoding="utf-8")) for path in samples]
    target = setup.workdir / f"playbooks-{PLAYBOOK_COPIES}"
    target.mkdir()
    for entry in setup.samples.iterdir():  # templates kept beside the playbooks come along once
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        elif entry.suffix not in YAML_SUFFIXES:
            shutil.copy2(entry, target / entry.name)
    for n in range(1, PLAYBOOK_COPIES + 1):
        path, text = texts[(n - 1) % len(texts)]
        if n <= len(texts):  # the samples themselves, so that the drill scenarios in scenarios/ find their playbooks
            (target / path.name).write_text(text, encoding="utf-8")
        else:
            (target / f"{path.stem}-{n:04d}{path.suffix}").write_text(renumber(text, n, path), encoding="utf-8")
    return str(target)


TOP_LEVEL_ID = re.compile(r"^id:[ \t]*(?P<quote>[\"']?)(?P<id>[a-z0-9][a-z0-9-]*)(?P=quote)", re.MULTILINE)


def renumber(text: str, n: int, path: Path) -> str:
    """`id: data-leak` becomes `id: data-leak-0042` (the id is cut to stay within the 63-character slug limit)."""

    def replace(match: re.Match[str]) -> str:
        quote = match["quote"]
        return f"id: {quote}{match['id'][:58]}-{n:04d}{quote}"

    renumbered, count = TOP_LEVEL_ID.subn(replace, text, count=1)
    if count != 1:
        raise BenchError(f"{path}: no top-level `id: <slug>` line to renumber")
    return renumbered


def bench_module(name: str) -> Any:
    """A fixture builder kept beside this script (biglog, reportlog); imported only when a row needs it."""
    sys.path.insert(0, str(BENCH_DIR))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH_DIR))


def private_copy(path: Path, setup: Setup, name: str) -> tuple[Path, float]:
    """A copy of a cached log in this session's folder, and how long the copy took."""
    started = time.perf_counter()
    copy = setup.workdir / name
    shutil.copyfile(path, copy)
    os.chmod(copy, 0o600)
    return copy, round(time.perf_counter() - started, 1)


def shown_path(path: Path) -> Path:
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


@functools.cache
def big_log(setup: Setup) -> tuple[Any, Path]:
    """The cached big log (built on first use, about a minute) and this session's working copy of it.

    The cached file is never written: rows that write (note, step done) append to the copy in `setup.workdir`,
    which therefore grows by one event per write run (a few dozen per session, against a million).
    """
    biglog = bench_module("biglog")
    if setup.smoke:
        log = biglog.ensure(setup.workdir / "cache", setup.progress, incidents=SMOKE_INCIDENTS)
    else:
        log = biglog.ensure(CACHE_DIR, setup.progress)
    built = "from cache" if log.cached else "built"
    setup.progress("")
    print(
        f"bench: big log ({log.incidents:,} incidents, {log.events:,} events) {built}, build took {log.build_s:.1f} s:"
        f" {shown_path(log.path)}",
        file=sys.stderr,
    )
    setup.progress("copying the big log")
    copy, copy_s = private_copy(log.path, setup, "big-log.sqlite3")
    setup.notes["big_log"] = {
        "file": log.path.name,
        "incidents": log.incidents,
        "events": log.events,
        "open": log.open,
        "cached": log.cached,
        "build_s": log.build_s,
        "copy_s": copy_s,
        "mib": round(log.path.stat().st_size / 2**20),
        "incident": log.read_incident,
        "note_incident": log.note_incident,
        "step": log.step,
    }
    return log, copy


@functools.cache
def report_log(setup: Setup) -> tuple[Any, Path]:
    """The cached report log (built on first use, a few seconds) and this session's copy of it.

    The post-mortem rows only read, but opening a log may touch its -wal and -shm files: the copy keeps the cache
    and its folder as they are.
    """
    log = bench_module("reportlog").ensure(setup.workdir / "cache" if setup.smoke else CACHE_DIR, setup.progress)
    setup.progress("")
    sizes = ", ".join(f"{incident} {events:,} events" for incident, events in log.incidents.items())
    built = "from cache" if log.cached else "built"
    print(
        f"bench: report log ({sizes}) {built}, build took {log.build_s:.1f} s: {shown_path(log.path)}", file=sys.stderr
    )
    copy, copy_s = private_copy(log.path, setup, "report-log.sqlite3")
    setup.notes["report_log"] = {
        "file": log.path.name,
        "events": log.events,
        "incidents": log.incidents,
        "cached": log.cached,
        "build_s": log.build_s,
        "copy_s": copy_s,
        "mib": round(log.path.stat().st_size / 2**20, 1),
    }
    return log, copy


@functools.cache
def pg_big_log(setup: Setup) -> Any:
    """The big log in a throwaway PostgreSQL, copied from this session's SQLite copy before anything writes to it;
    the server is stopped when the session ends."""
    _, sqlite_copy = big_log(setup)
    try:
        log = bench_module("pglog").PgBigLog(crisisctl_command(), sqlite_copy, child_env(), setup.progress)
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        raise BenchError(f"cannot set up the PostgreSQL big log: {error}") from None
    setup.cleanups.append(log.stop)
    setup.progress("")
    print(f"bench: big log copied into PostgreSQL in {log.copy_s:.1f} s ({log.mib} MiB)", file=sys.stderr)
    setup.notes["pg_big_log"] = {"copy_s": log.copy_s, "mib": log.mib}
    return log


FIXTURES: dict[str, Callable[[Setup], str | Cycle]] = {
    "templates": lambda setup: str(setup.templates),
    "playbooks_1000": build_playbooks_1000,
    "big_log": lambda setup: str(big_log(setup)[1]),
    "big_log_incident": lambda setup: big_log(setup)[0].read_incident,
    "big_log_note_incident": lambda setup: big_log(setup)[0].note_incident,
    "big_log_step": lambda setup: big_log(setup)[0].step,
    "big_log_step_incident": lambda setup: Cycle("big_log_step_incident", big_log(setup)[0].step_incidents),
    "pg_big_log": lambda setup: str(pg_big_log(setup).dsn),
    "pg_big_log_step_incident": lambda setup: Cycle("pg_big_log_step_incident", big_log(setup)[0].step_incidents),
    "report_log": lambda setup: str(report_log(setup)[1]),
    "report_log_incident_1000": lambda setup: report_log(setup)[0].incident_with(1_000),
    "report_log_incident_10000": lambda setup: report_log(setup)[0].incident_with(10_000),
}


class Fixtures(dict[str, "str | Cycle"]):
    """Fixture values by name, each built on first use (so rows that are not run cost nothing)."""

    def __init__(self, setup: Setup) -> None:
        super().__init__()
        self.setup = setup

    def __missing__(self, name: str) -> str | Cycle:
        if name not in FIXTURES:
            raise BenchError(f"unknown fixture {{{name}}}; known: {', '.join(sorted(FIXTURES))}")
        value = self[name] = FIXTURES[name](self.setup)
        return value


class RunValues(dict[str, str]):
    """The fixture values of one run: a Cycle gives its next value, once per run however often it is named."""

    def __init__(self, fixtures: Fixtures) -> None:
        super().__init__()
        self.fixtures = fixtures

    def __missing__(self, name: str) -> str:
        value = self.fixtures[name]
        text = self[name] = value.take() if isinstance(value, Cycle) else value
        return text


# --- Running ------------------------------------------------------------------------------------------------------


class BenchError(Exception):
    """The benchmark itself could not run (missing samples, a command that fails)."""


@dataclass(frozen=True)
class Command:
    """A benchmark with its program resolved and its fixtures built."""

    bench: Benchmark
    program: list[str]
    fixtures: Fixtures
    runs: int

    def argv(self) -> list[str]:
        """The command line of the next run."""
        values = RunValues(self.fixtures)
        return self.program + [arg.format_map(values) for arg in self.bench.argv]


@dataclass
class Result:
    command: Command
    samples_ms: list[float]
    peak_mib: float | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)


def crisisctl_command() -> list[str]:
    """The `crisisctl` console script installed beside this interpreter, else `python -m crisisctl`."""
    bindir = Path(sys.executable).parent  # not resolved: a venv's python is a symlink out of the venv
    for name in ("crisisctl", "crisisctl.exe"):
        script = bindir / name
        if script.is_file() and os.access(script, os.X_OK):
            return [str(script)]
    return [sys.executable, "-m", "crisisctl"]


def child_env(pycache: Path | None = None) -> dict[str, str]:
    """This environment without CRISISCTL_* settings, so that only the benchmark's flags count.

    With `pycache`, bytecode is cached there (PYTHONPYCACHEPREFIX) even if PYTHONDONTWRITEBYTECODE is set, as in
    an installed crisisctl: otherwise every run would recompile crisisctl's modules from source (about 40 ms a
    command), and nothing is written beside the sources either way.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRISISCTL_")}
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def resolve(benchmarks: Sequence[Benchmark], rounds: int, fixtures: Fixtures) -> list[Command]:
    crisisctl = crisisctl_command()
    commands = []
    for bench in benchmarks:
        program = crisisctl if bench.program == "crisisctl" else [sys.executable]
        for arg in bench.argv:  # build every fixture now, before any timing
            for _, name, _, _ in string.Formatter().parse(arg):
                if name is not None:
                    fixtures[name]  # built on first access
        runs = min(rounds, bench.max_runs) if bench.max_runs else rounds
        commands.append(Command(bench, program, fixtures, runs))
    return commands


def check_once(command: Command, cwd: Path, env: dict[str, str]) -> None:
    """Run the command once (which also warms caches); it must exit 0."""
    argv = command.argv()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(
            f"`{command.bench.name}` exited {done.returncode}, expected 0\n"
            f"command: {subprocess.list2cmdline(argv)}\n"
            f"--- stdout ---\n{excerpt(done.stdout)}--- stderr ---\n{excerpt(done.stderr)}"
        )


def excerpt(text: str, head: int = 30, tail: int = 3) -> str:
    """The first and last lines of a long output (the first problems and the summary)."""
    lines = text.splitlines(keepends=True)
    if len(lines) <= head + tail:
        return text
    return "".join([*lines[:head], f"... ({len(lines) - head - tail} more lines)\n", *lines[-tail:]])


def wall_ms(command: Command, cwd: Path, env: dict[str, str]) -> float:
    argv = command.argv()
    start = time.perf_counter_ns()
    done = subprocess.run(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if done.returncode != 0:
        raise BenchError(
            f"`{command.bench.name}` exited {done.returncode} during timing\n"
            f"command: {subprocess.list2cmdline(argv)}\n--- stderr ---\n{excerpt(done.stderr.decode(errors='replace'))}"
        )
    return elapsed


# Runs one command in a fresh, small process: forked from the big benchmark process (or exec'd via vfork), the
# command's ru_maxrss would start at the benchmark's own RSS, since Linux carries the pre-exec peak across exec.
MEMORY_WRAPPER = """
import os, sys
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def peak_mib(command: Command, cwd: Path, env: dict[str, str]) -> float | None:
    """Max RSS of one run of the command, from os.wait4's rusage of that child; None where unsupported."""
    if not (hasattr(os, "wait4") and hasattr(os, "fork")):
        return None
    wrapper = [sys.executable, "-I", "-S", "-c", MEMORY_WRAPPER, *command.argv()]
    done = subprocess.run(wrapper, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    try:
        maxrss, returncode = (int(field) for field in done.stdout.split())
    except ValueError:
        raise BenchError(f"memory wrapper failed for `{command.bench.name}`:\n{excerpt(done.stderr)}") from None
    if returncode != 0:
        raise BenchError(f"`{command.bench.name}` exited {returncode} during the memory run")
    per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux/BSD
    return maxrss / per_mib


def smoke(commands: Sequence[Command], cwd: Path, progress: Callable[[str], None]) -> None:
    """Each command once, as the timed runs would run it; a BenchError names the first that does not exit 0."""
    env = child_env(pycache=cwd / "pycache")
    for command in commands:
        progress(f"running {command.bench.name}")
        check_once(command, cwd, env | dict(command.bench.env))


def schedule(runs: int, rounds: int) -> set[int]:
    """The rounds (0-based) in which a command with `runs` runs takes part, spread evenly."""
    return {j * rounds // runs for j in range(runs)}


def measure(commands: Sequence[Command], rounds: int, cwd: Path, progress: Callable[[str], None]) -> list[Result]:
    env = child_env(pycache=cwd / "pycache")
    for command in commands:
        progress(f"checking {command.bench.name}")
        check_once(command, cwd, env | dict(command.bench.env))
    results = [Result(command, []) for command in commands]
    plans = [schedule(command.runs, rounds) for command in commands]
    for round_no in range(rounds):
        progress(f"round {round_no + 1}/{rounds}")
        for result, plan in zip(results, plans, strict=True):
            if round_no in plan:
                result.samples_ms.append(wall_ms(result.command, cwd, env | dict(result.command.bench.env)))
    for result in results:
        progress(f"peak memory of {result.command.bench.name}")
        result.peak_mib = peak_mib(result.command, cwd, env | dict(result.command.bench.env))
    return results


# --- Reporting ----------------------------------------------------------------------------------------------------


def reference(bench: Benchmark) -> str:
    """The name of the row whose median the row's `max_ratio` is measured against."""
    return (bench.target.relative_to if bench.target else None) or BASELINE.name


def verdicts(result: Result, medians: dict[str, float]) -> tuple[bool | None, bool | None]:
    """Whether the time and the memory budget were met; None where the row sets none."""
    target = result.command.bench.target
    if target is None:
        return None, None
    ratio = result.median_ms / medians[reference(result.command.bench)]
    return target.time_met(result.median_ms, ratio), target.memory_met(result.peak_mib)


def overall(checks: Sequence[bool | None]) -> bool | None:
    """False if any check failed, True if any passed and none failed, None if there was nothing to check."""
    if False in checks:
        return False
    return True if True in checks else None


def report(results: Sequence[Result], meta: dict[str, Any]) -> dict[str, Any]:
    medians = {result.command.bench.name: result.median_ms for result in results}
    baseline_ms = medians[BASELINE.name]
    rows = []
    for result in results:
        bench, samples = result.command.bench, result.samples_ms
        target = bench.target
        time_passed, memory_passed = verdicts(result, medians)
        relative_to = target.relative_to if target else None
        rows.append(
            {
                "name": bench.name,
                "argv": [bench.program, *bench.argv],
                "runs": len(samples),
                "median_ms": round(result.median_ms, 2),
                "min_ms": round(min(samples), 2),
                "max_ms": round(max(samples), 2),
                "samples_ms": [round(s, 2) for s in samples],
                "ratio": round(result.median_ms / baseline_ms, 2),
                "relative_ratio": None if relative_to is None else round(result.median_ms / medians[relative_to], 2),
                "target": None if target is None else dataclasses.asdict(target),
                "passed": overall((time_passed, memory_passed)),
                "time_passed": time_passed,
                "memory_passed": memory_passed,
                "peak_mib": None if result.peak_mib is None else round(result.peak_mib, 1),
            }
        )
    return {
        "meta": meta,
        "baseline_ms": round(baseline_ms, 2),
        "all_passed": all(row["passed"] is not False for row in rows),
        "results": rows,
    }


def result_cell(row: dict[str, Any]) -> str:
    """pass, FAIL (naming the budget missed when the row has both), or - for a row without a target."""
    if row["passed"] is not False:
        return {True: "pass", None: "-"}[row["passed"]]
    missed = [kind for kind, key in (("time", "time_passed"), ("mem", "memory_passed")) if row.get(key) is False]
    return "FAIL " + "+".join(missed) if missed and row["target"].get("max_mib") is not None else "FAIL"


def table(data: dict[str, Any]) -> str:
    header = ("command", "median ms", "x python", "x ref", "target", "result", "peak MiB")
    lines = [header]
    for row in data["results"]:
        target = row["target"]
        relative = row.get("relative_ratio")
        lines.append(
            (
                row["name"],
                f"{row['median_ms']:.1f}",
                f"{row['ratio']:.2f}x",
                "" if relative is None else f"{relative:.2f}x",
                "-" if target is None else str(Target(**target)),
                result_cell(row),
                "?" if row["peak_mib"] is None else f"{row['peak_mib']:.1f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(line: Sequence[str]) -> str:
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    meta = data["meta"]
    footer = [
        f"{meta['rounds']} rounds, medians; python {meta['python']} on {meta['platform']}; "
        f"run took {meta['elapsed_s']:.1f} s"
    ]
    log = meta.get("fixtures", {}).get("big_log")
    if log:
        footer.append(
            f"big log: {log['incidents']:,} incidents, {log['events']:,} events, {log['mib']} MiB, "
            f"{'cached, ' if log['cached'] else ''}build took {log['build_s']:.1f} s, copy {log['copy_s']:.1f} s; "
            f"reads use {log['incident']}, note writes to {log['note_incident']}, "
            f"step done takes the next open incident each run"
        )
    pg_log = meta.get("fixtures", {}).get("pg_big_log")
    if pg_log:
        footer.append(
            f"PostgreSQL big log: the same log on a throwaway server over loopback (fsync on), {pg_log['mib']} MiB,"
            f" copied with `db copy` in {pg_log['copy_s']:.1f} s"
        )
    if any(row.get("relative_ratio") is not None for row in data["results"]):
        footer.append("x ref: median over the median of the row the target names (same rounds)")
    reports = meta.get("fixtures", {}).get("report_log")
    if reports:
        sizes = ", ".join(f"{incident} {events:,} events" for incident, events in reports["incidents"].items())
        footer.append(
            f"report log: {sizes} (resolved), {reports['mib']} MiB, "
            f"{'cached, ' if reports['cached'] else ''}build took {reports['build_s']:.1f} s"
        )
    return "\n".join([fmt(lines[0]), rule, *(fmt(line) for line in lines[1:]), "", *footer])


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    except OSError:
        return None
    return done.stdout.strip() or None


def crisisctl_version(cwd: Path) -> str:
    done = subprocess.run([*crisisctl_command(), "--version"], cwd=cwd, capture_output=True, text=True, env=child_env())
    return done.stdout.strip()


# --- Command line -------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15; slow rows run fewer)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--check", action="store_true", help="exit 1 when any target is missed")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"run every row once on small fixtures (a big log of {SMOKE_INCIDENTS} incidents), checking only that "
        "each exits 0: no timing, no verdicts, no results file (CI runs this so that the benchmark keeps working)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="run only the rows whose name contains TEXT (repeatable; the baseline, and any row a chosen row's "
        "target is relative to, always run)",
    )
    parser.add_argument(
        "--samples", type=Path, default=REPO / "playbooks", help="playbooks to copy (default: the repo's playbooks/)"
    )
    parser.add_argument(
        "--templates", type=Path, default=REPO / "templates", help="template folder (default: the repo's templates/)"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def select(benchmarks: Sequence[Benchmark], only: Sequence[str] | None) -> list[Benchmark]:
    """The rows named by --only (all without it), with the baseline and the rows their targets are relative to."""
    by_name = {bench.name: bench for bench in benchmarks}
    for bench in benchmarks:
        relative_to = bench.target.relative_to if bench.target else None
        if relative_to is not None and (relative_to not in by_name or relative_to == bench.name):
            raise BenchError(f"the target of `{bench.name}` is relative to `{relative_to}`, which is no other row")
    named = [bench for bench in benchmarks if not only or any(text in bench.name for text in only)]
    if only and all(bench == BASELINE for bench in named):
        raise BenchError(f"no row name contains {' or '.join(map(repr, only))}")
    wanted = {BASELINE.name}
    for bench in named:
        while bench.name not in wanted:  # the row, the row its target refers to, and so on
            wanted.add(bench.name)
            bench = by_name[reference(bench)]
    return [bench for bench in benchmarks if bench.name in wanted]


def runnable(benchmarks: list[Benchmark]) -> list[Benchmark]:
    """The rows this machine can run: without PostgreSQL, the PostgreSQL rows are left out, saying why."""
    if not any(bench.backend == "postgresql" for bench in benchmarks):
        return benchmarks
    reason = bench_module("pglog").unavailable()
    if reason is None:
        return benchmarks
    print(f"bench: {reason}", file=sys.stderr)
    return [bench for bench in benchmarks if bench.backend != "postgresql"]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quiet = args.json or not sys.stderr.isatty()

    def progress(message: str) -> None:
        if not quiet:
            print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)

    if find_spec("crisisctl") is None:
        print(f"bench: {sys.executable} cannot import crisisctl; run this with the project's python", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="crisisctl-bench-") as tmp:
            workdir = Path(tmp)
            setup = Setup(
                samples=args.samples.resolve(),
                templates=args.templates.resolve(),
                workdir=workdir,
                smoke=args.smoke,
                progress=progress,
            )
            progress("building fixtures")
            try:
                commands = resolve(
                    runnable(select(BENCHMARKS + PG_BENCHMARKS, args.only)), args.rounds, Fixtures(setup)
                )
                if args.smoke:
                    smoke(commands, workdir, progress)
                    progress("")
                    took = time.perf_counter() - started
                    print(f"bench: smoke run of {len(commands)} rows: each exited 0 ({took:.1f} s)")
                    return 0
                results = measure(commands, args.rounds, workdir, progress)
            finally:
                for cleanup in setup.cleanups:
                    cleanup()
            version = crisisctl_version(workdir)
    except BenchError as error:
        progress("")
        print(f"bench: {error}", file=sys.stderr)
        return 2
    progress("")
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "crisisctl": version,
        "commit": git_commit(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "only": args.only,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "fixtures": setup.notes,
    }
    data = report(results, meta)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(data, indent=2) if args.json else table(data))
    return 1 if args.check and not data["all_passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
