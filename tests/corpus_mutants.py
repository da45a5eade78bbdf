"""Corpus mutants: real blueprints, changed a little, judged by us and by the reference.

The generator of tests/differential.py writes blueprints from a model of what blueprints hold; this
starts from the ones people wrote. It takes blueprints the reference accepts (corpus oracle status
`ok`), makes each into mutants by one or two small edits of its main file, and has both sides
judge every mutant: the verdict, the reference's error code among ours, and, when both accept, the
plan (tests/differential.py's `compare`). The edits are the mistakes and changes people make to a
working blueprint:

    swap      a value replaced by one of another shape (tests/shape_sweep.py's SWAPS, '' and true)
    drop      a key or an item deleted
    retarget  a string replaced by another string of the same file (a type, a node, an input name)
    rename    a key renamed to another key of the same file
    copy      a value replaced by another value of the same file
    version   tosca_definitions_version set to another DSL version

Mutants are written beside the original in a copy of the corpus's `blueprints/` folder (in a
temporary folder), so their local imports and scripts are found as the original's are; the
reference's other imports are answered from the files the oracle names (tests/reference_lifecycle.py's
table resolver), ours from the corpus as tests/conformance.py resolves it.

    python -m tests.corpus_mutants [--count N] [--seed S] [--per-blueprint K] [--only ID-SUBSTRING]
                                   [--keep DIR] [--max-examples N]

Exit status: 0 no verdict, mapping or crash difference, 1 some, 2 no reference Python or corpus.
"""
from __future__ import annotations

import argparse
import copy
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from tests.conformance import ACCEPTED, DEFAULT_CORPUS, Row, load_rows
from tests.differential import (ASSERTED, REFERENCE_VIEW, Case, Finding, ReferenceBatch, Report,
                                compare, dump, find_reference_python)
from tests.reference_lifecycle import TABLE_RESOLVER, job_for
from tests.shape_sweep import SWAPS, spots

VERSIONS = tuple(f"cloudify_dsl_1_{minor}" for minor in range(6))
EDITS = (("swap", 3), ("drop", 3), ("retarget", 4), ("rename", 1), ("copy", 1), ("version", 1))
MORE_SWAPS = SWAPS + ("", True)

# Each stdin line is a job (tests/reference_lifecycle.py's job_for, plus "index"); the answer is
# REFERENCE_VIEW's, as tests/differential.py's ReferenceBatch reads it.
DRIVER = REFERENCE_VIEW + r'''
import os
from urllib.request import url2pathname
import yaml
from dsl_parser.import_resolver.abstract_import_resolver import AbstractImportResolver
''' + TABLE_RESOLVER + r'''

def main():
    for index, line in enumerate(sys.stdin):
        job = json.loads(line)
        os.chdir(job["cwd"])
        try:
            plan = parser.parse_from_path(job["blueprint"], resources_base_path=job["resources"],
                                          resolver=TableResolver(job))
            answer = {"status": "ok", "plan": view(plan)}
        except Exception as exc:
            code = getattr(exc, "err_code", None)
            answer = {"status": "error", "class": type(exc).__name__,
                      "code": code if isinstance(code, int) else None, "message": str(exc)[:600]}
        answer["index"] = index
        sys.stdout.write("@@DIFF " + json.dumps(answer, default=str, sort_keys=True) + "\n")
        sys.stdout.flush()


main()
'''


@dataclass
class MutantCase(Case):
    """A mutant as tests/differential.py's report shows a case: `repro` is how to make it again."""

    row_id: str = ""

    @property
    def repro(self) -> str:
        return f"--seed {self.seed} --only {self.row_id}, mutant {self.path.name}"

    @property
    def path(self) -> Path:
        return self.folder / self.name


@dataclass
class Mutant:
    row: Row
    number: int
    path: Path  # in the copy
    edits: list[str]


def _strings(document: Any) -> list[str]:
    """Every string of `document` (keys and values), each once, in document order."""
    seen: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, str):
            seen.setdefault(value)
        elif isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str):
                    seen.setdefault(key)
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)
    walk(document)
    return list(seen)


def _at(document: Any, spot: tuple) -> Any:
    for step in spot:
        document = document[step]
    return document


def _show(spot: tuple) -> str:
    return "/".join(str(step) for step in spot) or "(top)"


def edit(document: dict, rng: random.Random) -> str | None:
    """Change `document` in place by one edit drawn from EDITS; what was done, or None when the
    drawn edit had nothing to work on."""
    kind = rng.choices([k for k, _ in EDITS], weights=[w for _, w in EDITS])[0]
    places = list(spots(document))
    if kind == "version":
        version = rng.choice(VERSIONS)
        document["tosca_definitions_version"] = version
        return f"version {version}"
    if not places:
        return None
    if kind == "swap":
        spot, value = rng.choice(places), copy.deepcopy(rng.choice(MORE_SWAPS))
        _at(document, spot[:-1])[spot[-1]] = value
        return f"swap {_show(spot)} = {value!r}"
    if kind == "copy":
        spot, other = rng.choice(places), rng.choice(places)
        if spot[:len(other)] == other or other[:len(spot)] == spot:
            return None
        _at(document, spot[:-1])[spot[-1]] = copy.deepcopy(_at(document, other))
        return f"copy {_show(other)} to {_show(spot)}"
    if kind == "drop":
        spot = rng.choice(places)
        del _at(document, spot[:-1])[spot[-1]]
        return f"drop {_show(spot)}"
    strings = _strings(document)
    if kind == "retarget":
        held = [spot for spot in places if isinstance(_at(document, spot), str)]
        if not held or len(strings) < 2:
            return None
        spot = rng.choice(held)
        value = rng.choice([s for s in strings if s != _at(document, spot)])
        _at(document, spot[:-1])[spot[-1]] = value
        return f"retarget {_show(spot)} = {value!r}"
    keyed = [spot for spot in places if isinstance(spot[-1], str)]
    if not keyed:
        return None
    spot = rng.choice(keyed)
    parent, name = _at(document, spot[:-1]), rng.choice([s for s in strings if s != spot[-1]] or ["x"])
    if name in parent:
        return None
    # a rename keeps the key's place among its siblings
    items = [(name if key == spot[-1] else key, value) for key, value in parent.items()]
    parent.clear()
    parent.update(items)
    return f"rename {_show(spot)} to {name!r}"


def mutants(rows: list[Row], copy_root: Path, corpus: Path, count: int, per_blueprint: int,
            seed: Any) -> Iterator[Mutant]:
    """`count` mutants, `per_blueprint` from each row drawn in turn (deterministic for a seed)."""
    rng = random.Random(f"corpus-mutants:{seed}")
    order = rows[:]
    rng.shuffle(order)
    made = 0
    for row in order:
        try:
            document = yaml.safe_load((corpus / row.path).read_text(encoding="utf-8"))
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            continue
        if not isinstance(document, dict):
            continue
        original = copy.deepcopy(document)
        for number in range(per_blueprint):
            if made >= count:
                return
            document = copy.deepcopy(original)
            edits = [done for done in (edit(document, rng) for _ in range(rng.choice((1, 1, 1, 2))))
                     if done is not None]
            if not edits:
                continue
            target = copy_root / row.path
            path = target.with_name(f"{target.stem}.mutant-{number}.yaml")
            try:
                text = dump(document)
            except yaml.YAMLError:
                continue
            path.write_text(text, encoding="utf-8")
            made += 1
            yield Mutant(row, number, path, edits)


def job_of(mutant: Mutant, corpus: Path, copy_root: Path, empty: Path, index: int) -> str:
    """The driver's line for a mutant: the oracle's import table, the mutant's folder and cwd."""
    from tests.lifecycle_conformance import DERIVED
    imports, derive = {}, []
    for entry in mutant.row.oracle.get("resolved_imports") or ():
        written = entry["import"]
        url = written.split("--", 1)[1] if "--" in written and "://" not in written.split("--", 1)[0] else written
        path = os.fspath(corpus / entry["resolved"])
        imports[url] = imports[written] = path
        if entry["via"].startswith(DERIVED):
            derive += [url, written]
    job = job_for(str(index), mutant.path, cwd=copy_root / mutant.row.cwd if mutant.row.cwd else empty,
                  resources=corpus / "types", imports=imports, derive_1_3=derive)
    import json
    return json.dumps(job)


def run(corpus: Path, count: int, seed: Any, per_blueprint: int, only: str | None, python: Path,
        keep: Path | None = None, timeout: float = 120) -> Report:
    from resolver import Options, Resolver

    started = time.perf_counter()
    rows = [row for row in load_rows(corpus, only=only) if row.verdict == ACCEPTED]
    work = Path(tempfile.mkdtemp(prefix="corpus-mutants-"))
    copy_root = keep or work / "copy"
    try:
        shutil.copytree(corpus / "blueprints", copy_root / "blueprints", dirs_exist_ok=True)
        empty = work / "empty"
        empty.mkdir()
        shards = max(1, min(os.cpu_count() or 1, 2))
        batches = [ReferenceBatch(python, work / f"ref{k}", timeout, driver=DRIVER) for k in range(shards)]
        made: list[Mutant] = []
        for mutant in mutants(rows, copy_root, corpus, count, per_blueprint, seed):
            batches[len(made) % shards].submit(job_of(mutant, corpus, copy_root, empty, len(made)))
            made.append(mutant)
        session = Resolver(registries=[corpus / "plugins"], import_rules=corpus / "import-rules.yaml",
                           blueprint_catalog=corpus / "blueprint-catalog.yaml",
                           search_paths=[corpus / "types"], options=Options(root=os.fspath(copy_root)))
        ours_started = time.perf_counter()
        ours: list[Any] = []
        for mutant in made:
            try:
                ours.append(session.resolve(mutant.path, search_paths=[copy_root / mutant.row.cwd]
                                            if mutant.row.cwd else ()))
            except Exception as exc:  # resolve() must not raise: that is a finding
                ours.append(exc)
        ours_seconds = time.perf_counter() - ours_started
        answers: dict[int, dict] = {}
        for k, batch in enumerate(batches):
            for position, answer in batch.result().items():
                answers[k + position * shards] = answer
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cases, findings = [], []
    for position, mutant in enumerate(made):
        case = MutantCase(name=mutant.path.name, seed=str(seed), index=position,
                          folder=mutant.path.parent, valid=True, mutation="; ".join(mutant.edits),
                          probe="corpus mutant", row_id=mutant.row.id)
        cases.append(case)
        theirs = answers.get(position, {"status": "crash", "message": "no answer"})
        findings += compare(case, ours[position], theirs)
    return Report(cases, findings, os.fspath(python), time.perf_counter() - started, ours_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus_mutants", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="mutants to judge (default 300)")
    parser.add_argument("--seed", default="0", help="mutation seed (default 0)")
    parser.add_argument("--per-blueprint", type=int, default=2, metavar="K",
                        help="mutants made of each blueprint drawn (default 2)")
    parser.add_argument("--only", metavar="SUBSTRING", help="only corpus ids containing this")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the copy and its mutants under DIR and keep them")
    parser.add_argument("--max-examples", type=int, default=3, help="examples shown per kind")
    args = parser.parse_args(argv)
    python, why = find_reference_python()
    if python is None:
        print(f"no reference Python: {why}", file=sys.stderr)
        return 2
    if not (args.corpus / "MANIFEST.tsv").is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    report = run(args.corpus, args.count, args.seed, args.per_blueprint, args.only, python, args.keep)
    text = report.render(args.max_examples)
    print(text.replace("generated blueprints", "corpus mutants", 1))
    return 1 if report.asserted else 0


if __name__ == "__main__":
    sys.exit(main())
