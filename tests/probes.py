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

import copy
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
                        ("timezone", ("UTC", "Asia/Jerusalem", "US/Pacific", "utc", "Mars/Base", "+02:00", "")),
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
    if roll < 0.35:
        constraint = {p.pick(("min_length", "max_length", "valid_values", "pattern", "greater_than")):
                      p.pick((2, ["a", "b"], "^a", "b", 1))}
        if p.chance(0.5):
            constraint["error_message"] = p.pick(("too short", 3))
        schema = {"type": p.pick(("string", "integer")), "constraints": [constraint]}
        if p.chance(0.7):
            schema["default"] = p.pick(("abc", 5, {"get_input": "inp_a"}, {"concat": ["a"]}, "a"))
        inputs[p.fresh("probe_in")] = schema
        return "constraints: input constraint"
    if roll < 0.5:
        return _list_input(p)
    if roll < 0.6:
        return _asking_input(p)
    return _data_type_values(p)


def _list_input(p: Probe) -> str:
    """A list input with an item_type (or not), constraints and a default: the reference judges
    each item, reads a null default's items, and refuses a default of object-based items."""
    schema: dict = {"type": "list"}
    if p.chance(0.8):
        schema["item_type"] = p.pick(("string", "integer", "list", "dict", "node_id", "deployment_id"))
    if p.chance(0.7):
        operator = p.pick(("min_length", "max_length", "valid_values", "pattern", "greater_than", "labels"))
        argument = {"valid_values": ["a", "b", 1], "pattern": "^a", "labels": ["x"]}.get(operator, 1)
        schema["constraints"] = [{operator: argument}]
    schema["default"] = p.pick(([], ["a", "b"], ["ab", "c"], [1, 3], [["a", "b"], ["c"]], [{"a": 1}], None,
                                [{"get_input": "inp_a"}]))
    p.section("inputs")[p.fresh("probe_in")] = schema
    return "constraints: list input"


def _asking_input(p: Probe) -> str:
    """An input whose constraint asks the manager (or of an object-based type), with a default or not."""
    type_name = p.pick(("string", "integer", "node_id", "deployment_id", "blueprint_id", None))
    schema: dict = {} if type_name is None else {"type": type_name}
    if p.chance(0.7):
        operator = p.pick(("name_pattern", "filter_id", "labels", "tenants", "deployment_id", "valid_values"))
        argument = {"name_pattern": {"starts_with": "a"}, "labels": ["x"], "tenants": ["t"],
                    "valid_values": ["a", "b"]}.get(operator, "f")
        schema["constraints"] = [{operator: argument}]
    if p.chance(0.6):
        schema["default"] = p.pick(("a", "abc", 1, None))
    p.section("inputs")[p.fresh("probe_in")] = schema
    return "constraints: input asking the manager"


def _data_type_values(p: Probe) -> str:
    """Three data types nested two deep, each level's defaults set or not (of the right type or
    not, null or not), and a value that sets some nested keys only: the layers of defaults must
    fill the rest as the reference merges them."""
    dtypes = p.section("data_types")
    deep, inner, outer = p.fresh("probe.Deep"), p.fresh("probe.Inner"), p.fresh("probe.Outer")

    def maybe_default(schema: dict, *values) -> dict:
        if p.chance(0.5):
            schema["default"] = p.pick(values)
        return schema
    dtypes[deep] = {"properties": {
        "c": maybe_default({"type": "string"}, "x", None),
        "d": maybe_default({"type": "integer", "required": p.pick((True, False))}, 4, "four", None)}}
    dtypes[inner] = {"properties": {
        "a": maybe_default({"type": "integer"}, 1, "one", None),
        "b": {"type": "string", "required": p.pick((True, False))},
        "m": maybe_default({"type": "dict"}, {"x": 1}),
        "deep": maybe_default({"type": deep}, {"c": "y"}, {"d": 2}, {"d": "two"}, {}, None)}}
    dtypes[outer] = {"properties": {
        "nested": maybe_default({"type": inner}, {"a": 2}, {"b": "x"}, {"deep": {"c": "z"}},
                                {"deep": {"d": 5}, "b": "w"}, {"a": "two"}, {"deep": None}, None),
        "flag": {"type": "boolean", "default": False}}}

    def partial():
        roll = p.rng.random()
        if roll < 0.1:
            return None
        value: dict = {}
        for key, choices in (("a", (3, "three", None)), ("b", ("y", None, 5)), ("m", ({"y": 2}, None)),
                             ("c", (1,))):
            if p.chance(0.3 if key != "c" else 0.05):
                value[key] = p.pick(choices)
        if p.chance(0.4):
            value["deep"] = p.pick(({}, {"c": "w"}, {"d": 6}, {"d": "six"}, None, {"e": 1}))
        return value

    value = p.pick(({}, {"flag": True}, {"nested": partial()}, {"nested": partial(), "flag": True},
                    {"nested": {"get_input": p.pick(p.inputs or ["inp_x"])}}, None))
    roll = p.rng.random()
    if roll < 0.3:
        inputs = p.section("inputs")
        inputs[p.fresh("probe_in")] = {"type": outer, "default": value}
        return "constraints: data-type input default"
    if roll < 0.45 and p.mapping:
        p.section("workflows")[p.fresh("probe_wf")] = {"mapping": p.mapping,
                                                     "parameters": {"conf": {"type": outer, "default": value}}}
        return "constraints: data-type workflow parameter default"
    conf: dict = {"type": outer}
    if p.chance(0.5):
        conf["default"] = p.pick(({"nested": partial()}, {}, None, {"flag": "no"}))
    if p.chance(0.2):
        conf["required"] = False
    type_name = p.fresh("probe.DT")
    p.section("node_types")[type_name] = {"derived_from": "cloudify.nodes.Root", "properties": {"conf": conf}}
    template: dict = {"type": type_name}
    if roll < 0.9:
        template["properties"] = {"conf": value}
    p.templates[p.fresh("probe_n")] = template
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


def empty(p: Probe, value: Callable[[], Any] | None = None) -> str:
    """A null (or, with `value`, what it gives: `odd`) at one of many places a blueprint has."""
    v = value or (lambda: None)
    roll = p.rng.random()
    if roll < 0.4:
        key = p.pick(("workflows", "outputs", "inputs", "groups", "policies", "capabilities", "labels",
                      "blueprint_labels", "data_types", "policy_types", "policy_triggers", "relationships",
                      "node_types", "plugins", "deployment_settings", "description", "dsl_definitions",
                      "metadata", "imports"))
        if key == "imports":
            return "empty: none (imports are needed)"
        p.main[key] = v()
        return f"{'odd' if value else 'empty'}: section {key}"
    name = _probe_node(p)
    where = p.pick(("operation", "implementation", "interface", "interfaces", "property", "properties",
                    "inputs", "relationships", "type default", "input", "workflow mapping", "op inputs",
                    "op input", "op settings", "type operation", "type implementation", "type interface",
                    "type interfaces", "type properties", "type property", "type op inputs", "type op input",
                    "relationship interface", "relationship operation", "relationship properties",
                    "relationship type interfaces", "relationship type operation", "data type properties",
                    "data type property", "workflow parameters", "workflow parameter", "output", "output value",
                    "capability", "template type", "template capabilities", "instances", "plugin",
                    "policy properties", "group members", "input default", "label", "plugin key",
                    "policy type property", "trigger parameter", "input display", "input constraint",
                    "group policy trigger", "data type", "deployment setting", "workflow availability",
                    "scalable property", "type op setting", "relationship type op input", "import entry",
                    "relationship item", "relationship key", "template key", "type key", "output key",
                    "workflow key", "group key", "policy key"))
    template = p.templates[name]
    node_type = p.section("node_types")[template["type"]]
    if where == "operation":
        template["interfaces"] = {"probe.iface": {"run": v()}}
    elif where == "implementation":
        template["interfaces"] = {"probe.iface": {"run": {"implementation": v()}}}
    elif where == "op inputs":
        template["interfaces"] = {"probe.iface": {"run": {"inputs": v()}}}
    elif where == "op input":
        template["interfaces"] = {"probe.iface": {"run": {"implementation": p.mapping or "", "inputs": {"a": v()}}}}
    elif where == "op settings":
        template["interfaces"] = {"probe.iface": {"run": {p.pick(("max_retries", "retry_interval", "timeout",
                                                                  "executor", "timeout_recoverable")): v()}}}
    elif where == "interface":
        template["interfaces"] = {"probe.iface": v()}
    elif where == "interfaces":
        template["interfaces"] = v()
    elif where == "property":
        template["properties"] = {"slot": v()}
    elif where == "properties":
        template["properties"] = v()
    elif where == "relationships":
        template["relationships"] = v()
    elif where == "type default":
        node_type["properties"]["slot"] = v()
    elif where == "type operation":
        node_type["interfaces"] = {"probe.iface": {"run": v()}}
    elif where == "type implementation":
        node_type["interfaces"] = {"probe.iface": {"run": {"implementation": v()}}}
    elif where == "type interface":
        node_type["interfaces"] = {"probe.iface": v()}
    elif where == "type interfaces":
        node_type["interfaces"] = v()
    elif where == "type properties":
        node_type["properties"] = v()
    elif where == "type property":
        node_type["properties"]["slot"] = p.pick(({"type": v()}, {"default": v()}, {"required": v()},
                                                  {"description": v()}))
    elif where == "type op inputs":
        node_type["interfaces"] = {"probe.iface": {"run": {"implementation": "", "inputs": v()}}}
    elif where == "type op input":
        node_type["interfaces"] = {"probe.iface": {"run": {"implementation": "", "inputs": {"a": v()}}}}
    elif where.startswith("relationship"):
        other = _probe_node(p)
        rel_type = p.fresh("probe.R")
        p.section("relationships")[rel_type] = {"derived_from": "cloudify.relationships.depends_on"}
        rel: dict = {"type": rel_type, "target": other}
        if where == "relationship interface":
            rel[p.pick(("source_interfaces", "target_interfaces"))] = p.pick((v(), {"probe.iface": v()}))
        elif where == "relationship operation":
            rel["source_interfaces"] = {"probe.iface": {"run": p.pick((v(), {"implementation": v()}))}}
        elif where == "relationship properties":
            rel["properties"] = v()
        elif where == "relationship type interfaces":
            p.section("relationships")[rel_type][p.pick(("source_interfaces", "target_interfaces"))] = p.pick(
                (v(), {"probe.iface": v()}))
        else:
            p.section("relationships")[rel_type]["target_interfaces"] = {"probe.iface": {"run": v()}}
        template["relationships"] = [rel]
    elif where.startswith("data type"):
        data_type = p.fresh("probe.D")
        p.section("data_types")[data_type] = {"properties": v() if where == "data type properties"
                                              else {"x": p.pick((v(), {"type": v()}, {"default": v()}))}}
        node_type["properties"]["typed"] = {"type": data_type, "required": False}
    elif where == "input":
        p.section("inputs")[p.fresh("probe_in")] = v()
    elif where == "input default":
        p.section("inputs")[p.fresh("probe_in")] = {p.pick(("default", "type", "description", "constraints",
                                                            "required")): v()}
    elif where == "workflow parameters":
        p.section("workflows")[p.fresh("probe_wf")] = {"mapping": p.mapping or "x.y", "parameters": v()}
    elif where == "workflow parameter":
        p.section("workflows")[p.fresh("probe_wf")] = {"mapping": p.mapping or "x.y",
                                                     "parameters": {"a": p.pick((v(), {"default": v()}))}}
    elif where == "output":
        p.section("outputs")[p.fresh("out")] = v()
    elif where == "output value":
        p.section("outputs")[p.fresh("out")] = {"value": v()}
    elif where == "capability":
        p.section("capabilities")[p.fresh("cap")] = p.pick((v(), {"value": v()}))
    elif where == "template type":
        template["type"] = v()
    elif where == "template capabilities":
        template["capabilities"] = p.pick((v(), {"scalable": v()}, {"scalable": {"properties": v()}}))
    elif where == "instances":
        template["instances"] = p.pick((v(), {"deploy": v()}))
    elif where == "plugin":
        p.section("plugins")[p.fresh("probe_plugin")] = v()
    elif where == "policy properties":
        group = p.fresh("probe_g")
        p.section("groups")[group] = {"members": [name]}
        p.section("policies")[p.fresh("probe_p")] = {"type": SCALING, "targets": [group], "properties": v()}
    elif where == "group members":
        p.section("groups")[p.fresh("probe_g")] = {"members": v()}
    elif where == "label":
        p.section(p.pick(("labels", "blueprint_labels")))[p.fresh("probe-label")] = p.pick((v(), {"values": v()},
                                                                                           {"values": [v()]}))
    elif where == "plugin key":
        p.section("plugins")[p.fresh("probe_plugin")] = {
            "executor": "central_deployment_agent", "install": False,
            p.pick(("install", "source", "package_name", "package_version", "install_arguments",
                    "supported_platform", "distribution", "executor", "properties",
                    "properties_description")): v()}
    elif where == "policy type property":
        p.section("policy_types")[p.fresh("probe.PT")] = {"source": "p.clj", "properties": {"a": p.pick((
            v(), {"type": v()}, {"default": v()}, {"type": "integer", "default": v()}))}}
    elif where == "trigger parameter":
        p.section("policy_triggers")[p.fresh("probe.TR")] = {"source": "t.clj", "parameters": {"a": p.pick((
            v(), {"type": v()}, {"default": v()}))}}
    elif where == "input display":
        p.section("inputs")[p.fresh("probe_in")] = {"type": p.pick(("textarea", "string")), "display": p.pick((
            v(), {"rows": v()}))}
    elif where == "input constraint":
        p.section("inputs")[p.fresh("probe_in")] = {"default": "abc", "constraints": p.pick((
            v(), [v()], [{"min_length": v()}], [{"error_message": v()}]))}
    elif where == "group policy trigger":
        ptype, ttype = p.fresh("probe.PT"), p.fresh("probe.TR")
        p.section("policy_types")[ptype] = {"source": "p.clj"}
        p.section("policy_triggers")[ttype] = {"source": "t.clj"}
        p.section("groups")[p.fresh("probe_g")] = {"members": [name], "policies": {"pol": {
            "type": ptype, "triggers": {"t": p.pick((v(), {"type": ttype, "parameters": v()}))}}}}
    elif where == "data type":
        p.section("data_types")[p.fresh("probe.D")] = p.pick((v(), {"derived_from": v()}, {"properties": {"a": v()}}))
    elif where == "deployment setting":
        p.section("deployment_settings")[p.pick(("id_template", "display_name", "default_groups",
                                                 "default_schedules"))] = v()
    elif where == "workflow availability":
        p.section("workflows")[p.fresh("probe_wf")] = {"mapping": p.mapping or "x.y", "availability_rules": p.pick((
            v(), {"node_instances_active": v()}, {"node_types_required": v()}))}
    elif where == "scalable property":
        template["capabilities"] = {"scalable": {"properties": {p.pick((
            "default_instances", "min_instances", "max_instances")): v()}}}
    elif where == "type op setting":
        node_type["interfaces"] = {"probe.iface": {"run": {"implementation": p.mapping or "", p.pick((
            "max_retries", "retry_interval", "timeout", "executor", "timeout_recoverable")): v()}}}
    elif where == "import entry":
        imports = p.main.get("imports")
        if isinstance(imports, list):
            imports.append(p.pick((v(), {"probe.yaml": v()})))
    elif where == "relationship item":
        template["relationships"] = [v()]
    elif where == "relationship key":
        other = _probe_node(p)
        template["relationships"] = [{"type": "cloudify.relationships.depends_on", "target": other,
                                      p.pick(("type", "target", "properties", "source_interfaces",
                                              "target_interfaces")): v()}]
    elif where == "template key":
        template[p.pick(("type", "properties", "interfaces", "relationships", "capabilities", "instances"))] = v()
    elif where == "type key":
        node_type[p.pick(("derived_from", "properties", "interfaces", "runtime_properties"))] = v()
    elif where == "output key":
        p.section(p.pick(("outputs", "capabilities")))[p.fresh("out")] = {p.pick(("value", "description")): v()}
    elif where == "workflow key":
        p.section("workflows")[p.fresh("probe_wf")] = {"mapping": p.mapping or "x.y", p.pick((
            "parameters", "is_cascading", "availability_rules", "mapping")): v()}
    elif where == "group key":
        p.section("groups")[p.fresh("probe_g")] = {"members": [name], p.pick(("members", "policies")): v()}
    elif where == "policy key":
        group = p.fresh("probe_g")
        p.section("groups")[group] = {"members": [name]}
        p.section("policies")[p.fresh("probe_p")] = {"type": SCALING, "targets": [group], p.pick((
            "type", "targets", "properties")): v()}
    elif where == "relationship type op input":
        rel_type = p.fresh("probe.R")
        p.section("relationships")[rel_type] = {"derived_from": "cloudify.relationships.depends_on",
                                                "source_interfaces": {"probe.iface": {"run": {
                                                    "implementation": p.mapping or "", "inputs": {"a": p.pick((
                                                        v(), {"type": v()}, {"default": v()},
                                                        {"type": "integer", "default": v()}))}}}}}
    else:
        p.section("workflows")[p.fresh("probe_wf")] = p.pick((v(), {"mapping": v()}))
    return f"{'odd' if value else 'empty'}: {where}"


# Values the reference's elements meet in odd shapes: null, empty ones, blanks, booleans where
# numbers go and numbers where strings go, a nested null.
ODD_VALUES = (None, {}, "", [], True, False, 0, -1, 1.5, "x", " ", [None], {"a": None}, {"": 1})


def odd(p: Probe) -> str:
    """`empty`'s places, each given one of ODD_VALUES instead of a null."""
    return empty(p, lambda: copy.deepcopy(p.pick(ODD_VALUES)))


FAMILIES: dict[str, Callable[[Probe], str]] = {
    "functions": functions, "scaling": scaling, "policies": policies, "schedules": schedules,
    "labels": labels, "constraints": constraints, "definitions": definitions, "empty": empty, "odd": odd,
}
# Functions are two thirds of the held-out gap: they get as many probes as the others together.
WEIGHTS = {"functions": 7, "scaling": 1, "policies": 1, "schedules": 1, "labels": 1, "constraints": 1,
           "definitions": 1, "empty": 1, "odd": 1}


def apply(rng: random.Random, main: dict, version: str, inputs: list[str], mapping: str | None,
          family: str | None = None) -> str:
    """Add one probe to `main` (the generated main blueprint, edited in place); returns what it is."""
    probe = Probe(rng, main, version, inputs, mapping)
    if family is None:
        names = sorted(FAMILIES)
        family = rng.choices(names, weights=[WEIGHTS[n] for n in names])[0]
    return FAMILIES[family](probe)
