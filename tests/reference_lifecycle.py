"""The reference's own install and uninstall task graphs, built in a subprocess.

A Python that has cloudify-common 7.0.5 (`.ref`, see bench/reference.py's `find_python`) runs
`DRIVER` on a batch of jobs given as JSON lines on stdin. For each job it parses the blueprint
with `dsl_parser.parser.parse_from_path` (imports answered from a table of files, as the corpus
oracle answered them), prepares the deployment plan with `prepare_deployment_plan`, builds a local
workflow context over an in-memory deployment made from that plan, and calls the reference's
`install` and `uninstall` workflow functions (`cloudify.plugins.workflows`). The task graph they
build is captured when `TaskDependencyGraph.execute` is called, instead of executing anything:
no task runs, and nothing of any plugin is imported (operation tasks only name their function).

The captured graph (every task with its kind, containing subgraph and dependencies) is turned
here, in our process, into what `resolver.lifecycle` computes: the operation tasks with our ids
and the order between them (`project`). Its semantics, read from `cloudify/workflows/
tasks_graph.py`: a task starts after every task it depends on has ended; a subgraph starts
before its members and ends after all of them, so depending on a subgraph means waiting for
all of its members.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Iterable

import networkx as nx

from bench.reference import find_python
from resolver.lifecycle import instance_labels, reduce_order, task_id

REPO = Path(__file__).resolve().parents[1]

# stdin: one JSON job a line: {"key", "blueprint", "cwd", "resources", "imports": {url: path},
# "derive_1_3": [url...], "object_types": [...], "inputs": {...}}. stdout: one JSON line a job:
# {"key", "ok": true, "instances": [...], "install": graph, "uninstall": graph} or
# {"key", "ok": false, "stage": "parse|prepare|install|uninstall", "error": "..."}.
DRIVER_IMPORTS = r'''
import json, os, sys, traceback
from urllib.request import url2pathname

import yaml
from dsl_parser import parser, tasks as dsl_tasks
from dsl_parser.import_resolver.abstract_import_resolver import AbstractImportResolver
from cloudify_rest_client.nodes import Node
from cloudify_rest_client.node_instances import NodeInstance
from cloudify.state import current_workflow_ctx
from cloudify.workflows import tasks_graph
from cloudify.workflows.workflow_context import CloudifyWorkflowContext
from cloudify.plugins import workflows
'''

# The import resolver both drivers here and tests/corpus_mutants.py give the reference: imports
# answered from a table of files (as the corpus oracle answered them), file: URLs from disk, and the
# back-compatible plugin_1_3.yaml a manager derives. Needs `os`, `url2pathname`, `yaml` and
# `AbstractImportResolver` imported before it.
TABLE_RESOLVER = r'''
def derive_1_3(value, object_types, parent=None):
    """The plugin_1_3.yaml a manager derives on upload (REGISTRY.md 5.3), on plain YAML values."""
    if isinstance(value, dict):
        retyped = isinstance(value.get("type"), str) and value.get("type") in object_types
        out = {}
        for key, child in value.items():
            if key == "item_type" or (key == "availability_rules" and parent == "workflow"):
                continue
            if retyped and key == "constraints":
                continue
            if retyped and key == "type":
                out[key] = "string"
                continue
            out[key] = derive_1_3(child, object_types, "workflow" if parent == "workflows" else key)
        return out
    if isinstance(value, list):
        return [derive_1_3(item, object_types, parent) for item in value]
    return value


class TableResolver(AbstractImportResolver):
    """URLs from a table of files (as the oracle answered them), file: URLs from disk."""

    def __init__(self, job):
        self.table = job["imports"]
        self.derive = set(job["derive_1_3"])
        self.object_types = set(job["object_types"])
        self.resources = job["resources"]

    def resolve(self, url):
        if url.startswith("file:"):
            path = url2pathname(url[len("file:"):])
        elif url in self.table:
            path = self.table[url]
        else:
            raise IOError("offline: no answer for " + url)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        if url in self.derive:
            return yaml.safe_dump(derive_1_3(yaml.safe_load(text), self.object_types))
        return text

    def fetch_import(self, url, **kwargs):
        if url.startswith("resource:"):
            # The resources folder, else (a relative import inside a `blueprint:` import, whose
            # own URL has no folder) the file the oracle answered it with.
            name = url[len("resource:"):]
            found = [os.path.join(self.resources, name)]
            found += sorted(p for p in self.table.values() if p.endswith("/" + name))
            path = next((p for p in found if os.path.isfile(p)), found[0])
            return self.resolve("file:" + path)
        return self.resolve(url)

    def retrieve_plugin(self, url, **kwargs):
        return None
'''

DRIVER = DRIVER_IMPORTS + TABLE_RESOLVER + r'''

class AnyValue:
    """A manager's answer for object-typed inputs (deployment_id, node_id...): every value exists."""

    def has_deployment_id(self):
        return True

    def has_blueprint_id(self):
        return True

    def get(self, type_name, value, **kwargs):
        return [value]


class Storage:
    """The in-memory deployment the local workflow context reads."""

    def __init__(self, plan, state):
        self.plan = plan
        self.nodes = [Node(node) for node in plan["nodes"]]
        self.instances = [NodeInstance(dict(instance, state=state)) for instance in plan["node_instances"]]

    def get_nodes(self, *args, **kwargs):
        return self.nodes

    def get_node_instances(self, *args, **kwargs):
        return self.instances

    def get_deployment(self, deployment_id):
        return type("Deployment", (), {"blueprint_id": None})()


def describe(graph):
    tasks = []
    for task in graph.tasks:
        entry = {"id": task.id, "deps": sorted(dep.id for dep in graph._dependencies.get(task, ())),
                 "sub": task.containing_subgraph.id if task.containing_subgraph else None}
        if task.is_subgraph:
            entry["kind"] = "subgraph"
        elif task.is_nop():
            entry["kind"] = "nop"
        else:
            context = task.cloudify_context or {}
            if "operation" in context:
                related = context.get("related")
                entry.update(kind="op", instance=context["node_id"], node=context["node_name"],
                             operation=context["operation"]["name"], plugin=context["plugin"]["name"],
                             function=context["task_name"], executor=context["executor"],
                             side=context["operation"].get("relationship"),
                             related=related["node_id"] if related else None)
            else:
                entry["kind"] = "other"
        tasks.append(entry)
    return tasks


def build(plan, workflow):
    state = "uninitialized" if workflow == "install" else "started"
    ctx = CloudifyWorkflowContext({"local": True, "storage": Storage(plan, state), "deployment_id": "d",
                                   "blueprint_id": "d", "execution_id": "e", "workflow_id": workflow,
                                   "task_retries": 0})
    captured = []

    def capture(graph):
        captured.append(graph)

    original = tasks_graph.TaskDependencyGraph.execute
    tasks_graph.TaskDependencyGraph.execute = capture
    try:
        with current_workflow_ctx.push(ctx, {}):
            getattr(workflows, workflow)(ctx=ctx)
    finally:
        tasks_graph.TaskDependencyGraph.execute = original
    return describe(captured[-1])


def run(job):
    out = {"key": job["key"]}
    os.chdir(job["cwd"])
    stage = "parse"
    try:
        plan = parser.parse_from_path(job["blueprint"], resources_base_path=job["resources"],
                                      resolver=TableResolver(job))
        stage = "prepare"
        plan = dsl_tasks.prepare_deployment_plan(plan, inputs=job["inputs"],
                                                 get_secret_method=lambda key: "secret-" + key,
                                                 values_getter=AnyValue())
        contained = {(node["id"], rel["target_id"]) for node in plan["nodes"]
                     for rel in node.get("relationships") or ()
                     if "cloudify.relationships.contained_in" in rel["type_hierarchy"]}
        out["instances"] = [{"id": i["id"], "node": i["node_id"],
                             "container": next((r["target_id"] for r in i.get("relationships") or ()
                                                if (i["node_id"], r["target_name"]) in contained), None)}
                            for i in plan["node_instances"]]
        for stage in ("install", "uninstall"):
            out[stage] = build(plan, stage)
        out["ok"] = True
    except Exception as exc:
        out.update(ok=False, stage=stage, error=type(exc).__name__ + ": " + str(exc)[:400],
                   where=traceback.format_exc().strip().splitlines()[-3:])
    return out


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line))), flush=True)


main()
'''


class ReferenceUnavailable(RuntimeError):
    """No Python with cloudify-common 7.0.5 was found (`make reference` creates `.ref`)."""


def reference_python() -> Path:
    """The reference Python, or ReferenceUnavailable saying what was tried."""
    python, why = find_python(REPO)
    if python is None:
        raise ReferenceUnavailable(f"no Python with dsl_parser ({why}); run `make reference`")
    return python


def run_jobs(jobs: list[dict], python: Path | None = None, timeout: float = 600) -> dict[str, dict]:
    """Run `jobs` in one reference process; returns key -> the driver's answer.

    A job the process did not answer (a crash or the timeout) is answered with ok false.
    """
    python = python or reference_python()
    stdin = "".join(json.dumps(job) + "\n" for job in jobs)
    # The workflows iterate sets of node instances (hashed by their string ids): a fixed seed
    # makes the reference's graph building, and so any failure of it, repeatable.
    env = dict(os.environ, PYTHONHASHSEED="0")
    try:
        done = subprocess.run([os.fspath(python), "-c", DRIVER], input=stdin, capture_output=True,
                              text=True, timeout=timeout, env=env)
        stdout, detail = done.stdout, done.stderr.strip()[-400:]
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        detail = f"no answer within {timeout:g} s"
    answers = {}
    for line in stdout.splitlines():
        answer = json.loads(line)
        answers[answer["key"]] = answer
    for job in jobs:
        answers.setdefault(job["key"], {"key": job["key"], "ok": False, "stage": "process", "error": detail})
    return answers


def job_for(key: str, blueprint: Path, *, cwd: Path, resources: Path, imports: dict[str, str] | None = None,
            derive_1_3: Iterable[str] = (), inputs: dict | None = None) -> dict:
    from resolver.versions import OBJECT_TYPES

    return {"key": key, "blueprint": os.path.abspath(blueprint), "cwd": os.path.abspath(cwd),
            "resources": os.path.abspath(resources),
            "imports": dict(imports or {}), "derive_1_3": sorted(derive_1_3), "object_types": sorted(OBJECT_TYPES),
            "inputs": dict(inputs or {})}


def _precedence(tasks: list[dict]) -> nx.DiGraph:
    """The graph of start/end events: an edge u -> v means u happens before v."""
    events = nx.DiGraph()
    by_id = {task["id"]: task for task in tasks}

    def start(tid):
        return (tid, "start") if by_id[tid]["kind"] == "subgraph" else tid

    def end(tid):
        return (tid, "end") if by_id[tid]["kind"] == "subgraph" else tid

    for task in tasks:
        events.add_node(start(task["id"]))
        events.add_node(end(task["id"]))
        if task["kind"] == "subgraph":
            events.add_edge(start(task["id"]), end(task["id"]))
        if task["sub"] is not None:
            events.add_edge(start(task["sub"]), start(task["id"]))
            events.add_edge(end(task["id"]), end(task["sub"]))
        for dep in task["deps"]:
            if dep != task["sub"]:  # membership, handled above
                events.add_edge(end(dep), start(task["id"]))
    return events


def project(answer: dict, workflow: str) -> dict:
    """The reference's graph as `resolver.lifecycle` describes one: {"tasks": {id: task}, "order": [[a, b]]}.

    Instance ids are relabelled by our naming rules (`instance_labels`); `order` is the
    transitive reduction of the precedence between operation tasks, sorted.
    """
    instances = answer["instances"]
    labels = instance_labels([(i["id"], i["node"], i["container"]) for i in instances])
    tasks = answer[workflow]
    ops = [t for t in tasks if t["kind"] == "op"]
    ours: dict[str, dict] = {}  # the reference's task id -> the task as we describe it
    seen: set[str] = set()
    for op in ops:
        me = labels[op["instance"]]
        entry = {"node": op["node"], "instance": me, "operation": op["operation"], "plugin": op["plugin"],
                 "function": op["function"], "executor": op["executor"]}
        if op["side"] is None:
            tid = task_id(me, op["operation"])
        else:
            other = labels[op["related"]]
            source, target = (me, other) if op["side"] == "source" else (other, me)
            tid = task_id(source, op["operation"], target=target, side=op["side"])
            entry["relationship"] = {"source": source, "target": target, "side": op["side"]}
        base, n = tid, 1
        while tid in seen:
            n += 1
            tid = f"{base}#{n}"
        seen.add(tid)
        ours[op["id"]] = dict(entry, id=tid)
    events = _precedence(tasks)
    pairs = [(ours[op]["id"], ours[later]["id"]) for op in ours for later in nx.descendants(events, op)
             if later in ours]
    return {"tasks": {task["id"]: task for task in ours.values()}, "order": reduce_order(pairs)}
