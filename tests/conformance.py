"""Conformance harness: resolve every corpus blueprint and compare with the reference's verdict.

The corpus (`../shared/corpus`, see its README) holds ~1,200 real blueprints and, in
`oracle/<id>.json`, what cloudify-common 7.0.5 made of each. Every manifest row falls in one of
three groups, by the oracle's `status`:

* accepted  -- `ok`: we must accept it too, and our plan must agree with `oracle["parsed"]` on
  the fields compared by `compare_plan`;
* rejected  -- `parse_error` with no `import_misses`: we must reject it too; whether our errors
  carry the reference's numeric code (`Problem.ref_code`) is recorded and counted;
* not a verdict -- `prepare_error`, or a rejection caused by an import the offline set could not
  answer: counted, not run.

One `Resolver` session is reused for the whole run (it caches parsed files), in this process.

    python -m tests.conformance [ID ...] [--only SUBSTRING] [--json FILE]
                                [--max-ids N] [--max-diffs N] [--timeout SECONDS]

Exit status: 0 when both thresholds below are met, 1 when not, 2 on a usage or setup error.
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

# Ids whose difference from the reference is deliberate: id -> reason, citing the SPEC.md §10
# item we improve on. They are still run and shown, but neither counted as failures nor in the
# figures' denominators.
KNOWN_DIFFERENCES: dict[str, str] = {}

ACCEPTED_MIN = 0.98  # share of accepted blueprints whose plan must be identical
REJECTED_MIN = 0.80  # share of rejected blueprints we must reject too

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"

ACCEPTED = "accepted"
REJECTED = "rejected"
NO_VERDICT = "not-a-verdict"

KEPT_DIFFERENCES = 50  # per id; the total is counted regardless
OP_FIELDS = ("plugin", "operation", "executor")
INSTALL_FIELDS = ("name", "executor", "install", "package_name", "package_version")
PLUGIN_LISTS = ("deployment_plugins_to_install", "host_agent_plugins_to_install",
                "workflow_plugins_to_install")


# --------------------------------------------------------------------------------------------
# The manifest and the oracle


@dataclass(frozen=True)
class Row:
    id: str
    path: str
    cwd: str
    oracle: dict = field(repr=False, compare=False)

    @property
    def verdict(self) -> str:
        status = self.oracle["status"]
        if status == "ok":
            return ACCEPTED
        if status == "parse_error" and not self.oracle.get("import_misses"):
            return REJECTED
        return NO_VERDICT


def read_manifest(corpus: Path) -> list[dict[str, str]]:
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def load_rows(corpus: Path, ids: Iterable[str] = (), only: str | None = None) -> list[Row]:
    """The manifest rows (with their oracle), restricted to `ids` and to ids containing `only`.

    Raises KeyError naming any requested id the manifest does not hold.
    """
    wanted = set(ids)
    manifest = read_manifest(corpus)
    unknown = wanted - {entry["id"] for entry in manifest}
    if unknown:
        raise KeyError(f"not in the manifest: {', '.join(sorted(unknown))}")
    rows = []
    for entry in manifest:
        if wanted and entry["id"] not in wanted:
            continue
        if only and only not in entry["id"]:
            continue
        with open(corpus / "oracle" / f"{entry['id']}.json", encoding="utf-8") as handle:
            oracle = json.load(handle)
        rows.append(Row(entry["id"], entry["path"], entry.get("cwd") or "", oracle))
    return rows


# --------------------------------------------------------------------------------------------
# Comparing a plan with the oracle


@dataclass(frozen=True)
class Difference:
    """One disagreement. `kind` abstracts the path (no ids) so differences can be tallied."""

    kind: str
    path: str
    ours: Any = None
    theirs: Any = None

    def __str__(self) -> str:
        return f"{self.path}: ours {_show(self.ours)}, oracle {_show(self.theirs)}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "path": self.path, "ours": _jsonable(self.ours),
                "theirs": _jsonable(self.theirs), "text": str(self)}


MISSING = "<missing>"


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _show(value: Any, width: int = 240) -> str:
    text = value if value is MISSING else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def same(a: Any, b: Any) -> bool:
    """JSON equality that, unlike `==`, tells booleans from numbers (True is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if a is None or b is None:
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return type(a) is type(b) and a == b


def _names(entries: Iterable[Any] | None) -> list[str]:
    """Sorted distinct plugin names of a list of plugin dicts (or of names, as the oracle has)."""
    return sorted({entry["name"] if isinstance(entry, dict) else entry for entry in entries or ()})


def _install_key(entry: dict) -> tuple:
    return tuple(entry.get(name) for name in INSTALL_FIELDS)


def _sorted_keys(keys: Iterable[tuple]) -> list[tuple]:
    return sorted(keys, key=lambda key: json.dumps(key, default=str))


def _compare_operations(out: list[Difference], kind: str, path: str, ours: dict | None,
                        theirs: dict | None) -> None:
    """Full-named (`interface.op`) operations, on plugin/operation/executor."""
    ours, theirs = ours or {}, theirs or {}
    for name in sorted(k for k in ours.keys() | theirs.keys() if "." in k):
        where = f"{path}[{name}]"
        if name not in ours or name not in theirs:
            op = ours.get(name, theirs.get(name))
            summary = {f: op.get(f) for f in OP_FIELDS} if isinstance(op, dict) else op
            out.append(Difference(
                f"{kind} {'missing' if name not in ours else 'extra'}", where,
                summary if name in ours else MISSING, summary if name in theirs else MISSING))
            continue
        for fld in OP_FIELDS:
            a, b = (ours[name] or {}).get(fld), (theirs[name] or {}).get(fld)
            if not same(a, b):
                out.append(Difference(f"{kind}.{fld}", f"{where}.{fld}", a, b))


def _compare_relationships(out: list[Difference], path: str, ours: list | None,
                           theirs: list | None) -> None:
    ours, theirs = ours or [], theirs or []
    if len(ours) != len(theirs):
        out.append(Difference("relationships count", f"{path}.relationships",
                              [(r.get("type"), r.get("target_id")) for r in ours],
                              [(r.get("type"), r.get("target_id")) for r in theirs]))
    for index, (mine, ref) in enumerate(zip(ours, theirs)):
        where = f"{path}.relationships[{index}]"
        for fld in ("type", "target_id", "type_hierarchy"):
            if not same(mine.get(fld), ref.get(fld)):
                out.append(Difference(f"relationship.{fld}", f"{where}.{fld}",
                                      mine.get(fld), ref.get(fld)))
        for side in ("source_operations", "target_operations"):
            _compare_operations(out, f"relationship.{side}", f"{where}.{side}",
                                mine.get(side), ref.get(side))


def _compare_node(out: list[Difference], node_id: str, ours: dict, theirs: dict) -> None:
    path = f"nodes[{node_id}]"
    for fld in ("type", "type_hierarchy", "host_id"):
        if not same(ours.get(fld), theirs.get(fld)):
            out.append(Difference(f"node.{fld}", f"{path}.{fld}", ours.get(fld), theirs.get(fld)))
    _compare_operations(out, "node.operations", f"{path}.operations",
                        ours.get("operations"), theirs.get("operations"))
    _compare_relationships(out, path, ours.get("relationships"), theirs.get("relationships"))
    for fld in ("plugins", "plugins_to_install"):
        mine, ref = _names(ours.get(fld)), _names(theirs.get(fld))
        if mine != ref:
            out.append(Difference(f"node.{fld}", f"{path}.{fld}", mine, ref))


def _compare_workflows(out: list[Difference], ours: dict | None, theirs: dict | None) -> None:
    ours, theirs = ours or {}, theirs or {}
    for name in sorted(ours.keys() | theirs.keys()):
        where = f"workflows[{name}]"
        if name not in ours or name not in theirs:
            flow = ours.get(name, theirs.get(name)) or {}
            summary = f"{flow.get('plugin')}.{flow.get('operation')}"
            out.append(Difference(f"workflow {'missing' if name not in ours else 'extra'}", where,
                                  summary if name in ours else MISSING,
                                  summary if name in theirs else MISSING))
            continue
        mine, ref = ours[name] or {}, theirs[name] or {}
        for fld in ("plugin", "operation", "is_cascading"):
            if not same(mine.get(fld), ref.get(fld)):
                out.append(Difference(f"workflow.{fld}", f"{where}.{fld}", mine.get(fld), ref.get(fld)))
        params, ref_params = mine.get("parameters") or {}, ref.get("parameters") or {}
        for param in sorted(params.keys() | ref_params.keys()):
            a, b = params.get(param, MISSING), ref_params.get(param, MISSING)
            if a is MISSING or b is MISSING or not same(a, b):
                out.append(Difference("workflow.parameters", f"{where}.parameters[{param}]", a, b))


def _compare_install_list(out: list[Difference], name: str, ours: list | None,
                          theirs: list | None) -> None:
    mine = collections.Counter(_install_key(entry) for entry in ours or ())
    ref = collections.Counter(_install_key(entry) for entry in theirs or ())
    if mine != ref:
        # Only what is not common to both, as (name, executor, install, package_name, version).
        out.append(Difference(name, name, _sorted_keys((mine - ref).elements()),
                              _sorted_keys((ref - mine).elements())))


def _nodes_by_id(nodes: Any) -> dict[str, dict]:
    if isinstance(nodes, dict):
        return nodes
    return {node.get("id"): node for node in nodes or ()}


def compare_plan(ours: dict, theirs: dict) -> list[Difference]:
    """Every difference between our plan (the JSON contract) and the oracle's `parsed`.

    Compared: per node (by id) type, type_hierarchy, host_id, full-named operations, the
    relationships in order, plugin names and plugins_to_install names; the workflows; the three
    `*_plugins_to_install` lists as multisets of (name, executor, install, package_name,
    package_version). Short operation names and everything else are not compared.
    """
    out: list[Difference] = []
    mine, ref = _nodes_by_id(ours.get("nodes")), _nodes_by_id(theirs.get("nodes"))
    for node_id in sorted(mine.keys() | ref.keys(), key=str):
        if node_id not in mine or node_id not in ref:
            node = mine.get(node_id) or ref.get(node_id)
            out.append(Difference(f"node {'missing' if node_id not in mine else 'extra'}",
                                  f"nodes[{node_id}]",
                                  node.get("type") if node_id in mine else MISSING,
                                  node.get("type") if node_id in ref else MISSING))
            continue
        _compare_node(out, node_id, mine[node_id], ref[node_id])
    _compare_workflows(out, ours.get("workflows"), theirs.get("workflows"))
    for name in PLUGIN_LISTS:
        _compare_install_list(out, name, ours.get(name), theirs.get(name))
    return out


def oracle_as_plan(parsed: dict) -> dict:
    """The oracle's `parsed` rewritten in the shapes of our plan contract (a comparator check).

    Nodes become a list carrying `id`; plugin names become plugin dicts. Executors of node
    plugins are not in the oracle, so they are left None (only names are compared).
    """
    nodes = []
    for node_id, node in parsed["nodes"].items():
        nodes.append({
            **node,
            "id": node_id,
            "plugins": [{"name": name, "executor": None} for name in node["plugins"]],
            "plugins_to_install": [dict(entry) for entry in node["plugins_to_install"]],
        })
    plan = {key: value for key, value in parsed.items() if key not in ("nodes", "summary")}
    plan.update(dsl_version=None, imports=[], nodes=nodes, install_order=list(parsed["nodes"]))
    return plan


# --------------------------------------------------------------------------------------------
# Running


@dataclass
class Outcome:
    id: str
    verdict: str
    elapsed: float
    differences: list[Difference] = field(default_factory=list)
    total_differences: int = 0
    kinds: list[str] = field(default_factory=list)
    # Rejected rows: our first error and every ref_code we reported, against the reference's.
    our_code: str | None = None
    our_ref_code: int | None = None
    our_ref_codes: list[int] = field(default_factory=list)
    oracle_code: int | None = None
    oracle_class: str | None = None
    rejected_by_us: bool | None = None
    known: str | None = None

    @property
    def identical(self) -> bool:
        return self.total_differences == 0

    @property
    def code_matches(self) -> bool:
        return self.oracle_code is not None and self.oracle_code in self.our_ref_codes

    def record(self, differences: list[Difference]) -> None:
        self.total_differences = len(differences)
        self.kinds = sorted({d.kind for d in differences})
        self.differences = differences[:KEPT_DIFFERENCES]

    def as_dict(self) -> dict:
        return {
            "id": self.id, "verdict": self.verdict, "elapsed": round(self.elapsed, 4),
            "identical": self.identical, "known": self.known,
            "total_differences": self.total_differences, "kinds": self.kinds,
            "differences": [d.as_dict() for d in self.differences],
            "our_code": self.our_code, "our_ref_code": self.our_ref_code,
            "our_ref_codes": self.our_ref_codes, "oracle_code": self.oracle_code,
            "oracle_class": self.oracle_class, "rejected_by_us": self.rejected_by_us,
            "code_matches": self.code_matches if self.verdict == REJECTED else None,
        }


class _TimedOut(Exception):
    pass


class _Deadline:
    """Raises _TimedOut in the main thread after `seconds` (SIGALRM); a no-op elsewhere or at 0."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = (seconds > 0 and hasattr(signal, "SIGALRM")
                       and threading.current_thread() is threading.main_thread())
        self.previous: Any = None

    def __enter__(self) -> "_Deadline":
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)

    def _expire(self, signum: int, frame: Any) -> None:
        raise _TimedOut(f"no answer after {self.seconds:g} s")


def make_session(corpus: Path) -> Any:
    from resolver import Options, Resolver

    # The corpus folder is the project root: its blueprints import `../` files of their repository,
    # and the corpus holds no `.git` per repository to mark where each one ends.
    return Resolver(registries=[corpus / "plugins"], import_rules=corpus / "import-rules.yaml",
                    blueprint_catalog=corpus / "blueprint-catalog.yaml",
                    search_paths=[corpus / "types"], options=Options(root=str(corpus)))


def _errors(result: Any) -> list[Any]:
    return [p for p in (getattr(result, "problems", None) or ())
            if getattr(p, "severity", None) == "error"]


def _describe(problem: Any, corpus: Path) -> str:
    text = f"{problem.code} (ref {problem.ref_code}): {problem.message}"
    where = getattr(problem, "file", None)
    if where:
        base = corpus.resolve()
        if os.path.isabs(where) and Path(where).is_relative_to(base):
            where = os.path.relpath(where, base)
        line = getattr(problem, "line", None)
        text += f" [{where}{f':{line}' if line else ''}]"
    return text


def check_row(session: Any, corpus: Path, row: Row, timeout: float = 0) -> Outcome:
    """Resolve one row's blueprint and judge it against the oracle; never raises for the row."""
    outcome = Outcome(row.id, row.verdict, 0.0, known=KNOWN_DIFFERENCES.get(row.id))
    if row.verdict == REJECTED:
        error = row.oracle.get("error") or {}
        outcome.oracle_code, outcome.oracle_class = error.get("error_code"), error.get("class")
    search = [corpus / row.cwd] if row.cwd else ()
    started = time.perf_counter()
    try:
        with _Deadline(timeout):
            result = session.resolve(corpus / row.path, search_paths=search)
        outcome.elapsed = time.perf_counter() - started
        outcome.record(_judge(corpus, row, result, outcome))
    except Exception as exc:  # a crash is a finding about this blueprint, not the end of the run
        outcome.elapsed = time.perf_counter() - started
        kind = "timed out" if isinstance(exc, _TimedOut) else f"crashed: {type(exc).__name__}"
        outcome.record([Difference(kind, "resolve", f"{type(exc).__name__}: {exc}",
                                   row.oracle["status"])])
    return outcome


def _judge(corpus: Path, row: Row, result: Any, outcome: Outcome) -> list[Difference]:
    errors = _errors(result)
    if errors:
        outcome.our_code, outcome.our_ref_code = errors[0].code, errors[0].ref_code
        outcome.our_ref_codes = sorted({p.ref_code for p in errors if p.ref_code is not None})
    if row.verdict == REJECTED:
        outcome.rejected_by_us = not result.ok
        if result.ok:
            return [Difference("we accept a rejected blueprint", "verdict", "accepted",
                               f"{outcome.oracle_class} {outcome.oracle_code}: "
                               f"{(row.oracle.get('error') or {}).get('message', '')}")]
        return []
    if not result.ok:
        return [Difference(f"we reject: {p.code}", "verdict", _describe(p, corpus), "accepted")
                for p in errors] or [Difference("we reject: (no error problem)", "verdict",
                                                "ok is false", "accepted")]
    if not isinstance(result.plan, dict):
        return [Difference("no plan", "plan", type(result.plan).__name__, "a plan")]
    return compare_plan(result.plan, row.oracle["parsed"])


@dataclass
class Report:
    corpus: Path
    outcomes: list[Outcome] = field(repr=False)
    not_a_verdict: list[Row] = field(repr=False)
    wall: float = 0.0

    def _of(self, verdict: str, known: bool = False) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict == verdict and bool(o.known) == known]

    @property
    def accepted(self) -> list[Outcome]:
        return self._of(ACCEPTED)

    @property
    def rejected(self) -> list[Outcome]:
        return self._of(REJECTED)

    @property
    def known(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.known]

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.known and not o.identical]

    def figures(self) -> dict:
        accepted, rejected = self.accepted, self.rejected
        coded = [o for o in rejected if o.oracle_code is not None]
        statuses = collections.Counter(
            "import miss" if row.oracle["status"] == "parse_error" else row.oracle["status"]
            for row in self.not_a_verdict)
        return {
            "accepted_total": len(accepted),
            "accepted_identical": sum(o.identical for o in accepted),
            "accepted_ratio": _ratio(sum(o.identical for o in accepted), len(accepted)),
            "rejected_total": len(rejected),
            "rejected_by_us": sum(o.rejected_by_us is True for o in rejected),
            "rejected_ratio": _ratio(sum(o.rejected_by_us is True for o in rejected),
                                     len(rejected)),
            "rejected_with_ref_code": len(coded),
            "rejected_code_matches": sum(o.code_matches for o in coded),
            "rejected_first_code_matches": sum(o.our_ref_code == o.oracle_code for o in coded),
            "known_differences": len(self.known),
            "known_still_differ": sum(not o.identical for o in self.known),
            "not_a_verdict": len(self.not_a_verdict),
            "not_a_verdict_by_status": dict(sorted(statuses.items())),
            "crashed": sum(any(k.startswith(("crashed", "timed out")) for k in o.kinds)
                           for o in self.outcomes),
            "wall_seconds": round(self.wall, 2),
            "resolve_seconds": round(sum(o.elapsed for o in self.outcomes), 2),
        }

    def passes(self) -> bool:
        figures = self.figures()
        return (figures["accepted_ratio"] >= ACCEPTED_MIN
                and figures["rejected_ratio"] >= REJECTED_MIN)

    def kind_tally(self) -> list[tuple[str, int, list[str]]]:
        """(kind, number of failing ids showing it, a few of those ids), most common first."""
        ids: dict[str, list[str]] = collections.defaultdict(list)
        for outcome in self.failures:
            for kind in outcome.kinds:
                ids[kind].append(outcome.id)
        return sorted(((kind, len(v), v[:3]) for kind, v in ids.items()),
                      key=lambda item: (-item[1], item[0]))

    def summary(self) -> str:
        """The figures, as lines of text."""
        f = self.figures()
        lines = [
            f"accepted: {f['accepted_identical']} / {f['accepted_total']} identical "
            f"({_percent(f['accepted_ratio'])}; threshold {ACCEPTED_MIN:.0%})",
            f"rejected: {f['rejected_by_us']} / {f['rejected_total']} rejected by us "
            f"({_percent(f['rejected_ratio'])}; threshold {REJECTED_MIN:.0%})",
            f"  same reference code: {f['rejected_code_matches']} / {f['rejected_with_ref_code']}"
            f" rejections with a numeric code (any of our errors' ref_code; our first error's: "
            f"{f['rejected_first_code_matches']})",
            f"not a verdict (counted, not run): {f['not_a_verdict']}"
            + "".join(f", {k} {v}" for k, v in f["not_a_verdict_by_status"].items()),
            f"known differences (not counted above): {f['known_differences']}, "
            f"{f['known_still_differ']} still differ",
            f"crashed or timed out: {f['crashed']}",
            f"wall time: {f['wall_seconds']:.1f} s (resolving {f['resolve_seconds']:.1f} s)",
        ]
        return "\n".join(lines)

    def render(self, max_ids: int | None = None, max_diffs: int = 3) -> str:
        lines = [f"conformance against {self.corpus}", self.summary()]
        slowest = sorted(self.outcomes, key=lambda o: -o.elapsed)[:5]
        if slowest:
            lines.append("slowest: " + ", ".join(f"{o.id} {o.elapsed:.2f} s" for o in slowest))
        tally = self.kind_tally()
        if tally:
            lines.append("")
            lines.append("difference kinds (failing ids showing each, examples):")
            lines += [f"  {count:5d}  {kind}  e.g. {', '.join(examples)}"
                      for kind, count, examples in tally]
        mismatched = collections.Counter(
            (o.oracle_class, o.oracle_code, o.our_code, o.our_ref_code) for o in self.rejected
            if o.rejected_by_us and o.our_ref_code != o.oracle_code)
        if mismatched:
            lines.append("")
            lines.append("rejected by both, our first error is not the reference's code "
                         "(oracle class code -> our first code, ref_code):")
            lines += [f"  {count:5d}  {cls} {code} -> {ours} {ref}"
                      for (cls, code, ours, ref), count in
                      sorted(mismatched.items(), key=lambda item: (-item[1], str(item[0])))]
        if self.known:
            lines.append("")
            lines.append("known differences:")
            for o in self.known:
                state = "identical now (drop it?)" if o.identical else \
                    f"{o.total_differences} differences"
                lines.append(f"  {o.id} [{o.verdict}] {state}: {o.known}")
        failures = self.failures
        if failures:
            shown = failures if max_ids is None else failures[:max_ids]
            lines.append("")
            lines.append(f"differing ids ({len(failures)}"
                         + (f", first {len(shown)} shown" if len(shown) < len(failures) else "")
                         + "):")
            for o in shown:
                lines.append(_headline(o))
                lines += [f"      {d}" for d in o.differences[:max_diffs]]
                if o.total_differences > max_diffs:
                    lines.append(f"      ... {o.total_differences - max_diffs} more")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "corpus": str(self.corpus),
            "figures": self.figures(),
            "thresholds": {"accepted": ACCEPTED_MIN, "rejected": REJECTED_MIN},
            "passes": self.passes(),
            "kinds": [{"kind": k, "ids": n, "examples": e} for k, n, e in self.kind_tally()],
            "rows": [o.as_dict() for o in self.outcomes],
            "not_a_verdict": [{"id": row.id, "status": row.oracle["status"],
                               "error": row.oracle.get("error")} for row in self.not_a_verdict],
        }


def _headline(o: Outcome) -> str:
    text = f"  {o.id} [{o.verdict}] {o.total_differences} difference(s)"
    if o.verdict == REJECTED:
        text += f"; oracle {o.oracle_class} {o.oracle_code}"
    return text


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"


def run(corpus: Path, rows: Sequence[Row], session: Any = None, timeout: float = 0,
        progress: Callable[[int, int, Row], None] | None = None) -> Report:
    """Resolve every accepted and rejected row with one session and compare with the oracle."""
    started = time.perf_counter()
    session = session if session is not None else make_session(corpus)
    judged = [row for row in rows if row.verdict != NO_VERDICT]
    outcomes = []
    for index, row in enumerate(judged):
        if progress:
            progress(index, len(judged), row)
        outcomes.append(check_row(session, corpus, row, timeout))
    return Report(corpus, outcomes, [row for row in rows if row.verdict == NO_VERDICT],
                  time.perf_counter() - started)


def write_json_atomically(path: Path, data: dict) -> None:
    """Write to a temporary file beside `path`, then rename: never a partial file."""
    path = Path(path)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent or ".",
                                         prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            json.dump(data, handle, indent=1, sort_keys=True, default=str)
            handle.write("\n")
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise


def _progress_printer(stream: Any) -> Callable[[int, int, Row], None] | None:
    if not stream.isatty():
        return None

    def show(index: int, total: int, row: Row) -> None:
        stream.write(f"\r{index + 1}/{total} {row.id[:90]:<90}")
        if index + 1 == total:
            stream.write("\r" + " " * 100 + "\r")
        stream.flush()

    return show


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance",
                                     description="Compare resolver with the corpus oracle.")
    parser.add_argument("ids", nargs="*", help="manifest ids to run (default: all)")
    parser.add_argument("--only", metavar="SUBSTRING", help="run the ids containing SUBSTRING")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="the corpus folder (default: ../shared/corpus)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="also write all figures and per-id differences as JSON")
    parser.add_argument("--max-ids", type=int, default=None, metavar="N",
                        help="print at most N differing ids (default: all)")
    parser.add_argument("--max-diffs", type=int, default=3, metavar="N",
                        help="differences printed per id (default: 3)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="give up on one blueprint after this long (0: never; default 60)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    if not (args.corpus / "MANIFEST.tsv").is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    try:
        rows = load_rows(args.corpus, args.ids, args.only)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    if not rows:
        print("no manifest row matches", file=sys.stderr)
        return 2
    report = run(args.corpus, rows, timeout=args.timeout, progress=_progress_printer(sys.stderr))
    report.wall = time.perf_counter() - started  # reading the oracle included
    print(report.render(args.max_ids, args.max_diffs))
    if args.json:
        write_json_atomically(args.json, report.as_dict())
    return 0 if report.passes() else 1


if __name__ == "__main__":
    sys.exit(main())
