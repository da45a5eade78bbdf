"""Many threads in one session, many processes on one cache: the results of one, and no damage.

* Threads: one `Resolver` shared by 8 threads resolving corpus blueprints, different ones and the
  same ones at once, gives every blueprint the output a serial run in a fresh session gives.
* Processes: 8 processes resolve the same corpus blueprints at once, online against one marketplace
  stand-in (loopback), sharing one fresh cache folder: each fills the cache (URL entries, blobs, the
  plugin versions kept in the cache's registry folder) while the others read it. Each gives the
  output one process alone gives, and the cache is whole afterwards: every blob matches its name,
  every URL entry parses and names a blob that is there, no temporary file is left.

The output compared is the plan and the problems (code, file name and position); where a plugin
was read (`resolved`, `via`, `registry`, `candidates`, the folder or URL of a problem's file) may
differ, as it may between two runs of one process: the first run reads the marketplace, later
ones the copy kept in the cache's registry folder.

`make test` takes every CONCURRENCY_STRIDE-th blueprint that imports a `plugin:` (default 40, about
15 of them); `make concurrency` runs them all (CONCURRENCY_STRIDE=1) and prints the time.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resolver import Options, Resolver

from .corpus import CORPUS, PLUGINS, manifest, plugin_target, written_imports

STRIDE = int(os.environ.get("CONCURRENCY_STRIDE", "40"))
PROCESSES = 8
THREADS = 8
LOCATION_FIELDS = ("resolved", "via", "registry", "candidates")
needs_corpus = pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(),
                                  reason="needs ../shared/corpus beside the repository")


def _rows(stride: int) -> list[dict]:
    """Accepted corpus blueprints that import a `plugin:` (so the network sources are used), every
    `stride`-th."""
    out = []
    for row in manifest():
        if not any(plugin_target(w) for w in written_imports(row)):
            continue
        with open(CORPUS / "oracle" / f"{row['id']}.json", encoding="utf-8") as handle:
            if json.load(handle)["status"] == "ok":
                out.append(row)
    return out[::stride]


def output(result) -> str:
    """What must not depend on threads or processes: the plan (but where files were read) and the
    problems' codes and positions."""
    plan = result.plan
    if plan is not None:
        plan = dict(plan, imports=[{k: v for k, v in entry.items() if k not in LOCATION_FIELDS}
                                   for entry in plan["imports"]])
    # a problem in a plugin's YAML names where that file was read (the marketplace URL, or the copy
    # another process kept in the cache): its name and position are what must agree
    problems = [(p.code, p.severity, os.path.basename(p.file or ""), p.line, p.column) for p in result.problems]
    return json.dumps({"plan": plan, "problems": problems}, sort_keys=True, default=str)


def _search(row: dict) -> tuple:
    return (CORPUS / row["cwd"],) if row.get("cwd") else ()


# -- threads ------------------------------------------------------------------------------------------


def _local_session() -> Resolver:
    return Resolver(registries=[PLUGINS], import_rules=CORPUS / "import-rules.yaml",
                    blueprint_catalog=CORPUS / "blueprint-catalog.yaml", search_paths=[CORPUS / "types"],
                    options=Options(root=str(CORPUS)))


@needs_corpus
def test_one_session_from_many_threads_gives_the_serial_results():
    rows = _rows(max(1, STRIDE // 4))
    alone = _local_session()
    serial = {row["id"]: output(alone.resolve(CORPUS / row["path"], search_paths=_search(row))) for row in rows}
    shared = _local_session()
    # every blueprint twice, the copies far apart, so that threads resolve the same and different ones at once
    work = [row for _ in range(2) for row in rows]

    def one(row):
        return row["id"], output(shared.resolve(CORPUS / row["path"], search_paths=_search(row)))

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(one, work))
    assert len(results) == len(work)
    differing = sorted({key for key, got in results if got != serial[key]})
    assert differing == []
    assert all('"plan": null' not in serial[row["id"]] for row in rows)  # every one of them resolved


# -- processes ----------------------------------------------------------------------------------------


def worker(cache: str, url: str, ids: list[str]) -> dict[str, str]:
    """Resolve `ids` online against the marketplace at `url`, with `cache` (one process's share)."""
    rows = {row["id"]: row for row in manifest()}
    session = Resolver(registries=None, cache_dir=cache, import_rules=CORPUS / "import-rules.yaml",
                       blueprint_catalog=CORPUS / "blueprint-catalog.yaml", search_paths=[CORPUS / "types"],
                       options=Options(online=True, marketplace_url=url, allow_private_addresses=True,
                                       root=str(CORPUS)))
    return {key: output(session.resolve(CORPUS / rows[key]["path"], search_paths=_search(rows[key])))
            for key in ids}


def _run_workers(count: int, cache: Path, url: str, ids: list[str], tmp: Path) -> list[dict]:
    """`count` worker processes started together on one cache; their outputs, in start order."""
    listing = tmp / "ids.json"
    listing.write_text(json.dumps(ids), encoding="utf-8")
    outs = [tmp / f"out-{cache.name}-{n}.json" for n in range(count)]
    procs = [subprocess.Popen([sys.executable, "-m", "tests.test_concurrency", "worker", "--cache", str(cache),
                               "--url", url, "--ids", str(listing), "--out", str(out)],
                              cwd=Path(__file__).resolve().parent.parent, stderr=subprocess.PIPE, text=True)
             for out in outs]
    for proc in procs:
        _, err = proc.communicate(timeout=1800)
        assert proc.returncode == 0, err[-3000:]
    return [json.loads(out.read_text(encoding="utf-8")) for out in outs]


def check_cache(root: Path) -> dict[str, int]:
    """Assert the cache folder is whole (see the module doc); count what it holds."""
    leftovers = [p for p in root.rglob(".tmp-*")]
    assert leftovers == []
    blobs = list((root / "blobs").rglob("*")) if (root / "blobs").is_dir() else []
    for blob in (p for p in blobs if p.is_file()):
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name, blob
    entries = [p for p in (root / "urls").rglob("*.json")] if (root / "urls").is_dir() else []
    for entry in entries:
        raw = json.loads(entry.read_text(encoding="utf-8"))
        assert hashlib.sha256(raw["url"].encode("utf-8")).hexdigest() + ".json" == entry.name
        if raw.get("sha256"):
            assert (root / "blobs" / raw["sha256"][:2] / raw["sha256"]).is_file()
    kept = [p for p in (root / "registry").rglob("*.yaml")] if (root / "registry").is_dir() else []
    for path in kept:
        assert path.read_text(encoding="utf-8").strip(), path  # never an empty, half-written file
    return {"blobs": sum(1 for p in blobs if p.is_file()), "entries": len(entries), "kept": len(kept)}


@needs_corpus
def test_processes_sharing_one_cache_give_the_results_of_one(tmp_path):
    from .marketplace_server import corpus_releases, marketplace

    ids = [row["id"] for row in _rows(STRIDE)]
    started = time.perf_counter()
    with marketplace(corpus_releases(PLUGINS)) as market:
        (alone,) = _run_workers(1, tmp_path / "cache-alone", market.url, ids, tmp_path)
        together = _run_workers(PROCESSES, tmp_path / "cache-shared", market.url, ids, tmp_path)
    elapsed = time.perf_counter() - started
    assert sorted(alone) == sorted(ids) and all('"plan": null' not in text for text in alone.values())
    for outputs in together:
        assert [key for key in ids if outputs[key] != alone[key]] == []
    held = check_cache(tmp_path / "cache-shared")
    assert held["blobs"] and held["entries"] and held["kept"]
    # offline now, the shared cache alone gives the same again
    assert worker_offline(tmp_path / "cache-shared", ids) == alone
    if os.environ.get("CONCURRENCY_REPORT"):
        print(f"\nconcurrency: {len(ids)} blueprints, 1 process then {PROCESSES} at once on one cache, "
              f"same outputs; cache {held}; {elapsed:.0f} s", file=sys.stderr)


def worker_offline(cache: Path, ids: list[str]) -> dict[str, str]:
    """The outputs of an offline session reading only `cache` (the marketplace URL answers nothing)."""
    rows = {row["id"]: row for row in manifest()}
    session = Resolver(registries=None, cache_dir=cache, import_rules=CORPUS / "import-rules.yaml",
                       blueprint_catalog=CORPUS / "blueprint-catalog.yaml", search_paths=[CORPUS / "types"],
                       options=Options(marketplace_url="http://127.0.0.1:9", root=str(CORPUS)))
    return {key: output(session.resolve(CORPUS / rows[key]["path"], search_paths=_search(rows[key])))
            for key in ids}


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.test_concurrency")
    parser.add_argument("role", choices=["worker"])
    parser.add_argument("--cache", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ids", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    ids = json.loads(args.ids.read_text(encoding="utf-8"))
    args.out.write_text(json.dumps(worker(args.cache, args.url, ids)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
