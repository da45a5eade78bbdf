"""The shape sweep: every spot of a blueprint given a value of every other shape, exhaustively.

Where hypothesis (tests/test_fuzz.py) draws mutations at random, this takes a document and, for
every key and item in it, replaces the value by each of SWAPS (a mapping, a list, a list of a
mapping, a number, null, a string, a nested list, a function call) and resolves the result. It
asserts the property a wrong shape must have: problems, never an exception or an
`internal-error`. It is how the checks were found that looked a mapping up as a name.

    python -m tests.shape_sweep [FILE ...]            # the given blueprints
    python -m tests.shape_sweep --corpus 40           # 40 corpus blueprints spread over the manifest

Exit 1, listing each distinct internal error once with the first spot and value that caused it.
`tests/test_robustness.py` sweeps `fixtures/shapes/every-section.yaml` (a blueprint using every
section) in `make test`; `make fuzz` sweeps 40 corpus blueprints.
"""
from __future__ import annotations

import argparse
import copy
import csv
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = (REPO.parent / "shared" / "corpus").resolve()
SWAPS = ({"a": 1}, [], [{"a": 1}], {"a": [1]}, {}, 7, None, "x", [["a"]], {"get_input": ["a"]})


def spots(value, path: tuple = ()) -> Iterator[tuple]:
    """The path of every key's value and every item below `value`, in document order."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield path + (key,)
            yield from spots(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield path + (index,)
            yield from spots(child, path + (index,))


def swapped(document, spot: tuple, swap):
    """A copy of `document` with the value at `spot` replaced by a copy of `swap`."""
    out = copy.deepcopy(document)
    parent = out
    for step in spot[:-1]:
        parent = parent[step]
    parent[spot[-1]] = copy.deepcopy(swap)
    return out


def sweep(path: Path, session, search_paths=(), folder: Path | None = None) -> tuple[int, dict[str, tuple]]:
    """Resolve every swap of the blueprint at `path`; (inputs resolved, {internal error: (spot, swap)})."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        return 0, {}
    folder = folder or Path(tempfile.mkdtemp(prefix="shape-sweep-"))
    faults: dict[str, tuple] = {}
    count = 0
    for spot in spots(document):
        for swap in SWAPS:
            main = folder / f"swept-{count}.yaml"
            main.write_text(yaml.safe_dump(swapped(document, spot, swap), sort_keys=False), encoding="utf-8")
            try:
                result = session.resolve(main, search_paths=search_paths)
                errors = [p.message.splitlines()[0] for p in result.problems if p.code == "internal-error"]
            except Exception as exc:  # the property: nothing escapes
                errors = [f"escaped: {type(exc).__name__}: {exc}"]
            finally:
                main.unlink()
            count += 1
            for error in errors:
                faults.setdefault(error, (spot, swap))
    return count, faults


def _corpus_rows(count: int) -> list[dict]:
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[1::max(1, len(rows) // count)][:count]


def main(argv: list[str] | None = None) -> int:
    from resolver import Options, Resolver

    parser = argparse.ArgumentParser(prog="python -m tests.shape_sweep", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--corpus", type=int, default=0, metavar="N", help="sweep N corpus blueprints too")
    args = parser.parse_args(argv)
    session = Resolver(registries=[CORPUS / "plugins"], import_rules=CORPUS / "import-rules.yaml",
                       search_paths=[CORPUS / "types"], options=Options(allow_outside=True))
    work = [(path, ()) for path in args.files]
    work += [(CORPUS / row["path"], ((CORPUS / row["path"]).parent,)) for row in _corpus_rows(args.corpus)]
    started, total, faults = time.perf_counter(), 0, {}
    for path, search in work:
        count, found = sweep(path, session, search)
        total += count
        for error, where in found.items():
            faults.setdefault(error, (path, *where))
        print(f"{count:6} inputs  {len(found)} faults  {path}", file=sys.stderr)
    for error, (path, spot, swap) in faults.items():
        print(f"{error}\n    first at {path}: {spot} = {swap!r}")
    print(f"shape sweep: {total} inputs from {len(work)} blueprints, {len(faults)} distinct internal errors, "
          f"{time.perf_counter() - started:.0f} s")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
