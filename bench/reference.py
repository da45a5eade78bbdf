"""The reference parser (cloudify-common 7.0.5 `dsl_parser`), timed in a subprocess.

Its code is never imported into this process: a Python that has it installed runs `DRIVER`,
which parses one blueprint `repeat` times with `parse_from_path` and prints each run's seconds
as it finishes, so runs completed before a timeout are still read.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = "python3 -m venv .ref && .ref/bin/pip install cloudify-common==7.0.5 networkx pyyaml"
FALLBACK = Path("/work/ref/bin/python")

# argv: blueprint path, repeat count, JSON object {plugin import string: plugin YAML path}.
# Output: one `run <seconds>` line per parse, then `nodes <count>`; or `error <text>`.
DRIVER = r'''
import json, sys, time
from urllib.request import url2pathname

from dsl_parser import parser
from dsl_parser.import_resolver.abstract_import_resolver import AbstractImportResolver


class BenchResolver(AbstractImportResolver):
    """Answers the plugin import from a given file and file: URLs from disk; nothing else."""

    def __init__(self, plugins):
        self.plugins = plugins

    def resolve(self, import_url):
        if import_url in self.plugins:
            path = self.plugins[import_url]
        elif import_url.startswith("file:"):
            path = url2pathname(import_url[len("file:"):])
        else:
            raise IOError(f"offline: cannot fetch {import_url}")
        with open(path, encoding="utf-8") as handle:
            return handle.read()

    def retrieve_plugin(self, import_url, **kwargs):
        return None


def main():
    path, repeat, plugins = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    plan = None
    for _ in range(repeat):
        resolver = BenchResolver(plugins)
        started = time.perf_counter()
        try:
            plan = parser.parse_from_path(path, resolver=resolver)
        except Exception as exc:
            code = getattr(exc, "err_code", None)
            print("error", type(exc).__name__, f"(code {code}):" if code else ":", str(exc)[:300],
                  flush=True)
            return 1
        print("run", f"{time.perf_counter() - started:.6f}", flush=True)
    print("nodes", len(plan["nodes"]), flush=True)
    return 0


sys.exit(main())
'''


@dataclass
class Measure:
    """One side's figures for one size (what our run or a reference subprocess reported).
    `status`: ok, timeout, error, skipped."""

    status: str
    runs: list[float] = field(default_factory=list)
    nodes: int | None = None
    detail: str = ""

    @property
    def best(self) -> float | None:
        return min(self.runs) if self.runs else None


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


def time_parse(python: Path, blueprint: Path, plugins: dict[str, str], repeat: int,
               timeout: float) -> Measure:
    """Parse `blueprint` `repeat` times in a fresh reference process, within `timeout` seconds."""
    command = [os.fspath(python), "-c", DRIVER, os.fspath(blueprint), str(repeat), json.dumps(plugins)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=blueprint.parent)
        output, status = done.stdout, "ok" if done.returncode == 0 else "error"
        stderr = done.stderr
    except subprocess.TimeoutExpired as exc:
        output, status, stderr = _text(exc.stdout), "timeout", _text(exc.stderr)
    timing = Measure(status)
    for line in output.splitlines():
        word, _, rest = line.partition(" ")
        if word == "run":
            timing.runs.append(float(rest))
        elif word == "nodes":
            timing.nodes = int(rest)
        elif word == "error":
            timing.detail = rest
    if status == "timeout":
        timing.detail = f"no answer within {timeout:g} s"
    elif status == "error" and not timing.detail:
        timing.detail = (stderr.strip().splitlines() or ["exited with an error"])[-1]
    return timing


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")
