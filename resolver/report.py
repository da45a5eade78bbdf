"""Reporters: render results; they compute nothing."""
from __future__ import annotations

import json


def to_json(results) -> str:
    report = {
        "format": "resolver-report",
        "version": 1,
        "results": [
            {"blueprint": r.blueprint, "ok": r.ok, "problems": [p.as_dict() for p in r.problems], "plan": r.plan}
            for r in results
        ],
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _location(problem, fallback: str) -> str:
    if problem.file is None:
        return fallback
    if problem.line is None:
        return problem.file
    return f"{problem.file}:{problem.line}:{problem.column}"


def to_text(results, *, color: bool = False, show_plan: bool = True) -> str:
    lines = []
    paint = _painter(color)
    for result in results:
        for problem in result.problems:
            where = _location(problem, result.blueprint)
            lines.append(f"{where}: {paint(problem.severity)} {problem.code} {problem.message}")
            if problem.hint:
                lines.append(f"    hint: {problem.hint}")
        if result.plan is not None and show_plan:
            lines.extend(_plan_text(result.blueprint, result.plan))
    return "\n".join(lines) + ("\n" if lines else "")


def _painter(color: bool):
    codes = {"error": "\033[31merror\033[0m", "warning": "\033[33mwarning\033[0m"}
    return (lambda s: codes.get(s, s)) if color else (lambda s: s)


def _plan_text(blueprint: str, plan: dict) -> list[str]:
    out = [f"{blueprint}: {plan['dsl_version']}, {len(plan['nodes'])} nodes, "
           f"install order: {', '.join(plan['install_order']) or '-'}"]
    for entry in plan["imports"]:
        extra = ""
        if "package_name" in entry:
            extra = f" [{entry['package_name']} {entry['package_version']}, {entry['yaml_file']}]"
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
