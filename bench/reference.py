"""The reference parser (cloudify-common 7.0.5 `dsl_parser`), run in a subprocess by a driver.

Its code is never imported into this process: a Python that has it installed runs one of the
drivers below with `-c`, a JSON spec as its argument, and prints one JSON line of figures. The
bench measures the process from outside too (wall-clock, peak RSS).

`BLUEPRINT_DRIVER` parses one blueprint `repeat` times with `parse_from_path`, imports answered by
a table {import as written: file} and file: URLs. Spec {"path", "plugins", "repeat"}; answer
{"first": seconds from the driver's start (the import of dsl_parser included) to the end of the
first parse, "runs": [seconds of every parse], "nodes", "error", "peak_mb"}.

`CORPUS_DRIVER` parses corpus blueprints one after the other, each with its own table (the
oracle's `resolved_imports`) and resources folder, from the blueprint's folder or the row's
working folder, until `budget` seconds have passed. Spec {"jobs": [{"blueprint", "cwd",
"resources", "imports"}], "budget"}; answer {"first", "times", "ok", "done", "peak_mb"}.
"""
from __future__ import annotations

import inspect
import os
import subprocess
from pathlib import Path

from .peak import peak_mb

INSTALL_HINT = "python3 -m venv .ref && .ref/bin/pip install cloudify-common==7.0.5 networkx pyyaml"
FALLBACK = Path("/work/ref/bin/python")

_RESOLVER = r'''
import json, os, sys, time
STARTED = time.perf_counter()
from urllib.request import url2pathname

from dsl_parser import parser
from dsl_parser.import_resolver.abstract_import_resolver import AbstractImportResolver


class TableResolver(AbstractImportResolver):
    """Imports from a table {as written: file}, file: URLs from disk; nothing from the network."""

    def __init__(self, table):
        self.table = table

    def resolve(self, import_url):
        if import_url in self.table:
            path = self.table[import_url]
        elif import_url.startswith("file:"):
            path = url2pathname(import_url[len("file:"):])
        else:
            raise IOError(f"offline: cannot fetch {import_url}")
        with open(path, encoding="utf-8") as handle:
            return handle.read()

    def retrieve_plugin(self, import_url, **kwargs):
        return None


def failure(exc):
    code = getattr(exc, "err_code", None)
    return f"{type(exc).__name__}" + (f" (code {code})" if code else "") + f": {str(exc)[:200]}"
''' + inspect.getsource(peak_mb)

BLUEPRINT_DRIVER = _RESOLVER + r'''
spec = json.loads(sys.argv[1])
out = {"runs": [], "nodes": None, "error": None}
for _ in range(spec["repeat"]):
    begun = time.perf_counter()
    try:
        plan = parser.parse_from_path(spec["path"], resolver=TableResolver(spec["plugins"]))
        out["nodes"] = len(plan["nodes"])
    except Exception as exc:
        out["error"] = failure(exc)
    out["runs"].append(time.perf_counter() - begun)
    out.setdefault("first", time.perf_counter() - STARTED)
out["peak_mb"] = peak_mb()
print(json.dumps(out))
'''

CORPUS_DRIVER = _RESOLVER + r'''
spec = json.loads(sys.stdin.read())
out = {"times": [], "ok": 0, "done": 0}
for job in spec["jobs"]:
    if time.perf_counter() - STARTED > spec["budget"]:
        break
    os.chdir(job["cwd"])
    begun = time.perf_counter()
    try:
        parser.parse_from_path(job["blueprint"], resources_base_path=job["resources"],
                               resolver=TableResolver(job["imports"]))
        out["ok"] += 1
    except Exception:
        pass
    out["times"].append(time.perf_counter() - begun)
    out["done"] += 1
    out.setdefault("first", time.perf_counter() - STARTED)
out["peak_mb"] = peak_mb()
print(json.dumps(out))
'''


def find_python(repo: Path) -> tuple[Path | None, str]:
    """The first Python that can import `dsl_parser`: $REF_PYTHON, <repo>/.ref, /work/ref.

    Returns (path, "") or (None, why none was usable).
    """
    candidates = []
    if os.environ.get("REF_PYTHON"):
        candidates.append(Path(os.environ["REF_PYTHON"]))
    candidates += [repo / ".ref" / "bin" / "python", FALLBACK]
    tried = []
    for candidate in candidates:
        if not candidate.exists():
            tried.append(f"{candidate}: absent")
            continue
        try:
            check = subprocess.run([os.fspath(candidate), "-c", "import dsl_parser.parser"],
                                   capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            tried.append(f"{candidate}: {exc}")
            continue
        if check.returncode == 0:
            return candidate, ""
        tried.append(f"{candidate}: no dsl_parser")
    return None, "; ".join(tried)


def version(python: Path) -> str:
    probe = "from importlib.metadata import version; print(version('cloudify-common'))"
    done = subprocess.run([os.fspath(python), "-c", probe], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() or "unknown"
