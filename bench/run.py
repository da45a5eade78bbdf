"""Benchmarks: how resolving time grows with blueprint size, ours next to the reference's.

    python -m bench.run [--sizes 10,100,1000,3000,10000] [--seed 1] [--repeat 3] [--big 1000]
                        [--timeout 120] [--no-memory]
                        [--no-ref] [--ref-timeout 120] [--ref-max 1000]
                        [--corpus [DIR]] [--corpus-timeout 60] [--json FILE] [--keep]

1. Synthetic blueprints (bench/blueprints.py) of each size are written to a temporary folder
   and resolved in this process with a fresh `Resolver` per run: best of `--repeat` runs below
   `--big` nodes, one run from there on; then one more run under `tracemalloc` for the peak of
   traced memory. `t(N)/t(N/10)` is about 10 for linear growth and 100 for quadratic; `slope`
   is log(t/t_prev) / log(N/N_prev) against the previous size: 1 linear, 2 quadratic.
2. The reference (cloudify-common 7.0.5), when a Python with it is found ($REF_PYTHON, then
   .ref/bin/python, then /work/ref/bin/python), parses the same files in a subprocess (see
   bench/reference.py), up to `--ref-max` nodes, each size within `--ref-timeout` seconds.
3. `--corpus` resolves every blueprint of the shared corpus (MANIFEST.tsv) in one `Resolver`
   session and sets the total and median against the reference's recorded timings
   (oracle/timings.tsv, measured on another machine).

Each timed run of ours gets `--timeout` seconds (0: no limit); a size that times out is reported
as such and larger sizes are skipped. Progress goes to stderr, the table to stdout, and
`--json FILE` writes every number. Exit status: 0, or 1 when a synthetic blueprint did not
resolve cleanly (they are all valid, so that is a bug), 2 on a usage error.
"""
from __future__ import annotations

import argparse
import csv
import gc
import json
import math
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from . import blueprints, reference
from .reference import Measure

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_SIZES = (10, 100, 1000, 3000, 10000)
MEMORY_SLOWDOWN = 5  # a run under tracemalloc takes up to about this many times as long


class TimedOut(BaseException):
    """Raised inside a timed call when its deadline passes.

    A BaseException, so that no `except Exception` on the way swallows it.
    """


class Deadline:
    """`with Deadline(seconds):` interrupts the block with TimedOut (SIGALRM; 0 means none)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = seconds > 0 and hasattr(signal, "setitimer")
        self.previous: Any = None

    def __enter__(self) -> "Deadline":
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)

    def _expire(self, signum: int, frame: Any) -> None:
        raise TimedOut()


# --------------------------------------------------------------------------------------------
# Measurements


@dataclass
class SizeResult:
    nodes: int
    hosts: int
    relationships: int
    yaml_bytes: int
    ours: Measure
    peak_bytes: int | None = None
    memory_status: str = "skipped"
    memory_detail: str = ""
    ref: Measure = field(default_factory=lambda: Measure("skipped"))


def resolve_once(path: Path, registry: Path) -> Any:
    from resolver import Resolver

    return Resolver(registries=[registry]).resolve(path)


def time_ours(path: Path, registry: Path, repeat: int, timeout: float) -> Measure:
    """Resolve `path` `repeat` times, each with a fresh session and at most `timeout` seconds."""
    measure = Measure("ok")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        try:
            with Deadline(timeout):
                result = resolve_once(path, registry)
        except TimedOut:
            measure.status, measure.detail = "timeout", f"no answer within {timeout:g} s"
            return measure
        elapsed = time.perf_counter() - started
        if not result.ok:
            first = result.problems[0] if result.problems else None
            measure.status = "error"
            measure.detail = f"not ok: {first.code}: {first.message}" if first else "not ok"
            return measure
        measure.runs.append(elapsed)
        measure.nodes = len(result.plan["nodes"])
    return measure


def peak_memory(path: Path, registry: Path, timeout: float) -> tuple[str, int | None]:
    """The peak of memory traced by `tracemalloc` while resolving `path` once."""
    gc.collect()
    tracemalloc.start()
    try:
        with Deadline(timeout):
            resolve_once(path, registry)
        return "ok", tracemalloc.get_traced_memory()[1]
    except TimedOut:
        return "timeout", None
    finally:
        tracemalloc.stop()


def run_sizes(args: argparse.Namespace, root: Path, ref_python: Path | None,
              progress: Callable[[str], None]) -> list[SizeResult]:
    registry = blueprints.write_registry(root)
    plugins = {blueprints.PLUGIN_IMPORT: os.fspath(blueprints.plugin_yaml_path(registry))}
    # Warm-up: the first call imports the resolver's modules; no size should pay for that.
    resolve_once(blueprints.generate(root, 10, args.seed).path, registry)

    results: list[SizeResult] = []
    ours_stopped = ref_stopped = ""
    for size in args.sizes:
        made = blueprints.generate(root, size, args.seed)
        repeat = args.repeat if size < args.big else 1
        row = SizeResult(size, made.hosts, made.relationships, made.size_bytes, Measure("skipped"))
        results.append(row)

        if ours_stopped:
            row.ours.detail = ours_stopped
        else:
            row.ours = time_ours(made.path, registry, repeat, args.timeout)
            progress(f"{size:>6} nodes  ours: {_status_text(row.ours)}")
            if row.ours.status == "timeout":
                ours_stopped = f"{size} nodes timed out"
            elif row.ours.status == "ok" and not args.no_memory:
                if args.timeout and row.ours.best * MEMORY_SLOWDOWN > args.timeout:
                    # Tracing slows the run down about that much: it would only time out.
                    row.memory_detail = (f"tracemalloc run skipped: the timed run took {_seconds(row.ours.best)} s, "
                                         f"more than 1/{MEMORY_SLOWDOWN} of --timeout {args.timeout:g} s")
                else:
                    row.memory_status, row.peak_bytes = peak_memory(made.path, registry, args.timeout)
                    if row.memory_status == "timeout":
                        row.memory_detail = f"tracemalloc run: no answer within {args.timeout:g} s"
                progress(f"{size:>6} nodes  ours: peak traced memory "
                         f"{_mb(row.peak_bytes) if row.peak_bytes else row.memory_detail}")

        if ref_python is None:
            row.ref.detail = "no reference Python"
        elif size > args.ref_max:
            row.ref.detail = f"above --ref-max {args.ref_max}"
        elif ref_stopped:
            row.ref.detail = ref_stopped
        else:
            timing = reference.time_parse(ref_python, made.path, plugins, repeat, args.ref_timeout)
            row.ref = timing
            progress(f"{size:>6} nodes  reference: {_status_text(row.ref)}")
            if timing.status == "timeout":
                ref_stopped = f"{size} nodes timed out"
    return results


@dataclass
class CorpusResult:
    folder: str
    blueprints: int
    wall_s: float
    times: list[float] = field(repr=False)
    accepted: int = 0
    rejected: int = 0
    crashed: int = 0
    timed_out: int = 0
    ref_matched: int = 0
    ref_times: list[float] = field(default_factory=list, repr=False)
    ref_all_rows: int = 0
    ref_all_sum: float = 0.0
    ref_all_median: float = 0.0


def time_corpus(corpus: Path, timeout: float, progress: Callable[[str], None]) -> CorpusResult:
    """Resolve every manifest row in one session; read the reference's timings for the same ids."""
    from resolver import Resolver

    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    started = time.perf_counter()
    session = Resolver(registries=[corpus / "plugins"], import_rules=corpus / "import-rules.yaml",
                       blueprint_catalog=corpus / "blueprint-catalog.yaml", search_paths=[corpus / "types"])
    result = CorpusResult(os.fspath(corpus), len(rows), 0.0, [])
    for count, row in enumerate(rows, 1):
        search = [corpus / row["cwd"]] if row.get("cwd") else ()
        begun = time.perf_counter()
        try:
            with Deadline(timeout):
                outcome = session.resolve(corpus / row["path"], search_paths=search)
            if outcome.ok:
                result.accepted += 1
            else:
                result.rejected += 1
        except TimedOut:
            result.timed_out += 1
        except Exception:  # a crash is the conformance harness's business; here it is counted
            result.crashed += 1
        result.times.append(time.perf_counter() - begun)
        if count % 200 == 0:
            progress(f"corpus: {count}/{len(rows)} blueprints, {time.perf_counter() - started:.1f} s")
    result.wall_s = time.perf_counter() - started

    timings = corpus / "oracle" / "timings.tsv"
    if timings.exists():
        with open(timings, newline="", encoding="utf-8") as handle:
            recorded = {r["id"]: float(r["parse_s_median"]) for r in csv.DictReader(handle, delimiter="\t")
                        if r.get("parse_s_median")}
        result.ref_times = [recorded[r["id"]] for r in rows if r["id"] in recorded]
        result.ref_matched = len(result.ref_times)
        result.ref_all_rows = len(recorded)
        result.ref_all_sum = sum(recorded.values())
        result.ref_all_median = statistics.median(recorded.values()) if recorded else 0.0
    return result


# --------------------------------------------------------------------------------------------
# Reporting


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.1f} MB"


def _status_text(measure: Measure) -> str:
    runs = len(measure.runs)
    if measure.status == "ok":
        return f"{_seconds(measure.best)} s (best of {runs})" if runs > 1 else f"{_seconds(measure.best)} s"
    text = f"{measure.status}: {measure.detail}" if measure.detail else measure.status
    if runs:
        text += f" (best of the {runs} finished runs {_seconds(measure.best)} s)"
    return text


def _cell(measure: Measure) -> str:
    if measure.status == "ok":
        return _seconds(measure.best)
    return measure.status


def scaling(results: Sequence[SizeResult], side: str) -> dict[int, dict[str, float | None]]:
    """Per size: t(N)/t(N/10) when N/10 was measured, and the slope against the previous size."""
    best = {r.nodes: getattr(r, side).best for r in results if getattr(r, side).status == "ok"}
    out: dict[int, dict[str, float | None]] = {}
    previous: int | None = None
    for nodes in sorted(best):
        tenth = best.get(nodes // 10) if nodes % 10 == 0 else None
        slope = None
        if previous is not None and best[previous] > 0 and best[nodes] > 0:
            slope = math.log(best[nodes] / best[previous]) / math.log(nodes / previous)
        out[nodes] = {"ratio_to_tenth": best[nodes] / tenth if tenth else None, "slope": slope}
        previous = nodes
    return out


def render_sizes(results: Sequence[SizeResult], args: argparse.Namespace, ref_note: str) -> str:
    ours_scale, ref_scale = scaling(results, "ours"), scaling(results, "ref")
    header = ("nodes", "hosts", "rels", "YAML KB", "ours s", "t/t(N/10)", "slope", "peak MB",
              "ref s", "t/t(N/10)", "slope", "ref/ours")
    lines = [header]
    for r in results:
        ours, ref = ours_scale.get(r.nodes, {}), ref_scale.get(r.nodes, {})
        speedup = (f"{r.ref.best / r.ours.best:.0f}x" if r.ref.status == "ok" and r.ours.status == "ok"
                   and r.ours.best else "-")
        peak = f"{r.peak_bytes / 2**20:.1f}" if r.peak_bytes is not None else r.memory_status
        lines.append((str(r.nodes), str(r.hosts), str(r.relationships), f"{r.yaml_bytes / 1024:.0f}",
                      _cell(r.ours), _ratio(ours.get("ratio_to_tenth")), _slope(ours.get("slope")), peak,
                      _cell(r.ref), _ratio(ref.get("ratio_to_tenth")), _slope(ref.get("slope")), speedup))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    table = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths)) for line in lines]
    table.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"Synthetic blueprints (seed {args.seed}): best of {args.repeat} runs below {args.big} nodes, "
             f"one run from {args.big}; fresh Resolver per run; peak = tracemalloc peak of one more run.",
             f"Reference: {ref_note}"]
    for r in results:
        if r.memory_detail:
            notes.append(f"  {r.nodes} nodes, ours: {r.memory_detail}")
        for side, measure in (("ours", r.ours), ("reference", r.ref)):
            if measure.status in ("timeout", "error"):
                notes.append(f"  {r.nodes} nodes, {side}: {_status_text(measure)}")
            if (side == "reference" and measure.nodes is not None and r.ours.nodes is not None
                    and measure.nodes != r.ours.nodes):
                notes.append(f"  {r.nodes} nodes: the reference's plan has {measure.nodes} nodes, ours {r.ours.nodes}")
    return "\n".join(notes[:1] + [""] + table + [""] + notes[1:])


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _slope(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render_corpus(result: CorpusResult) -> str:
    def line(label: str, count: int, total: float, median: float) -> str:
        return f"{label:<34}{count:>10}  {total:>9.1f}  {median:>9.4f}"

    ours_median = statistics.median(result.times) if result.times else 0.0
    lines = [f"Corpus {result.folder}: {result.blueprints} blueprints in one Resolver session "
             f"({result.accepted} accepted, {result.rejected} rejected, {result.crashed} crashed, "
             f"{result.timed_out} timed out)",
             "",
             f"{'':<34}{'blueprints':>10}  {'total s':>9}  {'median s':>9}",
             line("ours (this machine)", len(result.times), result.wall_s, ours_median)]
    if not result.ref_times:
        lines.append("reference: no oracle/timings.tsv")
        return "\n".join(lines)
    ref_sum, ref_median = sum(result.ref_times), statistics.median(result.ref_times)
    lines.append(line("reference (oracle/timings.tsv)", result.ref_matched, ref_sum, ref_median))
    lines.append(line("  all rows of timings.tsv", result.ref_all_rows, result.ref_all_sum, result.ref_all_median))
    if result.wall_s > 0 and ours_median > 0:
        lines += ["", f"reference/ours: total {ref_sum / result.wall_s:.0f}x, median {ref_median / ours_median:.0f}x "
                  "(the reference's times: parse only, one run each, recorded on a 2-core machine; "
                  "ours: one session, which parses each shared file once)"]
    return "\n".join(lines)


def write_json(path: Path, payload: dict) -> None:
    """Write `payload` to `path` atomically: a temporary file in the same folder, then a rename."""
    folder = path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", dir=folder, prefix=f".{path.name}.", suffix=".tmp",
                                         delete=False, encoding="utf-8")
    try:
        with handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise


# --------------------------------------------------------------------------------------------
# Command line


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of node counts: {text!r}") from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("node counts must be positive")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_sizes, default=list(DEFAULT_SIZES),
                        help="node counts, comma-separated (default: " + ",".join(map(str, DEFAULT_SIZES)) + ")")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per small size; the best counts (default: 3)")
    parser.add_argument("--big", type=int, default=1000, help="sizes from this one are run once (default: 1000)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds allowed per run of ours, 0 for no limit (default: 120)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--no-ref", action="store_true", help="do not run the reference")
    parser.add_argument("--ref-timeout", type=float, default=120.0,
                        help="seconds allowed for the reference per size (default: 120)")
    parser.add_argument("--ref-max", type=int, default=1000,
                        help="largest size the reference is given (default: 1000)")
    parser.add_argument("--corpus", nargs="?", type=Path, const=DEFAULT_CORPUS, default=None, metavar="DIR",
                        help=f"also time the shared corpus (DIR defaults to {DEFAULT_CORPUS})")
    parser.add_argument("--corpus-timeout", type=float, default=60.0,
                        help="seconds allowed per corpus blueprint (default: 60)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the numbers to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the generated blueprints and say where")
    args = parser.parse_args(argv)
    args.sizes = sorted(set(args.sizes))
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if args.no_ref:
        ref_python, ref_note, ref_version = None, "skipped (--no-ref)", None
    else:
        ref_python, why = reference.find_python(REPO)
        if ref_python is None:
            ref_version = None
            ref_note = (f"skipped: no Python with dsl_parser ({why}). To install it: "
                        f"{reference.INSTALL_HINT}  (or set REF_PYTHON)")
        else:
            ref_version = reference.version(ref_python)
            ref_note = (f"cloudify-common {ref_version} ({ref_python}) in a subprocess, parse_from_path only; "
                        f"up to {args.ref_max} nodes, {args.ref_timeout:g} s per size")
    progress(f"reference: {ref_note}")

    root = Path(tempfile.mkdtemp(prefix="resolver-bench-"))
    try:
        results = run_sizes(args, root, ref_python, progress)
    finally:
        if args.keep:
            progress(f"generated blueprints kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    corpus_result = None
    corpus_note = ""
    if args.corpus is not None:
        if (args.corpus / "MANIFEST.tsv").exists():
            corpus_result = time_corpus(args.corpus, args.corpus_timeout, progress)
        else:
            corpus_note = f"Corpus: skipped, no MANIFEST.tsv in {args.corpus}"

    machine = f"{platform.python_implementation()} {platform.python_version()}, {platform.system()} " \
              f"{platform.machine()}, {os.cpu_count()} CPUs"
    print(f"resolver benchmarks on {machine}")
    print()
    print(render_sizes(results, args, ref_note))
    if corpus_result is not None:
        print()
        print(render_corpus(corpus_result))
    elif corpus_note:
        print()
        print(corpus_note)

    if args.json:
        payload = {
            "machine": machine,
            "arguments": {k: (os.fspath(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "reference": {"python": os.fspath(ref_python) if ref_python else None, "version": ref_version,
                          "note": ref_note},
            "sizes": [asdict(r) | {"ours_scaling": scaling(results, "ours").get(r.nodes),
                                   "ref_scaling": scaling(results, "ref").get(r.nodes)} for r in results],
            "corpus": _corpus_json(corpus_result) if corpus_result else None,
        }
        write_json(args.json, payload)
        progress(f"numbers written to {args.json}")
    return 1 if any(r.ours.status == "error" for r in results) else 0


def _corpus_json(result: CorpusResult) -> dict:
    data = asdict(result)
    data.pop("ref_times")
    times = data.pop("times")
    data["ours_median_s"] = statistics.median(times) if times else None
    data["ours_sum_of_blueprints_s"] = sum(times)
    data["ref_sum_s"] = sum(result.ref_times)
    data["ref_median_s"] = statistics.median(result.ref_times) if result.ref_times else None
    return data


if __name__ == "__main__":
    sys.exit(main())
