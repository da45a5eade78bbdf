"""Instructions, not seconds: the corpus batch and its floor counted by valgrind, side by side.

    python -m bench.instructions [--corpus DIR] [--stride 1]     (make bench-instructions)

Wall-clock times on a shared machine move by tens of percent between runs of the same code; the
number of instructions a process executes hardly moves (a change that only moves objects about in
the heap shifts it by up to ~0.6%). This counts, with valgrind's cachegrind (no cache simulation),
the two processes `make bench` times for "corpus, one batch -j 1", on every `--stride`th corpus
row: the resolver resolving those rows as one -j 1 batch (bench/side.py, its imports included),
and the floor, PyYAML's C loader reading once each file that batch read; and a third process that
starts, imports yaml and reads nothing: the start both pay, taken off both for the ratio.

Each process runs once without valgrind first, so its bytecode is compiled (under a temporary
PYTHONPYCACHEPREFIX) and not counted, and with PYTHONHASHSEED=0. Instructions are not time: the
batch's ratio in instructions is below its ratio in seconds (memory and cache behaviour differ),
which is why the goals stay judged by `make bench`; this says what a change did to the code.
Exit status 0; 2 without valgrind or the corpus.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .run import corpus_rows, corpus_task

REPO = Path(__file__).resolve().parents[1]
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions_of(report: str) -> int:
    """The instruction count ("I refs") in cachegrind's report on stderr; ValueError without one."""
    found = _REFS.search(report)
    if found is None:
        raise ValueError("no 'I refs' line in valgrind's output")
    return int(found.group(1).replace(",", ""))


def batch_rows(corpus: Path, stride: int) -> list:
    """Every `stride`th corpus row as bench/side.py's corpus batch takes them (`run.corpus_task`)."""
    return [corpus_task(corpus, row) for row in corpus_rows(corpus)[::stride]]


class Counter:
    """Runs bench/side.py processes, once to compile their bytecode and once under cachegrind."""

    def __init__(self, python: str, pycache: str) -> None:
        self.python = python
        self.env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        self.env.update(PYTHONHASHSEED="0", PYTHONPYCACHEPREFIX=pycache,
                        PYTHONPATH=os.pathsep.join(filter(None, [os.fspath(REPO), os.environ.get("PYTHONPATH")])))

    def _run(self, prefix: list, side: str, spec: dict) -> subprocess.CompletedProcess:
        done = subprocess.run([*prefix, self.python, "-m", "bench.side", side], input=json.dumps(spec),
                              capture_output=True, text=True, env=self.env, cwd=REPO)
        if done.returncode != 0:
            raise RuntimeError(f"bench.side {side} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        return done

    def count(self, side: str, spec: dict) -> tuple[int, dict]:
        """(instructions, the side's answer) of one process of `side` given `spec`."""
        warm = self._run([], side, spec)
        counted = self._run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"],
                            side, spec)
        answer = json.loads([line for line in warm.stdout.splitlines() if line.startswith("{")][-1])
        return instructions_of(counted.stderr), answer


def measure(corpus: Path, stride: int, python: str = sys.executable) -> dict:
    """The three counts and the ratio of the batch's to the floor's, each less the start."""
    with tempfile.TemporaryDirectory(prefix="resolver-instructions-") as pycache:
        counter = Counter(python, pycache)
        rows = batch_rows(corpus, stride)
        batch, answer = counter.count("resolver", {"case": "corpus-batch", "corpus": os.fspath(corpus), "rows": rows,
                                                   "jobs": 1})
        files = answer["files"]
        floor, _ = counter.count("floor", {"case": "files", "files": files, "repeat": 1})
        start, _ = counter.count("floor", {"case": "files", "files": [], "repeat": 1})
    return {"rows": len(rows), "accepted": answer["ok"], "files": len(files), "batch": batch, "floor": floor,
            "start": start, "ratio": (batch - start) / (floor - start)}


def _rows_named(stride: int) -> str:
    if stride == 1:
        return "every row"
    suffix = "th" if 10 <= stride % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(stride % 10, "th")
    return f"every {stride}{suffix} row"


def render(figures: dict, stride: int) -> str:
    million = 1e6
    lines = [f"corpus, {_rows_named(stride)} as one -j 1 batch: {figures['rows']} blueprints "
             f"({figures['accepted']} accepted), {figures['files']} files read",
             "", "| process | instructions (M) | less the start (M) |", "|---|---:|---:|"]
    for name, key in (("resolver, the batch", "batch"), ("floor, each file read once", "floor"),
                      ("start and import yaml", "start")):
        lines.append(f"| {name} | {figures[key] / million:,.1f} | {(figures[key] - figures['start']) / million:,.1f} |")
    lines += ["", f"batch / floor, each less the start: {figures['ratio']:.3f}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions",
                                     description="Instructions of the corpus batch and of its floor (valgrind).")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus",
                        help="the shared corpus (default: %(default)s)")
    parser.add_argument("--stride", type=int, default=1,
                        help="every Nth corpus row goes into the batch (default: 1, the batch `make bench` times)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("bench.instructions: error: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.stride < 1 or not (args.corpus / "MANIFEST.tsv").exists():
        print(f"bench.instructions: error: no corpus at {args.corpus} (or a stride below 1)", file=sys.stderr)
        return 2
    sys.stdout.write(render(measure(args.corpus.resolve(), args.stride), args.stride))
    return 0


if __name__ == "__main__":
    sys.exit(main())
