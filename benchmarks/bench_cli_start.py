"""Command start-up benchmark: the CPU a `bizsight` command costs, against bare Python and against
importing the libraries it needs, and what the test suite's forked runs cost (decision 0062).

    python benchmarks/bench_cli_start.py [--repeat 5] [--project DIR]

Builds a small project (demo data of 200 customers over a year, ingested) unless ``--project``
names one; that project also times ``ingest`` of its data again (nothing to load: the cost of a
writable open). For each command: the least CPU (user + system) over ``--repeat`` fresh runs of
``python -m bizsight ...``; the baselines, in the same run: ``python -c pass`` and a Python that
only imports DuckDB, SQLAlchemy's ORM, SQLGlot, Arrow and pydantic (what a warehouse command
cannot do without). Then the same commands forked from one pre-loaded interpreter, as
``make test`` runs them (tests/cli_zygote.py): CPU per run, and what the interpreter cost to load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("--help", "status", "users list", "schedule list", "query revenue --by region", "metrics")
SEEN = "ingest ../data"  # files loaded before: a writable open (the schema ensured), each file hashed
LIBRARIES = "import duckdb, sqlalchemy.orm, sqlglot, pyarrow, pydantic"


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def least_cpu(argv: list[str], cwd: Path, repeat: int) -> float:
    """The least CPU seconds of ``repeat`` runs of ``argv`` (each must succeed)."""
    best = float("inf")
    for _ in range(repeat):
        before = children_cpu()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, f"{shlex.join(argv)}: {done.stderr[-500:]}"
        best = min(best, children_cpu() - before)
    return best


def process_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and of the children it has reaped (/proc: utime stime cutime cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--project", type=Path)
    args = parser.parse_args()
    python = sys.executable
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as scratch:
        project = args.project
        if project is None:
            project = Path(scratch) / "shop"
            bizsight = [python, "-m", "bizsight"]
            data = Path(scratch) / "data"
            subprocess.run([*bizsight, "demo-data", str(data), "--customers", "200", "--years", "1"], check=True,
                           capture_output=True)  # fmt: skip
            subprocess.run(
                [*bizsight, "ingest", str(data), "-p", str(project)], check=True, capture_output=True
            )
        bare = least_cpu([python, "-c", "pass"], project, args.repeat)
        libraries = least_cpu([python, "-c", LIBRARIES], project, args.repeat)
        print(f"baseline python -c pass: {bare:.3f} CPU s; importing {LIBRARIES[7:]}: {libraries:.3f} CPU s")
        print(f"{'command':<28} {'fresh CPU s':>11} {'/ libraries':>11} {'forked CPU s':>12}")
        commands = COMMANDS if args.project else (*COMMANDS, SEEN)
        fresh = {c: least_cpu([python, "-m", "bizsight", *c.split()], project, args.repeat) for c in commands}
        sys.path.insert(0, str(ROOT))
        from tests.cli_zygote import Zygote

        zygote = Zygote()
        env = {**os.environ, "COLUMNS": "200"}
        zygote.run(["--help"], cwd=project, env=env, timeout=300)
        loaded = process_cpu(zygote.process.pid)
        for command in commands:
            best = float("inf")
            for _ in range(args.repeat):
                before = process_cpu(zygote.process.pid)
                done = zygote.run(command.split(), cwd=project, env=env, timeout=300)
                assert done.returncode == 0, done.stderr
                best = min(best, process_cpu(zygote.process.pid) - before)
            print(f"{command:<28} {fresh[command]:>11.3f} {fresh[command] / libraries:>11.2f} {best:>12.3f}")
        zygote.close()
        print(f"the forking interpreter's own start (imports, once per test worker): {loaded:.2f} CPU s")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
