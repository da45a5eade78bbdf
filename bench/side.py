"""One side of one benchmark case, in a process of its own: `python -m bench.side SIDE` with a JSON
spec on stdin; one JSON line of figures on stdout. The bench measures the process from outside
too (wall-clock, peak RSS), so each case's memory is its own.

SIDE `resolver` (this project), spec `case`:
  blueprint     {"path", "registries", "repeat", "limits"}: a fresh `Resolver` per run, with these
                `Limits` (the largest cases pass the defaults, as users would raise them);
  corpus-fresh  {"corpus", "rows": [[path, [search path...]]...]}: a fresh `Resolver` per blueprint
                (`times` of each, `lists` of the files each read);
  corpus-batch  {"corpus", "rows", "jobs"}: one batch (resolver.batch) with `jobs` processes, each
                result taken and let go as the command line does (Batch.results); with
                one, the distinct files read too.
SIDE `floor` (PyYAML's C loader, each file read and loaded once), spec `case`:
  files         {"files", "repeat"};
  file-lists    {"lists": [[file...]...]}: each list loaded in turn, a file again in every list
                (`times` of each).

Every answer has `peak_mb` (bench/peak.py) and `first`: seconds from the start of the work, the import of the library included,
to the end of the first run (the total, for the corpus cases), as a process started for one job
(a pre-commit hook) pays them; `warm`: the best later run, when `repeat` > 1. The resolver's
answers add what it decided (`ok`, `nodes`, `codes`) and, for the corpus, the files it read.
"""
from __future__ import annotations

import json
import os
import sys
import time

STARTED = time.perf_counter()

from .peak import peak_mb  # noqa: E402 - after the clock starts, as cheap as it is


def resolver_blueprint(spec: dict) -> dict:
    from resolver import Options, Resolver, heap
    from resolver.limits import Limits

    heap.claim()  # the process is the job's, as the command's is (Batch(owns_process=True))

    options = Options(limits=Limits(**spec["limits"]))
    runs, result = [], None
    for _ in range(spec["repeat"]):
        result = None  # the last run's result freed first: the peak is one resolve's, as a user's run has it
        begun = time.perf_counter()
        result = Resolver(registries=spec["registries"], options=options).resolve(spec["path"])
        runs.append(time.perf_counter() - begun)
        if len(runs) == 1:
            first = time.perf_counter() - STARTED
    return {"first": first, "warm": min(runs[1:], default=None), "ok": result.ok,
            "nodes": len(result.plan["nodes"]) if result.plan else None,
            "codes": sorted({p.code for p in result.problems})}


def corpus_session(corpus: str, **options):
    from resolver import Resolver

    return Resolver(registries=[os.path.join(corpus, "plugins")],
                    import_rules=os.path.join(corpus, "import-rules.yaml"),
                    blueprint_catalog=os.path.join(corpus, "blueprint-catalog.yaml"),
                    search_paths=[os.path.join(corpus, "types")], **options)


def files_read(result) -> list[str]:
    """The local files a resolve parsed (the import walk's files), for the floor to read too: a file
    imported by path is known by its path; a plugin YAML from a registry folder (`plugin:name`)
    by the path it was read from, which the walk shows."""
    return local_files(names_read(result))


def names_read(result) -> list[tuple[str, ...]]:
    """What `files_read` needs of a result, taken without looking at the disk: the names each file
    the walk read goes by (for the blueprint alone when there was no walk). A timed batch takes
    these as it goes and asks the disk (`local_files`) once its clock has stopped."""
    if result.imports is None:
        return [(result.blueprint,)]
    return [(file.identity, file.shown) for file in result.imports.files]


def local_files(names) -> list[str]:
    """Of each file's names (`names_read`), the first that is an absolute path to a file, made
    absolute when the file is named by a relative path alone (a blueprint that was not walked)."""
    found = []
    for written in names:
        if len(written) == 1:
            if os.path.isfile(written[0]):
                found.append(os.path.abspath(written[0]))
            continue
        path = next((path for path in written if os.path.isabs(path) and os.path.isfile(path)), None)
        if path is not None:
            found.append(path)
    return found


def resolver_corpus_fresh(spec: dict) -> dict:
    ok, lists, times = 0, [], []
    for path, search in spec["rows"]:
        begun = time.perf_counter()
        result = corpus_session(spec["corpus"]).resolve(path, search_paths=search)
        times.append(time.perf_counter() - begun)
        ok += result.ok
        lists.append(files_read(result))
    return {"first": time.perf_counter() - STARTED, "ok": ok, "lists": lists, "times": times}


def resolver_corpus_batch(spec: dict) -> dict:
    from resolver.batch import Batch
    from resolver.cli import _parser, session_from

    corpus = spec["corpus"]
    args = _parser().parse_args(["--no-cache", "--no-config", "-r", os.path.join(corpus, "plugins"),
                                 "--import-rules", os.path.join(corpus, "import-rules.yaml"),
                                 "--blueprint-catalog", os.path.join(corpus, "blueprint-catalog.yaml"),
                                 "--search-path", os.path.join(corpus, "types"), "-j", str(spec["jobs"]),
                                 "blueprints"])
    session = session_from(args, "bench", ())
    batch = Batch(spec["jobs"], owns_process=True)  # as the command line has it
    key = batch.session(session, args, "bench")
    for path, search in spec["rows"]:
        batch.add(key, path, search)
    ok, names, all_here = 0, set(), True
    for result in batch.results():  # as the command line has them: each let go once it is counted
        ok += result.ok
        if result.imports is None:  # resolved by a worker, which keeps the import walk's record
            all_here = False
        else:
            names.update(names_read(result))
    answer = {"first": time.perf_counter() - STARTED, "ok": ok}
    if all_here:  # resolved here (-j 1): which files were read, found on disk once the clock stopped
        answer["files"] = sorted(set(local_files(names)))
    return answer


def floor_files(spec: dict) -> dict:
    import yaml

    runs = []
    for _ in range(spec["repeat"]):
        begun = time.perf_counter()
        _load_all(yaml, spec["files"])
        runs.append(time.perf_counter() - begun)
        if len(runs) == 1:
            first = time.perf_counter() - STARTED
    return {"first": first, "warm": min(runs[1:], default=None)}


def floor_file_lists(spec: dict) -> dict:
    import yaml

    times = []
    for files in spec["lists"]:
        begun = time.perf_counter()
        _load_all(yaml, files)
        times.append(time.perf_counter() - begun)
    return {"first": time.perf_counter() - STARTED, "times": times}


def _load_all(yaml, files) -> None:
    for path in files:
        with open(path, encoding="utf-8") as handle:
            yaml.load(handle.read(), Loader=yaml.CSafeLoader)  # noqa: S506 - a safe loader


CASES = {
    ("resolver", "blueprint"): resolver_blueprint,
    ("resolver", "corpus-fresh"): resolver_corpus_fresh,
    ("resolver", "corpus-batch"): resolver_corpus_batch,
    ("floor", "files"): floor_files,
    ("floor", "file-lists"): floor_file_lists,
}


def main(argv: list[str]) -> int:
    spec = json.loads(sys.stdin.read())
    answer = CASES[argv[0], spec["case"]](spec)
    answer["peak_mb"] = peak_mb()
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
