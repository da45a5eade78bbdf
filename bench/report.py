"""BENCHMARKS.md and the plot, from the measured cases of bench/run.py (nothing is computed here
that was not measured in the same run)."""
from __future__ import annotations

import os
from pathlib import Path

SIDES = ("reference", "resolver", "floor")


def _cell(run, value) -> str:
    if run is None or run.detail == "no such command":
        return "-"
    if run.status == "ok":
        return "-" if value is None else f"{value:.3f}"
    if run.detail.startswith("> budget"):
        return "> budget"
    return run.status


def _ratio(a, b) -> str:
    return f"{a / b:.1f}x" if a and b else "-"


def _kb(value) -> str:
    return "-" if value is None else f"{value / 1024:,.0f}"


def _mb(run) -> str:
    return f"{run.rss_mb:.0f}" if run is not None and run.rss_mb is not None else "-"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(cases, info: dict, args, plot_note: str) -> str:
    startup = [c for c in cases if c.group == "startup"]
    timed = [c for c in cases if c.group in ("size", "shape", "corpus")]
    out = ["# Benchmarks", "",
           "Written by `make bench` (`python -m bench.run`, see bench/run.py for what each figure is). Every side "
           "of every case ran in a fresh process on this machine in the same run; the numbers below are that "
           "run's and nothing else.", "",
           "## Machine", "",
           f"- date: {info['date']}",
           f"- CPU: {info['cpu']}, {info['cores']} cores; {info['system']}; {info['python']}",
           f"- load average (1, 5, 15 min) before: {info['load_before']}; after: {info['load_after']} "
           "(other work on the machine slows every side alike, the ratios less than the seconds)",
           f"- reference: {info['reference']}",
           f"- floor: PyYAML {info['pyyaml']}, `yaml.load(text, CSafeLoader)` of every file the resolver reads",
           f"- arguments: sizes {','.join(map(str, args.sizes))}; reference budget {args.ref_budget:g} s a case; "
           f"corpus sample {args.corpus_sample}, batch stride {args.corpus_stride}, -j {args.cores} for the "
           f"parallel batch" + ("; --quick" if args.quick else ""), ""]

    out += ["## Start-up", "",
            "Wall-clock seconds of a whole process (the interpreter's start included), best of "
            f"{args.startup_runs}.", ""]
    base = next((c for c in startup if c.name == "python -c pass"), None)
    rows = []
    for case in startup:
        runs = case.runs
        res = runs.get("resolver")
        rows.append([case.name, *(_cell(runs.get(s), runs[s].wall if s in runs else None) for s in SIDES),
                     _ratio(res.wall if res else None, base.runs["resolver"].wall if base else None),
                     _ratio(runs["reference"].wall if case is not base and runs["reference"].status == "ok" else None,
                            res.wall if res else None)])
    out += _table(["case", "reference s", "resolver s", "floor s", "resolver / python -c pass", "reference / resolver"],
                  rows)

    out += ["", "## Time", "",
            "Seconds inside the process. *first*: from the start of the work, the library's import included, to the "
            "end of the first run (for the corpus, the whole case), as a process started for one job pays it; "
            "*warm*: the best later run in the same process (the resolver and the floor: best of 3, one for 1,000 imports; "
            "the reference: best of 3 under 1,000 nodes, from 1,000 one). "
            "*YAML KB*: the files the resolver reads (plugin YAML included).", ""]
    rows = []
    for case in timed:
        ref, res, floor = (case.runs.get(s) for s in SIDES)
        rows.append([case.name, _kb(case.yaml_bytes), _cell(ref, ref and ref.first), _cell(res, res and res.first),
                     _cell(floor, floor and floor.first),
                     _ratio(ref and ref.first, res and res.first), _ratio(res and res.first, floor and floor.first),
                     _cell(res, res and res.warm), _cell(floor, floor and floor.warm),
                     _ratio(res and res.warm, floor and floor.warm)])
    out += _table(["case", "YAML KB", "reference first", "resolver first", "floor first", "reference / resolver",
                   "resolver / floor", "resolver warm", "floor warm", "resolver / floor, warm"], rows)

    out += ["", "## Peak memory", "",
            "Peak resident memory of each side's process in MB (VmHWM, bench/peak.py), the interpreter and its "
            "imports included; for the parallel batch, the parent's (its workers are not counted). The resolver ran the generated blueprints "
            "with its limits raised (bench/run.py LIMITS): 10,000 nodes and 1,000 imports pass the defaults.", ""]
    rows = []
    for case in timed:
        ref, res, floor = (case.runs.get(s) for s in SIDES)
        # against the file's size only where the blueprint, not the interpreter, fills the memory
        per_byte = (f"{res.rss_mb * 2**20 / case.yaml_bytes:.0f}x" if res and res.rss_mb and case.yaml_bytes
                    and case.group == "size" and case.nodes >= 1000 else "-")
        rows.append([case.name, _kb(case.yaml_bytes), _mb(ref), _mb(res), _mb(floor), per_byte])
    out += _table(["case", "YAML KB", "reference MB", "resolver MB", "floor MB", "resolver / YAML size"], rows)

    notes = [f"- {case.name}: {case.note}" for case in timed if case.note]
    notes += [f"- {case.name}, {side}: {run.detail}" for case in [*startup, *timed] for side, run in case.runs.items()
              if run.detail and not run.detail.startswith("no such command")]
    if notes:
        out += ["", "Notes:", "", *notes]

    out += ["", "## The goals of issue 10, against this run", "", *goals(cases, args), "",
            "## Plot", "", plot_note, ""]
    if plot_note.startswith("wrote"):
        out += [f"![time and peak memory against node count]({os.path.relpath(args.plot, args.markdown.parent)})", ""]
    return "\n".join(out)


DEPENDENCIES_CASE = "import yaml, json, argparse, packaging"  # bench/run.py DEPENDENCIES
INSTALLED_VERSION_CASE = "resolver --version (the installed script)"


def goals(cases, args) -> list[str]:
    by_name = {case.name: case for case in cases}

    def run(name, side):
        case = by_name.get(name)
        return case.runs.get(side) if case else None

    def verdict(value, limit, text, fmt="{:.2f}", higher=False) -> str:
        if value is None:
            return f"- {text}: not measured in this run"
        met = value >= limit if higher else value <= limit
        return f"- {text}: {fmt.format(value)} ({'met' if met else 'not met'}, goal {'≥' if higher else '≤'} {limit:g})"

    def wall(name, side):
        measured = run(name, side)
        return measured.wall if measured and measured.status == "ok" else None

    def first(name, side):
        measured = run(name, side)
        return measured.first if measured and measured.status == "ok" else None

    def best(name, side):
        measured = run(name, side)
        return measured.best if measured and measured.status == "ok" else None

    def quotient(a, b):
        return a / b if a is not None and b else None

    base = wall("python -c pass", "resolver")
    lines = [verdict(quotient(wall("one-node blueprint, end to end", "resolver"), base), 3,
                     "one-node blueprint end to end / `python -c pass`"),
             verdict(quotient(wall("python -m resolver --version", "resolver"), base), 1.3,
                     "`python -m resolver --version` / `python -c pass`"),
             verdict(quotient(wall(INSTALLED_VERSION_CASE, "resolver"), base), 1.3,
                     "`resolver --version`, the installed script / `python -c pass`")]
    # The floors no code of ours goes below, beside the start-up goals
    empty, needed = wall("python -m (an empty module)", "resolver"), wall(DEPENDENCIES_CASE, "resolver")
    version, one = wall("python -m resolver --version", "resolver"), wall("one-node blueprint, end to end", "resolver")
    if base and empty and needed and version and one:
        lines.append(f"  - floors here: `python -m` of an empty module / `python -c pass` {empty / base:.2f}, "
                     f"`python -m resolver --version` / that {version / empty:.2f}; the import of yaml, json, "
                     f"argparse and packaging / `python -c pass` {needed / base:.2f}, the one-node run / that "
                     f"{one / needed:.2f}")
    for size in (100, 300):
        lines.append(verdict(quotient(first(f"{size} nodes", "reference"), first(f"{size} nodes", "resolver")), 20,
                             f"reference / resolver at {size} nodes, first call in a fresh process", "{:.1f}", True))
    lines.append(verdict(quotient(best("10000 nodes", "resolver"), best("10000 nodes", "floor")), 1.5,
                         "10,000 nodes / the floor (warm)"))
    lines.append(verdict(quotient(best("10000 nodes", "resolver"), best("1000 nodes", "resolver")), 12,
                         "time(10,000) / time(1,000) (warm)", "{:.1f}"))
    big = by_name.get("10000 nodes")
    rss = run("10000 nodes", "resolver")
    lines.append(verdict(rss.rss_mb * 2**20 / big.yaml_bytes if rss and rss.rss_mb and big.yaml_bytes else None, 25,
                         "peak RSS at 10,000 nodes / YAML size (goal 15)", "{:.0f}"))
    one = next((c for c in cases if c.name.startswith("corpus, one batch -j 1 ")), None)
    many = next((c for c in cases if c.name.startswith("corpus, one batch -j ") and c is not one), None)
    if one:
        lines.append(verdict(quotient(first(one.name, "resolver"), first(one.name, "floor")), 2,
                             "corpus batch -j 1 / the floor reading each file once"))
    if one and many:
        speedup = quotient(first(one.name, "resolver"), first(many.name, "resolver"))
        lines.append(verdict(speedup, 0.7 * args.cores, f"corpus batch speed-up with -j {args.cores}",
                             "{:.2f}", True))
    return lines


def write_plot(cases, path: Path) -> str:
    """Time (first call and warm) and peak RSS against node count for the three sides, as a PNG."""
    try:
        import matplotlib
    except ImportError:
        return "No plot: matplotlib is not installed (`pip install -e .[bench]`; `make bench` installs it)."
    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes = [case for case in cases if case.group == "size"]
    figure, (timing, memory) = pyplot.subplots(1, 2, figsize=(12, 4.8))
    styles = {"reference": "tab:red", "resolver": "tab:blue", "floor": "tab:green"}
    for side, color in styles.items():
        for kind, line in (("first", "-"), ("warm", "--")):
            points = [(c.nodes, getattr(c.runs[side], kind)) for c in sizes
                      if side in c.runs and getattr(c.runs[side], kind) is not None]
            if points:
                timing.plot(*zip(*points), line, marker="o", color=color, label=f"{side}, {kind}")
        points = [(c.nodes, c.runs[side].rss_mb) for c in sizes
                  if side in c.runs and c.runs[side].status == "ok" and c.runs[side].rss_mb]
        if points:
            memory.plot(*zip(*points), "-", marker="o", color=color, label=side)
    for axes, label in ((timing, "seconds in the process"), (memory, "peak RSS, MB")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("node templates")
        axes.set_ylabel(label)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    timing.set_title("Time: first call in a fresh process, and warm")
    memory.set_title("Peak memory of the process")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return f"wrote {os.path.relpath(path)}"
