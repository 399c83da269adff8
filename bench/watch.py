"""CPU per `crisisctl watch` refresh on the big log: python bench/watch.py (builds the log first if needed).

A refresh polls the log's newest seq, re-reads the incident when it moved, and redraws the dashboard.
The target is under 50 ms of CPU per refresh on a log of 100,000 incidents.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import biglog  # noqa: E402 - the benchmark's own fixture module, found beside this file

from crisisctl.cli.context import AppContext  # noqa: E402
from crisisctl.cli.watch import dashboard  # noqa: E402
from crisisctl.settings import Settings  # noqa: E402

TARGET_MS = 50.0
REFRESHES = 50


def main() -> int:
    log = biglog.ensure(BENCH / "results", lambda message: print(message, file=sys.stderr) if message else None)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "big.sqlite3"
        shutil.copyfile(log.path, copy)
        context = AppContext(Settings(playbooks=REPO / "playbooks", templates=REPO / "templates", db_flag=str(copy)))
        service = context.service()
        screen = Console(file=io.StringIO(), width=120, force_terminal=True)
        results = {}
        for label, reload in (("log changed (re-read and redraw)", True), ("log unchanged (redraw)", False)):
            state, playbook = service.load(log.read_incident)
            costs = []
            for _ in range(REFRESHES):
                started = time.process_time()
                context.log.change_counter()
                if reload:
                    state, playbook = service.load(log.read_incident)
                screen.print(dashboard(state, playbook, dt.datetime.now(dt.UTC)))
                costs.append(1000 * (time.process_time() - started))
            results[label] = (statistics.median(costs), max(costs))
    size = f"{log.incidents:,} incidents / {log.events:,} events"
    print(f"watch refresh on {size}, CPU per refresh (target < {TARGET_MS:g} ms):")
    for label, (median, worst) in results.items():
        verdict = "pass" if median < TARGET_MS else "FAIL"
        print(f"  {label:34} median {median:5.1f} ms  max {worst:5.1f} ms  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
