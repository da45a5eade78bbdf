"""The pre-commit hook: `resolver.hook.main` on small trees, then a real `pre-commit` run against a
throw-away copy of this repository."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from resolver import hook
from resolver.api import Resolver

from .conftest import BASIC_TYPES, REPO, blueprint, write_tree

# path:line:col: severity code message
PROBLEM_LINE = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<column>\d+): "
                          r"(?P<severity>error|warning) (?P<code>[a-z0-9-]+) \S")

NODES_FRAGMENT = """\
imports:
  - inner.yaml
node_types:
  my.App:
    derived_from: my.Base
"""
INNER_FRAGMENT = """\
node_types:
  my.Base:
    derived_from: {parent}
"""
APP = """\
tosca_definitions_version: cloudify_dsl_1_4
imports:
  - ../types.yaml
  - lib--../lib/nodes.yaml
node_templates:
  a: {type: lib--my.App}
"""


def problem_lines(stdout: str) -> list[tuple]:
    out = []
    for line in stdout.splitlines():
        match = PROBLEM_LINE.match(line)
        if match:
            out.append((match["path"], int(match["line"]), int(match["column"]), match["severity"], match["code"]))
    return out


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A small repository: blueprints, fragments imported directly and transitively, an orphan."""
    write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "good.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n"),
        "bad.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Nope}\n"),
        "warned.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n"
                                 "  n: {type: cloudify.nodes.Root}\n"),
        "lib/nodes.yaml": NODES_FRAGMENT,
        "lib/inner.yaml": INNER_FRAGMENT.format(parent="cloudify.nodes.Root"),
        "app/main.yaml": APP,
        "orphan.yaml": INNER_FRAGMENT.format(parent="cloudify.nodes.Gone"),
        # flow style: the cheap check does not see the keys; only a --blueprint-glob makes it a blueprint
        "flow/one.yaml": "{tosca_definitions_version: cloudify_dsl_1_4, imports: [../types.yaml],\n"
                         " node_templates: {n: {type: cloudify.nodes.Nope}}}\n",
        "notes.txt": blueprint("node_templates:\n  n: {type: cloudify.nodes.Nope}\n"),
        # never scanned: a broken blueprint importing the fragment from a skipped folder
        ".venv/x.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports:\n  - ../lib/nodes.yaml\n"
                        "node_templates:\n  x: {type: nowhere.Type}\n",
    })
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args):
    code = hook.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def resolved(monkeypatch):
    """The paths the hook resolves, in order, and the number of sessions it opens."""
    calls = {"paths": [], "sessions": 0}
    original_resolve, original_init = Resolver.resolve, Resolver.__init__

    def counting_resolve(self, path, **kwargs):
        calls["paths"].append(os.fspath(path))
        return original_resolve(self, path, **kwargs)

    def counting_init(self, *a, **kw):
        calls["sessions"] += 1
        original_init(self, *a, **kw)

    monkeypatch.setattr(Resolver, "resolve", counting_resolve)
    monkeypatch.setattr(Resolver, "__init__", counting_init)
    return calls


# --- blueprints -----------------------------------------------------------------------------------


def test_a_good_blueprint_passes_silently(tree, capsys):
    assert run(capsys, "good.yaml") == (0, "", "")


def test_a_bad_blueprint_fails_with_path_line_column(tree, capsys):
    code, out, _ = run(capsys, "good.yaml", "bad.yaml")
    assert code == 1
    assert problem_lines(out) == [("bad.yaml", 5, 13, "error", "node-type-unknown")]
    assert "install order" not in out  # problems only, never a plan
    for line in out.splitlines():
        assert PROBLEM_LINE.match(line) or line.startswith(("    hint: ", "    via: "))


def test_warnings_are_printed_but_pass_unless_strict(tree, capsys):
    code, out, _ = run(capsys, "warned.yaml")
    assert code == 0
    assert problem_lines(out) == [("warned.yaml", 6, 3, "warning", "yaml-duplicate-key")]
    code, strict_out, _ = run(capsys, "--strict", "warned.yaml")
    assert code == 1 and problem_lines(strict_out) == problem_lines(out)


def test_detection_by_content_extension_and_glob(tree, capsys, resolved):
    # notes.txt is no YAML, orphan.yaml no blueprint (and imported by nothing), flow/one.yaml not seen by
    # the cheap check: nothing is resolved
    assert run(capsys, "notes.txt", "orphan.yaml", "flow/one.yaml") == (0, "", "")
    assert resolved["paths"] == []
    code, out, _ = run(capsys, "--blueprint-glob", "flow/*.yaml", "notes.txt", "flow/one.yaml")
    assert code == 1 and problem_lines(out) == [("flow/one.yaml", 2, 29, "error", "node-type-unknown")]
    code, out, _ = run(capsys, "--blueprint-glob", "*.txt", "notes.txt")
    assert code == 1 and problem_lines(out) == [("notes.txt", 5, 13, "error", "node-type-unknown")]
    assert resolved["paths"] == ["flow/one.yaml", "notes.txt"]


def test_looks_like_blueprint_is_a_top_level_text_check():
    assert hook.looks_like_blueprint("tosca_definitions_version: x\nnode_templates: {}\n")
    assert hook.looks_like_blueprint("'tosca_definitions_version': x\n\"node_templates\" :\n  a: b\n")
    assert not hook.looks_like_blueprint("tosca_definitions_version: x\nnode_types: {}\n")
    assert not hook.looks_like_blueprint("a:\n  tosca_definitions_version: x\n  node_templates: {}\n")


# --- fragments ------------------------------------------------------------------------------------


def test_a_fragment_is_checked_through_its_importer(tree, capsys, resolved):
    assert run(capsys, "lib/nodes.yaml") == (0, "", "")
    assert resolved["paths"] == [os.path.join("app", "main.yaml")]
    # break the transitively imported fragment: the problem is reported where it is, in the fragment
    (tree / "lib/inner.yaml").write_text(INNER_FRAGMENT.format(parent="cloudify.nodes.Gone"))
    code, out, _ = run(capsys, "lib/inner.yaml")
    assert code == 1
    assert [(path.replace(os.sep, "/"), *rest) for path, *rest in problem_lines(out)] == [
        ("lib/inner.yaml", 3, 19, "error", "type-parent-unknown")]


def test_types_fragment_brings_every_importer_once(tree, capsys, resolved):
    code, out, _ = run(capsys, "types.yaml", "lib/nodes.yaml", "lib/inner.yaml", "good.yaml")
    assert code == 1
    assert resolved["sessions"] == 1
    # the passed blueprint first, then the importers, each once; .venv is never scanned
    assert resolved["paths"] == ["good.yaml", os.path.join("app", "main.yaml"), "bad.yaml", "warned.yaml"]
    assert [p[0] for p in problem_lines(out)] == ["bad.yaml", "warned.yaml"]


def test_json_lists_the_checked_blueprints_without_plans(tree, capsys):
    code, out, _ = run(capsys, "-f", "json", "lib/inner.yaml", "bad.yaml")
    assert code == 1
    report = json.loads(out)
    assert report["format"] == "resolver-report"
    assert [(r["blueprint"].replace(os.sep, "/"), r["ok"], r["plan"]) for r in report["results"]] == [
        ("bad.yaml", False, None), ("app/main.yaml", True, None)]
    assert [(p["code"], p["file"], p["line"], p["column"]) for p in report["results"][0]["problems"]] == [
        ("node-type-unknown", "bad.yaml", 5, 13)]


def test_json_report_matches_the_report_schema(tree, capsys):
    schema_file = REPO / "schemas" / "report.schema.json"
    import jsonschema

    _, out, _ = run(capsys, "-f", "json", "types.yaml", "good.yaml")
    jsonschema.validate(json.loads(out), json.loads(schema_file.read_text()))


@pytest.mark.parametrize("fmt", ["sarif", "github"])
def test_other_report_formats(tree, capsys, fmt):
    code, out, _ = run(capsys, "-f", fmt, "bad.yaml", "good.yaml")
    assert code == 1
    if fmt == "sarif":
        (run_,) = json.loads(out)["runs"]
        assert [r["ruleId"] for r in run_["results"]] == ["node-type-unknown"]
    else:
        assert out.startswith("::error file=bad.yaml,line=5,col=13,title=node-type-unknown::")
        assert len(out.splitlines()) == 1


def test_importers_found_through_search_paths(tmp_path, capsys, monkeypatch, resolved):
    write_tree(tmp_path, {
        "shared/types.yaml": BASIC_TYPES,
        "bps/one.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n"),
    })
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "shared/types.yaml") == (0, "", "")
    assert resolved["paths"] == []  # not beside the blueprint: without the search path, no importer
    assert run(capsys, "--search-path", "shared", "shared/types.yaml") == (0, "", "")
    assert resolved["paths"] == [os.path.join("bps", "one.yaml")]


def test_root_defaults_to_the_git_top_level(tree, capsys, monkeypatch, resolved):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tree)], check=True, env=_git_env())
    monkeypatch.chdir(tree / "lib")
    assert run(capsys, "nodes.yaml") == (0, "", "")
    # outside the working folder, so shown in full (as the resolver shows such files)
    assert resolved["paths"] == [os.path.realpath(tree / "app" / "main.yaml")]
    # an explicit root without the importer: nothing to check
    resolved["paths"].clear()
    assert run(capsys, "--root", ".", "nodes.yaml") == (0, "", "")
    assert resolved["paths"] == []


# --- usage ----------------------------------------------------------------------------------------


def test_no_files_is_a_clean_run(tree, capsys):
    assert run(capsys) == (0, "", "")


@pytest.mark.parametrize("args", [("--no-such-option", "good.yaml"), ("-f", "xml", "good.yaml"),
                                  ("-r", "nowhere", "good.yaml"), ("--root", "nowhere", "good.yaml"),
                                  ("--import-rules", "absent.yaml", "good.yaml")],
                         ids=["unknown-option", "unknown-format", "missing-registry", "missing-root",
                              "absent-rules"])
def test_usage_errors_exit_2(tree, capsys, args):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and err


def test_the_manifest_names_the_console_script():
    import yaml

    (entry,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert entry["id"] == "resolver" and entry["entry"] == "resolver-hook"
    assert entry["language"] == "python" and entry["types"] == ["yaml"] and entry["require_serial"] is True
    assert "resolver-hook = resolver.command:hook" in (REPO / "setup.cfg").read_text()  # command.py: --version, then hook.main


# --- the real thing: pre-commit installs this repository as a hook and runs it ----------------------

REGISTRY_PLUGIN = """\
plugins:
  demo:
    executor: central_deployment_agent
    package_name: demo-plugin
    package_version: '1.0.0'
node_types:
  demo.nodes.Thing:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: demo.demo_plugin.things.create
"""


def _git_env() -> dict:
    """The environment without GIT_* (a test run from inside a git hook must not reach that repository)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.invalid",
               GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.invalid",
               GIT_CONFIG_NOSYSTEM="1")
    return env


def _git(cwd, *args) -> str:
    completed = subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
                               cwd=cwd, env=_git_env(), capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, f"git {' '.join(args)}: {completed.stderr}"
    return completed.stdout


def _working_tree_files() -> list[str]:
    """This repository's files as they are now: tracked and untracked, less what .gitignore ignores."""
    try:
        listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        names = sorted(set(filter(None, listed.split("\0"))))
    except AssertionError:  # not a git checkout: everything but the usual litter
        skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".benchmarks", "build", "dist"}
        names = []
        for folder, dirs, files in os.walk(REPO):
            dirs[:] = [d for d in dirs if d not in skip and not d.endswith(".egg-info")]
            names += [os.path.relpath(os.path.join(folder, f), REPO) for f in files]
    return [n for n in names if (REPO / n).is_file()]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A git repository holding this working tree in one commit: (path, sha) for `repo:` and `rev:`.

    pre-commit clones the hook repository at a rev, so uncommitted work would be invisible in a
    plain clone; copying the working tree and committing it tests exactly what is on disk."""
    target = tmp_path_factory.mktemp("hook-repo")
    for name in _working_tree_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, destination)
    _git(target, "init", "-q")
    _git(target, "add", "--all")
    _git(target, "commit", "-q", "-m", "working tree of resolver, for the hook test")
    return target, _git(target, "rev-parse", "HEAD").strip()


@pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                    reason="pre-commit is not importable (pip install -e '.[test]' brings it)")
def test_pre_commit_runs_the_hook(hook_repo, tmp_path):
    repo_path, sha = hook_repo
    user = tmp_path / "user"
    write_tree(user, {
        "registry/demo-plugin/1.0.0/plugin.yaml": REGISTRY_PLUGIN,
        "types.yaml": BASIC_TYPES,
        "good.yaml": blueprint("node_templates:\n  thing: {type: demo.nodes.Thing}\n", "plugin:demo-plugin"),
        "bad.yaml": blueprint("node_templates:\n  thing: {type: demo.nodes.Thing}\n"
                              "  other: {type: demo.nodes.Missing}\n", "plugin:demo-plugin"),
        ".pre-commit-config.yaml": textwrap.dedent(f"""\
            repos:
              - repo: {json.dumps(str(repo_path))}
                rev: {sha}
                hooks:
                  - id: resolver
                    args: [-r, registry]
            """),
    })
    _git(user, "init", "-q")
    _git(user, "add", "--all")
    env = dict(_git_env(), PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")
    env.pop("PRE_COMMIT", None)

    def pre_commit(*args):
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", *args], cwd=user, env=env,
                              capture_output=True, text=True, timeout=1200)

    good = pre_commit("--files", "good.yaml")  # the first run builds the hook's environment
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"resolver \(Cloudify blueprints\)\.+Passed", good.stdout), good.stdout

    bad = pre_commit("--files", "bad.yaml")
    assert bad.returncode != 0, bad.stdout + bad.stderr
    assert re.search(r"resolver \(Cloudify blueprints\)\.+Failed", bad.stdout), bad.stdout
    assert "bad.yaml:7:17: error node-type-unknown" in bad.stdout, bad.stdout

    # a fragment: checked through both blueprints that import it
    fragment = pre_commit("--files", "types.yaml")
    assert fragment.returncode != 0, fragment.stdout + fragment.stderr
    assert "bad.yaml:7:17: error node-type-unknown" in fragment.stdout
    assert "good.yaml" not in fragment.stdout
