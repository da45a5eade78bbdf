"""The schema check's fast path against its detailed path, over every file the corpus resolves.

`schema.check` trusts the compiled check (`schema.fast_checks`) when it says a file is clean and
works out the detailed errors otherwise, as jsonschema would yield them (`schema.own_faults`); that
is right only if the fast check agrees with jsonschema on every file, and the problems with
jsonschema's. This resolves every corpus blueprint in one session (as tests/snapshot.py does),
keeps each file the import walker checks (blueprints, imported files, plugin YAMLs), and compares,
for each file and for MUTANTS structure mutations of it (keys dropped, values of other types,
unknown keys), the fast verdict with "the detailed path reports no problem", and the problems
`check` reports with those jsonschema's detailed path reports, one by one and in order.

    python -m tests.schema_equivalence                # the whole corpus; exit 1 on any disagreement
    python -m tests.schema_equivalence --stride 40    # every 40th row (a quick look)

It prints the counts and the time each path took over the unmutated files.
"""
from __future__ import annotations

import argparse
import copy
import csv
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from resolver import schema
from resolver.load import Map, Seq
from resolver.problems import Problems

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"

# Values a mutation writes: every YAML type, the strings the schemas' enums and `if` name, and
# mappings shaped like the sections they may land in.
JUNK: tuple = (
    5, -5, 0, 2.0, 1.5, True, False, None, "", "text", "relationships", "host_agent",
    "central_deployment_agent", "cloudify_dsl_1_4", [], ["a", 5], [{"type": "T"}], {}, {"zz": 1}, {5: "x"},
    {None: 1}, {True: "x"}, {"relationships": []}, {"type": "T"}, {"type": 5}, {"implementation": 3},
    {"executor": "host_agent"}, {"values": ["a"]}, {"value": 1}, {"members": []}, {"deploy": 1.0},
    {"type": "R", "target": "n"}, {"workflow": "w", "since": "+1h"},
)
# Keys an added entry gets: unknown ones, names that are not strings, and known keys out of place.
KEYS: tuple = ("bogus", 5, None, True, 1.5, "relationships", "type", "properties", "inputs", "value",
               "executor", "imports", "tosca_definitions_version")
MUTATIONS = ("drop", "replace", "add")


def corpus_documents(stride: int = 1) -> list[tuple[str, Any, str]]:
    """(file shown, document, schema kind) of every file checked while resolving every
    `stride`-th corpus row, each file once."""
    from resolver import Options, Resolver
    from resolver import imports as imports_stage

    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[::stride]
    seen: list[tuple[str, Any, str]] = []
    original = imports_stage.check_schema

    def recording(doc, kind, problems):
        seen.append((str(doc.mark.file) if doc.mark else "?", doc, kind))
        original(doc, kind, problems)

    session = Resolver(registries=[CORPUS / "plugins"], import_rules=CORPUS / "import-rules.yaml",
                       blueprint_catalog=CORPUS / "blueprint-catalog.yaml", search_paths=[CORPUS / "types"],
                       options=Options(allow_outside=True))
    imports_stage.check_schema = recording
    try:
        for row in rows:
            search = [CORPUS / row["cwd"]] if row["cwd"] else []
            session.resolve(CORPUS / row["path"], search_paths=search)
    finally:
        imports_stage.check_schema = original
    return seen


def containers(value) -> list:
    """Every mapping and list in `value`, `value` first, each once (YAML aliases share one)."""
    found: dict[int, Any] = {}
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, (dict, list)) and id(item) not in found:
            found[id(item)] = item
            pending.extend(reversed(list(item.values() if isinstance(item, dict) else item)))
    return list(found.values())


def mutate(doc, choices: list[tuple[int, str, int, int]]):
    """A deep copy of `doc` with one mutation per (container index, mutation, junk index, key
    index); indexes wrap around, so any integers make a valid mutation."""
    doc = copy.deepcopy(doc)
    for where, mutation, junk, key in choices:
        found = containers(doc)
        target = found[where % len(found)]
        value = _fresh(JUNK[junk % len(JUNK)], junk)
        if mutation == "add" and isinstance(target, dict):
            target[KEYS[key % len(KEYS)]] = value
        elif mutation == "add":
            target.append(value)
        elif not target:
            continue
        elif isinstance(target, dict):
            name = list(target)[key % len(target)]
            if mutation == "drop":
                del target[name]
            else:
                target[name] = value
        elif mutation == "drop":
            del target[key % len(target)]
        else:
            target[key % len(target)] = value
    return doc


def _fresh(value, salt: int):
    """A copy of a junk value, as the loader's Map and Seq or as plain dict and list by turns."""
    if isinstance(value, dict):
        items = {name: _fresh(item, salt) for name, item in value.items()}
        return Map(items) if salt % 2 else items
    if isinstance(value, list):
        items = [_fresh(item, salt) for item in value]
        return Seq(items) if salt % 2 else items
    return value


def agree(doc, kind: str) -> tuple[bool, bool]:
    """(fast verdict, detailed verdict): each true when that path finds the file clean."""
    problems = Problems()
    schema.check_detailed(doc, kind, problems)
    return schema.fast_checks()[kind](doc), not list(problems)


def same_problems(doc, kind: str) -> bool:
    """Whether `check` reports exactly the problems jsonschema's detailed path reports, in the same
    order (the errors it works out without jsonschema, `schema.own_faults`, are jsonschema's)."""
    ours, theirs = Problems(), Problems()
    schema.check(doc, kind, ours)
    schema.check_detailed(doc, kind, theirs)
    return list(ours) == list(theirs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.schema_equivalence", description=__doc__.splitlines()[0])
    parser.add_argument("--stride", type=int, default=1, help="every N-th corpus row (default: all)")
    parser.add_argument("--mutants", type=int, default=6, help="mutated copies of each file (default: 6)")
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args(argv)
    if not (CORPUS / "MANIFEST.tsv").is_file():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    documents = corpus_documents(args.stride)
    start = time.perf_counter()
    fast = [schema.fast_checks()[kind](doc) for _, doc, kind in documents]
    fast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    detailed = []
    for _, doc, kind in documents:
        problems = Problems()
        schema.check_detailed(doc, kind, problems)
        detailed.append(not list(problems))
    detailed_seconds = time.perf_counter() - start
    disagreements = [(shown, "as read") for (shown, _, _), a, b in zip(documents, fast, detailed) if a != b]
    disagreements += [(shown, "as read, problems") for shown, doc, kind in documents if not same_problems(doc, kind)]
    rng = random.Random(args.seed)
    mutants = faulty = 0
    for shown, doc, kind in documents:
        for _ in range(args.mutants):
            choices = [(rng.randrange(1 << 16), rng.choice(MUTATIONS), rng.randrange(1 << 16), rng.randrange(1 << 16))
                       for _ in range(rng.randint(1, 4))]
            mutant = mutate(doc, choices)
            verdicts = agree(mutant, kind)
            mutants += 1
            faulty += not verdicts[1]
            if verdicts[0] != verdicts[1]:
                disagreements.append((shown, f"mutated {choices}"))
            if not same_problems(mutant, kind):
                disagreements.append((shown, f"mutated {choices}, problems"))
    for shown, how in disagreements[:20]:
        print(f"disagree: {shown} ({how})")
    kinds = {kind: sum(1 for _, _, k in documents if k == kind) for kind in schema.SCHEMA_FILES}
    print(f"{len(documents)} files ({', '.join(f'{n} {k}' for k, n in kinds.items())}), "
          f"{len(documents) - sum(detailed)} with schema problems; "
          f"fast path {fast_seconds:.2f} s, detailed path {detailed_seconds:.2f} s over them")
    print(f"{mutants} mutants, {faulty} with schema problems; {len(disagreements)} disagreements")
    return 1 if disagreements else 0


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
