"""Rule probes for the differential check: one small construct per blueprint, aimed at one rule
family of issue 7, written valid or invalid at random, in one of the places the rule applies.

A probe does not know the reference's verdict in advance: the differential run compares ours
with the reference's, so a probe only has to reach the rule. Each family is a function
`(probe) -> description` that edits the generated main blueprint; `apply` picks one.

Families: functions (every intrinsic function, its arguments well or badly shaped, at every
place the reference scans and a few it does not), scaling, policies, schedules, labels,
constraints (and data-type defaults), definitions nobody uses, empty sections and values.
"""
from __future__ import annotations

import random
from typing import Any, Callable

WORDS = ("alpha", "beta", "gamma", "delta")
SCALING = "cloudify.policies.scaling"


class Probe:
    """What a family may use and edit: the main blueprint, its node names, inputs, a mapping."""

    def __init__(self, rng: random.Random, main: dict, version: str, inputs: list[str], mapping: str | None):
        self.rng = rng
        self.main = main
        self.version = version
        self.inputs = inputs
        self.mapping = mapping
        self.templates: dict = main.setdefault("node_templates", {})
        self.counter = 0

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options):
        return self.rng.choice(list(options))

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def section(self, name: str) -> dict:
        section = self.main.get(name)
        if not isinstance(section, dict):
            section = self.main[name] = {}
        return section

    # --- values ---------------------------------------------------------------------------
    def scalar(self) -> Any:
        return self.pick(("alpha", "SELF", "TARGET", "1", 0, 3, -1, True, None, 1.5, "",
                          self.pick(self.templates) if self.templates else "ghost",
                          self.pick(self.inputs) if self.inputs else "inp_x"))

    def any_value(self, depth: int = 0) -> Any:
        roll = self.rng.random()
        if depth < 2 and roll < 0.15:
            return [self.any_value(depth + 1) for _ in range(self.rng.randint(0, 3))]
        if depth < 2 and roll < 0.22:
            return {self.pick(WORDS): self.any_value(depth + 1)}
        if depth < 2 and roll < 0.32:
            return self.call(depth + 1)
        return self.scalar()

    def call(self, depth: int = 0) -> dict:
        """A call of a random function, its arguments well shaped or not."""
        name = self.pick(sorted(SHAPES))
        if self.chance(0.6):
            args = SHAPES[name](self, depth)
        else:
            args = self.any_value(depth + 1) if depth < 2 else self.scalar()
        return {name: args}

    def node_ref(self) -> Any:
        return self.pick(["SELF", "SOURCE", "TARGET", "ghost"] + list(self.templates)[:4])

    def path_step(self) -> Any:
        return self.pick(("slot", "deep", "inner", "x", 0, 1, "ip", "port", "alpha"))


def _path(p: Probe, depth: int) -> list:
    return [p.node_ref()] + [p.path_step() for _ in range(p.rng.randint(1, 3))]


def _maybe_call(p: Probe, depth: int, fallback: Callable[[], Any]) -> Any:
    return {"get_input": p.pick(p.inputs)} if p.inputs and depth < 2 and p.chance(0.1) else fallback()


SHAPES: dict[str, Callable[[Probe, int], Any]] = {
    "get_input": lambda p, d: p.pick([p.pick(p.inputs or ["inp_x"]), "nope", [p.pick(p.inputs or ["i"]), "k", 0]]),
    "get_property": _path,
    "get_attribute": _path,
    "get_attributes_list": _path,
    "get_attributes_dict": lambda p, d: [p.node_ref()] + p.pick([["a", "b"], ["a", ["b", "c"]], ["a", "a"],
                                                                   [["a", 1]], []]),
    "get_secret": lambda p, d: p.pick(["s1", ["s1", "k"], ["s1"], {"get_input": "inp_a"}]),
    "get_sys": lambda p, d: p.pick([["tenant", "name"], ["deployment", p.pick(("id", "name", "owner", "size"))],
                                    ["planet", "name"], ["tenant"]]),
    "get_consumers": lambda p, d: p.pick(("ids", "names", "count", "all")),
    "get_capability": lambda p, d: p.pick([["dep", "cap"], ["dep", "cap", 0], ["dep"], ["dep", ["x"]]]),
    "get_group_capability": lambda p, d: p.pick([["grp", "cap"], ["grp", ["a", "b"]], ["grp", "cap", ["x"]],
                                                 ["grp"]]),
    "get_environment_capability": lambda p, d: p.pick(["cap", ["cap", "k"], ["cap"], ["cap", {"a": 1}]]),
    "get_label": lambda p, d: p.pick(["env", ["env", 0], ["env", "1"], ["env", "x"], ["env", 1, 2], [1, 0]]),
    "concat": lambda p, d: [p.scalar() for _ in range(p.rng.randint(0, 3))],
    "merge": lambda p, d: p.pick([[{"a": 1}, {"b": 2}], [{"a": 1}, "b"], [], [{"get_input": "inp_a"}]]),
    "string_find": lambda p, d: [_maybe_call(p, d, lambda: p.pick(("abc", 3))) for _ in range(p.pick((2, 2, 3)))],
    "string_replace": lambda p, d: ["abc", "b", "c"] + p.pick(([], [1], ["1"], [None])),
    "string_split": lambda p, d: ["a,b", ","] + p.pick(([], [0], ["0"], [None], [0, 1])),
    "string_lower": lambda p, d: p.pick(("ABC", ["ABC"], {"get_input": "inp_a"}, 3)),
    "string_upper": lambda p, d: p.pick(("abc", ["abc"], {"get_secret": "s"}, {"a": 1})),
}


# --- families ----------------------------------------------------------------------------------

def _probe_node(p: Probe, props: dict | None = None, default: Any = None, with_default: bool = False) -> str:
    """A node type with free properties (slot, deep) and one template of it; returns the template."""
    types = p.section("node_types")
    type_name = p.fresh("probe.T")
    slot: dict = {"required": False}
    if with_default:
        slot["default"] = default
    types[type_name] = {"derived_from": "cloudify.nodes.Root",
                        "properties": {"slot": slot, "deep": {"default": {"inner": [1, {"x": 2}]}}}}
    name = p.fresh("probe_n")
    p.templates[name] = {"type": type_name}
    if props is not None:
        p.templates[name]["properties"] = props
    return name


def functions(p: Probe) -> str:
    call = p.call()
    places = ["node property", "type default", "unused type default", "operation input", "no-op input",
              "relationship operation input", "output", "capability", "label", "input default",
              "workflow parameter", "scalable property", "policy property", "deployment setting",
              "node capability"]
    place = p.pick(places)
    if place == "node property":
        _probe_node(p, {"slot": call})
    elif place == "type default":
        _probe_node(p, with_default=True, default=call)
    elif place == "unused type default":
        p.section("node_types")[p.fresh("probe.Unused")] = {
            "derived_from": "cloudify.nodes.Root", "properties": {"slot": {"default": call}}}
    elif place in ("operation input", "no-op input"):
        name = _probe_node(p)
        op: dict = {"inputs": {"arg": call}}
        if place == "operation input" and p.mapping:
            op["implementation"] = p.mapping
        p.templates[name]["interfaces"] = {"probe.iface": {"run": op}}
    elif place == "relationship operation input":
        name = _probe_node(p)
        target = p.pick([t for t in p.templates if t != name])
        op = {"inputs": {"arg": call}}
        if p.mapping:
            op["implementation"] = p.mapping
        p.templates[name]["relationships"] = [{
            "type": "cloudify.relationships.connected_to", "target": target,
            p.pick(("source_interfaces", "target_interfaces")): {"probe.rel": {"link": op}}}]
    elif place == "output":
        p.section("outputs")[p.fresh("probe_out")] = {"value": call}
    elif place == "capability":
        p.section("capabilities")[p.fresh("probe_cap")] = {"value": call}
    elif place == "label":
        p.section("labels")[p.fresh("probe-label")] = {"values": [call]}
    elif place == "input default":
        p.section("inputs")[p.fresh("probe_in")] = {"default": call}
    elif place == "workflow parameter":
        if not p.mapping:
            return "functions: none (no plugin to map a workflow)"
        p.section("workflows")[p.fresh("probe_wf")] = {"mapping": p.mapping,
                                                        "parameters": {"arg": {"default": call}}}
    elif place == "scalable property":
        name = _probe_node(p)
        p.templates[name]["capabilities"] = {"scalable": {"properties": {"default_instances": call}}}
    elif place == "node capability":
        name = _probe_node(p)
        p.templates[name]["capabilities"] = {"scalable": {"properties": {"max_instances": call}}}
    elif place == "policy property":
        group = p.fresh("probe_g")
        p.section("groups")[group] = {"members": [_probe_node(p)]}
        p.section("policies")[p.fresh("probe_p")] = {"type": SCALING, "targets": [group],
                                                      "properties": {"default_instances": call}}
    else:
        p.section("deployment_settings")["display_name"] = call
    return f"functions: {next(iter(call))} in {place}"


def scaling(p: Probe) -> str:
    def number():
        return p.pick((0, 1, 2, 5, -1, -2, "UNBOUNDED", "many", {"a": 1}, {"get_input": "inp_a"}, 1.5, True, None))
    name = _probe_node(p)
    roll = p.rng.random()
    if roll < 0.4:
        props = {key: number() for key in p.rng.sample(
            ("default_instances", "min_instances", "max_instances", "current_instances", "planned_instances"),
            p.rng.randint(0, 3))}
        p.templates[name]["capabilities"] = {"scalable": {"properties": props}}
        what = "scalable properties"
    elif roll < 0.55:
        p.templates[name]["instances"] = p.pick(({"deploy": number()}, {"deploy": 2, "extra": 1}, 3, None))
        if p.chance(0.3):
            p.templates[name]["capabilities"] = {"scalable": {"properties": {}}}
        what = "instances"
    else:
        other = _probe_node(p)
        if p.chance(0.5):
            host = _probe_node(p)
            p.templates[other]["relationships"] = [{"type": "cloudify.relationships.contained_in", "target": host}]
        group = p.fresh("probe_g")
        members = p.pick(([name], [name, other], [other], [name, "ghost"]))
        p.section("groups")[group] = {"members": members}
        policy = {"type": p.pick((SCALING, SCALING, "my.policy")), "targets": p.pick(([group], [], [name]))}
        if p.chance(0.6):
            policy["properties"] = {p.pick(("default_instances", "max_instances", "min_instances", "other")): number()}
        p.section("policies")[p.fresh("probe_p")] = policy
        what = "scaling group"
    return f"scaling: {what}"


def policies(p: Probe) -> str:
    ptype, trigger_type = p.fresh("probe.policy"), p.fresh("probe.trigger")
    schema = {"threshold": {"type": p.pick(("integer", "string"))}}
    if p.chance(0.5):
        schema["threshold"]["default"] = p.pick((3, "x", None))
    p.section("policy_types")[ptype] = {"source": "policies/p.clj", "properties": schema}
    p.section("policy_triggers")[trigger_type] = {"source": "triggers/t.clj",
                                                   "parameters": {"limit": {"default": 1}}}
    policy: dict = {"type": ptype}
    if p.chance(0.7):
        policy["properties"] = p.pick(({"threshold": 5}, {}, {"other": 1}, {"threshold": "high"}))
    if p.chance(0.5):
        policy["triggers"] = {"t": {"type": trigger_type,
                                    "parameters": p.pick(({}, {"limit": 2}, {"unknown": 1}))}}
    group = p.fresh("probe_g")
    p.section("groups")[group] = {"members": [_probe_node(p)], "policies": {"pol": policy}}
    return "policies: group policy"


def schedules(p: Probe) -> str:
    schedule: dict = {}
    for key, values in (("workflow", ("install", "uninstall", "nothing", "", 3)),
                        ("since", ("+1d", "+2 weeks+1h", "+x", "2030-01-01 10:00", "10:30", "soon", 5, "+1 often")),
                        ("until", ("+10d", "2031-01-01", "never")),
                        ("recurrence", ("1d", "2 weeks", "often", 3, "5 mins", "1 days ")),
                        ("count", (1, 0, -1, "2")),
                        ("weekdays", (["mo", "tu"], ["monday"], ["2mo"], "mo")),
                        ("workflow_parameters", ({}, {"a": 1}, "x", {"a": {"get_attribute": ["n", "x"]}},
                                                  {"get_attribute": 1})),
                        ("slip", (5, "x")), ("stop_after_fail", (True, "no")), ("default_enabled", (True, 1)),
                        ("timezone", ("UTC", "Asia/Jerusalem")),
                        ("execution_arguments", ({"force": True}, {"wait_after_fail": 5}))):
        if p.chance(0.5 if key != "workflow" else 0.9):
            schedule[key] = p.pick(values)
    if p.chance(0.2):
        schedule[p.pick(("since", "workflow", "until"))] = p.call()
    p.section("deployment_settings")["default_schedules"] = {p.fresh("sched"): schedule}
    return "schedules: default schedule"


def labels(p: Probe) -> str:
    section = p.pick(("labels", "blueprint_labels"))
    values = [p.pick(("prod", "a b", "x" * 3, {"get_input": p.pick(p.inputs or ["inp_x"])},
                      {"get_attribute": ["SELF", "ip"]}, {"get_secret": "s"}, 3, {"concat": ["a", "b"]},
                      {"get_sys": ["tenant", "name"]}, None, ""))
              for _ in range(p.rng.randint(0, 2))]
    label = p.pick(("env", "Env", "bad key!", "csys-obj-type", "a" * 3))
    p.section(section)[label] = p.pick(({"values": values}, {"values": "prod"}, {}, {"values": values, "x": 1}))
    return f"labels: {section}"


def constraints(p: Probe) -> str:
    roll = p.rng.random()
    inputs = p.section("inputs")
    if roll < 0.5:
        constraint = {p.pick(("min_length", "max_length", "valid_values", "pattern", "greater_than")):
                      p.pick((2, ["a", "b"], "^a", 1))}
        if p.chance(0.5):
            constraint["error_message"] = p.pick(("too short", 3))
        schema = {"type": p.pick(("string", "integer")), "constraints": [constraint]}
        if p.chance(0.7):
            schema["default"] = p.pick(("abc", 5, {"get_input": "inp_a"}, {"concat": ["a"]}, "a"))
        inputs[p.fresh("probe_in")] = schema
        return "constraints: input constraint"
    dtypes = p.section("data_types")
    inner, outer = p.fresh("probe.Inner"), p.fresh("probe.Outer")
    dtypes[inner] = {"properties": {"a": {"type": "integer", "default": p.pick((1, "one"))},
                                    "b": {"type": "string", "required": p.pick((True, False))}}}
    dtypes[outer] = {"properties": {"nested": {"type": inner, **p.pick(({}, {"default": {"a": 2}},
                                                                       {"default": {"b": "x"}}))},
                                    "flag": {"type": "boolean", "default": False}}}
    value = p.pick(({}, {"nested": {}}, {"nested": {"b": "y"}}, {"nested": {"a": "two"}}, {"flag": True},
                    {"nested": {"c": 1}}))
    if roll < 0.75:
        inputs[p.fresh("probe_in")] = {"type": outer, "default": value}
        return "constraints: data-type input default"
    type_name = p.fresh("probe.DT")
    p.section("node_types")[type_name] = {"derived_from": "cloudify.nodes.Root",
                                          "properties": {"conf": {"type": outer}}}
    p.templates[p.fresh("probe_n")] = {"type": type_name, "properties": {"conf": value}}
    return "constraints: data-type node property"


def definitions(p: Probe) -> str:
    prop = {"type": p.pick(("integer", "boolean", "string", "list", "dict", "float")),
            "default": p.pick((1, "x", True, [1], {"a": 1}, 2.5, None))}
    kind = p.pick(("node_types", "relationships", "data_types", "policy_types"))
    body: dict = {"properties": {"value": prop}}
    if kind == "node_types":
        body["derived_from"] = "cloudify.nodes.Root"
    elif kind == "relationships":
        body["derived_from"] = "cloudify.relationships.depends_on"
    elif kind == "policy_types":
        body["source"] = "policies/p.clj"
    p.section(kind)[p.fresh("probe.Unused")] = body
    return f"definitions: unused {kind} default"


def empty(p: Probe) -> str:
    roll = p.rng.random()
    if roll < 0.4:
        key = p.pick(("workflows", "outputs", "inputs", "groups", "policies", "capabilities", "labels",
                      "blueprint_labels", "data_types", "policy_types", "policy_triggers", "relationships",
                      "node_types", "plugins", "deployment_settings", "description", "dsl_definitions",
                      "metadata", "imports"))
        if key == "imports":
            return "empty: none (imports are needed)"
        p.main[key] = None
        return f"empty: section {key}"
    name = _probe_node(p)
    where = p.pick(("operation", "implementation", "interface", "interfaces", "property", "properties",
                    "inputs", "relationships", "type default", "input", "workflow mapping", "op inputs"))
    template = p.templates[name]
    if where == "operation":
        template["interfaces"] = {"probe.iface": {"run": None}}
    elif where == "implementation":
        template["interfaces"] = {"probe.iface": {"run": {"implementation": None}}}
    elif where == "op inputs":
        template["interfaces"] = {"probe.iface": {"run": {"inputs": None}}}
    elif where == "interface":
        template["interfaces"] = {"probe.iface": None}
    elif where == "interfaces":
        template["interfaces"] = None
    elif where == "property":
        template["properties"] = {"slot": None}
    elif where == "properties":
        template["properties"] = None
    elif where == "relationships":
        template["relationships"] = None
    elif where == "type default":
        p.section("node_types")[template["type"]]["properties"]["slot"] = None
    elif where == "input":
        p.section("inputs")[p.fresh("probe_in")] = None
    else:
        p.section("workflows")[p.fresh("probe_wf")] = p.pick((None, {"mapping": None}))
    return f"empty: {where}"


FAMILIES: dict[str, Callable[[Probe], str]] = {
    "functions": functions, "scaling": scaling, "policies": policies, "schedules": schedules,
    "labels": labels, "constraints": constraints, "definitions": definitions, "empty": empty,
}
# Functions are two thirds of the held-out gap: they get as many probes as the others together.
WEIGHTS = {"functions": 7, "scaling": 1, "policies": 1, "schedules": 1, "labels": 1, "constraints": 1,
           "definitions": 1, "empty": 1}


def apply(rng: random.Random, main: dict, version: str, inputs: list[str], mapping: str | None,
          family: str | None = None) -> str:
    """Add one probe to `main` (the generated main blueprint, edited in place); returns what it is."""
    probe = Probe(rng, main, version, inputs, mapping)
    if family is None:
        names = sorted(FAMILIES)
        family = rng.choices(names, weights=[WEIGHTS[n] for n in names])[0]
    return FAMILIES[family](probe)
