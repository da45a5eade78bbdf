"""Pictures: the node graph of a plan and the task graph of a lifecycle plan, as DOT, Mermaid or SVG.

- Node graph (`node_dot`, `node_mermaid`): one box per node template with its id, type and the
  plugins its operations call, grouped in a cluster per host (`host_id`); one edge per
  relationship, source -> target, labelled with its type, drawn by kind: containment solid,
  connected_to dashed, depends_on dotted.
- Task graph (`task_dot`, `task_mermaid`): one box per task (operation and plugin function),
  grouped in a cluster per node instance that runs it; one edge per `order` pair.
- `svg(dot_text)`: Graphviz's `dot -Tsvg`; PictureError when Graphviz is not installed or fails.

Output is deterministic: nodes, clusters and edges in sorted order, no timestamps.
"""
from __future__ import annotations


NODE_FORMATS = ("dot", "mermaid", "svg")

CONTAINED_IN = "cloudify.relationships.contained_in"
CONNECTED_TO = "cloudify.relationships.connected_to"
DEPENDS_ON = "cloudify.relationships.depends_on"
# (kind, DOT edge style, Mermaid arrow), first match of a relationship's type hierarchy wins.
_KINDS = ((CONTAINED_IN, "solid", "-->"), (CONNECTED_TO, "dashed", "-.->"), (DEPENDS_ON, "dotted", "-.->"))
_OTHER = ("other", "solid", "-->")
GRAPHVIZ_HINT = "Install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)."


class PictureError(Exception):
    """SVG could not be made: `message` says why, `hint` what to do."""

    def __init__(self, message: str, hint: str = GRAPHVIZ_HINT) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def relationship_kind(type_hierarchy) -> tuple[str, str, str]:
    """(kind, DOT style, Mermaid arrow) of a relationship by its type hierarchy."""
    for kind in _KINDS:
        if kind[0] in type_hierarchy:
            return kind
    return _OTHER


def node_plugins(node: dict) -> list[str]:
    """The plugins a plan node's operations call (node and relationship source operations), sorted."""
    names = {op["plugin"] for op in node["operations"].values() if op.get("operation")}
    return sorted(n for n in names if n)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def _node_label(node: dict) -> str:
    plugins = node_plugins(node)
    return f"{node['id']}\n{node['type']}" + (f"\nplugins: {', '.join(plugins)}" if plugins else "")


def node_edges(plan: dict) -> list[tuple[str, str, str, tuple]]:
    """(source, target, relationship type, kind) for every relationship, sorted."""
    return sorted((node["id"], rel["target_id"], rel["type"], relationship_kind(rel["type_hierarchy"]))
                  for node in plan["nodes"] for rel in node["relationships"])


def _host_groups(plan: dict) -> dict[str | None, list[dict]]:
    groups: dict[str | None, list[dict]] = {}
    for node in sorted(plan["nodes"], key=lambda n: n["id"]):
        groups.setdefault(node["host_id"], []).append(node)
    return groups


def node_dot(plan: dict) -> str:
    """The plan's node graph as a DOT digraph."""
    lines = ["digraph nodes {", "  rankdir=BT;", '  node [shape=box, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for index, (host, nodes) in enumerate(sorted(_host_groups(plan).items(), key=lambda kv: kv[0] or "")):
        indent = "  "
        if host is not None:
            lines += [f"  subgraph cluster_{index} {{", f"    label={_quote('host ' + host)};"]
            indent = "    "
        lines += [f"{indent}{_quote(n['id'])} [label={_quote(_node_label(n))}];" for n in nodes]
        if host is not None:
            lines.append("  }")
    for source, target, type_name, (_, style, _) in node_edges(plan):
        lines.append(f"  {_quote(source)} -> {_quote(target)} [label={_quote(type_name)}, style={style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def node_mermaid(plan: dict) -> str:
    """The plan's node graph as a Mermaid flowchart; node ids n0, n1... in sorted id order."""
    ids = {node["id"]: f"n{i}" for i, node in enumerate(sorted(plan["nodes"], key=lambda n: n["id"]))}
    lines = ["flowchart BT"]
    for index, (host, nodes) in enumerate(sorted(_host_groups(plan).items(), key=lambda kv: kv[0] or "")):
        indent = "  "
        if host is not None:
            lines.append(f'  subgraph h{index}["{_mermaid_text("host " + host)}"]')
            indent = "    "
        lines += [f'{indent}{ids[n["id"]]}["{_mermaid_text(_node_label(n))}"]' for n in nodes]
        if host is not None:
            lines.append("  end")
    for source, target, type_name, (_, _, arrow) in node_edges(plan):
        lines.append(f'  {ids[source]} {arrow}|"{_mermaid_text(type_name)}"| {ids[target]}')
    return "\n".join(lines) + "\n"


def _task_label(task: dict) -> str:
    return f"{task['operation']}\n{task['plugin']}: {task['function']}"


def _by_instance(lifecycle: dict) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for task in sorted(lifecycle["tasks"], key=lambda t: t["id"]):
        groups.setdefault(task["instance"], []).append(task)
    return sorted(groups.items())


def task_dot(lifecycle: dict, title: str = "lifecycle") -> str:
    """A lifecycle plan (its `as_dict()`) as a DOT digraph: clusters per instance, order as edges."""
    lines = [f"digraph {_quote(title)} {{", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for index, (instance, tasks) in enumerate(_by_instance(lifecycle)):
        lines += [f"  subgraph cluster_{index} {{", f"    label={_quote(instance)};"]
        lines += [f"    {_quote(t['id'])} [label={_quote(_task_label(t))}];" for t in tasks]
        lines.append("  }")
    lines += [f"  {_quote(a)} -> {_quote(b)};" for a, b in sorted(map(tuple, lifecycle["order"]))]
    lines.append("}")
    return "\n".join(lines) + "\n"


def task_mermaid(lifecycle: dict) -> str:
    """A lifecycle plan as a Mermaid flowchart; task ids t0, t1... in sorted id order."""
    ids = {t["id"]: f"t{i}" for i, t in enumerate(sorted(lifecycle["tasks"], key=lambda t: t["id"]))}
    lines = ["flowchart LR"]
    for index, (instance, tasks) in enumerate(_by_instance(lifecycle)):
        lines.append(f'  subgraph i{index}["{_mermaid_text(instance)}"]')
        lines += [f'    {ids[t["id"]]}["{_mermaid_text(_task_label(t))}"]' for t in tasks]
        lines.append("  end")
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in sorted(map(tuple, lifecycle["order"]))]
    return "\n".join(lines) + "\n"


def svg(dot_text: str, dot: str = "dot", timeout: float = 120) -> str:
    """Render DOT text to SVG with Graphviz. Raises PictureError when `dot` is missing or fails."""
    import shutil
    import subprocess

    program = shutil.which(dot)
    if program is None:
        raise PictureError(f"cannot draw SVG: Graphviz's {dot!r} program is not installed (not on PATH)")
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PictureError(f"cannot draw SVG: {dot} failed: {exc}", hint="Check the Graphviz installation.") from exc
    if done.returncode != 0:
        raise PictureError(f"cannot draw SVG: {dot} failed: {done.stderr.strip()[:300]}",
                           hint="Check the Graphviz installation.")
    return done.stdout
