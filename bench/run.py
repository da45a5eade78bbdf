"""Benchmarks, side by side in one run on one machine: the reference, this project and the floor.

    python -m bench.run [--quick] [--sizes 10,100,1000] [--ref-budget 120] [--timeout 600]
                        [--corpus DIR | --no-corpus] [--corpus-sample 100] [--corpus-stride 1]
                        [--no-ref] [--markdown BENCHMARKS.md] [--plot bench/benchmarks.png]
                        [--json FILE] [--keep]

Sides: the reference (cloudify-common 7.0.5 in its own Python, bench/reference.py), the resolver,
and the floor: PyYAML's C loader reading each file the resolver reads, once (bench/side.py).
Every case runs each side in a fresh process, measured from outside (wall-clock) and from inside
(peak memory, VmHWM; `first`: the library's import and the first run, as a process started for
one job pays them; `warm`: the best later run in the same process).

Cases: start-up (`python -c pass`, `python -m` of an empty module (bench/empty.py, the floor of
any `python -m` command), `python -m resolver --version` and the installed script's `resolver
--version`, the import of the dependencies a
one-node run needs, a one-node blueprint end to end; best of several processes); synthetic blueprints of `--sizes` nodes (bench/blueprints.py); a
500-node relationship chain, a 200-node relationship cycle, 1,000 imported files; the corpus
resolved blueprint by blueprint with a fresh session each (a sample of `--corpus-sample` rows,
all three sides), and as one batch (every `--corpus-stride`th row) with `-j 1` and with every core
(best of `BATCH_ROUNDS` rounds, the floor's reading in each round beside -j 1).
The reference gets `--ref-budget` seconds per case: a case it does not finish is "> budget", and
larger sizes are not tried.

Subprocesses write their bytecode under a temporary `PYTHONPYCACHEPREFIX`, as an installed
package has it compiled (this repository's environment may say PYTHONDONTWRITEBYTECODE).
The results go to `--markdown` (BENCHMARKS.md) with the machine and date, to `--plot` (a PNG of
time and memory against node count, when matplotlib is installed: `pip install -e .[bench]`),
and with `--json` every number. Progress goes to stderr. Exit status 0; 1 when the resolver gave
a wrong verdict on a generated blueprint (all are valid but the cycle), a bug; 2 on usage errors.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from . import blueprints, reference
from .report import INSTALLED_VERSION_CASE, render_markdown, write_plot

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_SIZES = (10, 30, 100, 300, 1000, 3000, 10000)
QUICK_SIZES = (10, 100, 1000)
SIDES = ("reference", "resolver", "floor")
STARTUP_RUNS = 7  # processes per start-up command; the best counts
BIG = 1000  # from this size on, the reference runs once in its process (it takes seconds)
# This project's side and the floor take the best of three warm runs at every size: the scaling goal
# (time(10,000) / time(1,000)) and the floor's ratio compare two sizes, measured alike; a single
# run at 10,000 nodes against the best of three at 1,000 counted the host's worst moment against
# its best.
# The corpus batches (-j 1 with the floor beside it, and -j N) run this many rounds, in turn.
BATCH_ROUNDS = 3
# 10,000 nodes make an 11 MB file and 1,000 imports 1,002 files, past the default limits (limits.py):
# the generated blueprints are trusted, so they are raised as a user would (--max-file-size ...).
# What a one-node run cannot do without, whatever the code around it: the libraries the command
# line and a plugin import need (the floor of the one-node end-to-end case).
DEPENDENCIES = "import yaml, json, argparse, packaging.specifiers"
LIMITS = {"max_file_size": 1 << 30, "max_files": 100_000, "max_nodes": 1_000_000}


@dataclass
class Run:
    """One process, measured from outside, and the JSON line it printed (`answer`).
    `status`: ok, error (no answer), timeout, skipped (not run: `detail` says why)."""

    status: str
    wall: float | None = None
    rss_mb: float | None = None
    answer: dict = field(default_factory=dict)
    detail: str = ""

    @property
    def first(self) -> float | None:
        return self.answer.get("first") if self.status == "ok" else None

    @property
    def warm(self) -> float | None:
        return self.answer.get("warm") if self.status == "ok" else None

    @property
    def best(self) -> float | None:
        """The in-process time to compare: the warm run when there is one, else the first."""
        return self.warm if self.warm is not None else self.first


@dataclass
class Case:
    name: str
    group: str  # startup, size, shape, corpus
    nodes: int | None = None
    yaml_bytes: int | None = None
    runs: dict[str, Run] = field(default_factory=dict)
    note: str = ""


def measured(command: Sequence[str], *, stdin: str = "", timeout: float, env: dict, cwd: Path) -> Run:
    """Run `command`; its wall-clock time, the last JSON line it printed, and the peak memory that
    line reports (bench/peak.py says why the process is not measured from outside)."""
    started = time.perf_counter()
    process = subprocess.Popen(list(map(os.fspath, command)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, cwd=cwd, text=True)
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout if timeout > 0 else None)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return Run("timeout", detail=f"no answer within {timeout:g} s")
    run = Run("ok" if process.returncode == 0 else "error", wall=time.perf_counter() - started)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if lines:
        run.answer = json.loads(lines[-1])
        run.rss_mb = run.answer.get("peak_mb")
    if run.status == "error":
        run.detail = (stderr.strip().splitlines() or [f"exit status {process.returncode}"])[-1][:300]
    return run


class Bench:
    """The sides' commands and environment, and the order cases are measured in."""

    def __init__(self, args: argparse.Namespace, root: Path, progress: Callable[[str], None]) -> None:
        self.args, self.root, self.progress = args, root, progress
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env["PYTHONPYCACHEPREFIX"] = os.fspath(root / "pycache")
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.fspath(REPO), os.environ.get("PYTHONPATH")]))
        self.python = Path(sys.executable)
        self.ref_python: Path | None = None
        self.ref_note = "skipped (--no-ref)"
        self.ref_version = None
        if not args.no_ref:
            self.ref_python, why = reference.find_python(REPO)
            if self.ref_python is None:
                self.ref_note = f"skipped: no Python with dsl_parser ({why}); {reference.INSTALL_HINT}"
            else:
                self.ref_version = reference.version(self.ref_python)
                self.ref_note = f"cloudify-common {self.ref_version} ({self.ref_python})"
        self.registry = blueprints.write_registry(root)
        self.plugin_yaml = blueprints.plugin_yaml_path(self.registry)
        self.ref_over = ""  # set when a size exceeded the budget: larger ones are not tried

    # -- the sides' commands ------------------------------------------------------------------------

    def side(self, name: str, spec: dict, timeout: float | None = None) -> Run:
        return measured([self.python, "-m", "bench.side", name], stdin=json.dumps(spec),
                        timeout=self.args.timeout if timeout is None else timeout, env=self.env, cwd=REPO)

    def reference_blueprint(self, made: blueprints.Generated, repeat: int, group: str) -> Run:
        if self.ref_python is None:
            return Run("skipped", detail=self.ref_note)
        if self.ref_over and group == "size":
            return Run("skipped", detail=f"> budget ({self.ref_over})")
        plugins = {blueprints.PLUGIN_IMPORT: os.fspath(self.plugin_yaml)} if made.uses_plugin else {}
        spec = {"path": os.fspath(made.path), "plugins": plugins, "repeat": repeat}
        run = measured([self.ref_python, "-c", reference.BLUEPRINT_DRIVER, json.dumps(spec)],
                       timeout=self.args.ref_budget, env=self.env, cwd=made.path.parent)
        return _budgeted(run, self.args.ref_budget)

    def files_of(self, made: blueprints.Generated) -> list[str]:
        return [os.fspath(p) for p in made.files] + ([os.fspath(self.plugin_yaml)] if made.uses_plugin else [])

    # -- cases ---------------------------------------------------------------------------------------

    def script(self, name: str) -> str | None:
        """The console script `name` installed beside this interpreter, if there is one."""
        path = self.python.parent / name
        return os.fspath(path) if path.is_file() and os.access(path, os.X_OK) else None

    def startup(self) -> list[Case]:
        one = blueprints.generate(self.root, 1, self.args.seed)
        script = self.script("resolver")
        ours_e2e = [self.python, "-m", "resolver", "--no-cache", "--no-config", "-r", self.registry, one.path]
        floor_spec = json.dumps({"case": "files", "files": self.files_of(one), "repeat": 1})
        commands = {
            "python -c pass": {"reference": [self.ref_python, "-c", "pass"] if self.ref_python else None,
                               "resolver": [self.python, "-c", "pass"], "floor": [self.python, "-c", "pass"]},
            "python -m (an empty module)": {"resolver": [self.python, "-m", "bench.empty"]},
            "python -m resolver --version": {"resolver": [self.python, "-m", "resolver", "--version"]},
            # the script pip installs beside the interpreter, as users, hooks and CI scripts run it
            INSTALLED_VERSION_CASE: {"resolver": [script, "--version"] if script else None},
            "import yaml, json, argparse, packaging": {"resolver": [self.python, "-c", DEPENDENCIES]},
            "one-node blueprint, end to end": {
                "reference": ([self.ref_python, "-c", reference.BLUEPRINT_DRIVER,
                               json.dumps({"path": os.fspath(one.path), "repeat": 1, "plugins": {
                                   blueprints.PLUGIN_IMPORT: os.fspath(self.plugin_yaml)}})]
                              if self.ref_python else None),
                "resolver": ours_e2e, "floor": [self.python, "-m", "bench.side", "floor"]},
        }
        cases = []
        for name, sides in commands.items():
            case = Case(name, "startup", nodes=1 if "one-node" in name else None)
            for side in SIDES:
                command = sides.get(side)
                if command is None:
                    case.runs[side] = Run("skipped", detail="no such command" if side != "reference"
                                          or self.ref_python else self.ref_note)
                    continue
                stdin = floor_spec if command[-1] == "floor" else ""
                runs = [measured(command, stdin=stdin, timeout=120, env=self.env, cwd=one.path.parent)
                        for _ in range(self.args.startup_runs + 1)][1:]  # the first compiles bytecode
                done = [r for r in runs if r.status == "ok"]
                case.runs[side] = min(done, key=lambda r: r.wall) if done else runs[-1]
            self.progress(f"start-up: {name}: " + ", ".join(
                f"{side} {_s(run.wall)}" for side, run in case.runs.items() if run.wall is not None))
            cases.append(case)
        return cases

    def blueprint_case(self, name: str, group: str, made: blueprints.Generated, expect_ok: bool = True) -> Case:
        many_files = len(made.files) > 100
        repeat = 1 if made.nodes >= BIG or many_files else 3
        ours_repeat = 1 if many_files else 3
        case = Case(name, group, nodes=made.nodes, yaml_bytes=sum(p.stat().st_size for p in made.files))
        case.runs["resolver"] = self.side("resolver", {"case": "blueprint", "path": os.fspath(made.path),
                                                       "registries": [os.fspath(self.registry)], "repeat": ours_repeat + 1,
                                                       "limits": LIMITS})
        case.runs["floor"] = self.side("floor", {"case": "files", "files": self.files_of(made),
                                                 "repeat": ours_repeat + 1})
        case.runs["reference"] = self.reference_blueprint(made, repeat, group)
        if group == "size" and case.runs["reference"].status == "timeout":
            self.ref_over = f"{made.nodes} nodes took longer"
        ours = case.runs["resolver"].answer
        if case.runs["resolver"].status == "ok" and ours.get("ok") != expect_ok:
            case.note = f"resolver verdict ok={ours.get('ok')}, expected {expect_ok}: {ours.get('codes')}"
        elif not expect_ok:
            reference_said = case.runs["reference"].answer.get("error") or "-"
            case.note = f"refused by both: resolver {', '.join(ours.get('codes') or ())}; reference {reference_said}"
        self.progress(f"{name}: " + ", ".join(f"{side} {_s(run.first)} s / {_mb(run.rss_mb)}" if run.status == "ok"
                                               else f"{side} {run.status}" for side, run in case.runs.items()))
        return case

    def corpus(self) -> list[Case]:
        corpus = self.args.corpus
        rows = corpus_rows(corpus)
        step = max(1, len(rows) // self.args.corpus_sample)
        sample = rows[::step][:self.args.corpus_sample]
        cases = []

        fresh = Case("corpus, fresh session per blueprint", "corpus")
        fresh.runs["resolver"] = self.side("resolver", {"case": "corpus-fresh", "corpus": os.fspath(corpus),
                                                        "rows": [corpus_task(corpus, row) for row in sample]})
        lists = fresh.runs["resolver"].answer.get("lists", [])
        fresh.runs["floor"] = self.side("floor", {"case": "file-lists", "lists": lists})
        fresh.runs["reference"] = self.reference_corpus(corpus, sample)
        # Compared on the blueprints the reference finished within its budget: the sums of the
        # per-blueprint times (the libraries' imports are the start-up's business).
        done = len(fresh.runs["reference"].answer.get("times", sample))
        for run in fresh.runs.values():
            if "times" in run.answer:
                run.answer["first"] = sum(run.answer["times"][:done])
        fresh.name += f" ({done} of a {len(sample)}-row sample of {len(rows)})"
        fresh.yaml_bytes = sum(os.path.getsize(path) for files in lists[:done] for path in files)
        fresh.note = self._corpus_note(fresh, done)
        cases.append(fresh)
        self.progress(f"{fresh.name}: " + ", ".join(f"{side} {_s(run.first)} s" for side, run in fresh.runs.items()))

        # A batch is one run of a few seconds, where other work on the machine shows most: each side
        # runs BATCH_ROUNDS times, in turn (-j 1, the floor, -j N, then again), and the best counts.
        batch_rows = rows[::self.args.corpus_stride]
        tasks = [corpus_task(corpus, row) for row in batch_rows]
        batches = {jobs: Case(f"corpus, one batch -j {jobs} ({len(batch_rows)} blueprints)", "corpus")
                   for jobs in sorted({1, self.args.cores})}
        rounds: dict[tuple[int, str], list[Run]] = {}
        for _ in range(BATCH_ROUNDS):
            for jobs, case in batches.items():
                ours = self.side("resolver", {"case": "corpus-batch", "corpus": os.fspath(corpus), "rows": tasks,
                                              "jobs": jobs})
                rounds.setdefault((jobs, "resolver"), []).append(ours)
                files = ours.answer.get("files")
                if files is not None:  # -j 1 says which distinct files the batch read: the floor reads each once
                    rounds.setdefault((jobs, "floor"), []).append(
                        self.side("floor", {"case": "files", "files": files, "repeat": 1}))
                    case.yaml_bytes = sum(os.path.getsize(path) for path in files)
        for jobs, case in batches.items():
            case.runs["resolver"] = _best_first(rounds[jobs, "resolver"])
            case.runs["reference"] = Run("skipped", detail="> budget: see the fresh-session sample")
            floor = rounds.get((jobs, "floor"))
            case.runs["floor"] = (_best_first(floor) if floor
                                  else Run("skipped", detail="the floor is one process: see -j 1"))
            case.note = (f"{case.runs['resolver'].answer.get('ok', '-')} accepted; best of {BATCH_ROUNDS} rounds "
                         "(" + ", ".join(f"{side} " + "/".join(_s(run.first) for run in rounds[jobs, side])
                                         for side in ("resolver", "floor") if (jobs, side) in rounds) + " s)")
            cases.append(case)
            self.progress(f"{case.name}: " + ", ".join(f"{side} {_s(run.first)} s" for side, run in case.runs.items()))
        return cases

    def reference_corpus(self, corpus: Path, rows: list[dict]) -> Run:
        if self.ref_python is None:
            return Run("skipped", detail=self.ref_note)
        empty = self.root / "empty"
        empty.mkdir(exist_ok=True)
        jobs = []
        for row in rows:
            with open(corpus / "oracle" / f"{row['id']}.json", encoding="utf-8") as handle:
                oracle = json.load(handle)
            table = {}
            for entry in oracle.get("resolved_imports") or ():
                written = entry["import"]
                head, sep, tail = written.partition("--")
                table[written] = os.fspath(corpus / entry["resolved"])
                if sep and "://" not in head:
                    table[tail] = table[written]
            jobs.append({"blueprint": os.fspath(corpus / row["path"]), "resources": os.fspath(corpus / "types"),
                         "cwd": os.fspath(corpus / row["cwd"]) if row["cwd"] else os.fspath(empty), "imports": table})
        # the driver stops itself at the budget; the timeout is a safety margin for one slow blueprint
        run = measured([self.ref_python, "-c", reference.CORPUS_DRIVER],
                       stdin=json.dumps({"jobs": jobs, "budget": self.args.ref_budget}),
                       timeout=self.args.ref_budget * 2 + 60, env=self.env, cwd=REPO)
        if run.status == "ok" and run.answer.get("done", 0) < len(rows):
            run.detail = f"{run.answer.get('done')} of {len(rows)} blueprints within the budget of {self.args.ref_budget:g} s"
        return _budgeted(run, self.args.ref_budget)

    @staticmethod
    def _corpus_note(case: Case, count: int) -> str:
        ours = case.runs["resolver"].answer.get("ok", "-")
        ref = case.runs["reference"].answer
        return (f"per-blueprint times summed over the {count} blueprints the reference finished; accepted of the "
                f"whole sample: resolver {ours}" + (f", reference {ref['ok']} of {ref['done']}" if ref else ""))


def corpus_rows(corpus: Path) -> list[dict]:
    """The rows of the corpus's MANIFEST.tsv."""
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def corpus_task(corpus: Path, row: dict) -> list:
    """A corpus row as bench/side.py's corpus cases take it: [blueprint path, [its search path]]."""
    return [os.fspath(corpus / row["path"]), [os.fspath(corpus / row["cwd"])] if row["cwd"] else []]


def _best_first(runs: list[Run]) -> Run:
    """The run of `runs` with the shortest `first`; the last one when none finished."""
    done = [run for run in runs if run.first is not None]
    return min(done, key=lambda run: run.first) if done else runs[-1]


def _budgeted(run: Run, budget: float) -> Run:
    if run.status == "timeout":
        run.detail = f"> budget ({budget:g} s)"
    return run


# -- the run ------------------------------------------------------------------------------------------


def machine() -> dict:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    import yaml

    return {"cpu": model, "cores": os.cpu_count(), "python": f"{platform.python_implementation()} "
            f"{platform.python_version()}", "system": f"{platform.system()} {platform.release()}",
            "pyyaml": f"{yaml.__version__} (C loader: {'yes' if hasattr(yaml, 'CSafeLoader') else 'no'})",
            "load_before": _load()}


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def run_all(args: argparse.Namespace, progress: Callable[[str], None]) -> tuple[list[Case], dict, Bench]:
    info = machine()
    info["date"] = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    root = Path(tempfile.mkdtemp(prefix="resolver-bench-"))
    try:
        bench = Bench(args, root, progress)
        progress(f"reference: {bench.ref_note}")
        cases = bench.startup()
        for size in args.sizes:
            cases.append(bench.blueprint_case(f"{size} nodes", "size", blueprints.generate(root, size, args.seed)))
        cases.append(bench.blueprint_case("500-node relationship chain", "shape", blueprints.chain(root, 500)))
        cases.append(bench.blueprint_case("200-node relationship cycle", "shape", blueprints.cycle(root, 200),
                                          expect_ok=False))
        cases.append(bench.blueprint_case("1,000 imports", "shape", blueprints.imports(root, 1000)))
        if args.corpus is not None:
            if (args.corpus / "MANIFEST.tsv").exists():
                cases.extend(bench.corpus())
            else:
                progress(f"corpus: skipped, no MANIFEST.tsv in {args.corpus}")
    finally:
        if args.keep:
            progress(f"generated blueprints kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    info["load_after"] = _load()
    info["reference"] = bench.ref_note
    return cases, info, bench


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MB"


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of node counts: {text!r}") from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("node counts must be positive")
    return sorted(set(sizes))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from resolver.batch import default_jobs

    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"sizes {','.join(map(str, QUICK_SIZES))}, a 20-row corpus sample, every 10th "
                             "row in the batch, 30 s for the reference, 3 start-up runs (a few minutes)")
    parser.add_argument("--sizes", type=_sizes, default=None,
                        help="node counts, comma-separated (default: " + ",".join(map(str, DEFAULT_SIZES)) + ")")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds allowed for one process of the resolver or the floor (default: 600)")
    parser.add_argument("--no-ref", action="store_true", help="do not run the reference")
    parser.add_argument("--ref-budget", type=float, default=None,
                        help="seconds the reference gets per case (default: 120; --quick 30)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, metavar="DIR",
                        help=f"the shared corpus (default: {DEFAULT_CORPUS})")
    parser.add_argument("--no-corpus", dest="corpus", action="store_const", const=None, help="skip the corpus")
    parser.add_argument("--corpus-sample", type=int, default=None,
                        help="corpus rows resolved with a fresh session each, by all three (default: 100; --quick 20)")
    parser.add_argument("--corpus-stride", type=int, default=None,
                        help="every Nth corpus row goes into the batch (default: 1; --quick 10)")
    parser.add_argument("--cores", type=int, default=default_jobs(),
                        help="-j for the parallel batch (default: the cores, %(default)s)")
    parser.add_argument("--startup-runs", type=int, default=None,
                        help=f"processes per start-up command, the best counts (default: {STARTUP_RUNS}; --quick 3)")
    parser.add_argument("--markdown", type=Path, default=REPO / "BENCHMARKS.md", help="(default: BENCHMARKS.md)")
    parser.add_argument("--plot", type=Path, default=REPO / "bench" / "benchmarks.png",
                        help="(default: bench/benchmarks.png)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the generated blueprints and say where")
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = args.sizes or list(QUICK_SIZES if quick else DEFAULT_SIZES)
    args.ref_budget = args.ref_budget if args.ref_budget is not None else (30.0 if quick else 120.0)
    args.corpus_sample = args.corpus_sample or (20 if quick else 100)
    args.corpus_stride = args.corpus_stride or (10 if quick else 1)
    if args.corpus is not None:
        args.corpus = args.corpus.resolve()  # the reference's driver changes folder
    args.startup_runs = args.startup_runs or (3 if quick else STARTUP_RUNS)
    for name in ("corpus_sample", "corpus_stride", "cores", "startup_runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    cases, info, bench = run_all(args, progress)
    plot_note = write_plot(cases, args.plot)
    progress(plot_note)
    text = render_markdown(cases, info, args, plot_note)
    args.markdown.write_text(text, encoding="utf-8")
    progress(f"wrote {args.markdown}")
    if args.json:
        payload = {"machine": info, "arguments": {k: os.fspath(v) if isinstance(v, Path) else v
                                                  for k, v in vars(args).items()},
                   "cases": [asdict(case) for case in cases]}
        args.json.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        progress(f"numbers written to {args.json}")
    wrong = [case for case in cases if case.note.startswith("resolver verdict")]
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
