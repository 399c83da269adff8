"""Benchmark crisisctl's whole-process wall time and peak memory against `python -c pass`; see bench/README.md."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
PLAYBOOK_COPIES = 1000
YAML_SUFFIXES = (".yaml", ".yml")


# --- What is measured -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A budget: at most `max_ratio` times the baseline's median, or at most `max_ms` milliseconds."""

    max_ratio: float | None = None
    max_ms: float | None = None

    def met(self, median_ms: float, ratio: float) -> bool:
        return (self.max_ratio is None or ratio <= self.max_ratio) and (self.max_ms is None or median_ms <= self.max_ms)

    def __str__(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"<= {self.max_ratio:g}x")
        if self.max_ms is not None:
            parts.append(f"<= {self.max_ms:g} ms")
        return ", ".join(parts) or "-"


@dataclass(frozen=True)
class Benchmark:
    """One row: a command line, its budget and how often to run it.

    `argv` follows the program; `{name}` in an argument is replaced by the fixture `name` (see FIXTURES),
    built once before any timing. `max_runs` caps the rounds for slow commands; their runs are spread
    evenly over the session so that drift affects every row alike.
    """

    name: str
    argv: tuple[str, ...]
    target: Target | None = None
    max_runs: int | None = None
    program: Literal["crisisctl", "python"] = "crisisctl"


BASELINE = Benchmark("python -c pass", ("-c", "pass"), program="python")

BENCHMARKS: tuple[Benchmark, ...] = (
    BASELINE,
    Benchmark("crisisctl --version", ("--version",), Target(max_ratio=5)),
    Benchmark("crisisctl --help", ("--help",), Target(max_ratio=7)),
    Benchmark(
        f"crisisctl playbook validate ({PLAYBOOK_COPIES:,} playbooks)",
        ("--templates", "{templates}", "playbook", "validate", "{playbooks_1000}"),
        Target(max_ms=1500),
        max_runs=5,
    ),
)


# --- Fixtures: files the commands work on -----------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """Where the bundled samples are and where fixtures may be written."""

    samples: Path
    templates: Path
    workdir: Path


def build_playbooks_1000(setup: Setup) -> str:
    """Copies of the sample playbooks, cycled to PLAYBOOK_COPIES files, each with a unique top-level `id`."""
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


FIXTURES: dict[str, Callable[[Setup], str]] = {
    "templates": lambda setup: str(setup.templates),
    "playbooks_1000": build_playbooks_1000,
}


class Fixtures(dict[str, str]):
    """Fixture values by name, each built on first use (so rows that are not run cost nothing)."""

    def __init__(self, setup: Setup) -> None:
        super().__init__()
        self.setup = setup

    def __missing__(self, name: str) -> str:
        if name not in FIXTURES:
            raise BenchError(f"unknown fixture {{{name}}}; known: {', '.join(sorted(FIXTURES))}")
        value = self[name] = FIXTURES[name](self.setup)
        return value


# --- Running ------------------------------------------------------------------------------------------------------


class BenchError(Exception):
    """The benchmark itself could not run (missing samples, a command that fails)."""


@dataclass(frozen=True)
class Command:
    """A benchmark with its command line resolved."""

    bench: Benchmark
    argv: list[str]
    runs: int


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


def child_env() -> dict[str, str]:
    """This environment without CRISISCTL_* settings, so that only the benchmark's flags count."""
    return {key: value for key, value in os.environ.items() if not key.startswith("CRISISCTL_")}


def resolve(benchmarks: Sequence[Benchmark], rounds: int, fixtures: Fixtures) -> list[Command]:
    crisisctl = crisisctl_command()
    commands = []
    for bench in benchmarks:
        program = crisisctl if bench.program == "crisisctl" else [sys.executable]
        argv = program + [arg.format_map(fixtures) for arg in bench.argv]
        runs = min(rounds, bench.max_runs) if bench.max_runs else rounds
        commands.append(Command(bench, argv, runs))
    return commands


def check_once(command: Command, cwd: Path, env: dict[str, str]) -> None:
    """Run the command once (which also warms caches); it must exit 0."""
    done = subprocess.run(command.argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(
            f"`{command.bench.name}` exited {done.returncode}, expected 0\n"
            f"command: {subprocess.list2cmdline(command.argv)}\n"
            f"--- stdout ---\n{excerpt(done.stdout)}--- stderr ---\n{excerpt(done.stderr)}"
        )


def excerpt(text: str, head: int = 30, tail: int = 3) -> str:
    """The first and last lines of a long output (the first problems and the summary)."""
    lines = text.splitlines(keepends=True)
    if len(lines) <= head + tail:
        return text
    return "".join([*lines[:head], f"... ({len(lines) - head - tail} more lines)\n", *lines[-tail:]])


def wall_ms(command: Command, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter_ns()
    returncode = subprocess.call(
        command.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if returncode != 0:
        raise BenchError(f"`{command.bench.name}` exited {returncode} during timing")
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
    wrapper = [sys.executable, "-I", "-S", "-c", MEMORY_WRAPPER, *command.argv]
    done = subprocess.run(wrapper, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    try:
        maxrss, returncode = (int(field) for field in done.stdout.split())
    except ValueError:
        raise BenchError(f"memory wrapper failed for `{command.bench.name}`:\n{excerpt(done.stderr)}") from None
    if returncode != 0:
        raise BenchError(f"`{command.bench.name}` exited {returncode} during the memory run")
    per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux/BSD
    return maxrss / per_mib


def schedule(runs: int, rounds: int) -> set[int]:
    """The rounds (0-based) in which a command with `runs` runs takes part, spread evenly."""
    return {j * rounds // runs for j in range(runs)}


def measure(commands: Sequence[Command], rounds: int, cwd: Path, progress: Callable[[str], None]) -> list[Result]:
    env = child_env()
    for command in commands:
        progress(f"checking {command.bench.name}")
        check_once(command, cwd, env)
    results = [Result(command, []) for command in commands]
    plans = [schedule(command.runs, rounds) for command in commands]
    for round_no in range(rounds):
        progress(f"round {round_no + 1}/{rounds}")
        for result, plan in zip(results, plans, strict=True):
            if round_no in plan:
                result.samples_ms.append(wall_ms(result.command, cwd, env))
    for result in results:
        progress(f"peak memory of {result.command.bench.name}")
        result.peak_mib = peak_mib(result.command, cwd, env)
    return results


# --- Reporting ----------------------------------------------------------------------------------------------------


def verdict(result: Result, baseline_ms: float) -> bool | None:
    target = result.command.bench.target
    return None if target is None else target.met(result.median_ms, result.median_ms / baseline_ms)


def report(results: Sequence[Result], meta: dict[str, Any]) -> dict[str, Any]:
    baseline_ms = next(r.median_ms for r in results if r.command.bench == BASELINE)
    rows = []
    for result in results:
        bench, samples = result.command.bench, result.samples_ms
        target = bench.target
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
                "target": None if target is None else {"max_ratio": target.max_ratio, "max_ms": target.max_ms},
                "passed": verdict(result, baseline_ms),
                "peak_mib": None if result.peak_mib is None else round(result.peak_mib, 1),
            }
        )
    return {
        "meta": meta,
        "baseline_ms": round(baseline_ms, 2),
        "all_passed": all(row["passed"] is not False for row in rows),
        "results": rows,
    }


def table(data: dict[str, Any]) -> str:
    header = ("command", "median ms", "x python", "target", "result", "peak MiB")
    lines = [header]
    for row in data["results"]:
        target = row["target"]
        lines.append(
            (
                row["name"],
                f"{row['median_ms']:.1f}",
                f"{row['ratio']:.2f}x",
                "-" if target is None else str(Target(**target)),
                {True: "pass", False: "FAIL", None: "-"}[row["passed"]],
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
    footer = (
        f"{meta['rounds']} rounds, medians; python {meta['python']} on {meta['platform']}; "
        f"run took {meta['elapsed_s']:.1f} s"
    )
    return "\n".join([fmt(lines[0]), rule, *(fmt(line) for line in lines[1:]), "", footer])


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
        "--samples", type=Path, default=REPO / "playbooks", help="playbooks to copy (default: the repo's playbooks/)"
    )
    parser.add_argument(
        "--templates", type=Path, default=REPO / "templates", help="template folder (default: the repo's templates/)"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


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
            setup = Setup(samples=args.samples.resolve(), templates=args.templates.resolve(), workdir=workdir)
            progress("building fixtures")
            commands = resolve(BENCHMARKS, args.rounds, Fixtures(setup))
            results = measure(commands, args.rounds, workdir, progress)
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
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    data = report(results, meta)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(data, indent=2) if args.json else table(data))
    return 1 if args.check and not data["all_passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
