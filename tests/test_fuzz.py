"""Property-based fuzzing (hypothesis): generated blueprints and mutated corpus files.

For every input, whatever it is:
* no exception escapes `Resolver.resolve`, and no `internal-error` is reported;
* every problem has a code of the table and a position (line and column from 1) in a file it names,
  within that file's lines when the file is on disk;
* the same input gives the same output (problems and plan), from a fresh session too;
* nothing outside the allowed roots is opened (an audit hook records every file opened or listed):
  a `secret/` folder beside the project, which the generated imports and scripts aim at, is never
  touched, and nothing is opened outside the project, the corpus and Python's own installation.

Three sources of input: blueprints generated from the DSL's shapes (with hostile imports and script
paths mixed in), corpus blueprints with bytes mutated (flips, insertions, deletions, repeated or
hostile lines), and corpus blueprints with their structure mutated (keys dropped, values replaced,
subtrees shared, which YAML writes as anchors and aliases).

`make test` runs a bounded, derandomized number of inputs (FUZZ_EXAMPLES per property, default 40);
`make fuzz` runs FUZZ_EXAMPLES=3400 per property (10,200 inputs) with fresh randomness and prints
the count and time (FUZZ_REPORT=1).
"""
from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis", reason="the test extra installs hypothesis (pip install -e '.[test]')")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from resolver import Options, Resolver  # noqa: E402
from resolver.codes import CODES  # noqa: E402

from .audit import opened, outside  # noqa: E402
from .conftest import BASIC_TYPES, REPO, write_tree  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
LONG_RUN = "FUZZ_EXAMPLES" in os.environ and EXAMPLES > 200
SECRET = "FUZZ-SECRET-91c2"
settings.register_profile(
    "fuzz", max_examples=EXAMPLES, deadline=None, database=None, derandomize=not LONG_RUN,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
FUZZ = settings.get_profile("fuzz")
COUNT = {"inputs": 0, "problems": 0, "started": time.perf_counter()}

HOSTILE_IMPORTS = ["../secret/s.yaml", "../../secret/s.yaml", "{secret}/s.yaml", "file://{secret}/s.yaml",
                   "link.yaml", "lib/../../secret/s.yaml", "plugin:../secret?version=1", "plugin:demo?version=1.0",
                   "http://127.0.0.1:9/x.yaml", "resource:../../secret/s.yaml", "blueprint:nope",
                   "ns--lib/a.yaml", "lib/a.yaml", "types.yaml", "missing.yaml", ""]
HOSTILE_SCRIPTS = ["../secret/s.sh", "{secret}/s.sh", "scripts/run.sh", "demo.tasks.run", "nope.op",
                   "%2e%2e/secret/s.sh", "/../../secret/s.sh"]


# -- the scene: a project, a secret beside it, one session ---------------------------------------------


class Scene:
    """One temporary project (with .git, so it is the root), a secret folder beside it, the corpus."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="fuzz-"))
        self.project = self.base / "project"
        self.secret = self.base / "secret"
        write_tree(self.secret, {"s.yaml": f"inputs:\n  x: {{default: {SECRET}}}\n", "s.sh": f"echo {SECRET}\n"})
        write_tree(self.project, {"types.yaml": BASIC_TYPES, "lib/a.yaml": "inputs:\n  a: {default: 1}\n",
                                  "scripts/run.sh": "echo run\n",
                                  "plugins/demo/1.0/plugin.yaml": "plugins:\n  demo: {executor: central_deployment_agent}\n"})
        (self.project / ".git").mkdir()
        (self.project / "link.yaml").symlink_to(self.secret / "s.yaml")
        self.registries = [self.project / "plugins", CORPUS / "plugins"]
        self.session = self.new_session()
        self.allowed = [self.project, CORPUS, REPO / "resolver", REPO / "schemas", REPO / "resolver.egg-info",
                        sys.prefix, sys.base_prefix, os.path.dirname(os.__file__)]
        if sys.pycache_prefix:  # PYTHONPYCACHEPREFIX: a module imported lazily reads its bytecode there
            self.allowed.append(sys.pycache_prefix)
        self.import_path = {os.path.abspath(entry or os.curdir) for entry in sys.path}

    def new_session(self) -> Resolver:
        return Resolver(registries=self.registries, import_rules=CORPUS / "import-rules.yaml",
                        search_paths=[CORPUS / "types"], options=Options())

    def text(self, template: str) -> str:
        return template.replace("{secret}", str(self.secret))

    def check(self, data: bytes, search: tuple = ()) -> None:
        """Resolve `data` as a blueprint of the project and assert every property of the module doc.

        Each input has a file name of its own: a session keeps what it read by path (files do not
        change during a session)."""
        main = self.project / f"blueprint-{COUNT['inputs']}.yaml"
        main.write_bytes(data)
        try:
            self._check(main, data, search)
        finally:
            main.unlink()

    def _check(self, main: Path, data: bytes, search: tuple) -> None:
        with opened() as paths:
            try:
                result = self.session.resolve(main, search_paths=search)
            except Exception as exc:  # the property: nothing escapes
                pytest.fail(f"{type(exc).__name__} escaped resolve: {exc}\ninput: {data[:2000]!r}")
        COUNT["inputs"] += 1
        COUNT["problems"] += len(result.problems)
        assert not [p for p in paths if os.path.realpath(p).startswith(str(self.secret))], "the secret was opened"
        # the import system lists the folders of sys.path (the repository among them) to find metadata
        assert [p for p in outside(paths, self.allowed) if p not in self.import_path] == []
        for problem in result.problems:
            assert problem.code in CODES and problem.code != "internal-error", (problem.code, problem.message)
            assert SECRET not in f"{problem.message} {problem.hint}"
            assert problem.file and problem.line and problem.column, (problem.code, problem.message)
            assert problem.line >= 1 and problem.column >= 1
            _within_file(problem)
        again = self.new_session().resolve(main, search_paths=search)
        if _output(again) != _output(result):
            import difflib

            diff = "\n".join(difflib.unified_diff(_output(result).split(", "), _output(again).split(", "), lineterm="", n=1))
            pytest.fail(f"the same input gave another output:\n{diff[:3000]}\ninput: {data[:1500]!r}")


def _within_file(problem) -> None:
    path = problem.file
    if "://" in path or not os.path.isfile(path):
        return  # a URL, a registry's name for a file, a plugin in an archive
    with open(path, "rb") as handle:
        lines = handle.read().count(b"\n") + 1
    assert problem.line <= lines, (problem.code, problem.file, problem.line, lines)


def _output(result) -> str:
    problems = [p.as_dict() for p in result.problems]
    return json.dumps({"plan": result.plan, "problems": problems}, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def scene():
    made = Scene()
    yield made
    if os.environ.get("FUZZ_REPORT"):
        elapsed = time.perf_counter() - COUNT["started"]
        print(f"\nfuzz: {COUNT['inputs']} inputs resolved (each twice, the second in a fresh session), "
              f"{COUNT['problems']} problems, no escaped exception, {elapsed:.0f} s", file=sys.stderr)


# -- generated blueprints --------------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "web", "db", "vm", "x.y", "cloudify.nodes.Root", "cloudify.nodes.Compute",
                         "cloudify.nodes.WebServer", "t1", "t2", "ns--a", ""])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 10 ** 6), st.floats(allow_nan=False, width=32),
                    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=12), NAMES)
FUNCTIONS = st.one_of(st.fixed_dictionaries({"get_input": NAMES}),
                      st.fixed_dictionaries({"get_property": st.lists(NAMES, min_size=1, max_size=3)}),
                      st.fixed_dictionaries({"get_attribute": st.lists(NAMES, min_size=1, max_size=3)}),
                      st.fixed_dictionaries({"concat": st.lists(SCALARS, max_size=3)}))
VALUES = st.recursive(st.one_of(SCALARS, FUNCTIONS),
                      lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
                      max_leaves=8)
OPERATIONS = st.one_of(st.sampled_from(HOSTILE_SCRIPTS),
                       st.fixed_dictionaries({"implementation": st.sampled_from(HOSTILE_SCRIPTS)},
                                             optional={"inputs": st.dictionaries(NAMES, VALUES, max_size=2),
                                                       "executor": st.sampled_from(["central_deployment_agent",
                                                                                    "host_agent", "x"]),
                                                       "max_retries": st.integers(-2, 3)}))
INTERFACES = st.dictionaries(st.sampled_from(["cloudify.interfaces.lifecycle", "custom"]),
                             st.dictionaries(st.sampled_from(["create", "start", "delete", "op"]), OPERATIONS,
                                             max_size=3), max_size=2)
NODE_TYPES = st.dictionaries(NAMES, st.fixed_dictionaries({}, optional={
    "derived_from": NAMES, "properties": st.dictionaries(NAMES, st.fixed_dictionaries(
        {}, optional={"type": st.sampled_from(["string", "integer", "list", "nope"]), "default": VALUES}),
        max_size=2), "interfaces": INTERFACES}), max_size=4)
NODE_TEMPLATES = st.dictionaries(NAMES, st.fixed_dictionaries({"type": NAMES}, optional={
    "properties": st.dictionaries(NAMES, VALUES, max_size=3), "interfaces": INTERFACES,
    "relationships": st.lists(st.fixed_dictionaries({"type": st.sampled_from(
        ["cloudify.relationships.contained_in", "cloudify.relationships.connected_to", "x"]), "target": NAMES}),
        max_size=2),
    "instances": st.fixed_dictionaries({"deploy": st.integers(-1, 3)})}), max_size=5)
BLUEPRINTS = st.fixed_dictionaries(
    {"tosca_definitions_version": st.sampled_from(["cloudify_dsl_1_3", "cloudify_dsl_1_4", "cloudify_dsl_1_5",
                                                   "cloudify_dsl_9", "", 3])},
    optional={"imports": st.lists(st.sampled_from(HOSTILE_IMPORTS), max_size=5).map(lambda i: ["types.yaml"] + i),
              "inputs": st.dictionaries(NAMES, st.fixed_dictionaries({}, optional={"default": VALUES, "type": NAMES}),
                                        max_size=3),
              "node_types": NODE_TYPES, "node_templates": NODE_TEMPLATES,
              "outputs": st.dictionaries(NAMES, st.fixed_dictionaries({"value": VALUES}), max_size=2),
              "groups": st.dictionaries(NAMES, st.fixed_dictionaries({"members": st.lists(NAMES, max_size=3)}),
                                        max_size=2),
              "description": SCALARS})


@FUZZ
@given(document=BLUEPRINTS)
def test_generated_blueprints(scene, document):
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=200)
    scene.check(scene.text(text).encode("utf-8"))


# -- mutated corpus files --------------------------------------------------------------------------------


def _corpus_samples(count: int = 60) -> list[tuple[Path, Path]]:
    """(blueprint, its folder) of every k-th accepted corpus blueprint, spread over the manifest."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    step = max(1, len(rows) // count)
    return [(CORPUS / row["path"], (CORPUS / row["path"]).parent) for row in rows[::step]]


SAMPLES = _corpus_samples()
needs_corpus = pytest.mark.skipif(not SAMPLES, reason="needs ../shared/corpus beside the repository")
HOSTILE_LINES = [b"\n  - ../secret/s.yaml\n", b"\nx: &a [*a]\n", b"\n" + b"[" * 300, b"\x00\xff\xfe",
                 b"\nimports:\n  - {secret}/s.yaml\n", b"\t", b"\n<<: *nope\n", b"\n---\n", b"&a ", b"*a ",
                 b"\n  create: ../secret/s.sh\n", "caf\u00e9 \u2603".encode("utf-8")]


@st.composite
def byte_mutations(draw, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "hostile"]))
        at = draw(st.integers(0, max(0, len(out) - 1)))
        if kind == "flip" and out:
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del out[at:at + draw(st.integers(1, 40))]
        elif kind == "repeat":
            size = draw(st.integers(1, 200))
            out[at:at] = out[at:at + size] * draw(st.integers(1, 3))
        else:
            out[at:at] = draw(st.sampled_from(HOSTILE_LINES))
    return bytes(out)


@needs_corpus
@FUZZ
@given(data=st.data())
def test_corpus_files_with_bytes_mutated(scene, data):
    path, folder = data.draw(st.sampled_from(SAMPLES))
    mutated = data.draw(byte_mutations(path.read_bytes()))
    scene.check(mutated.replace(b"{secret}", str(scene.secret).encode()), search=(folder,))


def _spots(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _spots(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _spots(child, path + (index,))


@st.composite
def structure_mutations(draw, document):
    for _ in range(draw(st.integers(1, 4))):
        spots = [p for p in _spots(document) if p]
        if not spots:
            break
        where = draw(st.sampled_from(spots))
        parent = document
        for step in where[:-1]:
            parent = parent[step]
        kind = draw(st.sampled_from(["drop", "replace", "share", "hostile"]))
        if kind == "drop":
            del parent[where[-1]]
        elif kind == "replace":
            parent[where[-1]] = draw(VALUES)
        elif kind == "share":  # the same object in two places: YAML writes an anchor and an alias
            other = draw(st.sampled_from(spots))
            target = document
            for step in other[:-1]:
                target = target[step] if isinstance(target, (dict, list)) else None
            try:
                shared = target[other[-1]] if isinstance(target, (dict, list)) else None
            except (KeyError, IndexError, TypeError):
                shared = None
            # never a value that holds the place it goes to: YAML could write it, nothing could read it
            if shared is not None and other != where and not _holds(shared, parent):
                parent[where[-1]] = shared
        else:
            parent[where[-1]] = draw(st.sampled_from(HOSTILE_IMPORTS + HOSTILE_SCRIPTS))
    return document


def _holds(value, needle) -> bool:
    """Whether `needle` (by identity) is `value` or inside it."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if item is needle:
            return True
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


@needs_corpus
@FUZZ
@given(data=st.data())
def test_corpus_files_with_structure_mutated(scene, data):
    path, folder = data.draw(st.sampled_from(SAMPLES))
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        document = {"tosca_definitions_version": "cloudify_dsl_1_4"}
    mutated = data.draw(structure_mutations(document))
    try:
        text = yaml.safe_dump(mutated, sort_keys=False, allow_unicode=True, width=200)
    except (yaml.YAMLError, RecursionError):
        return  # a mutation made something YAML cannot write: there is no input to give
    scene.check(scene.text(text).encode("utf-8"), search=(folder,))
