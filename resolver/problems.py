"""Problems as data: one frozen record, one collector, one exception for callers who raise."""
from __future__ import annotations

from typing import Iterable, Iterator

from . import records
from .codes import ERROR, WARNING, lookup


@records.frozen
class Mark:
    """A 1-based position in a file (`file` is the path or URL the user would open)."""

    file: str
    line: int
    column: int


@records.frozen
class Problem:
    code: str
    message: str
    severity: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    ref_code: int | None = None
    chain: tuple[str, ...] = ()
    # The name the problem is about (an undefined type, an undeclared plugin), when it names one:
    # what folding lists when the problem follows from an unanswered import (fold.py).
    subject: str | None = None
    # Problems folded into this one because they follow from it (fold.py), in report order.
    folded: tuple["Problem", ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "ref_code": self.ref_code,
            "hint": self.hint,
        }


def sort_key(problem: Problem) -> tuple:
    return (problem.file or "", problem.line or 0, problem.column or 0, problem.code, problem.message)


class Problems:
    """Collects problems from every stage; stages go on where they safely can."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._seen: set[Problem] = set()
        self._spots: set[tuple] = set()

    def add(self, code: str, message: str, mark: Mark | None = None, *, hint: str | None = None,
            severity: str | None = None, chain: Iterable[str] = (), subject: str | None = None) -> Problem:
        row = lookup(code)
        problem = Problem(
            code=code,
            message=message,
            severity=severity or row.severity,
            file=mark.file if mark else None,
            line=mark.line if mark else None,
            column=mark.column if mark else None,
            hint=hint,
            ref_code=row.ref_code,
            chain=tuple(chain),
            subject=subject,
        )
        self._keep(problem)
        return problem

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self._keep(problem)

    def _keep(self, problem: Problem) -> None:
        # The schema validator and the stages' own guards can see the same structural fault;
        # one schema problem per code and position is enough.
        spot = None
        if problem.code.startswith("schema-"):
            spot = (problem.code, problem.file, problem.line, problem.column)
        if problem in self._seen or (spot is not None and spot in self._spots):
            return
        self._seen.add(problem)
        if spot is not None:
            self._spots.add(spot)
        self._items.append(problem)

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self._items)

    def count(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def sorted(self) -> list[Problem]:
        return sorted(self._items, key=sort_key)


class ResolverError(Exception):
    """Raised by `Result.raise_for_problems()` for callers who prefer exceptions; carries them all."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        first = next((p for p in self.problems if p.is_error), None)
        super().__init__(f"{first.code}: {first.message}" if first else "no errors")


__all__ = ["ERROR", "WARNING", "Mark", "Problem", "Problems", "ResolverError"]
