"""Output snapshot of the whole corpus, to prove a change leaves every output byte-identical.

Performance work must not change a single byte of what users get. This resolves every corpus
blueprint in one session (as a batch does) and records, per blueprint, the SHA-256 of the JSON
report the command prints with `-f json --lifecycle` (plan, problems with positions, install and
uninstall plans) and of the text report.

    python -m tests.snapshot write FILE        # before the change
    python -m tests.snapshot compare FILE      # after: exit 1 and the first differences if any

`--only SUBSTRING` limits the rows (a quick look); a comparison checks the rows FILE holds.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = (REPO.parent / "shared" / "corpus").resolve()  # the same paths from a worktree elsewhere


def _rows(only: str | None) -> list[dict]:
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [row for row in rows if not only or only in row["path"]]


def digests(only: str | None = None) -> dict[str, dict[str, str]]:
    from resolver import Options, Resolver
    from resolver.report import to_json, to_text

    session = Resolver(registries=[CORPUS / "plugins"], import_rules=CORPUS / "import-rules.yaml",
                       blueprint_catalog=CORPUS / "blueprint-catalog.yaml", search_paths=[CORPUS / "types"],
                       options=Options(allow_outside=True))
    out = {}
    for row in _rows(only):
        search = [CORPUS / row["cwd"]] if row["cwd"] else []
        result = session.resolve(CORPUS / row["path"], search_paths=search)
        out[row["path"]] = {
            "json": hashlib.sha256(to_json([result], lifecycle=True).encode()).hexdigest(),
            "text": hashlib.sha256(to_text([result]).encode()).hexdigest(),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.snapshot", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["write", "compare"])
    parser.add_argument("file")
    parser.add_argument("--only")
    args = parser.parse_args(argv)
    if not (CORPUS / "MANIFEST.tsv").is_file():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    if args.action == "write":
        made = digests(args.only)
        Path(args.file).write_text(json.dumps(made, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(made)} blueprints recorded in {args.file}")
        return 0
    recorded = json.loads(Path(args.file).read_text(encoding="utf-8"))
    now = digests(args.only)
    differ = sorted(path for path in recorded if path in now and now[path] != recorded[path])
    missing = sorted(path for path in recorded if path not in now and not args.only)
    for path in (differ + missing)[:20]:
        print(f"differs: {path}" if path in differ else f"missing: {path}")
    print(f"{len(now)} blueprints compared: {len(differ)} differ, {len(missing)} missing")
    return 1 if differ or missing else 0


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
