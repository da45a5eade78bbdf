"""One cause, one error: problems that follow from an unanswered import are folded into it.

When an import cannot be answered (`import-not-found`, `import-offline`, `plugin-not-found`,
`plugin-yaml-missing`, `plugin-spec-invalid`, `blueprint-not-found`, a `registry-*` error,
`lock-missing-entry`/`lock-unavailable` for a plugin), the definitions it would have brought are
unknown, so the problems about undefined names that follow (`FOLLOWS`) are consequences, not
findings. Each such problem is removed from the list and kept in the `folded` tuple of the
import's problem, whose hint gains their count and the names they are about.

Attribution: a folded problem goes to the failed import whose namespace prefixes the name it is
about (`ns--name` with `ns` the import's namespace, the longest such namespace winning); any other
to the first failed import in walk order (the order the imports were met, main file first), which
is usually the one that brought the types. Every follow-on problem is folded as soon as one import
failed, even one that a typo would also explain: the names stay listed in the hint, and
`--all-problems` (Options.all_problems) lists every problem as before.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from . import records
from .namespaces import NAMESPACE_DELIMITER
from .problems import Problem

FOLLOWS = frozenset((
    "node-type-unknown", "type-parent-unknown", "relationship-type-unknown", "type-name-illegal",
    "operation-unmapped", "relationship-operation-unmapped", "workflow-unmapped", "policy-type-unknown",
    "policy-trigger-unknown", "script-plugin-missing", "host-agent-without-host",
))
NAMES_SHOWN = 10


def fold(problems: Iterable[Problem], failures: Sequence) -> list[Problem]:
    """`problems` with every `FOLLOWS` problem folded into a failed import's problem.

    `failures` are the walk's `imports.Failure`s (problem and namespace), in walk order. With no
    failure the problems are returned unchanged. Order is kept; folded lists are in the order
    the problems came in (callers sort both the same way).
    """
    problems = list(problems)
    if not failures:
        return problems
    folded: dict[Problem, list[Problem]] = {f.problem: [] for f in failures}
    kept = []
    for problem in problems:
        if problem.code in FOLLOWS and problem.is_error and problem not in folded:
            folded[_owner(problem, failures).problem].append(problem)
        else:
            kept.append(problem)
    return [_with_folded(p, folded[p]) if folded.get(p) else p for p in kept]


def _owner(problem: Problem, failures: Sequence):
    subject = problem.subject or ""
    best = None
    for failure in failures:
        namespace = failure.namespace
        if namespace and subject.startswith(namespace + NAMESPACE_DELIMITER):
            if best is None or len(namespace) > len(best.namespace):
                best = failure
    return best or failures[0]


def _with_folded(problem: Problem, followers: list[Problem]) -> Problem:
    names = sorted({p.subject for p in followers if p.subject})
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += f" and {len(names) - NAMES_SHOWN} more"
    count = len(followers)
    summary = (f"{count} problem{'s' if count != 1 else ''} follow{'s' if count == 1 else ''} from this one"
               + (f", about {shown}" if shown else "") + " (--all-problems lists them).")
    if problem.hint:
        hint = problem.hint + ("" if problem.hint.endswith((".", "!", "?")) else ".") + " " + summary
    else:
        hint = summary
    return records.replace(problem, hint=hint, folded=problem.folded + tuple(followers))
