"""Reporters: render results; they compute nothing and decide no exit code.

Four formats, each a function from a sequence of `Result`s to the text to print (`render` picks one;
`render_pieces` gives its text a result at a time, for a batch printed as it is resolved):

- `to_text`: `path:line:col: severity code message`, then indented `hint:` and `via:` lines, then a
  summary of each plan;
- `to_json`: the `resolver-report` contract (`schemas/report.schema.json`);
- `to_sarif`: SARIF 2.1.0 for code scanning, one run whose rules are the whole code table;
- `to_github`: GitHub Actions workflow commands (`::error file=...::message`), one line a problem.

Paths are shown as the problems carry them; an import chain (absolute paths or URLs, as the loader
identifies files) is shown relative to the current folder when under it, like `Problem.file`.
"""
from __future__ import annotations

import os
import re
from typing import Iterable, Iterator, Mapping

PROBLEM_FORMATS = ("text", "json", "sarif", "github")
FORMATS = PROBLEM_FORMATS + ("dot", "mermaid", "svg")
PICTURES = ("dot", "mermaid", "svg")

REPORT_FORMAT = "resolver-report"
REPORT_VERSION = 1

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# SARIF's tool.driver.informationUri. The project has no public home page yet, so this is the
# documentation of the blueprint DSL whose faults the rules name; point it at the project once it has one.
INFORMATION_URI = "https://docs.cloudify.co/latest/developer/blueprints/"

# A URL scheme of two or more characters ("C:" is a Windows drive, not a scheme).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


# -- shared helpers ------------------------------------------------------------------------------


def _has_scheme(path: str) -> bool:
    return bool(_SCHEME.match(path))


def _under_cwd(path: str) -> str | None:
    """`path` relative to the current folder when it lies under it, else None."""
    try:
        rel = os.path.relpath(os.path.abspath(path))
    except ValueError:  # another drive
        return None
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return rel


def shown_path(path: str) -> str:
    """A file as a person would type it: relative when under the current folder, URLs unchanged."""
    if _has_scheme(path) or not os.path.isabs(path):
        return path
    rel = _under_cwd(path)
    return path if rel is None else rel


def _chain(problem) -> list[str]:
    return [shown_path(entry) for entry in problem.chain]


def _where(problem, blueprint: str) -> tuple[str, int | None, int | None]:
    """The file, line and column a problem points at; the blueprint itself when it has no file."""
    if problem.file is None:
        return blueprint, None, None
    return problem.file, problem.line, problem.column


def use_color(stream, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything but the empty string."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


def render(fmt: str, results, *, color: bool = False, explain: bool = False, lifecycle: bool = False) -> str:
    """Render `results` in `fmt` (one of FORMATS). `explain` adds the version choice to text;
    `lifecycle` the install and uninstall plans to JSON. A picture format takes one result, whose
    problems (if any) are rendered as text instead, since a blueprint with errors has no graph."""
    return "".join(render_pieces(fmt, results, color=color, explain=explain, lifecycle=lifecycle))


def render_pieces(fmt: str, results: Iterable, *, color: bool = False, explain: bool = False,
                  lifecycle: bool = False) -> Iterator[str]:
    """`render`'s text in pieces, each made as `results` (any iterable: `Batch.results()`) gives
    the result it is of, so a caller that prints each piece holds no result after its piece:
    a batch's output costs the memory of one result's, not of all of them at once. The pieces
    joined are `render`'s text, byte for byte. A SARIF log is one piece, at the end, since its
    rules are the codes of every result: until then it keeps each result's problems only."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return _pieces(fmt, results, color, explain, lifecycle)


def _pieces(fmt: str, results: Iterable, color: bool, explain: bool, lifecycle: bool) -> Iterator[str]:
    if fmt in PICTURES:
        (result,) = results
        yield to_text([result], color=color, show_plan=False) if result.plan is None else to_picture(fmt, result)
    elif fmt == "json":
        yield from _json_pieces(results, lifecycle)
    elif fmt == "sarif":
        from . import records

        # each result's problems kept to the end, not its plan, graph or import record
        yield to_sarif([records.replace(r, plan=None, graph=None, imports=None) for r in results])
    else:
        for result in results:
            piece = to_github([result]) if fmt == "github" else to_text([result], color=color, explain=explain)
            if piece:
                yield piece


# -- text ----------------------------------------------------------------------------------------


_COLORS = {"error": "31", "warning": "33", "location": "1", "code": "36", "note": "2"}


def _painter(color: bool):
    if not color:
        return lambda kind, text: text
    return lambda kind, text: f"\033[{_COLORS[kind]}m{text}\033[0m" if kind in _COLORS else text


def _location(problem, fallback: str) -> str:
    path, line, column = _where(problem, fallback)
    if line is None:
        return path
    if column is None:
        return f"{path}:{line}"
    return f"{path}:{line}:{column}"


def to_text(results, *, color: bool = False, show_plan: bool = True, explain: bool = False) -> str:
    lines = []
    paint = _painter(color)
    for result in results:
        for problem in result.problems:
            where = _location(problem, result.blueprint)
            lines.append(f"{paint('location', where)}: {paint(problem.severity, problem.severity)} "
                         f"{paint('code', problem.code)} {problem.message}")
            if problem.hint:
                lines.append(paint("note", f"    hint: {problem.hint}"))
            if len(problem.chain) > 1:
                lines.append(paint("note", f"    via: {' -> '.join(_chain(problem))}"))
        if result.plan is not None and show_plan:
            lines.extend(_plan_text(result.blueprint, result.plan))
            if explain:
                lines.extend(_explain_text(result.plan))
    return "\n".join(lines) + ("\n" if lines else "")


# Why a candidate version won or lost, for --explain (verdicts: registry/choice.py's Candidate).
_VERDICTS = {
    "chosen": "chosen",
    "older": "lost: a newer matching version won",
    "tie": "lost: the same version listed earlier wins",
    "specifier": "lost: outside the version specifier",
    "prerelease": "lost: a pre-release, and the specifier names none",
    "distribution": "lost: built for another distribution",
    "no-wagon": "lost: no wagon a manager could install",
    "no-yaml": "no plugin YAML for this DSL version",
    "wagon-distribution": "lost: its wagons are for other distributions",
    "not-in-lock": "lost: the lock names another version",
}


def _explain_text(plan: dict) -> list[str]:
    """For each `plugin:` import: what it resolved to and from where, then every candidate and why."""
    out = []
    for entry in plan["imports"]:
        if "candidates" not in entry:
            continue
        out.append(f"  explain {entry['import']} -> {entry['package_name']} {entry['package_version']} "
                   f"({entry['yaml_file']}) from {shown_path(entry['registry'])}")
        if entry["specifier"] or entry["distributions"]:
            asked = [f"version {entry['specifier']}"] if entry["specifier"] else []
            asked += [f"distribution {', '.join(entry['distributions'])}"] if entry["distributions"] else []
            out.append(f"    asked: {'; '.join(asked)}")
        for candidate in entry["candidates"]:
            built = f", {candidate['distribution']}" if candidate["distribution"] else ""
            reason = _VERDICTS.get(candidate["verdict"], candidate["verdict"])
            out.append(f"    {candidate['version']}{built} in {shown_path(candidate['registry'])}: {reason}")
    return out


def _plan_text(blueprint: str, plan: dict) -> list[str]:
    out = [f"{blueprint}: {plan['dsl_version']}, {len(plan['nodes'])} nodes, "
           f"install order: {', '.join(plan['install_order']) or '-'}"]
    for entry in plan["imports"]:
        extra = ""
        if "package_name" in entry:
            extra = f" [{entry['package_name']} {entry['package_version']}, {entry['yaml_file']}]"
        elif "types_version" in entry:
            extra = f" [Cloudify types {entry['types_version']}]"
        out.append(f"  import {entry['import']} -> {entry['resolved']} ({entry['via']}){extra}")
    for node in plan["nodes"]:
        host = f", host {node['host_id']}" if node["host_id"] else ""
        out.append(f"  node {node['id']} ({node['type']}{host})")
        for name, op in node["operations"].items():
            if "." in name and op["plugin"]:
                out.append(f"    {name}: {op['plugin']} {op['operation']} [{op['executor']}]")
        for rel in node["relationships"]:
            out.append(f"    -> {rel['target_id']} ({rel['type']})")
            for side in ("source_operations", "target_operations"):
                for name, op in rel[side].items():
                    if "." in name and op["plugin"]:
                        out.append(f"       {side.split('_')[0]} {name}: {op['plugin']} {op['operation']} "
                                   f"[{op['executor']}]")
    for name, wf in plan["workflows"].items():
        out.append(f"  workflow {name}: {wf['plugin']} {wf['operation']}")
    for key in ("deployment_plugins_to_install", "host_agent_plugins_to_install", "workflow_plugins_to_install"):
        out.append(f"  {key}: {', '.join(p['name'] for p in plan[key]) or '-'}")
    return out


# -- json ----------------------------------------------------------------------------------------


def problem_dict(problem) -> dict:
    """One problem as the JSON report shows it: `Problem.as_dict()` plus the import chain, and the
    problems folded into it (fold.py), each with the `subject` it is about, when there are any."""
    out = problem.as_dict()
    out["chain"] = _chain(problem)
    if problem.folded:
        out["folded"] = [dict(problem_dict(p), subject=p.subject) for p in problem.folded]
    return out


def report_dict(results, lifecycle: bool = False) -> dict:
    """The resolver-report document; `lifecycle` adds each plan's install and uninstall plans."""
    return {"format": REPORT_FORMAT, "version": REPORT_VERSION,
            "results": [_result_dict(r, lifecycle) for r in results]}


def _result_dict(result, lifecycle: bool) -> dict:
    """One result as the report's `results` show it."""
    plan = _with_lifecycle(result) if lifecycle and result.plan is not None else result.plan
    return {"blueprint": result.blueprint, "ok": result.ok, "problems": [problem_dict(p) for p in result.problems],
            "plan": plan}


def _with_lifecycle(result) -> dict:
    from .lifecycle import WORKFLOWS

    plans = {w: result.lifecycle(w) for w in WORKFLOWS}  # None where a manager would refuse the deployment
    return dict(result.plan, lifecycle={w: plan.as_dict() if plan is not None else None for w, plan in plans.items()})


def to_json(results, lifecycle: bool = False) -> str:
    """`json.dumps(report_dict(results, lifecycle), indent=2, ensure_ascii=False)` and a newline."""
    return "".join(_json_pieces(results, lifecycle))


# json.dumps's text of a result inside the report: at the depth of the `results` list's items
_ITEM_LEVEL = 2
_ITEM_INDENT = "\n" + "  " * _ITEM_LEVEL


def _json_pieces(results: Iterable, lifecycle: bool) -> Iterator[str]:
    """`to_json`'s text in pieces, as the results come: the document's head (as json.dumps
    writes the report with no result, up to the `results` list's `[`), each result written at the
    depth json.dumps gives the list's items, in pieces as it is written (jsontext.py: a big
    plan's text is never held whole), then the end."""
    from . import jsontext

    empty = jsontext.dumps(report_dict(()))  # ... "results": []\n}
    head, tail = empty[:-len("]\n}")], "\n  ]\n}\n"
    first = True
    for result in results:
        yield (head if first else ",") + _ITEM_INDENT
        yield from jsontext.pieces(_result_dict(result, lifecycle), _ITEM_LEVEL)
        first = False
    yield empty + "\n" if first else tail


def to_picture(fmt: str, result) -> str:
    """The node graph of one resolved blueprint as DOT, Mermaid or SVG (pictures.py).

    Raises pictures.PictureError when SVG is asked and Graphviz cannot make it."""
    from . import pictures

    text = pictures.node_mermaid(result.plan) if fmt == "mermaid" else pictures.node_dot(result.plan)
    return pictures.svg(text) if fmt == "svg" else text


# -- sarif ---------------------------------------------------------------------------------------


def sarif_uri(path: str) -> str:
    """A SARIF artifact URI: relative with forward slashes under the current folder, else absolute."""
    from pathlib import Path
    from urllib.parse import quote

    if _has_scheme(path):
        return path
    rel = _under_cwd(path)
    if rel is not None:
        return quote(rel.replace(os.sep, "/"), safe="/")
    return Path(os.path.abspath(path)).as_uri()


def _sarif_level(severity: str) -> str:
    return "error" if severity == "error" else "warning" if severity == "warning" else "note"


def sarif_rules(codes: Iterable) -> list[dict]:
    return [
        {
            "id": code.id,
            "shortDescription": {"text": code.title},
            "defaultConfiguration": {"level": _sarif_level(code.severity)},
            "properties": {"ref_code": code.ref_code},
        }
        for code in codes
    ]


def _sarif_message(problem) -> str:
    text = problem.message
    if problem.hint:
        text += f"\nhint: {problem.hint}"
    return text


def _sarif_result(problem, blueprint: str, rule_index: Mapping[str, int]) -> dict:
    path, line, column = _where(problem, blueprint)
    physical: dict = {"artifactLocation": {"uri": sarif_uri(path)}}
    if line is not None:
        region = {"startLine": line}
        if column is not None:
            region["startColumn"] = column
        physical["region"] = region
    out: dict = {
        "ruleId": problem.code,
        "level": _sarif_level(problem.severity),
        "message": {"text": _sarif_message(problem)},
        "locations": [{"physicalLocation": physical}],
    }
    if problem.code in rule_index:
        out["ruleIndex"] = rule_index[problem.code]
    if len(problem.chain) > 1:
        chain = problem.chain
        related = []
        for i, entry in enumerate(chain):
            text = "the main blueprint" if i == 0 else f"imported by {shown_path(chain[i - 1])}"
            related.append({"id": i, "physicalLocation": {"artifactLocation": {"uri": sarif_uri(entry)}},
                            "message": {"text": text}})
        out["relatedLocations"] = related
    out["properties"] = {"blueprint": blueprint}
    return out


def sarif_dict(results, codes=None, version: str | None = None) -> dict:
    if codes is None:
        from .codes import CODES
        codes = CODES.values()
    if version is None:
        from . import __version__ as version
    rules = sarif_rules(codes)
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "resolver", "version": version, "informationUri": INFORMATION_URI,
                                "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": [_sarif_result(p, r.blueprint, rule_index) for r in results for p in r.problems],
        }],
    }


def to_sarif(results) -> str:
    from . import jsontext

    return jsontext.dumps(sarif_dict(results)) + "\n"


# -- github --------------------------------------------------------------------------------------


def github_escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(text: str) -> str:
    return github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_path(path: str) -> str:
    if _has_scheme(path):
        return path
    rel = _under_cwd(path)
    return (rel if rel is not None else path).replace(os.sep, "/")


def _github_line(problem, blueprint: str) -> str:
    path, line, column = _where(problem, blueprint)
    command = "error" if problem.severity == "error" else "warning"
    props = [f"file={github_escape_property(_github_path(path))}"]
    if line is not None:
        props.append(f"line={line}")
        if column is not None:
            props.append(f"col={column}")
    props.append(f"title={github_escape_property(problem.code)}")
    text = problem.message
    if problem.hint:
        text += f"\nhint: {problem.hint}"
    if len(problem.chain) > 1:
        text += f"\nvia: {' -> '.join(_chain(problem))}"
    return f"::{command} {','.join(props)}::{github_escape_data(text)}"


def to_github(results) -> str:
    lines = [_github_line(p, r.blueprint) for r in results for p in r.problems]
    return "".join(line + "\n" for line in lines)
