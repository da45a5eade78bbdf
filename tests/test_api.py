"""The library API: `resolve`, `Resolver`, `Result`, `Options`, problems as data, threads, determinism."""
from __future__ import annotations

import json
import os
import posixpath
import threading

import pytest

import resolver
from resolver import CODES, Options, Problem, Resolver, ResolverError, Result, records, resolve
from resolver.records import FrozenRecordError
from resolver.sources import FetchError, Fetched

from .conftest import REPO, BASIC_TYPES, blueprint, node, places, write_tree

EXAMPLE = REPO / "fixtures" / "example"

GOOD = blueprint("""\
    node_templates:
      vm: {type: cloudify.nodes.Compute}
      web:
        type: cloudify.nodes.WebServer
        relationships:
          - {type: cloudify.relationships.contained_in, target: vm}
    """)

WARNED = GOOD + "node_types:\n  my.T: {}\n  my.T: {derived_from: cloudify.nodes.Root}\n"

BROKEN = blueprint("""\
    node_templates:
      web:
        type: cloudify.nodes.Nope
      other:
        type: cloudify.nodes.Root
        properties:
          colour: red
    """)


# --- Result -----------------------------------------------------------------------------------


def test_a_clean_result(bp):
    result = bp({"blueprint.yaml": GOOD})
    assert isinstance(result, Result)
    assert result.ok and result.problems == ()
    assert result.blueprint == str(bp.root / "blueprint.yaml")
    assert result.plan["dsl_version"] == "cloudify_dsl_1_4"
    assert set(result.plan) == {"dsl_version", "imports", "nodes", "workflows", "deployment_plugins_to_install",
                                "host_agent_plugins_to_install", "workflow_plugins_to_install", "install_order"}
    assert set(result.graph.nodes) == {"vm", "web"}
    assert result.raise_for_problems() is result


def test_errors_give_no_plan_and_every_problem_with_its_position(bp):
    result = bp({"blueprint.yaml": BROKEN})
    assert not result.ok
    assert result.plan is None and result.graph is None
    assert places(result, bp.root) == [("node-type-unknown", "blueprint.yaml", 6, 11),
                                       ("property-unknown", "blueprint.yaml", 10, 7)]
    for problem in result.problems:
        assert isinstance(problem, Problem)
        assert problem.severity == "error" and problem.is_error
        assert problem.ref_code == CODES[problem.code].ref_code
        assert problem.message


def test_problems_are_sorted_by_file_line_and_column(bp):
    result = bp({"blueprint.yaml": BROKEN.replace("cloudify.nodes.Nope", "cloudify.nodes.Root\n    colour: 1"),
                 "lib.yaml": "node_types:\n  a: {derived_from: nope}\n"})
    keys = [(p.file or "", p.line or 0, p.column or 0) for p in result.problems]
    assert keys == sorted(keys) and len(keys) >= 2


def test_raise_for_problems_carries_them_all(bp):
    result = bp({"blueprint.yaml": BROKEN})
    with pytest.raises(ResolverError) as caught:
        result.raise_for_problems()
    assert caught.value.problems == result.problems
    assert str(caught.value).startswith("node-type-unknown")


def test_warnings_keep_a_result_ok_unless_strict(bp):
    relaxed = bp({"blueprint.yaml": WARNED})
    assert relaxed.ok and relaxed.plan is not None
    assert [(p.code, p.severity, p.is_error) for p in relaxed.problems] == [("yaml-duplicate-key", "warning", False)]
    strict = bp({"blueprint.yaml": WARNED}, options=Options(strict=True))
    assert not strict.ok and strict.plan is None and strict.graph is None
    assert strict.problems == relaxed.problems
    with pytest.raises(ResolverError):
        strict.raise_for_problems()


def test_problem_as_dict():
    problem = Problem(code="cycle", message="m", severity="error", file="f.yaml", line=3, column=4, hint="h",
                      ref_code=100)
    assert problem.as_dict() == {"code": "cycle", "severity": "error", "message": "m", "file": "f.yaml",
                                 "line": 3, "column": 4, "ref_code": 100, "hint": "h"}


def test_options_and_results_are_frozen(bp):
    with pytest.raises(FrozenRecordError):
        Options().strict = True
    result = bp({"blueprint.yaml": GOOD})
    with pytest.raises(FrozenRecordError):
        result.plan = None


def test_every_code_has_a_severity_and_kebab_case_name():
    for name, code in CODES.items():
        assert code.id == name
        assert code.severity in ("error", "warning")
        assert name == name.lower() and " " not in name and "_" not in name


# --- bad input never raises -------------------------------------------------------------------


def test_a_missing_blueprint_file(tmp_path):
    result = resolve(tmp_path / "missing.yaml")
    assert [p.code for p in result.problems] == ["file-unreadable"]
    assert not result.ok and result.plan is None


def test_a_folder_or_undecodable_file_as_blueprint(tmp_path):
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00 not text")
    for path in (tmp_path, tmp_path / "binary.yaml"):
        result = resolve(path)
        assert [(p.code, p.line, p.column) for p in result.problems] == [("file-unreadable", 1, 1)]


@pytest.mark.parametrize("text", ["- a list\n", "just text\n", "[unclosed\n", "{a: {b: {c: [1, {d: e}]}}}\n",
                                  "tosca_definitions_version: [1]\n", "\t\n"])
def test_odd_documents_give_problems_not_exceptions(tmp_path, text):
    (tmp_path / "odd.yaml").write_text(text)
    result = resolve(tmp_path / "odd.yaml")
    assert not result.ok and result.problems


# --- resolve() and Resolver() -----------------------------------------------------------------


def test_resolve_takes_registry_folders(tmp_path):
    result = resolve(EXAMPLE / "blueprint.yaml", registries=[EXAMPLE / "registry"])
    assert result.ok, result.problems
    assert [n["id"] for n in result.plan["nodes"]] == ["app_network", "web_vm", "orders_db", "shop_app"]
    without = resolve(EXAMPLE / "blueprint.yaml")
    assert "plugin-not-found" in [p.code for p in without.problems]


def test_a_session_shares_parsed_files_across_blueprints(tmp_path):
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "one.yaml": GOOD,
                          "two.yaml": GOOD.replace("web:", "site:")})
    session = Resolver()
    one = session.resolve(tmp_path / "one.yaml")
    two = session.resolve(tmp_path / "two.yaml")
    assert one.ok and two.ok
    assert [n["id"] for n in two.plan["nodes"]] == ["vm", "site"]
    # a second call on the same blueprint gives an equal result
    assert session.resolve(tmp_path / "one.yaml") == one


def _age(*paths, by: int = 3600) -> None:
    """Date the files' modification times `by` seconds back: old enough for a session to keep them."""
    for path in paths:
        then = path.stat().st_mtime_ns - by * 1_000_000_000
        os.utime(path, ns=(then, then))


def _rewrite(path, text):
    """Write `text` over `path` with a modification time a second after the one it had: still old
    (so kept when read), and told apart from the file it replaces by its time alone."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_a_session_reads_a_file_again_once_it_is_edited(tmp_path):
    # an orchestrator's or an editor's session lives long: a blueprint or an import edited (here
    # to the same size, under the same path and inode) is read again, never answered from memory
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "one.yaml": GOOD})
    _age(tmp_path / "types.yaml", tmp_path / "one.yaml")
    session = Resolver()
    assert [n["id"] for n in session.resolve(tmp_path / "one.yaml").plan["nodes"]] == ["vm", "web"]
    assert session.loader._texts.held == len(BASIC_TYPES) + len(GOOD)  # both kept
    _rewrite(tmp_path / "one.yaml", GOOD.replace("web:", "wab:"))
    assert [n["id"] for n in session.resolve(tmp_path / "one.yaml").plan["nodes"]] == ["vm", "wab"]
    _rewrite(tmp_path / "types.yaml", BASIC_TYPES.replace("cloudify.nodes.Root:", "cloudify.nodes.Rooo:", 1))
    edited = session.resolve(tmp_path / "one.yaml")
    assert not edited.ok and "type-parent-unknown" in [p.code for p in edited.problems]
    assert Resolver().resolve(tmp_path / "one.yaml") == edited
    # a file modified this very moment is read, not kept: an edit within the same tick of the file
    # system's clock would leave its size and time as they were
    (tmp_path / "one.yaml").write_text(GOOD, encoding="utf-8")
    _rewrite(tmp_path / "types.yaml", BASIC_TYPES)
    fresh = Resolver()
    assert [n["id"] for n in fresh.resolve(tmp_path / "one.yaml").plan["nodes"]] == ["vm", "web"]
    assert fresh.loader._texts.held == len(BASIC_TYPES)  # the (aged) types.yaml alone


def test_a_session_finds_a_script_put_beside_a_blueprint_it_resolved(tmp_path):
    # the blueprint's folder is listed to rule out scripts that cannot be there: listed again
    # once the folder changed, so the script added between two resolves maps the operation
    scripted = blueprint("""\
        node_templates:
          vm:
            type: cloudify.nodes.Compute
            interfaces:
              cloudify.interfaces.lifecycle:
                create: scripts/create.sh
        """)
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "one.yaml": scripted})
    _age(tmp_path)  # an old folder's listing is kept, and compared with its time on every use
    session = Resolver()
    assert [p.code for p in session.resolve(tmp_path / "one.yaml").problems] == ["operation-unmapped"]
    write_tree(tmp_path, {"scripts/create.sh": "echo created\n"})
    found = session.resolve(tmp_path / "one.yaml")
    assert found.ok and found == Resolver().resolve(tmp_path / "one.yaml")
    assert found.plan["nodes"][0]["operations"]["cloudify.interfaces.lifecycle.create"]["plugin"] == "script"


def test_problems_of_a_shared_file_are_reported_to_every_blueprint(tmp_path):
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES + "workflows:\n  install: default_workflows.x\n",
                          "one.yaml": GOOD, "two.yaml": GOOD})
    session = Resolver()
    first, second = session.resolve(tmp_path / "one.yaml"), session.resolve(tmp_path / "two.yaml")
    assert [p.code for p in first.problems] == [p.code for p in second.problems] == ["yaml-duplicate-key"]


class DictLoader:
    """Files from a dict keyed by absolute POSIX path: nothing is read from disk."""

    def __init__(self, files):
        self.files = files
        self.fetched = []

    def fetch(self, ref, parent, dsl_short):
        key = ref if parent is None or ref.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(parent), ref))
        self.fetched.append(key)
        if key not in self.files:
            raise FetchError(f"no {key}", tried=[key])
        return Fetched(identity=key, shown=key, text=self.files[key], via="memory", resolved=key)

    def fetch_blueprint(self, blueprint_id):
        raise FetchError(f"no blueprint {blueprint_id}")

    def resource_exists(self, base, relative):
        return posixpath.join(posixpath.dirname(base), relative) in self.files


def test_an_injected_loader_answers_every_file():
    loader = DictLoader({"/virtual/bp/blueprint.yaml": GOOD + "  app:\n    type: cloudify.nodes.Root\n"
                                                             "    interfaces:\n      i:\n        go: run.sh\n",
                         "/virtual/bp/types.yaml": BASIC_TYPES, "/virtual/bp/run.sh": "#!/bin/sh\n"})
    result = Resolver(loader=loader).resolve("/virtual/bp/blueprint.yaml")
    assert result.ok, result.problems
    assert loader.fetched == ["/virtual/bp/blueprint.yaml", "/virtual/bp/types.yaml"]
    assert result.plan["imports"][0]["via"] == "memory"
    assert node(result.plan, "app")["operations"]["i.go"]["inputs"] == {"script_path": "run.sh"}


def test_problems_from_an_injected_loader_name_its_files():
    loader = DictLoader({"/virtual/bp/blueprint.yaml": blueprint("", "missing.yaml")})
    result = Resolver(loader=loader).resolve("/virtual/bp/blueprint.yaml")
    assert sorted((p.code, p.file, p.line, p.column) for p in result.problems) == [
        ("import-not-found", "/virtual/bp/blueprint.yaml", 3, 5),
        ("import-not-found", "/virtual/bp/blueprint.yaml", 4, 5)]


def test_lazy_attributes():
    assert resolver.__version__
    assert resolver.resolve is resolve
    with pytest.raises(AttributeError):
        resolver.no_such_thing  # noqa: B018


# --- threads and determinism ------------------------------------------------------------------


def dumped(result) -> str:
    return json.dumps({"plan": result.plan, "problems": [p.as_dict() for p in result.problems]})


def test_eight_threads_sharing_one_resolver_get_identical_plans():
    session = Resolver(registries=[EXAMPLE / "registry"])
    results: list = [None] * 8
    errors: list = []
    barrier = threading.Barrier(8)

    def work(index):
        try:
            barrier.wait()
            results[index] = dumped(session.resolve(EXAMPLE / "blueprint.yaml"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert all(results) and len(set(results)) == 1
    assert json.loads(results[0])["plan"]["install_order"] == ["app_network", "orders_db", "web_vm", "shop_app"]


def test_eight_threads_on_different_blueprints_with_one_resolver(tmp_path):
    files = {"types.yaml": BASIC_TYPES}
    for i in range(8):
        files[f"bp{i}.yaml"] = GOOD.replace("web:", f"web{i}:")
    write_tree(tmp_path, files)
    session = Resolver()
    alone = {i: dumped(Resolver().resolve(tmp_path / f"bp{i}.yaml")) for i in range(8)}
    together: dict = {}
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        together[i] = dumped(session.resolve(tmp_path / f"bp{i}.yaml"))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert together == alone


def test_two_runs_give_byte_identical_json():
    first = dumped(resolve(EXAMPLE / "blueprint.yaml", registries=[EXAMPLE / "registry"]))
    second = dumped(resolve(EXAMPLE / "blueprint.yaml", registries=[EXAMPLE / "registry"]))
    assert first == second


def test_two_runs_with_problems_give_identical_problem_lists(bp):
    first = bp({"blueprint.yaml": BROKEN})
    second = bp({"blueprint.yaml": BROKEN})
    assert dumped(first) == dumped(second)


def test_the_parsed_file_cache_is_bounded_and_changes_no_answer(tmp_path):
    """A long-running session keeps at most `parse_cache_chars` characters of parsed YAML, the
    most recently used files; what it dropped is parsed again, with the same answer."""
    files = {"types.yaml": BASIC_TYPES}
    for index in range(6):
        files[f"lib{index}.yaml"] = f"inputs:\n  in{index}: {{default: {index}}}\n" + "# padding\n" * 30
        files[f"bp{index}.yaml"] = blueprint(f"node_templates:\n  n{index}: {{type: cloudify.nodes.Root}}\n",
                                             f"lib{index}.yaml")
    write_tree(tmp_path, files)
    paths = [tmp_path / f"bp{index}.yaml" for index in range(6)] * 2
    unbounded = Resolver()
    bound = len(BASIC_TYPES) + 2 * len(files["lib0.yaml"]) + 2 * len(files["bp0.yaml"])
    bounded = Resolver(options=Options(parse_cache_chars=bound))
    nothing = Resolver(options=Options(parse_cache_chars=0))
    for path in paths:
        want = unbounded.resolve(path)
        assert want.ok
        for session in (bounded, nothing):
            got = session.resolve(path)
            assert (got.plan, got.problems) == (want.plan, want.problems)
        assert bounded.parsed.held <= bound and bounded.loader._texts.held <= bound
    assert len(nothing.parsed) == 0
    assert 0 < len(bounded.parsed) < len(unbounded.parsed) == 13
    # the shared types file, used by every blueprint, is among the most recently used: still held
    assert any(key for key in bounded.parsed.keys() if "types.yaml" in str(key))


def test_blueprints_read_once_do_not_push_out_what_a_session_s_blueprints_share(tmp_path):
    """Past the bound, the blueprints' documents parsed once go first: a stream of blueprints, each
    read once, leaves the types they all import kept as shared, and the session's memo as it was."""
    files = {f"bp{index}.yaml": blueprint(f"node_templates:\n  n{index}: {{type: cloudify.nodes.Root}}\n")
             for index in range(12)}
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES, **files})
    bound = len(BASIC_TYPES) + 3 * len(files["bp0.yaml"])
    session, unbounded = Resolver(options=Options(parse_cache_chars=bound)), Resolver()
    results = [session.resolve(tmp_path / name) for name in files]
    memo = session.parsed.memo.values
    (types,) = [key for key in session.parsed.keys() if key[1].endswith("types.yaml")]
    assert memo and session.parsed.holds(session.parsed.parse(*types)[0])
    for name in files:  # and once more: what was dropped is parsed again, kept as parsed once again
        results.append(session.resolve(tmp_path / name))
    assert session.parsed.memo.values is memo  # never dropped: no shared document was
    assert session.parsed.held <= bound and len(session.parsed) < len(files) + 1
    assert [(r.plan, r.problems) for r in results] == [
        (r.plan, r.problems) for r in (unbounded.resolve(tmp_path / name) for name in [*files, *files])]


def test_a_blueprint_s_document_is_shared_once_it_is_asked_for_again_an_import_s_at_once():
    from resolver.imports import ParseCache

    cache = ParseCache()
    first = cache.parse("a: 1\n", "one.yaml", main=True)
    assert not cache.holds(first[0]) and len(cache) == 1
    assert cache.parse("a: 1\n", "one.yaml") is first and cache.holds(first[0])
    other = cache.parse("a: 1\n", "other.yaml")  # the same text shown as another file: another document
    assert other[0] is not first[0] and cache.holds(other[0])


def test_blueprints_parsed_once_are_kept_within_a_share_of_the_bound_imports_up_to_all_of_it():
    """A stream of blueprints, each read once, keeps only the last few documents (a sixteenth of
    the bound), where imports may fill the whole bound: a batch's heap does not grow with every
    blueprint it has resolved."""
    from resolver.imports import ONCE_SHARE, ParseCache

    text = "a: 1\n" + "#" * 95 + "\n"  # 101 characters
    cache = ParseCache(max_chars=ONCE_SHARE * 2 * len(text))
    blueprints = [cache.parse(text, f"bp{index}.yaml", main=True) for index in range(10)]
    assert len(cache) == 2 and cache.held == 2 * len(text)
    assert cache.parse(text, "bp9.yaml", main=True) is blueprints[9]  # the last ones are still found
    imports = [cache.parse(text, f"lib{index}.yaml") for index in range(10)]
    assert len(cache) == 12 and all(cache.holds(doc) for doc, _ in imports)
