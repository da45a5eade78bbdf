"""The lifecycle plan: what the `install` and `uninstall` workflows run, and what waits for what.

Computed statically from the resolved model, by the rules of the reference's workflow code
(cloudify-common 7.0.5, `cloudify/plugins/lifecycle.py` and `cloudify/workflows/tasks_graph.py`):

- Node instances: a node has `capabilities.scalable.properties.default_instances` (or
  `instances.deploy`) instances, default 1, times the `default_instances` of each scaling group
  (a `cloudify.policies.scaling` policy's target) it belongs to and its container does not; a
  contained node has that many under each instance of its container. A relationship that is not
  containment links a source instance with every target instance (`all_to_one`: the first),
  restricted to the same instance of the scaling groups both belong to. Relationships of one
  node to the same target node collapse into the last one declared, as the reference's instance
  graph (one edge per pair) and workflow context (one relationship per target) collapse them.
- Inside one instance, install runs: validation.create, precreate, create, the relationships'
  preconfigure, configure, postconfigure, start, on a `cloudify.nodes.Compute` the host steps
  (host.get_state, the agent's create and start or worker_installer install and start unless the
  agent's install method is `none`, monitoring_agent install and start), poststart,
  monitoring.start, the relationships' establish. Uninstall runs validation.delete,
  monitoring.stop, prestop, the host's agent and monitoring stop steps, stop, unlink (relationship
  groups in reverse order), delete, postdelete. Each in sequence; relationship operations of
  one target node (source and target side, every target instance) run at the same time, target
  nodes one after the other. An operation with no implementation runs nothing and is no task.
- Across instances: install runs an instance after everything of each instance it has a
  relationship to; uninstall the reverse. A relationship with an `operation` property
  (`cloudify.relationships.depends_on_lifecycle_operation`) waits only for that lifecycle
  operation of the target (uninstall: the target waits for the source's), and for the task that
  directly follows it in that instance's sequence when that is an operation; none when the target
  does not run that operation.

Output: tasks with stable ids, `order` (the transitive reduction of "must end before starts",
sorted) and `steps` (each task in the earliest step all its predecessors allow).
"""
from __future__ import annotations

import itertools
import graphlib
from typing import Any, Iterable, Sequence

from . import records
from .checks.deployment import (CONTAINED_IN, collapsed, container, deploy_count, evaluate, faults, groups_outward,
                                input_values, scaling_groups)
from .graph import lexicographic_order

WORKFLOWS = ("install", "uninstall")

COMPUTE = "cloudify.nodes.Compute"
LIFECYCLE = "cloudify.interfaces.lifecycle."
RELATIONSHIP_LIFECYCLE = "cloudify.interfaces.relationship_lifecycle."
# Agent install methods whose agent is started by the workflow after `create`, and those whose
# agent is stopped through AMQP on uninstall (cloudify/constants.py).
AGENT_STARTED_AFTER_CREATE = ("plugin", "init_script")
AGENT_SCRIPT_METHODS = ("init_script", "provided", "plugin")


@records.frozen
class Instance:
    """One node instance: `id` by the naming rules, its node, and the instance containing it."""

    id: str
    node: str
    host: str | None


@records.frozen
class Task:
    """One operation the workflow executes (see the module docstring for `id`)."""

    id: str
    node: str
    instance: str
    operation: str
    plugin: str
    function: str
    executor: str | None
    relationship: dict | None = None

    def as_dict(self) -> dict:
        out = {"id": self.id, "node": self.node, "instance": self.instance, "operation": self.operation,
               "plugin": self.plugin, "function": self.function, "executor": self.executor}
        if self.relationship is not None:
            out["relationship"] = dict(self.relationship)
        return out


@records.frozen
class Lifecycle:
    """A workflow's plan: instances, tasks (sorted by id), order pairs and steps."""

    workflow: str
    instances: tuple[Instance, ...]
    tasks: tuple[Task, ...]
    order: tuple[tuple[str, str], ...]
    steps: tuple[tuple[str, ...], ...]

    @property
    def graph(self):
        """Tasks as nodes (with their fields), order pairs as edges: a networkx DiGraph, imported
        here (the plan itself needs no graph library)."""
        import networkx as nx

        graph = nx.DiGraph()
        for task in self.tasks:
            graph.add_node(task.id, **task.as_dict())
        graph.add_edges_from(self.order)
        return graph

    def as_dict(self) -> dict:
        return {"instances": [records.as_dict(i) for i in self.instances],
                "tasks": [t.as_dict() for t in self.tasks],
                "order": [list(pair) for pair in self.order],
                "steps": [list(step) for step in self.steps]}


# -- naming rules, shared with the reference harness --------------------------------------------


def task_id(instance: str, operation: str, *, target: str | None = None, side: str | None = None) -> str:
    """`<instance>:<operation>`, or `<source>-><target>:<operation>:<side>` for a relationship's."""
    if side is None:
        return f"{instance}:{operation}"
    return f"{instance}->{target}:{operation}:{side}"


def instance_labels(instances: Iterable[tuple[str, str, str | None]]) -> dict[str, str]:
    """Names for instances given as (key, node, container key) in creation order: the node id
    when the node has one instance, else `<node>[k]`, k from 0, ordered by their container's
    order and then by creation order."""
    instances = list(instances)
    container = {key: host for key, _, host in instances}
    position = {key: index for index, (key, _, _) in enumerate(instances)}
    ranks: dict[str, tuple] = {}

    def rank(key: str) -> tuple:
        if key not in ranks:
            host = container[key]
            ranks[key] = (rank(host) if host in container else ()) + (position[key],)
        return ranks[key]

    per_node: dict[str, list[str]] = {}
    for key, node, _ in instances:
        per_node.setdefault(node, []).append(key)
    labels = {}
    for node, keys in per_node.items():
        for k, key in enumerate(sorted(keys, key=rank)):
            labels[key] = node if len(keys) == 1 else f"{node}[{k}]"
    return labels


def reduce_order(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The transitive reduction of a precedence relation (acyclic) given as pairs, sorted: a pair
    stays when nothing else after its first task comes before its second.

    What comes after each task is a bit set (an int), built successors first, so each pair is
    decided by one AND. Raises graphlib.CycleError when the pairs form a cycle."""
    after: dict[str, set[str]] = {}
    for first, then in pairs:
        after.setdefault(first, set()).add(then)
    bit: dict[str, int] = {}
    later: dict[str, int] = {}  # every task after this one, as bits
    for task in graphlib.TopologicalSorter(after).static_order():  # successors come out first
        bit[task] = 1 << len(bit)
        below = 0
        for then in after.get(task, ()):
            below |= bit[then] | later[then]
        later[task] = below
    reduced = []
    for first, thens in after.items():
        implied = 0
        for then in thens:
            implied |= later[then]
        reduced.extend((first, then) for then in thens if not bit[then] & implied)
    return tuple(sorted(reduced))


def steps_of(task_ids: Iterable[str], order: Sequence[tuple[str, str]]) -> tuple[tuple[str, ...], ...]:
    """Each task in the first step after all its predecessors' steps; steps' ids sorted."""
    before: dict[str, list[str]] = {task: [] for task in task_ids}
    for first, then in order:
        before.setdefault(first, [])
        before.setdefault(then, []).append(first)
    level: dict[str, int] = {}
    for task in graphlib.TopologicalSorter(before).static_order():
        level[task] = max((level[p] + 1 for p in before[task]), default=0)
    steps: dict[int, list[str]] = {}
    for task, index in level.items():
        steps.setdefault(index, []).append(task)
    return tuple(tuple(sorted(steps[i])) for i in sorted(steps))


def _first_tasks(events: dict[Any, set], tasks: dict) -> list[tuple[str, str]]:
    """For every task, the tasks reached from it through events that are not tasks (an
    instance's begin and end): the precedence between tasks, with the same transitive closure
    as the events graph has between tasks, and as few pairs as the graph has edges."""
    first: dict[Any, set] = {}
    for event in graphlib.TopologicalSorter(events).static_order():  # successors come out first
        reached = set()
        for then in events.get(event, ()):
            if then in tasks:
                reached.add(then)
            else:
                reached |= first[then]
        first[event] = reached
    return [(task, then) for task in tasks for then in first.get(task, ())]


# -- the model's view ---------------------------------------------------------------------------


@records.mutable
class _Made:
    key: str
    node: str
    host: str | None
    groups: dict  # scaling group -> the identity of its instance this instance lies in


def make_instances(model, blueprint, inputs: dict) -> list[_Made]:
    """Every node instance, containers first, in creation order."""
    templates = blueprint.section("node_templates") or {}
    by_id = {node.id: node for node in model.nodes}
    sizes, parents = scaling_groups(blueprint, inputs)
    containers = {node.id: container(node) for node in model.nodes}
    position = {node.id: i for i, node in enumerate(model.nodes)}
    made: list[_Made] = []
    of_node: dict[str, list[_Made]] = {}
    # containers first; of the nodes ready, the first declared
    inside = {node_id: [c] if c in by_id else [] for node_id, c in containers.items()}
    for node_id in lexicographic_order(inside, key=position.__getitem__):
        holder = containers[node_id] if containers[node_id] in by_id else None
        inherited = set(groups_outward(holder, parents)) if holder else set()
        own = [g for g in groups_outward(node_id, parents) if g not in inherited]
        own_count = deploy_count(templates.get(node_id), inputs)
        hosts = of_node.get(holder, []) if holder else [None]
        for host in hosts:
            base = dict(host.groups) if host else {}
            for indices in itertools.product(*(range(sizes[g]) for g in own)):
                groups = dict(base)
                identity: tuple = (host.key if host else None,)
                for group, index in zip(own, indices):
                    identity += (group, index)
                    groups[group] = identity
                for _ in range(own_count):
                    instance = _Made(f"{node_id}#{len(of_node.get(node_id, []))}", node_id,
                                     host.key if host else None, groups)
                    made.append(instance)
                    of_node.setdefault(node_id, []).append(instance)
    return made


def _targets(source: _Made, rel, of_node: dict[str, list[_Made]]) -> list[_Made]:
    candidates = of_node.get(rel.target_id, [])
    if CONTAINED_IN in rel.type_hierarchy:
        return [c for c in candidates if c.key == source.host]
    shared = [g for g in source.groups if candidates and g in candidates[0].groups]
    candidates = [c for c in candidates if all(c.groups.get(g) == source.groups[g] for g in shared)]
    if rel.properties.get("connection_type") == "all_to_one":
        return candidates[:1]
    return candidates


# -- the plan -----------------------------------------------------------------------------------


def _install_method(properties: dict) -> Any:
    install_agent = properties.get("install_agent")
    if install_agent is False:
        return "none"
    if install_agent is True:
        return "remote"
    config = properties.get("agent_config")
    return config.get("install_method") if isinstance(config, dict) else None


class _Builder:
    def __init__(self, model, blueprint, workflow: str, inputs: dict | None) -> None:
        self.workflow = workflow
        self.install = workflow == "install"
        self.inputs = input_values(blueprint, inputs)
        self.nodes = {node.id: node for node in model.nodes}
        self.made = make_instances(model, blueprint, self.inputs)
        self.of_node: dict[str, list[_Made]] = {}
        for inst in self.made:
            self.of_node.setdefault(inst.node, []).append(inst)
        self.labels = instance_labels((m.key, m.node, m.host) for m in self.made)
        self.links = {m.key: [(rel, t) for rel in collapsed(self.nodes[m.node])
                              for t in _targets(m, rel, self.of_node)] for m in self.made}
        self.tasks: dict[str, Task] = {}
        self.events: dict[Any, set] = {}  # what each task or instance event comes before

    # A stage is a list of task ids that run at the same time; an instance runs its stages in turn.
    def _node_task(self, inst: _Made, operation: str) -> list[str]:
        op = self.nodes[inst.node].operations.get(operation)
        if op is None or not op.operation:
            return []
        me = self.labels[inst.key]
        return [self._add(Task(task_id(me, operation), inst.node, me, operation, op.plugin, op.operation,
                               op.executor))]

    def _add(self, task: Task) -> str:
        tid, n = task.id, 1
        while tid in self.tasks:
            n += 1
            tid = f"{task.id}#{n}"
        self.tasks[tid] = records.replace(task, id=tid)
        return tid

    def _relationship_stages(self, inst: _Made, operation: str) -> list[list[str]]:
        stages = []
        me = self.labels[inst.key]
        for _, group in itertools.groupby(self.links[inst.key], key=lambda link: link[0].target_id):
            stage = []
            for rel, target in group:
                other = self.labels[target.key]
                for side, ops, runner in (("source", rel.source_operations, inst),
                                          ("target", rel.target_operations, target)):
                    op = ops.get(operation)
                    if op is None or not op.operation:
                        continue
                    ref = {"type": rel.type, "source": me, "target": other, "side": side}
                    stage.append(self._add(Task(task_id(me, operation, target=other, side=side), runner.node,
                                                self.labels[runner.key], operation, op.plugin, op.operation,
                                                op.executor, ref)))
            if stage:
                stages.append(stage)
        return stages if self.install else list(reversed(stages))

    def _host_install(self, inst: _Made) -> list[list[str]]:
        node = self.nodes[inst.node]
        if COMPUTE not in node.type_hierarchy:
            return []
        names = ["cloudify.interfaces.host.get_state"]
        method = _install_method(evaluate(node.properties, self.inputs))
        if method != "none":
            if self._has(node, "cloudify.interfaces.worker_installer.install"):
                names += ["cloudify.interfaces.worker_installer.install", "cloudify.interfaces.worker_installer.start"]
            else:
                names.append("cloudify.interfaces.cloudify_agent.create")
                if method in AGENT_STARTED_AFTER_CREATE:
                    names.append("cloudify.interfaces.cloudify_agent.start")
        names += ["cloudify.interfaces.monitoring_agent.install", "cloudify.interfaces.monitoring_agent.start"]
        return [self._node_task(inst, name) for name in names]

    def _host_uninstall(self, inst: _Made) -> list[list[str]]:
        node = self.nodes[inst.node]
        if COMPUTE not in node.type_hierarchy:
            return []
        names = ["cloudify.interfaces.monitoring_agent.stop", "cloudify.interfaces.monitoring_agent.uninstall"]
        method = _install_method(evaluate(node.properties, self.inputs))
        if method != "none":
            if method in AGENT_SCRIPT_METHODS:
                names += ["cloudify.interfaces.cloudify_agent.stop_amqp", "cloudify.interfaces.cloudify_agent.delete"]
            elif self._has(node, "cloudify.interfaces.worker_installer.stop"):
                names += ["cloudify.interfaces.worker_installer.stop", "cloudify.interfaces.worker_installer.uninstall"]
            else:
                names += ["cloudify.interfaces.cloudify_agent.stop", "cloudify.interfaces.cloudify_agent.delete"]
        return [self._node_task(inst, name) for name in names]

    @staticmethod
    def _has(node, operation: str) -> bool:
        op = node.operations.get(operation)
        return bool(op is not None and op.operation)

    def _sequence(self, inst: _Made) -> list[list[str]]:
        """The instance's stages in order; empty ones (nothing runs) included, for `_after`."""
        op = lambda name: self._node_task(inst, name)  # noqa: E731 - a local shorthand
        rel = lambda name: self._relationship_stages(inst, RELATIONSHIP_LIFECYCLE + name)  # noqa: E731
        if self.install:
            return ([op("cloudify.interfaces.validation.create"), op(LIFECYCLE + "precreate"),
                     op(LIFECYCLE + "create")] + rel("preconfigure") + [op(LIFECYCLE + "configure")]
                    + rel("postconfigure") + [op(LIFECYCLE + "start")] + self._host_install(inst)
                    + [op(LIFECYCLE + "poststart"), op("cloudify.interfaces.monitoring.start")]
                    + rel("establish"))
        return ([op("cloudify.interfaces.validation.delete"), op("cloudify.interfaces.monitoring.stop"),
                 op(LIFECYCLE + "prestop")] + self._host_uninstall(inst) + [op(LIFECYCLE + "stop")]
                + rel("unlink") + [op(LIFECYCLE + "delete"), op(LIFECYCLE + "postdelete")])

    def _waited_for(self, sequence: list[list[str]], inst: _Made, operation: str) -> list[str]:
        """What a `depends_on_lifecycle_operation` dependant waits for: the operation, and the task
        right after it when that is an operation. Only a host's `start` is followed directly by
        one (its host.get_state); every other lifecycle operation by an event."""
        wanted = task_id(self.labels[inst.key], LIFECYCLE + operation)
        for index, stage in enumerate(sequence):
            if stage == [wanted]:
                host = COMPUTE in self.nodes[inst.node].type_hierarchy
                return [wanted] + (sequence[index + 1] if operation == "start" and host else [])
        return []

    def _before(self, earlier: Iterable, later: list) -> None:
        for event in earlier:
            self.events.setdefault(event, set()).update(later)

    def build(self) -> Lifecycle:
        sequences = {}
        for inst in self.made:
            sequence = self._sequence(inst)
            sequences[inst.key] = sequence
            begin, end = ("begin", inst.key), ("end", inst.key)
            previous = [begin]
            for stage in sequence:
                if not stage:
                    continue
                self._before(previous, stage)
                previous = stage
            self._before(previous, [end])
        by_key = {m.key: m for m in self.made}
        for inst in self.made:
            for rel, target in self.links[inst.key]:
                # install: the source after the target; uninstall: the target after the source
                first, then = (target, inst) if self.install else (inst, target)
                operation = rel.properties.get("operation") if isinstance(rel.properties, dict) else None
                if operation:
                    waited = self._waited_for(sequences[first.key], by_key[first.key], operation)
                    self._before(waited, [("begin", then.key)])
                else:
                    self._before([("end", first.key)], [("begin", then.key)])
        order = reduce_order(_first_tasks(self.events, self.tasks))
        instances = tuple(Instance(self.labels[m.key], m.node, self.labels[m.host] if m.host else None)
                          for m in self.made)
        tasks = tuple(sorted(self.tasks.values(), key=lambda t: t.id))
        return Lifecycle(self.workflow, instances, tasks, order, steps_of(self.tasks, order))


def build_lifecycle(model, blueprint, workflow: str, inputs: dict | None = None) -> Lifecycle:
    """The plan of `workflow` (one of WORKFLOWS) for a resolved model and its merged blueprint.

    `inputs` are deployment inputs, over the blueprint's defaults (they decide instance counts
    and agent install methods written with get_input). Raises ValueError for another workflow.
    """
    if workflow not in WORKFLOWS:
        raise ValueError(f"unknown workflow {workflow!r}; expected one of {', '.join(WORKFLOWS)}")
    return _Builder(model, blueprint, workflow, inputs).build()


def lifecycle_of(result, workflow: str, inputs: dict | None = None) -> Lifecycle | None:
    """`build_lifecycle` for an `api.Result`; None when the result has no plan (it is not ok), or
    when a manager would refuse to create a deployment of it with these inputs (`refusals` says
    why; with the default inputs, so do the result's deployment-* warnings)."""
    graph = getattr(result, "graph", None)
    if result.plan is None or graph is None or "model" not in graph.graph:
        return None
    model, blueprint = graph.graph["model"], graph.graph["blueprint"]
    if workflow in WORKFLOWS and faults(model, blueprint, input_values(blueprint, inputs)):
        return None
    return build_lifecycle(model, blueprint, workflow, inputs)


def refusals(result, inputs: dict | None = None) -> list:
    """Why a manager would refuse to create a deployment of `result` with these `inputs` (over
    the defaults), as error problems (checks/deployment.py); empty when it would not, or when the
    result has no plan."""
    from .problems import Problems

    graph = getattr(result, "graph", None)
    if result.plan is None or graph is None or "model" not in graph.graph:
        return []
    model, blueprint = graph.graph["model"], graph.graph["blueprint"]
    problems = Problems()
    for code, message, mark, hint in faults(model, blueprint, input_values(blueprint, inputs)):
        problems.add(code, message, mark, hint=hint, severity="error")
    return list(problems)
