"""Plugin declarations: keys, executor, where the plugin comes from, and the keys that must be
strings (codes 1 and those of codes.py's plugin rows). Version gates of plugin keys are in
checks/versions.py."""
from __future__ import annotations

from ..load import mark_in, value_mark_in
from ..mapping import EXECUTORS
from ..merge import Blueprint
from ..nodes import PLUGIN_KEYS, Model
from ..problems import Problems
from ..shared import Shared
from ..versions import TYPE_NAMES
from .shapes import unknown_keys

STRING_KEYS = ("package_version", "package_name", "source", "distribution")


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    # a declaration is judged by itself alone (its place is where its file declares it)
    shared.each(("plugin declarations",), "plugins", None, problems,
                lambda name, body, _, into: _declaration(blueprint, name, body, into))
    # a plugin's property schemas (DSL 1_5; few plugins have them): a null one, an unknown type
    data_types = blueprint.section("data_types")
    for name, body in blueprint.section("plugins").items():
        properties = body.get("properties") if isinstance(body, dict) else None
        if isinstance(body, dict) and "properties" in body and properties is None:
            # the reference reads the properties of every plugin declared, and fails on a null one
            problems.add("schema-wrong-type", f"plugin {name!r}: properties is null", mark_in(body, "properties"),
                         hint="Remove the key, or give the property schemas.")
        for prop, definition in properties.items() if isinstance(properties, dict) else ():
            if definition is None:
                # the reference reads its type when it sets import properties, and fails
                problems.add("schema-wrong-type", f"plugin {name!r} property {prop!r} has a null schema",
                             mark_in(properties, prop), hint="Write {type: string} (or another type) for it.")
                continue
            type_name = definition.get("type") if isinstance(definition, dict) else None
            if isinstance(type_name, str) and type_name and type_name not in TYPE_NAMES \
                    and type_name not in data_types:
                problems.add("type-name-illegal", f"plugin {name!r} property {prop!r}: type {type_name!r} is "
                             "neither a primitive nor a defined data type", value_mark_in(definition, "type"),
                             subject=type_name)


def _declaration(blueprint: Blueprint, name, body, problems: Problems) -> None:
    # a declaration's place (blueprint.mark) is made only for a problem: most declarations are fine
    if not isinstance(body, dict):
        problems.add("schema-wrong-type", f"plugin {name!r} must be a mapping", blueprint.mark("plugins", name))
        return
    unknown_keys(problems, body, PLUGIN_KEYS, f"plugin {name!r}", "plugin")
    executor = body.get("executor")
    if executor is None:
        problems.add("schema-missing-key", f"plugin {name!r} has no executor", blueprint.mark("plugins", name),
                     hint="Add 'executor: central_deployment_agent' or 'executor: host_agent'.")
    elif executor not in EXECUTORS:
        problems.add("plugin-executor-invalid",
                     f"plugin {name!r} has executor {executor!r}; use central_deployment_agent or host_agent",
                     value_mark_in(body, "executor"))
    install = body.get("install")
    if (install is None or install) and not body.get("source") and not body.get("package_name"):  # null: installed
        problems.add("plugin-source-missing",
                     f"plugin {name!r} is to be installed but declares neither source nor package_name",
                     blueprint.mark("plugins", name),
                     hint="Add package_name (a managed plugin) or source, or set install: false.")
    for key in STRING_KEYS:
        if body.get(key) is not None and not isinstance(body.get(key), str):
            problems.add("schema-wrong-type", f"plugin {name!r}: {key} must be a string (quote it)",
                         value_mark_in(body, key))
