"""Differential check: generated blueprints, resolved by us and by the reference parser.

A seeded generator writes small blueprint trees (a self-written basic `types.yaml`, one or two
plugin YAML files imported by relative path, script files beside the main blueprint) that
exercise the mapping rules of SPEC.md §4-§7: node and relationship type chains, every operation
form, every way a template overrides a type operation (§5.4), scripts (files, inline, URLs),
host_agent operations on hosted nodes, contained_in chains, relationship-instance interface
overrides, namespaced imports, workflows and DSL versions 1_3..1_5. A share of the blueprints is
made invalid on purpose by one mutation with a known reference code; for those only the verdict
and the code are compared.

Every blueprint is parsed by the reference (cloudify-common 7.0.5 `dsl_parser`) in a
subprocess -- one process answers a whole batch, printing one JSON line per blueprint -- and by
our resolver in this process, at the same time. The plans are compared on the fields of
`tests/conformance.py` (`compare_plan`) plus the verdict; operation inputs, retry/timeout
settings, the (plugin, executor) pairs of node plugins and the short operation names are
reported as separate groups. The one deliberate difference, the `type` key the reference
injects into dict-valued inputs (SPEC §10.4.27), is ignored exactly.

    python -m tests.differential [--count N] [--seed S] [--keep DIR] [--only I[,J...]]
                                 [--invalid-share F] [--known] [--shrink N] [--features]
                                 [--ref-python PATH] [--max-examples N] [--json FILE]

Blueprint `I` of seed `S` is the same on every run: `--seed S --only I --keep DIR` writes it
again for a look (each example in the report prints those options). `--shrink N` (with
`--keep`) deletes YAML entries of the first blueprint of each of N difference kinds for as long
as the difference remains, and prints the minimal blueprint. `--known` also generates the
constructs of KNOWN_DIFFERENCES, on which we are known to differ from the reference (open
reports), so that they can be reproduced; the default run and the tests leave them out.
Exit status: 0 no verdict, mapping or crash difference, 1 some, 2 no reference Python.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from bench.reference import INSTALL_HINT, find_python
from tests import probes
from tests.conformance import Difference, MISSING, compare_plan, same

REPO = Path(__file__).resolve().parents[1]

CENTRAL = "central_deployment_agent"
HOST = "host_agent"
VERSIONS = ("cloudify_dsl_1_3", "cloudify_dsl_1_4", "cloudify_dsl_1_5")
PROBE_SHARE = 0.4

# Constructs on which the resolver once differed from the reference: feature name -> what
# differed. All are fixed; they are generated only with --known (and by
# test_formerly_known_differences_now_agree), so a new open difference can be added here and
# kept out of the default run while it is being fixed.
KNOWN_EMPTY_IN_NAMESPACE = "known: '' operation inside a namespaced import"
KNOWN_NODE_INSTANCES_ACTIVE = "known: workflow availability_rules.node_instances_active value"
KNOWN_SCRIPT_URL_SPELLING = "known: script path read as a URL (leading /, trailing blank, #, %xx, absolute)"
KNOWN_BOOLEAN_NUMBER = "known: true/false as max_retries, retry_interval or timeout"
KNOWN_FUNCTION_CHECKS = "known: get_attribute/get_property entity or property the reference refuses"
KNOWN_DIFFERENCES = {
    KNOWN_FUNCTION_CHECKS:
        "in operation inputs the reference refuses get_attribute/get_property with SELF in a "
        "relationship operation, SOURCE/TARGET in a node operation (ValueError) and "
        "get_property [SELF, p] for a property the node does not have (FunctionEvaluationError); "
        "we accept them",
    KNOWN_BOOLEAN_NUMBER:
        "the reference takes a boolean as a number there (Python's bool is an int) and accepts "
        "it; we reject it (schema-wrong-type)",
    KNOWN_SCRIPT_URL_SPELLING:
        "the reference probes `<main folder URL>/<mapping>` with urllib: '/scripts/x.sh', "
        "'scripts/x.sh\\n' (a | block), 'scripts/x.sh#part', 'scripts/%78.sh' are found there "
        "(script operations), an absolute path outside the folder is not (code 10); we do the "
        "opposite",
    KNOWN_NODE_INSTANCES_ACTIVE:
        "a node_instances_active value outside all/partial/none (e.g. 'some') is code 103 in the "
        "reference; we accept it",
    KNOWN_EMPTY_IN_NAMESPACE:
        "the reference prefixes the empty implementation too ('ns--'), so the operation maps to "
        "nothing (code 10 / 19); we take it as a no-op",
}

# Groups of differences. MAPPING and VERDICT are the ones that must be empty.
VERDICT = "verdict"
MAPPING = "mapping"
CRASH = "crash"
PLUGIN_EXECUTORS = "node plugin executors"
INPUTS = "operation inputs"
SETTINGS = "operation settings"
SHORT_NAMES = "short operation names"
REFERENCE = "reference"  # the reference crashed, timed out, or rejected a blueprint meant valid
ASSERTED = (VERDICT, MAPPING, CRASH)

SETTING_FIELDS = ("max_retries", "retry_interval", "timeout", "timeout_recoverable")
INSTALL_FIELDS = ("name", "executor", "install", "package_name", "package_version")


# =============================================================================================
# The generator
#
# Every definition is built as a Python object that is dumped to YAML, alongside a small model
# of what it means (the effective operations of each type, which of them need a host, which
# inputs have no default) so that every blueprint stays valid: a host_agent operation only on a
# hosted node, every input without a default given a value by each template that keeps it.


@dataclass
class OpModel:
    """One operation as written in a type: what a template must do about it."""

    impl: str                      # '' for a no-op
    required: tuple[str, ...] = ()  # schema inputs without a default
    optional: tuple[str, ...] = ()  # schema inputs with a default
    types: dict = field(default_factory=dict)  # input name -> declared type
    host: bool = False             # resolves to the host_agent executor
    script: bool = False           # a script implementation (inputs may not name script_path)


@dataclass
class TypeModel:
    name: str
    parent: "TypeModel | None"
    ops: dict  # interface -> {op: OpModel}, own definitions only
    host_type: bool = False        # its hierarchy names cloudify.nodes.Compute (substring)
    needs_host: bool = False       # some effective operation needs a host
    depends_on: bool = True        # relationship types: derives from depends_on (connection_type)
    contained: bool = False        # relationship types: derives from contained_in
    src_host: bool = False         # relationship types: a source operation needs a host
    tgt_host: bool = False         # relationship types: a target operation needs a host
    source_ops: dict = field(default_factory=dict)
    target_ops: dict = field(default_factory=dict)
    local: str = ""                # the name as written in its own file (namespaced imports)

    def __post_init__(self) -> None:
        self.local = self.local or self.name

    def effective(self, side: str = "ops") -> dict:
        """Interfaces after inheritance: union, the sub-type's operation replacing the parent's."""
        base = self.parent.effective(side) if self.parent else {}
        merged = {iface: dict(ops) for iface, ops in base.items()}
        for iface, ops in getattr(self, side).items():
            merged.setdefault(iface, {}).update(ops)
        return merged


LIFECYCLE = "cloudify.interfaces.lifecycle"
VALIDATION = "cloudify.interfaces.validation"
AGENT = "cloudify.interfaces.cloudify_agent"
REL_LIFECYCLE = "cloudify.interfaces.relationship_lifecycle"
# Fewer operations than Cloudify's types.yaml: the reference's time grows with every operation
# of every node (it deep-copies them), and the rules are the same for each.
LIFECYCLE_OPS = ("precreate", "create", "configure", "start", "stop", "delete")
VALIDATION_OPS = ("create", "delete")
REL_OPS = ("preconfigure", "postconfigure", "establish", "unlink")
CUSTOM_INTERFACES = {
    "gen.interfaces.maintenance": ("backup", "restore", "create"),
    "gen.interfaces.monitor": ("start", "stop", "poll"),
    "plain_interface": ("poll", "check"),
}
CUSTOM_REL_INTERFACES = {"gen.interfaces.wiring": ("notify", "sync", "establish")}
INPUT_NAMES = ("port", "conf", "label", "retries", "items", "flag", "ratio", "endpoint")
PLUGIN_NAME_POOL = ("cloud", "cloud_ext", "netp", "cfg.tools", "dbp", "monp", "fab")
MODULES = ("tasks", "ops.net", "plugin_mod.tasks", "a.b.c")
WORDS = ("alpha", "beta", "gamma", "delta", "omega", "zeta", "kappa", "sigma")
SCRIPT_DIRS = ("scripts", "scripts/sub", "")
SCRIPT_TEXT = "#!/bin/bash\necho generated\n"


class Gen:
    """Builds one blueprint tree: `files` maps a path relative to the case folder to a YAML
    object (dict) or a text."""

    def __init__(self, rng: random.Random, name: str, known: bool = False):
        self.rng = rng
        self.known = known  # also generate the constructs of KNOWN_DIFFERENCES
        self.name = name
        self.version = rng.choice(VERSIONS)
        self.files: dict[str, Any] = {}
        self.features: set[str] = set()
        self.counter = 0
        # declared plugins, in declaration order of the merged blueprint: name -> executor
        self.plugins: dict[str, str] = {}
        self.script_plugin = True
        self.inputs: list[str] = []
        self.node_types: dict[str, TypeModel] = {}
        self.rel_types: dict[str, TypeModel] = {}
        self.type_homes: dict[str, str] = {}  # generated type name -> file it is written in
        self.in_relationship = False  # generating relationship operations (get_attribute entity)
        # Namespaced imports (SPEC §2.7): file -> namespace; plugin (as referenced from outside,
        # `ns--name`) -> (file declaring it, name written there). While definitions of a
        # namespaced file are generated, `scope` is its namespace: mappings may then name only
        # that file's plugins, by their written names (built-in ones would get the prefix too).
        self.namespaces: dict[str, str] = {}
        self.plugin_home: dict[str, tuple[str, str]] = {}
        self.scope: str | None = None
        self.main = {}
        self.last_op: dict = {}

    # --- small helpers -------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def mark(self, feature: str) -> None:
        self.features.add(feature)

    def value(self, kind: str | None = None) -> Any:
        rng = self.rng
        kind = kind or rng.choice(("string", "integer", "boolean", "float", "list", "dict"))
        if kind == "string":
            return rng.choice(WORDS) + str(rng.randint(0, 99))
        if kind == "integer":
            return rng.randint(-5, 5000)
        if kind == "boolean":
            return rng.choice((True, False))
        if kind == "float":
            return rng.choice((0.5, 2.25, 10.0))
        if kind == "list":
            return [rng.choice(WORDS) for _ in range(rng.randint(0, 3))]
        return {rng.choice(WORDS): rng.randint(0, 9) for _ in range(rng.randint(1, 3))}

    def function_value(self) -> Any:
        roll = self.rng.random()
        if self.inputs and not self.scope and roll < 0.5:
            # (inside a namespaced import the input name would get the prefix too)
            self.mark("input get_input")
            value = {"get_input": self.rng.choice(self.inputs)}
            if self.chance(0.3):
                self.mark("input concat")
                return {"concat": ["pre-", value, "-post"]}
            return value
        if roll < 0.6:
            self.mark("input get_secret")
            return {"get_secret": self.rng.choice(WORDS)}
        if self.known and roll < 0.64:
            # the reference checks the entity of get_attribute/get_property and the property of
            # get_property [SELF, ...]: these raise there (no code), we accept them
            self.mark(KNOWN_FUNCTION_CHECKS)
            wrong = "SELF" if self.in_relationship else self.rng.choice(("SOURCE", "TARGET"))
            return self.rng.choice(({"get_attribute": [wrong, "ip"]}, {"get_property": [wrong, "ip"]},
                                    {"get_property": ["SELF", "no_such_property"]}))
        # SELF is for node operations; relationship operations name SOURCE or TARGET (the
        # reference raises a raw ValueError for SELF there)
        entity = self.rng.choice(("SOURCE", "TARGET")) if self.in_relationship else "SELF"
        self.mark(f"input get_attribute {entity}")
        return {"get_attribute": [entity, self.rng.choice(WORDS)]}

    def script_file(self) -> str:
        folder = self.rng.choice(SCRIPT_DIRS)
        ext = self.rng.choice((".sh", ".py"))
        path = f"{folder}/{self.fresh('s_')}{ext}" if folder else f"{self.fresh('s_')}{ext}"
        self.files[path] = SCRIPT_TEXT
        return path

    def central_plugins(self) -> list[str]:
        return [p for p, ex in self.plugins.items() if ex == CENTRAL and p != "default_workflows"
                and "--" not in p]

    def usable_plugins(self, host_ok: bool, workflows: bool = False) -> list[tuple[str, str]]:
        """(name as written in the current scope, executor) of the plugins a mapping may use."""
        out = []
        for name, executor in self.plugins.items():
            if not (host_ok or executor == CENTRAL):
                continue
            if name == ("agent" if workflows else "default_workflows"):
                continue
            home, local = self.plugin_home.get(name, ("", name))
            if self.scope is None:
                out.append((name, executor))
            elif self.namespaces.get(home) == self.scope:
                out.append((local, executor))
        return out

    def in_scope(self, home: str) -> "_Scope":
        return _Scope(self, self.namespaces.get(home))

    # --- implementations and operations --------------------------------------------------

    def implementation(self, host_ok: bool, op: str, scripts: bool = True) -> tuple[str, bool, bool]:
        """(implementation string, needs a host by default, is a script)."""
        rng = self.rng
        roll = rng.random()
        usable = self.usable_plugins(host_ok)
        if not scripts or not self.script_plugin:
            roll = 0.0
        if not usable and roll < 0.62:
            roll = 0.7
        if roll < 0.62:
            plugin, executor = rng.choice(usable)
            if self.scope:
                self.mark("mapping inside a namespaced import")
            if self.chance(0.02):
                self.mark("mapping plugin-dot-only")
                return f"{plugin}.", executor == HOST, False
            self.mark(f"mapping plugin {executor}")
            return f"{plugin}.{rng.choice(MODULES)}.{op}_{rng.choice(WORDS)}", executor == HOST, False
        if self.scope:
            self.mark("script inside a namespaced import")
        if roll < 0.80:
            self.mark("mapping script file")
            path = self.script_file()
            if self.chance(0.1):
                self.mark("mapping script file ./")
                return "./" + path, False, True
            if self.known and self.chance(0.06):
                return self.url_spelled_script(path), False, True
            return path, False, True
        if roll < 0.88:
            self.mark("mapping inline script")
            return f"#!/bin/bash\necho {op}\nexit 0\n", False, True
        if roll < 0.95:
            self.mark("mapping http url")
            return f"http://scripts.example.com/{rng.choice(WORDS)}/{op}.sh", False, True
        if roll < 0.975 and usable:
            # SPEC §10.4.23: a file named like a plugin mapping makes it a script
            plugin, _ = rng.choice(usable)
            mapping = f"{plugin}.quirk.{self.fresh('f')}"
            self.files[mapping] = SCRIPT_TEXT
            self.mark("mapping file named like plugin mapping")
            return mapping, False, True
        # SPEC §5.2.3: any `word:` prefix is a URL
        self.mark("mapping scheme-like prefix")
        return f"{rng.choice(WORDS)}:tasks.{op}", False, True

    def url_spelled_script(self, path: str) -> str:
        """A script path the reference finds because it opens `<main folder URL>/<path>` as a URL
        (KNOWN_SCRIPT_URL_SPELLING); or an absolute path outside the folder that it does not."""
        self.mark(KNOWN_SCRIPT_URL_SPELLING)
        how = self.rng.choice(("lead", "trail", "fragment", "escape", "absolute"))
        if how == "lead":
            return "/" + path
        if how == "trail":
            return path + self.rng.choice(("\n", " ", "\t"))
        if how == "fragment":
            return path + "#part"
        if how == "escape":
            folder, _, base = path.rpartition("/")
            escaped = "%" + format(ord(base[0]), "02x") + base[1:]
            return f"{folder}/{escaped}" if folder else escaped
        # an absolute path that exists, but not under the main blueprint's folder: the
        # reference does not find it (code 10), we take it as the script (valid becomes invalid)
        return os.path.abspath(__file__)

    def executor(self, host_ok: bool) -> str:
        return self.rng.choice((CENTRAL, HOST)) if host_ok else CENTRAL

    def input_schema(self, allow_required: bool) -> tuple[dict, list, list, dict]:
        """A type operation's inputs schema; returns (schema, required, optional, declared types)."""
        rng = self.rng
        schema: dict = {}
        required, optional, types = [], [], {}
        for name in rng.sample(INPUT_NAMES, rng.choice((0, 1, 1, 2, 2, 3))):
            roll = rng.random()
            if roll < 0.03:
                schema[name] = {"default": None}
                self.mark("input default null")
            elif roll < 0.25:
                schema[name] = {"default": self.value()}
            elif roll < 0.45:
                kind = rng.choice(("string", "integer", "boolean", "list", "dict"))
                schema[name] = {"type": kind, "default": self.value(kind)}
                types[name] = kind
            elif roll < 0.55:
                schema[name] = {"type": "dict", "default": self.value("dict")}
                types[name] = "dict"
                self.mark("input typed dict default")
            elif roll < 0.65:
                schema[name] = {"description": f"the {name}", "default": self.value()}
            elif roll < 0.75:
                kind = rng.choice(("string", "dict"))
                schema[name] = {"type": kind, "default": self.function_value()}
                types[name] = kind
                self.mark("input typed function default")
            elif allow_required:
                kind = rng.choice(("string", "integer", "dict", None))
                schema[name] = {"type": kind} if kind else {"description": "needed"}
                if kind:
                    types[name] = kind
                required.append(name)
                self.mark("input required")
                continue
            else:
                schema[name] = {"default": self.value()}
            optional.append(name)
        return schema, required, optional, types

    def qualify(self, impl: str) -> str:
        """An implementation written in the current scope, as the merged blueprint has it: inside
        a namespaced import every non-empty mapping gets the prefix (scripts included)."""
        return f"{self.scope}--{impl}" if self.scope and impl else impl

    def empty_string_op(self) -> Any:
        """'' (a no-op); inside a namespaced import that would become 'ns--' and fail (KNOWN)."""
        if self.scope and self.known:
            self.mark(KNOWN_EMPTY_IN_NAMESPACE)
            return self.rng.choice(("", {"implementation": ""}))
        return "" if not self.scope else {}

    def type_op(self, host_ok: bool, op: str, allow_required: bool = True) -> tuple[Any, OpModel]:
        """An operation as written in a node or relationship type."""
        key = (self.scope, self.in_relationship, host_ok)
        previous = self.last_op.get(key)
        if previous is not None and isinstance(previous[0], dict) and previous[0] and self.chance(0.08):
            # the same object again: the YAML file gets an anchor and an alias
            self.mark("type op YAML alias")
            return previous
        written = self._type_op(host_ok, op, allow_required)
        self.last_op[key] = written
        return written

    def _type_op(self, host_ok: bool, op: str, allow_required: bool = True) -> tuple[Any, OpModel]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.10:
            self.mark("type op noop {}")
            return {}, OpModel("")
        if roll < 0.13:
            self.mark("type op noop ''")
            return self.empty_string_op(), OpModel("")
        if roll < 0.16:
            schema, _, optional, types = self.input_schema(False)
            self.mark("type op noop with inputs")
            return {"inputs": schema or {"x": {"default": 1}}}, OpModel("", (), tuple(optional), types)
        impl, host, script = self.implementation(host_ok, op)
        if roll < 0.45:
            self.mark("type op string")
            return impl, OpModel(self.qualify(impl), host=host, script=script)
        self.mark("type op dict")
        definition: dict = {"implementation": impl}
        schema, required, optional, types = self.input_schema(allow_required)
        if schema or self.chance(0.2):
            definition["inputs"] = schema
        if self.chance(0.35):
            definition["executor"] = self.executor(host_ok)
            host = definition["executor"] == HOST
            self.mark(f"type op executor {definition['executor']}")
        if self.chance(0.3):
            definition["max_retries"] = rng.choice((-1, 0, 3, 10))
        if self.chance(0.2):
            definition["retry_interval"] = rng.choice((0, 1.5, 30))
        if self.chance(0.25):
            definition["timeout"] = rng.choice((0, 2.5, 60))
        if self.chance(0.15):
            definition["timeout_recoverable"] = rng.choice((True, False))
        if self.known and self.chance(0.02):
            definition[rng.choice(("max_retries", "retry_interval", "timeout"))] = rng.choice((True, False))
            self.mark(KNOWN_BOOLEAN_NUMBER)
        items = list(definition.items())
        rng.shuffle(items)
        return dict(items), OpModel(self.qualify(impl), tuple(required), tuple(optional), types, host,
                                    script)

    def template_values(self, model: OpModel, names: Iterable[str]) -> dict:
        out = {}
        for name in names:
            kind = model.types.get(name)
            if self.chance(0.15):
                out[name] = self.function_value()
            elif kind in ("string", "integer", "boolean", "list", "dict", "float"):
                out[name] = self.value(kind)
            else:
                out[name] = self.value()
        return out

    def free_values(self) -> dict:
        return {self.rng.choice(INPUT_NAMES) + "_x": self.value() for _ in range(self.rng.randint(1, 2))}

    def override(self, model: OpModel | None, hosted: bool, op: str) -> tuple[Any, bool]:
        """A template-level definition of an operation (§5.4). Returns (definition, keeps the
        type's definition untouched -- i.e. 'no override written')."""
        rng = self.rng
        if model is None:
            # not in the type: used as written
            impl, _, script = self.implementation(hosted, op)
            if self.chance(0.4):
                self.mark("template new op string")
                return impl, False
            self.mark("template new op dict")
            definition: dict = {"implementation": impl}
            if self.chance(0.6):
                definition["inputs"] = self.free_values()
                if not script and self.chance(0.2):
                    # reserved for scripts only: a plugin operation may carry it (no code 60)
                    definition["inputs"]["script_path"] = "not/a/script.sh"
                    self.mark("script_path input on a plugin operation")
            if self.chance(0.3):
                definition["executor"] = self.executor(hosted)
            if self.chance(0.2):
                definition["max_retries"] = rng.choice((0, 2))
            return definition, False
        choices = ["inputs only", "other implementation", "{}", "{inputs: {}}", "''",
                   "same implementation with inputs", "other implementation dict",
                   "{implementation: ''}"]
        if not model.required:
            choices += ["executor only", "settings only", "none", "none", "none"]
        if model.script:
            choices.append("inputs only")
        how = rng.choice(choices)
        if how == "none":
            return None, True
        self.mark(f"template override {how}")
        if how == "{}":
            return {}, False
        if how == "''":
            return "", False
        if how == "{inputs: {}}":
            return {"inputs": {}}, False
        if how == "{implementation: ''}":
            return rng.choice(({"implementation": ""}, {"implementation": "", "inputs": {}})), False
        if how in ("inputs only", "same implementation with inputs"):
            names = list(model.required) + [n for n in model.optional if self.chance(0.5)]
            values = self.template_values(model, names)
            if self.chance(0.5) or not values:
                values.update(self.free_values())
            definition = {"inputs": values}
            if how == "same implementation with inputs":
                definition["implementation"] = model.impl
            if self.chance(0.25):
                definition["timeout"] = rng.choice((5, 15))
            return definition, False
        if how == "executor only":
            if not model.impl and not hosted and self.chance(0.5):
                # a no-op keeps no executor: host_agent on it needs no host
                self.mark("host_agent executor on a no-op of an unhosted node")
                return {"executor": HOST}, False
            return {"executor": self.executor(hosted)}, False
        if how == "settings only":
            return {"max_retries": rng.choice((1, 7)), "retry_interval": rng.choice((2, 4.5))}, False
        impl = model.impl
        while impl == model.impl:  # another implementation, never the type's by chance
            impl, _, _ = self.implementation(hosted, op)
        if how == "other implementation":
            return impl, False
        definition = {"implementation": impl}
        if self.chance(0.6):
            definition["inputs"] = self.free_values()
        if self.chance(0.4):
            definition["executor"] = self.executor(hosted)
        return definition, False

    # --- the basic types file ---------------------------------------------------------------

    def basic_types(self) -> tuple[str, dict]:
        """A minimal stand-in for Cloudify's types.yaml; registers its models."""
        rng = self.rng
        path = rng.choice(("types.yaml", "types.yaml", "types/basic.yaml"))
        doc: dict = {}
        if self.chance(0.5):
            doc["tosca_definitions_version"] = "cloudify_dsl_1_3"
        plugins = {"agent": {"executor": CENTRAL, "install": False},
                   "default_workflows": {"executor": CENTRAL, "install": False},
                   "script": {"executor": HOST, "install": False}}
        if not self.script_plugin:
            del plugins["script"]
        order = list(plugins)
        rng.shuffle(order)
        doc["plugins"] = {name: plugins[name] for name in order}
        for name in order:
            self.plugins[name] = plugins[name]["executor"]
        lifecycle = {op: {} for op in LIFECYCLE_OPS}
        validation = {op: {} for op in VALIDATION_OPS}
        root = TypeModel("cloudify.nodes.Root", None,
                         {LIFECYCLE: {op: OpModel("") for op in LIFECYCLE_OPS},
                          VALIDATION: {op: OpModel("") for op in VALIDATION_OPS}})
        agent_ops: dict = {}
        agent_models: dict = {}
        for op in ("create", "start", "stop"):
            impl = f"agent.cloudify_agent.installer.operations.{op}"
            agent_ops[op] = {"implementation": impl, "executor": CENTRAL}
            agent_models[op] = OpModel(impl)
        agent_ops["install_plugins"] = {"implementation": "agent.cloudify_agent.operations.install_plugins",
                                        "executor": HOST}
        agent_models["install_plugins"] = OpModel(agent_ops["install_plugins"]["implementation"], host=True)
        agent_ops["create_amqp"] = {"implementation": "agent.cloudify_agent.operations.create_agent_amqp",
                                    "inputs": {"install_agent_timeout": {"default": 300},
                                               "manager_ip": {"default": ""}}}
        agent_models["create_amqp"] = OpModel(agent_ops["create_amqp"]["implementation"],
                                              optional=("install_agent_timeout", "manager_ip"))
        compute = TypeModel("cloudify.nodes.Compute", root, {AGENT: agent_models}, host_type=True,
                            needs_host=True)
        software = TypeModel("cloudify.nodes.SoftwareComponent", root, {})
        web = TypeModel("cloudify.nodes.WebServer", software, {})
        container = TypeModel("cloudify.nodes.Container", compute, {}, host_type=True, needs_host=True)
        doc["node_types"] = {
            "cloudify.nodes.Root": {"interfaces": {LIFECYCLE: lifecycle, VALIDATION: validation}},
            "cloudify.nodes.Compute": {"derived_from": "cloudify.nodes.Root",
                                       "properties": {"ip": {"default": ""},
                                                      "os_family": {"default": "linux"}},
                                       "interfaces": {AGENT: agent_ops}},
            "cloudify.nodes.Container": {"derived_from": "cloudify.nodes.Compute"},
            "cloudify.nodes.SoftwareComponent": {"derived_from": "cloudify.nodes.Root"},
            "cloudify.nodes.WebServer": {"derived_from": "cloudify.nodes.SoftwareComponent",
                                         "properties": {"port": {"default": 80}}},
        }
        for model in (root, compute, container, software, web):
            self.node_types[model.name] = model
        rel_ops = {op: {} for op in REL_OPS}
        depends = TypeModel("cloudify.relationships.depends_on", None, {},
                            source_ops={REL_LIFECYCLE: {op: OpModel("") for op in REL_OPS}},
                            target_ops={REL_LIFECYCLE: {op: OpModel("") for op in REL_OPS}})
        connected = TypeModel("cloudify.relationships.connected_to", depends, {})
        contained = TypeModel("cloudify.relationships.contained_in", depends, {}, contained=True)
        doc["relationships"] = {
            "cloudify.relationships.depends_on": {
                "properties": {"connection_type": {"default": "all_to_all"}},
                "source_interfaces": {REL_LIFECYCLE: dict(rel_ops)},
                "target_interfaces": {REL_LIFECYCLE: dict(rel_ops)}},
            "cloudify.relationships.connected_to": {"derived_from": "cloudify.relationships.depends_on"},
            "cloudify.relationships.contained_in": {"derived_from": "cloudify.relationships.depends_on"},
        }
        for model in (depends, connected, contained):
            self.rel_types[model.name] = model
        doc["workflows"] = {
            "install": "default_workflows.cloudify.plugins.workflows.install",
            "uninstall": {"mapping": "default_workflows.cloudify.plugins.workflows.uninstall",
                          "parameters": {"ignore_failure": {"default": False, "type": "boolean"}}},
            "execute_operation": {"mapping": "default_workflows.cloudify.plugins.workflows.execute_operation",
                                  "parameters": {"operation": {"type": "string"},
                                                 "operation_kwargs": {"default": {}}}},
        }
        return path, doc

    # --- plugin files -------------------------------------------------------------------------

    def plugin_declarations(self, count: int, home: str = "blueprint.yaml") -> dict:
        rng = self.rng
        out = {}
        namespace = self.namespaces.get(home)
        for _ in range(count):
            taken = {self.plugin_home.get(p, ("", p))[1] for p in self.plugins}
            free = [n for n in PLUGIN_NAME_POOL if n not in taken]
            if not free:
                break
            name = rng.choice(free)
            executor = CENTRAL if not self.central_plugins() else rng.choice((CENTRAL, HOST))
            entry: dict = {"executor": executor}
            roll = rng.random()
            if roll < 0.4:
                entry["package_name"] = f"cloudify-{name.replace('.', '-')}-plugin"
                entry["package_version"] = rng.choice(("1.0", "2.3.1", "0.9.0"))
            elif roll < 0.7:
                entry["source"] = f"https://example.com/{name}.zip"
            elif roll < 0.85:
                entry["install"] = False
            else:
                entry["install"] = True
                entry["source"] = f"{name}-src"
                entry["package_name"] = f"{name}-pkg"
            if self.chance(0.2):
                entry["install_arguments"] = "--pre"
            out[name] = entry
            external = f"{namespace}--{name}" if namespace else name
            self.plugins[external] = executor
            self.plugin_home[external] = (home, name)
            self.mark(f"plugin {executor}")
            if namespace:
                self.mark("plugin in a namespaced import")
        if self.chance(0.04) and "jscript" not in self.plugins and not namespace:
            # SPEC §5.2.6: the script plugin is the first declared plugin ending in `script`
            out["jscript"] = {"executor": rng.choice((CENTRAL, HOST)), "install": False}
            self.plugins["jscript"] = out["jscript"]["executor"]
            self.mark("plugin named *script")
        return out

    # --- node types -------------------------------------------------------------------------

    def node_type(self, kind: str, hosted: bool) -> TypeModel:
        """A new node type chain of 1-3 levels ending in a type fit for a template that is a
        host (kind 'host') or not, hosted or not."""
        rng = self.rng
        if kind == "host":
            base_name = rng.choice(("cloudify.nodes.Compute", "cloudify.nodes.Compute",
                                    "cloudify.nodes.Container"))
        else:
            base_name = rng.choice(("cloudify.nodes.Root", "cloudify.nodes.SoftwareComponent",
                                    "cloudify.nodes.WebServer"))
        parent = self.node_types[base_name]
        host_ok = hosted or kind == "host"
        quirk = kind == "host" and self.chance(0.08)
        levels = rng.choice((1, 1, 2, 2, 3))
        home = rng.choice(self.type_files)
        with self.in_scope(home):
            return self._node_type_chain(parent, host_ok, quirk, levels, home)

    def _node_type_chain(self, parent: TypeModel, host_ok: bool, quirk: bool, levels: int,
                         home: str) -> TypeModel:
        rng = self.rng
        for level in range(levels):
            if quirk and level == 0:
                # SPEC §4.1: host detection is a substring test on the hierarchy
                name = self.fresh("gen.cloudify.nodes.ComputeLike")
                parent = self.node_types["cloudify.nodes.Root"]
                self.mark("host type by substring")
            else:
                name = self.type_name("gen.nodes.T")
            model = TypeModel(self.external(name), parent, {}, host_type=parent.host_type or quirk)
            model.local = name
            definition: dict = {"derived_from": parent.local}
            if self.chance(0.3):
                definition["properties"] = {"size": {"type": "integer", "default": rng.randint(1, 9)},
                                            "tag": {"default": rng.choice(WORDS)}}
            interfaces: dict = {}
            effective = parent.effective()
            pools = [(LIFECYCLE, LIFECYCLE_OPS), (VALIDATION, VALIDATION_OPS)] + list(CUSTOM_INTERFACES.items())
            for iface, ops in rng.sample(pools, rng.choice((0, 1, 1, 2, 2, 3))):
                written: dict = {}
                for op in rng.sample(ops, rng.randint(1, min(3, len(ops)))):
                    inherited = effective.get(iface, {}).get(op)
                    if inherited is not None and inherited.impl and self.chance(0.35):
                        # an explicit no-op that removes the inherited implementation
                        written[op] = rng.choice(({}, self.empty_string_op()))
                        model.ops.setdefault(iface, {})[op] = OpModel("")
                        self.mark("sub-type no-op overrides parent")
                        continue
                    if inherited is not None and inherited.impl:
                        self.mark("sub-type replaces parent op")
                    written[op], model.ops.setdefault(iface, {})[op] = self.type_op(host_ok, op)
                interfaces[iface] = written
            if interfaces:
                definition["interfaces"] = interfaces
            model.needs_host = parent.needs_host or any(
                m.host for ops in model.effective().values() for m in ops.values())
            self.node_types[model.name] = model
            self.place_type("node_types", name, definition, home)
            parent = model
        return parent

    def external(self, name: str) -> str:
        """A name defined in the current scope, as the main blueprint refers to it (names
        starting with `cloudify.` are never prefixed)."""
        return f"{self.scope}--{name}" if self.scope and not name.startswith("cloudify.") else name

    def type_name(self, stem: str) -> str:
        """A fresh type name; now and then `cloudify.`-prefixed inside a namespaced import."""
        if self.scope and self.chance(0.2):
            self.mark("cloudify. type inside a namespaced import")
            return self.fresh(f"cloudify.{stem}")
        return self.fresh(stem)

    def place_type(self, section: str, name: str, definition: dict, home: str) -> None:
        self.files[home].setdefault(section, {})[name] = definition
        self.type_homes[name] = home

    def pick_node_type(self, kind: str, hosted: bool) -> TypeModel:
        def fits(model: TypeModel) -> bool:
            if model.host_type != (kind == "host"):
                return False
            return hosted or kind == "host" or not model.needs_host
        pool = [m for m in self.node_types.values() if fits(m)]
        generated = [m for m in pool if m.name not in BUILTIN_NODE_TYPES]
        if generated and self.chance(0.65):
            return self.rng.choice(generated)
        if pool and self.chance(0.25):
            return self.rng.choice(pool)
        return self.node_type(kind, hosted)

    # --- relationship types -------------------------------------------------------------------

    def rel_type(self, contained: bool, src_hosted: bool, tgt_hosted: bool) -> TypeModel:
        self.in_relationship = True
        home = self.rng.choice(self.type_files)
        try:
            with self.in_scope(home):
                return self._rel_type(contained, src_hosted, tgt_hosted, home)
        finally:
            self.in_relationship = False

    def _rel_type(self, contained: bool, src_hosted: bool, tgt_hosted: bool, home: str) -> TypeModel:
        rng = self.rng
        if contained:
            parent = self.rel_types["cloudify.relationships.contained_in"]
        elif self.chance(0.06):
            parent = None
            self.mark("root-less relationship type")
        else:
            parent = self.rel_types[rng.choice(("cloudify.relationships.depends_on",
                                                "cloudify.relationships.connected_to"))]
        for _ in range(rng.choice((1, 1, 2))):
            name = self.type_name("gen.relationships.R")
            model = TypeModel(self.external(name), parent, {},
                              depends_on=parent is not None and parent.depends_on, contained=contained)
            model.local = name
            definition: dict = {}
            if parent is not None:
                definition["derived_from"] = parent.local
            for side, hosted in (("source", src_hosted), ("target", tgt_hosted)):
                if self.chance(0.25):
                    continue
                effective = parent.effective(f"{side}_ops") if parent else {}
                interfaces: dict = {}
                pools = [(REL_LIFECYCLE, REL_OPS)] + list(CUSTOM_REL_INTERFACES.items())
                for iface, ops in rng.sample(pools, rng.randint(1, 2)):
                    written = {}
                    for op in rng.sample(ops, rng.randint(1, 2)):
                        inherited = effective.get(iface, {}).get(op)
                        if inherited is not None and inherited.impl and self.chance(0.3):
                            written[op] = {}
                            getattr(model, f"{side}_ops").setdefault(iface, {})[op] = OpModel("")
                            self.mark("relationship sub-type no-op")
                            continue
                        written[op], getattr(model, f"{side}_ops").setdefault(iface, {})[op] = \
                            self.type_op(hosted, op)
                    interfaces[iface] = written
                definition[f"{side}_interfaces"] = interfaces
            model.src_host = (parent.src_host if parent else False) or any(
                m.host for ops in model.effective("source_ops").values() for m in ops.values())
            model.tgt_host = (parent.tgt_host if parent else False) or any(
                m.host for ops in model.effective("target_ops").values() for m in ops.values())
            self.rel_types[model.name] = model
            self.place_type("relationships", name, definition, home)
            parent = model
        return parent

    def pick_rel_type(self, contained: bool, src_hosted: bool, tgt_hosted: bool) -> TypeModel:
        def fits(model: TypeModel) -> bool:
            return (model.contained == contained and (src_hosted or not model.src_host)
                    and (tgt_hosted or not model.tgt_host))
        pool = [m for m in self.rel_types.values() if fits(m)]
        generated = [m for m in pool if m.name not in BUILTIN_REL_TYPES]
        if generated and self.chance(0.6):
            return self.rng.choice(generated)
        if pool and self.chance(0.35):
            return self.rng.choice(pool)
        return self.rel_type(contained, src_hosted, tgt_hosted)

    # --- templates ------------------------------------------------------------------------------

    def interface_overrides(self, effective: dict, hosted: bool, extra_pools: dict) -> dict:
        """Template-level interfaces over the type's effective interfaces: every operation with an
        input lacking a default is overridden so that it gets a value (or loses the need)."""
        rng = self.rng
        out: dict = {}
        for iface, ops in effective.items():
            for op, model in ops.items():
                must = bool(model.required)
                if not must and not self.chance(0.22):
                    continue
                definition, untouched = self.override(model, hosted, op)
                if untouched:
                    continue
                out.setdefault(iface, {})[op] = definition
        if self.chance(0.35):
            iface, ops = rng.choice(list(extra_pools.items()))
            op = rng.choice(ops)
            if op not in effective.get(iface, {}):
                definition, _ = self.override(None, hosted, op)
                out.setdefault(iface, {})[op] = definition
        if self.chance(0.1):
            # an operation in a brand-new interface
            iface = self.fresh("gen.interfaces.extra")
            definition, _ = self.override(None, hosted, "run")
            out[iface] = {"run": definition}
        return out

    def templates(self) -> dict:
        rng = self.rng
        count = rng.randint(2, 4)
        names: list[str] = []
        hosted: dict[str, bool] = {}
        out: dict = {}
        contained_targets: dict[str, str] = {}
        for index in range(count):
            roll = rng.random()
            if index == 0 or roll < 0.3:
                role = "host"
            elif roll < 0.75 and names:
                role = "contained"
            else:
                role = "free"
            name = self.fresh({"host": "vm", "contained": "app", "free": "svc"}[role])
            template: dict = {}
            relationships = []
            if role == "contained":
                target = rng.choice(names)
                is_hosted = hosted[target]
                rel = self.pick_rel_type(True, is_hosted, hosted[target])
                relationships.append((rel, target))
                contained_targets[name] = target
                if is_hosted and hosted.get(target) and target in contained_targets:
                    self.mark("host through several levels")
            elif role == "host" and names and self.chance(0.1):
                # a host contained in something: still its own host
                target = rng.choice(names)
                rel = self.pick_rel_type(True, True, hosted[target])
                relationships.append((rel, target))
                self.mark("host contained in another node")
                is_hosted = True
            else:
                is_hosted = role == "host"
            if role != "host" and not is_hosted:
                self.mark("unhosted node")
            kind = "host" if role == "host" else "other"
            model = self.pick_node_type(kind, is_hosted)
            template["type"] = model.name
            for _ in range(rng.choice((0, 1, 1, 2))):
                others = [n for n in names if all(t != n for _, t in relationships)]
                if not others:
                    break
                target = rng.choice(others)
                rel = self.pick_rel_type(False, is_hosted, hosted[target])
                relationships.append((rel, target))
            if relationships and self.chance(0.05):
                rel, target = relationships[-1]
                if not rel.contained:
                    relationships.append((rel, target))
                    self.mark("same relationship twice")
            rng.shuffle(relationships)
            if relationships:
                template["relationships"] = [self.rel_instance(rel, target, is_hosted, hosted[target])
                                             for rel, target in relationships]
            pools = {LIFECYCLE: LIFECYCLE_OPS, **CUSTOM_INTERFACES}
            interfaces = self.interface_overrides(model.effective(), is_hosted, pools)
            empty = rng.choice((LIFECYCLE, "gen.interfaces.empty"))
            if empty not in interfaces and self.chance(0.05):
                interfaces[empty] = {}
                self.mark("template empty interface")
            if interfaces:
                template["interfaces"] = interfaces
            if "WebServer" in " ".join(self.hierarchy(model)) and self.chance(0.3):
                template["properties"] = {"port": rng.randint(1000, 9000)}
            items = list(template.items())
            rng.shuffle(items)
            out[name] = dict(items)
            names.append(name)
            hosted[name] = is_hosted
        return out

    def hierarchy(self, model: TypeModel) -> list[str]:
        chain = []
        while model is not None:
            chain.append(model.name)
            model = model.parent
        return chain[::-1]

    def rel_instance(self, rel: TypeModel, target: str, src_hosted: bool, tgt_hosted: bool) -> dict:
        self.in_relationship = True
        try:
            return self._rel_instance(rel, target, src_hosted, tgt_hosted)
        finally:
            self.in_relationship = False

    def _rel_instance(self, rel: TypeModel, target: str, src_hosted: bool, tgt_hosted: bool) -> dict:
        instance: dict = {"type": rel.name, "target": target}
        if rel.depends_on and self.chance(0.15):
            instance["properties"] = {"connection_type": self.rng.choice(("all_to_one", "all_to_all"))}
        pools = {REL_LIFECYCLE: REL_OPS, **CUSTOM_REL_INTERFACES}
        for side, hosted in (("source", src_hosted), ("target", tgt_hosted)):
            overrides = self.interface_overrides(rel.effective(f"{side}_ops"), hosted, pools)
            if overrides:
                instance[f"{side}_interfaces"] = overrides
                self.mark(f"relationship instance {side} override")
        return instance

    # --- workflows ------------------------------------------------------------------------------

    def workflows(self, home: str) -> dict:
        with self.in_scope(home):
            return self._workflows()

    def _workflows(self) -> dict:
        rng = self.rng
        out: dict = {}
        for _ in range(rng.randint(0, 4)):
            name = self.fresh("wf_")
            roll = rng.random()
            mapping = self.workflow_mapping()
            if roll < 0.35:
                out[name] = mapping
                self.mark("workflow string")
                continue
            definition: dict = {"mapping": mapping}
            if self.chance(0.8):
                params = {}
                for param in rng.sample(("node_id", "count", "force", "target", "opts"), rng.randint(0, 3)):
                    how = rng.random()
                    if how < 0.4:
                        params[param] = {"default": self.value()}
                    elif how < 0.7:
                        kind = rng.choice(("string", "integer", "boolean"))
                        params[param] = {"type": kind, "default": self.value(kind),
                                         "description": f"{param} of the workflow"}
                    elif how < 0.85:
                        params[param] = {"type": "string"}
                    else:
                        params[param] = {}
                definition["parameters"] = params
                self.mark("workflow parameters")
            if self.chance(0.2):
                definition["is_cascading"] = rng.choice((True, False))
            if self.version >= "cloudify_dsl_1_4" and self.chance(0.15):
                definition["availability_rules"] = {"available": True,
                                                    "node_instances_active": ["none", "partial"]}
            out[name] = definition
            self.mark("workflow dict")
        return out

    def workflow_mapping(self) -> str:
        rng = self.rng
        roll = rng.random() if self.script_plugin else 0.0
        usable = self.usable_plugins(True, workflows=True)
        if roll < 0.6 and usable:
            plugin, _ = rng.choice(usable)
            return f"{plugin}.{rng.choice(MODULES)}.wf_{rng.choice(WORDS)}"
        self.mark("workflow script")
        if roll < 0.8:
            return self.script_file()
        if roll < 0.9:
            return "#!/bin/bash\necho workflow\n"
        return f"http://scripts.example.com/wf/{rng.choice(WORDS)}.py"

    # --- the whole tree -------------------------------------------------------------------------

    def build(self) -> None:
        rng = self.rng
        self.script_plugin = True
        types_path, types_doc = self.basic_types()
        self.files[types_path] = types_doc
        main: dict = {"tosca_definitions_version": self.version}
        self.main = main
        plugin_paths = []
        for index in range(rng.randint(1, 2)):
            folder = rng.choice(("plugins/", "", "plugins/"))
            plugin_paths.append(f"{folder}{self.fresh('plug_')}.yaml")
        imports_of_main = [types_path]
        nested = None
        if len(plugin_paths) == 2 and os.path.dirname(plugin_paths[0]) == os.path.dirname(plugin_paths[1]) \
                and self.chance(0.4):
            nested = plugin_paths[1]  # imported by the first plugin file, relative to it
            imports_of_main.append(plugin_paths[0])
            self.mark("nested relative import")
        else:
            imports_of_main += plugin_paths
        for position, path in enumerate(imports_of_main):
            if path in plugin_paths and not (nested and path == plugin_paths[0]):
                if self.chance(0.25):
                    self.namespaces[path] = f"ns{position}"
                    self.mark("namespaced import")
        if self.chance(0.25):
            rng.shuffle(imports_of_main)
            self.mark("imports shuffled")
        main["imports"] = [f"{self.namespaces[p]}--{p}" if p in self.namespaces else p
                           for p in imports_of_main]
        if self.chance(0.5):
            main["inputs"] = {}
            for name in rng.sample(("inp_a", "inp_b", "inp_c"), rng.randint(1, 3)):
                main["inputs"][name] = {"default": self.value(rng.choice(("string", "integer")))}
                self.inputs.append(name)
        # plugin files: plugin declarations (and types, placed below)
        for path in plugin_paths:
            doc: dict = {}
            if self.chance(0.5):
                doc["tosca_definitions_version"] = rng.choice(
                    [v for v in VERSIONS if v <= self.version])
            self.files[path] = doc
        for path in plugin_paths:
            self.files[path]["plugins"] = self.plugin_declarations(rng.randint(1, 3), path)
        if nested:
            self.files[plugin_paths[0]]["imports"] = [os.path.basename(nested)]
        if self.chance(0.3):
            main["plugins"] = self.plugin_declarations(1)
            if not main["plugins"]:
                del main["plugins"]
        self.type_files = ["blueprint.yaml"] + plugin_paths
        self.files["blueprint.yaml"] = main
        main["node_templates"] = self.templates()
        plain = [p for p in plugin_paths if p not in self.namespaces]
        if plain and len(main["node_templates"]) > 2 and self.chance(0.2):
            # node templates may come from several files (DSL >= 1_3); their scripts are still
            # looked up beside the main blueprint
            home = rng.choice(plain)
            for name in rng.sample(sorted(main["node_templates"]), rng.randint(1, 2)):
                self.files[home].setdefault("node_templates", {})[name] = main["node_templates"].pop(name)
            self.mark("node templates in an imported file")
        home = rng.choice(plugin_paths) if self.chance(0.3) else "blueprint.yaml"
        workflows = self.workflows(home)
        if workflows:
            self.files[home]["workflows"] = workflows
        # a relationship type nobody uses is still mapped (and validated) by the reference
        if self.chance(0.2):
            self.rel_type(False, True, True)
            self.mark("unused relationship type")
        # a node type nobody uses is not: its mappings may name nothing (SPEC §4.1)
        if self.chance(0.1):
            home = rng.choice(self.type_files)
            with self.in_scope(home):
                name = self.fresh("gen.nodes.Unused")
                self.place_type("node_types", name, {
                    "derived_from": "cloudify.nodes.Root",
                    "interfaces": {LIFECYCLE: {"create": "nowhere.tasks.create",
                                               "configure": "scripts/absent.sh",
                                               "start": {"implementation": "nowhere.x.y",
                                                         "inputs": {"need": {"type": "string"}}}}}},
                    home)
            self.mark("unused node type with unresolvable mappings")
        self.order_main()

    def order_main(self) -> None:
        main = self.files["blueprint.yaml"]
        order = ("tosca_definitions_version", "imports", "inputs", "plugins", "node_types",
                 "relationships", "node_templates", "workflows")
        self.files["blueprint.yaml"] = {key: main[key] for key in order if key in main}


class _Scope:
    """`with gen.in_scope(file):` generate definitions as written in that file."""

    def __init__(self, gen: Gen, namespace: str | None):
        self.gen, self.namespace = gen, namespace

    def __enter__(self) -> None:
        self.saved, self.gen.scope = self.gen.scope, self.namespace

    def __exit__(self, *exc: Any) -> None:
        self.gen.scope = self.saved


BUILTIN_NODE_TYPES = {"cloudify.nodes.Root", "cloudify.nodes.Compute", "cloudify.nodes.Container",
                      "cloudify.nodes.SoftwareComponent", "cloudify.nodes.WebServer"}
BUILTIN_REL_TYPES = {"cloudify.relationships.depends_on", "cloudify.relationships.connected_to",
                     "cloudify.relationships.contained_in"}


# --- invalid blueprints: one mutation with a known reference code -----------------------------


def _templates(files: dict) -> dict:
    return files["blueprint.yaml"]["node_templates"]


def _unhosted(gen: Gen) -> list[str]:
    main = _templates(gen.files)
    out = []
    for name, template in main.items():
        if name.startswith("svc"):
            out.append(name)
    return out


def mutate(gen: Gen) -> tuple[str, int]:
    """Make the blueprint invalid in one way; returns (what, the reference's expected code)."""
    rng = gen.rng
    templates = _templates(gen.files)
    names = list(templates)
    first = names[0]
    plugin = gen.central_plugins()[0]
    options = []

    def op_on(name: str, definition: Any, iface: str = "gen.interfaces.broken") -> None:
        templates[name].setdefault("interfaces", {}).setdefault(iface, {})["boom"] = definition

    def unknown_plugin():
        op_on(rng.choice(names), "nowhere.mod.fn")
        return "node op with an undeclared plugin", 10

    def missing_script():
        op_on(rng.choice(names), "scripts/not_there.sh")
        return "node op with a missing script", 10

    def bad_executor():
        op_on(rng.choice(names), {"implementation": f"{plugin}.m.f", "executor": "nowhere"})
        return "illegal operation executor", 28

    def host_agent_unhosted():
        candidates = _unhosted(gen)
        if not candidates:
            return None
        op_on(rng.choice(candidates), {"implementation": f"{plugin}.m.f", "executor": HOST})
        return "host_agent op on an unhosted node", 24

    def missing_input():
        name = gen.fresh("gen.nodes.Needy")
        gen.files["blueprint.yaml"].setdefault("node_types", {})[name] = {
            "derived_from": "cloudify.nodes.Root",
            "interfaces": {LIFECYCLE: {"create": {"implementation": f"{plugin}.m.create",
                                                  "inputs": {"needed": {"type": "string"}}}}}}
        templates[gen.fresh("needy")] = {"type": name}
        return "operation input without a value", 107

    def script_path_input():
        path = gen.script_file()
        op_on(rng.choice(names), {"implementation": path, "inputs": {"script_path": "x.sh"}})
        return "script op with script_path input", 60

    def ambiguous():
        declared = gen.files["blueprint.yaml"].setdefault("plugins", {})
        declared[f"{plugin}.sub"] = {"executor": CENTRAL, "install": False}
        op_on(rng.choice(names), f"{plugin}.sub.m.f")
        return "ambiguous plugin prefix", 91

    def rel_unknown_plugin():
        source = rng.choice(names[1:] or names)
        target = next((n for n in names if n != source), None)
        if target is None:
            return None
        templates[source].setdefault("relationships", []).append(
            {"type": "cloudify.relationships.depends_on", "target": target,
             "source_interfaces": {REL_LIFECYCLE: {"establish": "nowhere.rel.fn"}}})
        return "relationship op with an undeclared plugin", 19

    def workflow_unknown():
        gen.files["blueprint.yaml"].setdefault("workflows", {})["broken_wf"] = "nowhere.wf.run"
        return "workflow with an undeclared plugin", 21

    def undefined_target():
        templates[rng.choice(names)].setdefault("relationships", []).append(
            {"type": "cloudify.relationships.connected_to", "target": "ghost"})
        return "relationship to an undefined node", 25

    def self_target():
        name = rng.choice(names)
        templates[name].setdefault("relationships", []).append(
            {"type": "cloudify.relationships.connected_to", "target": name})
        return "relationship to itself", 23

    def unknown_rel_type():
        templates[rng.choice(names[1:] or names)].setdefault("relationships", []).append(
            {"type": "gen.relationships.Ghost", "target": first})
        return "undefined relationship type", 26

    def unknown_node_type():
        templates[rng.choice(names)]["type"] = "gen.nodes.Ghost"
        return "undefined node type", 7

    def two_contained():
        # a later node contained in two earlier hosts: relationships only point backwards, so
        # no cycle appears (the reference is very slow to report one)
        position = {n: i for i, n in enumerate(names)}
        sources = [n for n in names if not n.startswith("vm")
                   and any(h.startswith("vm") and position[h] < position[n] for h in names)]
        if not sources:
            return None
        source = rng.choice(sources)
        hosts = [h for h in names if h.startswith("vm") and position[h] < position[source]]
        templates[source]["relationships"] = [
            r for r in templates[source].get("relationships", ()) if r["target"] not in hosts]
        templates[source]["relationships"] += [
            {"type": "cloudify.relationships.contained_in", "target": host}
            for host in (hosts[0], hosts[-1])]
        return "two contained_in relationships", 112

    # Not in the default set: the reference enumerates every simple cycle of its whole element
    # graph before reporting one (SPEC §10.5.34), ~40 s even for a 5-node blueprint.
    def cycle():
        if len(names) < 2:
            return None
        a, b = rng.sample(names, 2)
        templates[a].setdefault("relationships", []).append(
            {"type": "cloudify.relationships.depends_on", "target": b})
        templates[b].setdefault("relationships", []).append(
            {"type": "cloudify.relationships.depends_on", "target": a})
        return "relationship cycle", 100

    def parent_unknown():
        gen.files["blueprint.yaml"].setdefault("node_types", {})["gen.nodes.Orphan"] = {
            "derived_from": "gen.nodes.Missing"}
        return "derived_from an undefined type", 103

    def no_script_plugin():
        for path, doc in gen.files.items():
            if isinstance(doc, dict) and "script" in (doc.get("plugins") or {}):
                del doc["plugins"]["script"]
        for path, doc in gen.files.items():
            if isinstance(doc, dict):
                for p in list(doc.get("plugins") or {}):
                    if p.endswith("script"):
                        del doc["plugins"][p]
        op_on(rng.choice(names), gen.script_file())
        return "script op without a script plugin", 61

    def plugin_executor():
        gen.files["blueprint.yaml"].setdefault("plugins", {})["badexec"] = {
            "executor": "nowhere", "install": False}
        return "plugin with an illegal executor", 18

    def plugin_source():
        gen.files["blueprint.yaml"].setdefault("plugins", {})["nosource"] = {"executor": CENTRAL}
        return "plugin to install without source", 50

    def optional_input():
        name = gen.fresh("gen.nodes.Optional")
        gen.files["blueprint.yaml"].setdefault("node_types", {})[name] = {
            "derived_from": "cloudify.nodes.Root",
            "interfaces": {LIFECYCLE: {"start": {"implementation": f"{plugin}.m.start",
                                                 "inputs": {"maybe": {"type": "string",
                                                                      "required": False}}}}}}
        templates[gen.fresh("optional")] = {"type": name}
        return "required: false input without a default", 107

    def script_beside_import():
        homes = [p for p in gen.files if p.startswith("plugins/") and p.endswith(".yaml")
                 and p not in gen.namespaces]
        if not homes:
            return None
        home = rng.choice(homes)
        script = f"scripts/{gen.fresh('beside_import_')}.sh"
        gen.files[f"plugins/{script}"] = SCRIPT_TEXT  # beside the import, not the main file
        name = gen.fresh("gen.nodes.Beside")
        gen.files[home].setdefault("node_types", {})[name] = {
            "derived_from": "cloudify.nodes.Root",
            "interfaces": {LIFECYCLE: {"create": script}}}
        templates[gen.fresh("beside")] = {"type": name}
        return "script found only beside the importing file", 10

    def plain_plugin_name():
        op_on(rng.choice(names), plugin)
        return "mapping is a bare plugin name", 10

    def newer_import():
        if gen.version == VERSIONS[-1]:
            return None
        home = next(p for p in gen.files if p.endswith(".yaml") and p != "blueprint.yaml"
                    and isinstance(gen.files[p], dict) and "plugins" in gen.files[p]
                    and "agent" not in gen.files[p]["plugins"])
        gen.files[home] = {"tosca_definitions_version": VERSIONS[-1], **{
            k: v for k, v in gen.files[home].items() if k != "tosca_definitions_version"}}
        return "import declares a newer DSL version", 28

    def script_source_input():
        op_on(rng.choice(names), {"implementation": "http://example.com/x.sh",
                                  "inputs": {"script_source": "echo"}})
        return "script op with script_source input", 60

    def workflow_script_path():
        gen.files["blueprint.yaml"].setdefault("workflows", {})["wf_reserved"] = {
            "mapping": gen.script_file(), "parameters": {"script_path": {"default": "x"}}}
        return "script workflow with a script_path parameter", 60

    def builtin_in_namespace():
        if not gen.namespaces:
            return None
        home, namespace = rng.choice(sorted(gen.namespaces.items()))
        name = gen.fresh("gen.nodes.Builtin")
        gen.files[home].setdefault("node_types", {})[name] = {
            "derived_from": "cloudify.nodes.Root",
            "interfaces": {LIFECYCLE: {"create": "agent.cloudify_agent.operations.x"}}}
        templates[gen.fresh("builtin")] = {"type": f"{namespace}--{name}"}
        return "built-in plugin named inside a namespaced import", 10

    def unused_type_bad_executor():
        gen.files["blueprint.yaml"].setdefault("node_types", {})[gen.fresh("gen.nodes.Idle")] = {
            "derived_from": "cloudify.nodes.Root",
            "interfaces": {LIFECYCLE: {"create": {"implementation": f"{plugin}.m.c",
                                                  "executor": "nowhere"}}}}
        return "unused node type with an illegal executor", 28

    def unused_rel_unknown_plugin():
        gen.files["blueprint.yaml"].setdefault("relationships", {})[gen.fresh("gen.relationships.Idle")] = {
            "derived_from": "cloudify.relationships.depends_on",
            "target_interfaces": {REL_LIFECYCLE: {"unlink": "nowhere.rel.unlink"}}}
        return "unused relationship type with an undeclared plugin", 19

    def negative_setting():
        key, value = rng.choice((("max_retries", -2), ("retry_interval", -1), ("timeout", -5)))
        op_on(rng.choice(names), {"implementation": f"{plugin}.m.f", key: value})
        return f"operation {key} {value} (a raw ValueError in the reference)", None

    def host_target_op_unhosted():
        candidates = _unhosted(gen)
        sources = [n for n in names if n not in candidates]
        if not candidates or not sources:
            return None
        target = rng.choice(candidates)
        source = rng.choice([n for n in sources if n != target])
        templates[source].setdefault("relationships", []).append(
            {"type": "cloudify.relationships.connected_to", "target": target,
             "target_interfaces": {REL_LIFECYCLE: {"establish": {
                 "implementation": f"{plugin}.rel.establish", "executor": HOST}}}})
        return "host_agent target operation on an unhosted target", 24

    def workflow_without_mapping():
        gen.files["blueprint.yaml"].setdefault("workflows", {})["wf_nomap"] = {
            "parameters": {"a": {"default": 1}}}
        return "workflow without a mapping", 1

    def availability_rules():
        if gen.version != "cloudify_dsl_1_3":
            return None
        gen.files["blueprint.yaml"].setdefault("workflows", {})["wf_rules"] = {
            "mapping": f"{plugin}.wf.run", "availability_rules": {"available": True}}
        return "availability_rules below DSL 1_4", 102

    def bad_node_instances_active():
        if gen.version == "cloudify_dsl_1_3" or not gen.known:
            return None
        gen.mark(KNOWN_NODE_INSTANCES_ACTIVE)
        gen.files["blueprint.yaml"].setdefault("workflows", {})["wf_rules"] = {
            "mapping": f"{plugin}.wf.run", "availability_rules": {"node_instances_active": ["some"]}}
        return "bad node_instances_active value", 103

    options = [unused_type_bad_executor, unused_rel_unknown_plugin, negative_setting,
               host_target_op_unhosted, workflow_without_mapping, availability_rules,
               bad_node_instances_active,
               optional_input, script_beside_import, plain_plugin_name, newer_import,
               script_source_input, workflow_script_path, builtin_in_namespace,
               unknown_plugin, missing_script, bad_executor, host_agent_unhosted, missing_input,
               script_path_input, ambiguous, rel_unknown_plugin, workflow_unknown, undefined_target,
               self_target, unknown_rel_type, unknown_node_type, two_contained,
               parent_unknown, no_script_plugin, plugin_executor, plugin_source]
    rng.shuffle(options)
    for option in options:
        outcome = option()
        if outcome is not None:
            gen.order_main()
            return outcome
    raise AssertionError("no mutation applies")  # unreachable: unknown_plugin always does


# --- writing -----------------------------------------------------------------------------------


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when present: 10x faster
    pass


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


_Dumper.add_representer(str, _str)


def dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000)


@dataclass
class Case:
    name: str
    seed: str
    index: int
    folder: Path
    valid: bool
    mutation: str = ""
    expected_code: int | None = None
    features: frozenset = frozenset()
    version: str = ""
    known: bool = False
    invalid_share: float = 0.2
    probe: str = ""  # the rule probe added (tests/probes.py): its verdict is not known in advance
    probe_share: float = 0.0
    family: str | None = None

    @property
    def path(self) -> Path:
        return self.folder / "blueprint.yaml"

    @property
    def repro(self) -> str:
        return f"--seed {self.seed} --only {self.index}" + (" --known" if self.known else "") + \
            (f" --invalid-share {self.invalid_share:g}" if self.invalid_share != 0.2 else "") + \
            (f" --probe-share {self.probe_share:g}" if self.probe_share != PROBE_SHARE else "") + \
            (f" --family {self.family}" if self.family else "")


def generate(seed: Any, index: int, root: Path, invalid_share: float = 0.2,
             known: bool = False, probe_share: float = PROBE_SHARE, family: str | None = None) -> Case:
    """Write blueprint `index` of `seed` under root/<name>/ and describe it. Deterministic.

    A share `probe_share` of the valid ones gets one rule probe (tests/probes.py; of `family`
    only, when given), drawn after everything else so the other blueprints stay as they were."""
    rng = random.Random(f"differential/{seed}/{index}")
    name = f"s{seed}-{index:04d}"
    gen = Gen(rng, name, known)
    gen.build()
    valid = not rng.random() < invalid_share
    mutation, code = ("", None) if valid else mutate(gen)
    probe = ""
    if valid and rng.random() < probe_share:
        central = gen.central_plugins()
        mapping = f"{central[0]}.probe.run" if central else None
        probe = probes.apply(rng, gen.files["blueprint.yaml"], gen.version, list(gen.inputs), mapping, family)
        gen.mark(f"probe {probe.split(':')[0]}")
    folder = root / name
    if folder.exists():
        shutil.rmtree(folder)
    for relative, content in gen.files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else dump(content), encoding="utf-8")
    return Case(name, str(seed), index, folder, valid, mutation, code, frozenset(gen.features),
                gen.version, known, invalid_share, probe, probe_share, family)


# =============================================================================================
# The reference, in a subprocess

# Reads blueprint paths from stdin, one a line, as they come. Prints `@@DIFF <json>` per blueprint:
# {"index", "status": "ok", "plan": {...}} or {"index", "status": "error", "class", "code", "message"}.
# REFERENCE_VIEW is the part that turns a plan into what `compare` reads (tests/corpus_mutants.py
# drives it with other imports).
REFERENCE_VIEW = r'''
import json, sys, traceback
from dsl_parser import parser

OP_FIELDS = ("plugin", "operation", "executor", "inputs", "max_retries", "retry_interval",
             "timeout", "timeout_recoverable")
INSTALL_FIELDS = ("name", "executor", "install", "package_name", "package_version")


def ops(operations):
    return {name: {f: (op or {}).get(f) for f in OP_FIELDS} for name, op in (operations or {}).items()}


def install(entries):
    return [{f: entry.get(f) for f in INSTALL_FIELDS} for entry in entries or ()]


def view(plan):
    nodes = {}
    for node in plan["nodes"]:
        nodes[node["id"]] = {
            "type": node.get("type"),
            "type_hierarchy": node.get("type_hierarchy"),
            "host_id": node.get("host_id"),
            "operations": ops(node.get("operations")),
            "relationships": [{"type": r.get("type"), "target_id": r.get("target_id"),
                               "type_hierarchy": r.get("type_hierarchy"),
                               "source_operations": ops(r.get("source_operations")),
                               "target_operations": ops(r.get("target_operations"))}
                              for r in node.get("relationships") or ()],
            "plugins": [p["name"] for p in node.get("plugins") or ()],
            "plugin_pairs": sorted({(p["name"], p.get("executor")) for p in node.get("plugins") or ()}),
            "plugins_to_install": install(node.get("plugins_to_install")),
        }
    workflows = {name: {"plugin": w.get("plugin"), "operation": w.get("operation"),
                        "parameters": w.get("parameters"), "is_cascading": w.get("is_cascading")}
                 for name, w in (plan.get("workflows") or {}).items()}
    out = {"nodes": nodes, "workflows": workflows}
    for key in ("deployment_plugins_to_install", "host_agent_plugins_to_install",
                "workflow_plugins_to_install"):
        out[key] = install(plan.get(key))
    return out


'''

# Parses each blueprint path of stdin; reports as REFERENCE_VIEW's comment says.
REFERENCE_DRIVER = REFERENCE_VIEW + r'''
def main():
    for index, line in enumerate(sys.stdin):
        path = line.rstrip("\n")
        try:
            answer = {"status": "ok", "plan": view(parser.parse_from_path(path))}
        except Exception as exc:
            code = getattr(exc, "err_code", None)
            # DSLParsingElementMatchException keeps its message where the code should be
            answer = {"status": "error", "class": type(exc).__name__,
                      "code": code if isinstance(code, int) else None, "message": str(exc)[:600]}
        answer["index"] = index
        sys.stdout.write("@@DIFF " + json.dumps(answer, default=str, sort_keys=True) + "\n")
        sys.stdout.flush()


main()
'''


def find_reference_python(repo: Path = REPO) -> tuple[Path | None, str]:
    """The first Python that can import `dsl_parser` (bench.reference.find_python's order).
    Returns (path, "") or (None, why none was usable, with how to install one)."""
    python, why = find_python(repo)
    if python is not None:
        return python, ""
    return None, f"no reference Python ({why}); install one: {INSTALL_HINT}"


class ReferenceBatch:
    """One reference process parsing blueprints as they are submitted (one path a line on its
    standard input), answers read in a thread, so that generating, the reference and our own
    resolving overlap. A blueprint not answered within `timeout` seconds of its turn is given
    up (the process is killed) and the rest go to a new process."""

    def __init__(self, python: Path, workdir: Path, timeout: float = 60, driver: str = REFERENCE_DRIVER):
        self.python, self.workdir, self.timeout, self.driver = python, workdir, timeout, driver
        self.paths: list[str] = []
        self.answers: dict[int, dict] = {}
        self.closed = False
        self.changed = threading.Condition()
        workdir.mkdir(parents=True, exist_ok=True)
        self._start(0)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _start(self, base: int) -> None:
        """A new process answering from path `base` on (called with the lock held or before the
        reader runs)."""
        cwd = self.workdir / "cwd"  # empty: the reference looks in its cwd first for imports
        cwd.mkdir(exist_ok=True)
        self.process = subprocess.Popen([os.fspath(self.python), "-c", self.driver],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=cwd)
        self.base = base
        self.stderr_tail: collections.deque = collections.deque(maxlen=20)
        self.lines: queue.Queue = queue.Queue()
        process, lines, tail = self.process, self.lines, self.stderr_tail

        def pump() -> None:
            for line in process.stdout:
                if line.startswith("@@DIFF "):
                    lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        threading.Thread(target=lambda: tail.extend(process.stderr), daemon=True).start()
        for path in self.paths[base:]:
            self._write(path)
        if self.closed:
            self._close_stdin()

    def _write(self, path: str) -> None:
        try:
            self.process.stdin.write(path + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the process died; the reader notices and starts another

    def _close_stdin(self) -> None:
        try:
            self.process.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def submit(self, path: Path | str) -> None:
        """Queue one blueprint: its path, or the one-line job the driver reads."""
        with self.changed:
            self.paths.append(os.fspath(path))
            self._write(self.paths[-1])
            self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self._close_stdin()
            self.changed.notify_all()

    def _read(self) -> None:
        index = 0
        deadline = time.monotonic() + self.timeout + 30  # the first one pays for the imports
        while True:
            with self.changed:
                while index >= len(self.paths) and not self.closed:
                    self.changed.wait()
                    deadline = time.monotonic() + self.timeout + (30 if index == self.base else 0)
                if index >= len(self.paths):
                    break
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = "timeout"
            if line is None or line == "timeout":
                self.process.kill()
                self.process.wait()
                if line is None:
                    answer = {"status": "crash", "message": "reference process died: "
                              + " | ".join(s.strip() for s in list(self.stderr_tail)[-3:])}
                else:
                    answer = {"status": "timeout", "message": f"no answer within {self.timeout:g} s"}
                self.answers[index] = answer
                index += 1
                with self.changed:
                    self._start(index)
                deadline = time.monotonic() + self.timeout + 30
                continue
            answer = json.loads(line[len("@@DIFF "):])
            self.answers[self.base + answer.pop("index")] = answer
            index += 1
            deadline = time.monotonic() + self.timeout
        self.process.wait()

    def result(self, wait: float | None = None) -> dict[int, dict]:
        self.close()
        self.thread.join(wait)
        return self.answers


# =============================================================================================
# Comparing


@dataclass
class Finding:
    group: str
    kind: str
    case: Case
    path: str
    ours: Any = None
    theirs: Any = None

    def text(self) -> str:
        return Difference(self.kind, self.path, self.ours, self.theirs).__str__()


def _ours_view(plan: dict) -> dict:
    return plan


def _injected_type_only(ours: Any, theirs: Any) -> bool:
    """True when `theirs` is `ours` plus the `type` key the reference injects (SPEC §10.4.27)."""
    if not (isinstance(ours, dict) and isinstance(theirs, dict)):
        return False
    if "type" in ours or not isinstance(theirs.get("type"), str):
        return False
    return same(ours, {k: v for k, v in theirs.items() if k != "type"})


def _inputs_equal(ours: dict, theirs: dict) -> bool:
    ours, theirs = ours or {}, theirs or {}
    if ours.keys() != theirs.keys():
        return False
    return all(same(ours[k], theirs[k]) or _injected_type_only(ours[k], theirs[k]) for k in ours)


def _op_extras(out: list, case: Case, where: str, ours: dict | None, theirs: dict | None) -> None:
    ours, theirs = ours or {}, theirs or {}
    short_ours = sorted(k for k in ours if "." not in k)
    short_theirs = sorted(k for k in theirs if "." not in k)
    if short_ours != short_theirs:
        out.append(Finding(SHORT_NAMES, "short names differ", case, where,
                           sorted(set(short_ours) - set(short_theirs)),
                           sorted(set(short_theirs) - set(short_ours))))
    for name in sorted(k for k in ours.keys() & theirs.keys() if "." in k):
        mine, ref = ours[name] or {}, theirs[name] or {}
        if not _inputs_equal(mine.get("inputs"), ref.get("inputs")):
            out.append(Finding(INPUTS, "inputs", case, f"{where}[{name}].inputs",
                               mine.get("inputs"), ref.get("inputs")))
        for fld in SETTING_FIELDS:
            if not same(mine.get(fld), ref.get(fld)):
                kind = fld if ref.get("plugin") else f"{fld} of a no-op"
                out.append(Finding(SETTINGS, kind, case, f"{where}[{name}].{fld}",
                                   mine.get(fld), ref.get(fld)))


def compare(case: Case, ours: Any, theirs: dict) -> list[Finding]:
    """Every finding for one blueprint: `ours` is our Result (or an exception), `theirs` the
    reference's answer."""
    out: list[Finding] = []
    if isinstance(ours, BaseException):
        return [Finding(CRASH, "resolver raised", case, "resolve", f"{type(ours).__name__}: {ours}")]
    errors = [p for p in ours.problems if p.severity == "error"]
    for problem in errors:
        if problem.code == "internal-error":
            out.append(Finding(CRASH, "internal-error", case, "resolve", problem.message))
    status = theirs.get("status")
    if status in ("timeout", "crash"):
        out.append(Finding(REFERENCE, f"reference {status}", case, "reference", None,
                           theirs.get("message")))
        return out
    if status == "error":
        if case.valid and not case.probe:
            out.append(Finding(REFERENCE, f"reference rejects a generated valid blueprint "
                               f"({theirs.get('class')} {theirs.get('code')})", case, "reference",
                               None, theirs.get("message")))
        if not errors:
            out.append(Finding(VERDICT, f"we accept, reference rejects with {theirs.get('code')}",
                               case, "verdict", "accepted",
                               f"{theirs.get('class')} {theirs.get('code')}: {theirs.get('message')}"))
        elif theirs.get("code") is not None and theirs["code"] not in {p.ref_code for p in errors}:
            out.append(Finding(VERDICT, f"reference code {theirs.get('code')} not among ours",
                               case, "verdict",
                               [f"{p.code} ({p.ref_code}): {p.message}" for p in errors],
                               f"{theirs.get('class')} {theirs.get('code')}: {theirs.get('message')}"))
        return out
    if errors:
        for problem in errors:
            if problem.code != "internal-error":
                out.append(Finding(VERDICT, f"we reject with {problem.code}", case, "verdict",
                                   f"{problem.code} ({problem.ref_code}): {problem.message} "
                                   f"[{os.path.relpath(problem.file, case.folder) if problem.file else ''}"
                                   f":{problem.line}]", "accepted"))
        return out
    if not case.valid:
        out.append(Finding(REFERENCE, "reference accepts a blueprint mutated to be invalid", case,
                           "reference", case.mutation, "accepted"))
    plan, ref = ours.plan, theirs["plan"]
    for diff in compare_plan(plan, ref):
        out.append(Finding(MAPPING, diff.kind, case, diff.path, diff.ours, diff.theirs))
    mine = {node["id"]: node for node in plan.get("nodes") or ()}
    for node_id in sorted(mine.keys() & ref["nodes"].keys()):
        node, other = mine[node_id], ref["nodes"][node_id]
        pairs = sorted({(p["name"], p.get("executor")) for p in node.get("plugins") or ()})
        theirs_pairs = sorted(tuple(p) for p in other["plugin_pairs"])
        if pairs != theirs_pairs:
            out.append(Finding(PLUGIN_EXECUTORS, "node plugins (name, executor)", case,
                               f"nodes[{node_id}].plugins", pairs, theirs_pairs))
        where = f"nodes[{node_id}].operations"
        _op_extras(out, case, where, node.get("operations"), other["operations"])
        for index, (rel, rel_ref) in enumerate(zip(node.get("relationships") or (),
                                                   other["relationships"])):
            for side in ("source_operations", "target_operations"):
                _op_extras(out, case, f"nodes[{node_id}].relationships[{index}].{side}",
                           rel.get(side), rel_ref.get(side))
    return out


# =============================================================================================
# Running


@dataclass
class Report:
    cases: list[Case]
    findings: list[Finding]
    reference: str
    elapsed: float
    ours_seconds: float = 0.0

    def of(self, *groups: str) -> list[Finding]:
        return [f for f in self.findings if f.group in groups]

    @property
    def asserted(self) -> list[Finding]:
        return self.of(*ASSERTED)

    def grouped(self) -> list[tuple[tuple[str, str], list[Finding]]]:
        buckets: dict[tuple[str, str], list[Finding]] = collections.defaultdict(list)
        for finding in self.findings:
            buckets[(finding.group, finding.kind)].append(finding)
        order = {g: i for i, g in enumerate((VERDICT, CRASH, MAPPING, PLUGIN_EXECUTORS, INPUTS,
                                             SETTINGS, SHORT_NAMES, REFERENCE))}
        return sorted(buckets.items(), key=lambda item: (order.get(item[0][0], 99), -len(item[1]),
                                                         item[0][1]))

    def features(self) -> collections.Counter:
        return collections.Counter(f for case in self.cases for f in case.features)

    def render(self, max_examples: int = 3) -> str:
        valid = sum(case.valid for case in self.cases)
        lines = [f"{len(self.cases)} generated blueprints ({valid} valid, "
                 f"{len(self.cases) - valid} invalid on purpose); reference: {self.reference}; "
                 f"{self.elapsed:.1f} s (ours {self.ours_seconds:.1f} s)"]
        by_group = collections.Counter(f.group for f in self.findings)
        cases_by_group: dict[str, set] = collections.defaultdict(set)
        for finding in self.findings:
            cases_by_group[finding.group].add(finding.case.name)
        for group in (VERDICT, CRASH, MAPPING, PLUGIN_EXECUTORS, INPUTS, SETTINGS, SHORT_NAMES, REFERENCE):
            lines.append(f"  {group}: {by_group.get(group, 0)} difference(s) in "
                         f"{len(cases_by_group.get(group, ()))} blueprint(s)")
        for (group, kind), findings in self.grouped():
            names = sorted({f.case.name for f in findings})
            lines.append("")
            lines.append(f"[{group}] {kind}: {len(findings)} in {len(names)} blueprint(s)")
            shown = set()
            for finding in findings:
                if finding.case.name in shown:
                    continue
                shown.add(finding.case.name)
                known = sorted(f for f in finding.case.features if f in KNOWN_DIFFERENCES)
                lines.append(f"    {finding.case.name} ({finding.case.repro}"
                             f"{'; ' + finding.case.mutation if finding.case.mutation else ''}"
                             f"{'; probe ' + finding.case.probe if finding.case.probe else ''}"
                             f"{'; ' + ', '.join(known) if known else ''}): {finding.text()}")
                if len(shown) >= max_examples:
                    break
        return "\n".join(lines)


def resolve_ours(cases: Sequence[Case]) -> tuple[dict[int, Any], float]:
    from resolver import Options, Resolver

    session = Resolver(options=Options())
    results: dict[int, Any] = {}
    started = time.perf_counter()
    for position, case in enumerate(cases):
        try:
            results[position] = session.resolve(case.path)
        except Exception as exc:  # resolve() must not raise: that is a finding
            results[position] = exc
    return results, time.perf_counter() - started


def generate_cases(root: Path, count: int, seed: Any, only: Sequence[int] | None = None,
                   invalid_share: float = 0.2, known: bool = False, probe_share: float = PROBE_SHARE,
                   family: str | None = None) -> list[Case]:
    indexes = list(only) if only else list(range(count))
    return [generate(seed, index, root, invalid_share, known, probe_share, family) for index in indexes]


def run(root: Path, count: int = 150, seed: Any = 0, python: Path | None = None,
        only: Sequence[int] | None = None, invalid_share: float = 0.2, timeout: float = 60,
        processes: int | None = None, known: bool = False,
        cases: Sequence[Case] | None = None, probe_share: float = PROBE_SHARE,
        family: str | None = None) -> Report:
    """Generate (unless `cases` are given), resolve with both, compare. Needs a reference Python."""
    started = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    given = list(cases) if cases is not None else None
    indexes = list(range(len(given))) if given is not None else list(only) if only else list(range(count))
    workdir = Path(tempfile.mkdtemp(prefix="differential-ref-"))
    shards = max(1, min(processes or (os.cpu_count() or 1), len(indexes)))
    cases = []
    try:
        batches = [ReferenceBatch(python, workdir / str(k), timeout) for k in range(shards)]
        for position, index in enumerate(indexes):
            cases.append(given[index] if given is not None
                         else generate(seed, index, root, invalid_share, known, probe_share, family))
            batches[position % shards].submit(cases[-1].path)
        ours, ours_seconds = resolve_ours(cases)
        answers = {}
        for k, batch in enumerate(batches):
            for position, answer in batch.result().items():
                answers[k + position * shards] = answer
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    findings = []
    for position, case in enumerate(cases):
        theirs = answers.get(position, {"status": "crash", "message": "no answer"})
        findings += compare(case, ours[position], theirs)
    return Report(cases, findings, os.fspath(python), time.perf_counter() - started, ours_seconds)


# =============================================================================================
# Shrinking a differing blueprint


def _load_tree(folder: Path) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            relative = path.relative_to(folder).as_posix()
            tree[relative] = yaml.safe_load(text) if relative.endswith(".yaml") else text
    return tree


def _write_tree(folder: Path, tree: dict[str, Any]) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    for relative, content in tree.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else dump(content), encoding="utf-8")


def _deletable(tree: dict[str, Any]) -> list[tuple]:
    """(file, key, key, ...) of every mapping entry and list item of every YAML file, shallow
    ones first: the candidates for one shrinking step."""
    out = [(name,) for name in tree if name != "blueprint.yaml"]  # whole files first
    frontier = [((name,), doc) for name, doc in tree.items() if isinstance(doc, (dict, list))]
    while frontier:
        following = []
        for path, value in frontier:
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in items:
                if path == ("blueprint.yaml",) and key == "tosca_definitions_version":
                    continue
                out.append(path + (key,))
                if isinstance(child, (dict, list)) and child:
                    following.append((path + (key,), child))
        frontier = following
    return out


def _without(tree: dict[str, Any], paths: Iterable[tuple]) -> dict[str, Any]:
    import copy

    tree = copy.deepcopy(tree)
    # deepest and last first, so that list indexes still point at the same items
    for path in sorted(paths, key=lambda p: (len(p), [str(k).zfill(6) if isinstance(k, int) else k
                                                     for k in p]), reverse=True):
        node = tree
        try:
            for key in path[:-1]:
                node = node[key]
            del node[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # a parent went first
    return tree


def _kinds(python: Path, case: Case, trees: Sequence[dict], workdir: Path,
           timeout: float) -> list[set]:
    """The (group, kind) findings of each tree, judged as `case` (valid or not)."""
    cases = []
    for position, tree in enumerate(trees):
        folder = workdir / f"try{position}"
        _write_tree(folder, tree)
        cases.append(Case(case.name, case.seed, case.index, folder, case.valid, case.mutation,
                          case.expected_code, case.features, case.version, case.known))
    batch = ReferenceBatch(python, workdir / "ref", timeout)
    for one in cases:
        batch.submit(one.path)
    ours, _ = resolve_ours(cases)
    answers = batch.result()
    return [{(f.group, f.kind) for f in compare(one, ours[i], answers.get(i, {"status": "crash"}))}
            for i, one in enumerate(cases)]


def shrink(python: Path, case: Case, target: tuple[str, str], out: Path, timeout: float = 60,
           chunk: int = 60, log: Any = None) -> dict[str, Any]:
    """Delete YAML entries of `case` while the finding `target` (group, kind) remains; write the
    smallest tree found to `out` and return it."""
    tree = _load_tree(case.folder)
    workdir = Path(tempfile.mkdtemp(prefix="differential-shrink-"))
    try:
        while True:
            candidates = _deletable(tree)
            accepted = None
            for start in range(0, len(candidates), chunk):
                part = candidates[start:start + chunk]
                kinds = _kinds(python, case, [_without(tree, [p]) for p in part], workdir, timeout)
                good = [p for p, k in zip(part, kinds) if target in k]
                if not good:
                    continue
                if len(good) > 1:
                    together = _without(tree, good)
                    if target in _kinds(python, case, [together], workdir, timeout)[0]:
                        accepted = (together, len(good))
                        break
                accepted = (_without(tree, good[:1]), 1)
                break
            if accepted is None:
                break
            tree = accepted[0]
            if log:
                log(f"  {case.name}: {accepted[1]} entr{'y' if accepted[1] == 1 else 'ies'} removed, "
                    f"{len(_deletable(tree))} left")
        # drop what nothing names any more (YAML files no import names, scripts no mapping
        # names), unless the difference needed it (a script named as '%73_1.sh', say)
        texts = "\n".join(dump(doc) for doc in tree.values() if not isinstance(doc, str))
        tidy = {name: doc for name, doc in tree.items()
                if name == "blueprint.yaml" or os.path.basename(name) in texts}
        if tidy != tree and target in _kinds(python, case, [tidy], workdir, timeout)[0]:
            tree = tidy
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _write_tree(out, tree)
    return tree


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.differential", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=150, help="blueprints to generate (default 150)")
    parser.add_argument("--seed", default="0", help="generator seed (default 0)")
    parser.add_argument("--only", default="", metavar="I[,J...]",
                        help="generate only these indexes of the seed")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the blueprints under DIR and keep them (default: a temporary folder)")
    parser.add_argument("--invalid-share", type=float, default=0.2,
                        help="share of blueprints made invalid on purpose (default 0.2)")
    parser.add_argument("--probe-share", type=float, default=PROBE_SHARE,
                        help=f"share of the valid blueprints given one rule probe (tests/probes.py; "
                             f"default {PROBE_SHARE})")
    parser.add_argument("--family", choices=sorted(probes.FAMILIES),
                        help="probe only this rule family")
    parser.add_argument("--ref-python", type=Path, help="a Python with cloudify-common 7.0.5")
    parser.add_argument("--known", action="store_true",
                        help="also generate the constructs of KNOWN_DIFFERENCES (open differences)")
    parser.add_argument("--max-examples", type=int, default=3, help="examples shown per group")
    parser.add_argument("--features", action="store_true", help="also print how often each rule was exercised")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every finding as JSON")
    parser.add_argument("--shrink", type=int, default=0, metavar="N",
                        help="shrink the first blueprint of each of the first N difference kinds "
                             "(verdict, crash, mapping, inputs, ...) to a minimal one, written "
                             "under the --keep folder as shrunk-<n>-<blueprint>/")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.ref_python:
        python, why = args.ref_python, ""
    else:
        python, why = find_reference_python()
    if python is None:
        print(why, file=sys.stderr)
        return 2
    only = [int(i) for i in args.only.split(",") if i.strip()] if args.only else None
    root = args.keep or Path(tempfile.mkdtemp(prefix="differential-"))
    try:
        report = run(root, args.count, args.seed, python, only, args.invalid_share,
                     known=args.known, probe_share=args.probe_share, family=args.family)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(report.render(args.max_examples))
    if args.features:
        print("\nrules exercised (blueprints):")
        for feature, count in sorted(report.features().items()):
            print(f"  {count:5d}  {feature}")
    if args.keep:
        print(f"\nblueprints kept in {root}")
    if args.json:
        rows = [{"group": f.group, "kind": f.kind, "case": f.case.name, "repro": f.case.repro,
                 "path": f.path, "ours": f.ours, "theirs": f.theirs} for f in report.findings]
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    if args.shrink:
        if not args.keep:
            print("--shrink needs --keep DIR", file=sys.stderr)
            return 2
        grouped = [(key, findings) for key, findings in report.grouped() if key[0] != REFERENCE]
        for number, (key, findings) in enumerate(grouped[:args.shrink], 1):
            case = findings[0].case
            out = root / f"shrunk-{number}-{case.name}"
            print(f"\nshrinking {case.name} for [{key[0]}] {key[1]} ...", flush=True)
            tree = shrink(python, case, key, out, log=lambda text: print(text, flush=True))
            print(f"-> {out}")
            for name, doc in tree.items():
                print(f"--- {name}")
                print(doc if isinstance(doc, str) else dump(doc), end="")
    return 1 if report.asserted else 0


if __name__ == "__main__":
    sys.exit(main())
