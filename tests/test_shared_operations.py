"""The operations, workflows and hints a session works out once for all its blueprints (nodes.py,
checks/operations.py) are keyed on everything they depend on: blueprints that differ only in one
such thing, resolved one after another in one session, each report what they report alone."""
from __future__ import annotations

import itertools

from resolver import Options, Resolver
from resolver.report import to_json

from .conftest import BASIC_TYPES, blueprint, write_tree

# One shared file: its types' operations map to the plugin `tools`, which every blueprint declares
# its own way, or to another blueprint's namespace.
LIB = """\
node_types:
  lib.App:
    derived_from: cloudify.nodes.Root
    interfaces:
      lib.ops:
        run: tools.tasks.run
  lib.Remote:
    derived_from: cloudify.nodes.Root
    interfaces:
      lib.ops:
        fetch: other--scripts/fetch.sh
relationships:
  lib.Link:
    derived_from: cloudify.relationships.connected_to
    source_interfaces:
      lib.ops:
        link: tools.tasks.link
workflows:
  lib.go:
    mapping: tools.workflows.go
    parameters:
      count: {type: integer, default: 1}
  lib.grow:
    mapping: tools.workflows.grow
    parameters:
      size: {type: lib.Size, default: {cpus: 1}}
"""


# A node type whose operation is faulty in itself: reported by every blueprint that imports it,
# used or not, as the reference validates every operation it reads.
FAULTY = """\
node_types:
  lib.Faulty:
    derived_from: cloudify.nodes.Root
    interfaces:
      lib.ops:
        run: {implementation: tools.tasks.run, max_retries: -2}
"""


# A relationship type no template uses, whose second operation is faulty in itself.
LOOSE = """\
relationships:
  lib.Loose:
    derived_from: cloudify.relationships.connected_to
    target_interfaces:
      lib.ops:
        loose: tools.tasks.loose
        tight: {implementation: tools.tasks.tight, max_retries: -2}
"""


def _blueprint(executor: str, *, remote: bool = False, namespace: bool = False, faulty: int = 0,
               size: bool = False, tools: bool = True, loose: bool = False, overrides: bool = False) -> str:
    """`overrides`: the templates of lib types add an operation of their own, and so take the
    others from their type one by one."""
    imports = ["../types.yaml", "../lib.yaml"] + (["other--blueprint:other"] if namespace else [])
    imports += ["../loose.yaml"] if loose else []
    imports += ["../faulty.yaml"] if faulty else []
    own = ", interfaces: {lib.ops: {extra: tools.tasks.extra}}" if overrides else ""
    node = ("r: {type: lib.Remote" if remote else "a: {type: lib.App") + own
    memory = ", memory: {type: integer, default: 2}" if size else ""
    return "\n".join([
        "tosca_definitions_version: cloudify_dsl_1_4",
        "imports:", *(f"  - {ref}" for ref in imports),
        *(["plugins:", f"  tools: {{executor: {executor}, install: false}}"] if tools else []),
        "data_types:",  # the workflow lib.grow's parameter's type, with a default or not
        f"  lib.Size: {{properties: {{cpus: {{type: integer}}{memory}}}}}",
        "node_templates:",
        "  vm: {type: cloudify.nodes.Compute}",
        f"  {node}, relationships: [{{type: lib.Link, target: vm}}, {{type: cloudify.relationships.contained_in, "
        "target: vm}]}",
        *(f"  f{index}: {{type: lib.Faulty{own}}}" for index in range(faulty)),
        "",
    ])


FILES = {
    "types.yaml": BASIC_TYPES,
    "lib.yaml": LIB,
    "loose.yaml": LOOSE,
    "faulty.yaml": FAULTY,
    "catalog/other/blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nnode_templates: {}\n",
    "central/blueprint.yaml": _blueprint("central_deployment_agent"),
    # the plugin's default executor differs
    "host/blueprint.yaml": _blueprint("host_agent"),
    # a file beside the blueprint named as the mapping: the mapping runs that script
    "scripted/blueprint.yaml": _blueprint("central_deployment_agent"),
    "scripted/tools.tasks.run": "#!/bin/sh\n",
    "scripted/tools.tasks.link": "#!/bin/sh\n",
    "scripted/tools.workflows.go": "#!/bin/sh\n",
    "scripted/tools.workflows.grow": "#!/bin/sh\n",
    # the data type completes the default of lib.grow's parameter
    "sized/blueprint.yaml": _blueprint("central_deployment_agent", size=True),
    # the blueprint imported as `other` makes `other--scripts/fetch.sh` a script of that blueprint
    "spaced/blueprint.yaml": _blueprint("central_deployment_agent", remote=True, namespace=True),
    "unspaced/blueprint.yaml": _blueprint("central_deployment_agent", remote=True),
    # a definition that is faulty in itself, used by one template or two
    "once/blueprint.yaml": _blueprint("central_deployment_agent", faulty=1),
    "twice/blueprint.yaml": _blueprint("central_deployment_agent", faulty=2),
    # with the relationship type lib.Loose, which maps to nothing where no plugin `tools` is declared
    "loose/blueprint.yaml": _blueprint("central_deployment_agent", loose=True),
    "bare/blueprint.yaml": _blueprint("central_deployment_agent", tools=False, loose=True),
}
# the same, with templates that override their type's operations in part
for _main, _options in [("central", {}), ("host", {}), ("scripted", {}), ("spaced", dict(remote=True, namespace=True)),
                        ("unspaced", dict(remote=True)), ("once", dict(faulty=1)), ("twice", dict(faulty=2))]:
    FILES[f"{_main}-own/blueprint.yaml"] = _blueprint("host_agent" if _main == "host" else "central_deployment_agent",
                                                      overrides=True, **_options)
FILES["scripted-own/tools.tasks.run"] = "#!/bin/sh\n"


def _report(session: Resolver, path) -> str:
    return to_json([session.resolve(path)])


def _session(root) -> Resolver:
    # the blueprints import files of their parent folder
    return Resolver(options=Options(root=str(root)), blueprint_catalog=root / "catalog")


def _alike_in_any_order(root, mains, *, distinct: bool = True):
    """Each of `mains` reports in one session, in every order, what it reports alone; and, when
    `distinct`, the blueprints report differently (their paths aside)."""
    alone = {main: _report(_session(root), root / main) for main in mains}
    if distinct:
        assert len({report.replace(str(root / main), "") for main, report in alone.items()}) == len(mains)
    for order in itertools.permutations(mains):
        session = _session(root)
        for main in order + order:  # and each again, after all the others
            assert _report(session, root / main) == alone[main], (order, main)


def test_type_operations_follow_the_plugins_and_the_scripts_beside_the_blueprint(tmp_path):
    root = write_tree(tmp_path, FILES)
    _alike_in_any_order(root, ["central/blueprint.yaml", "host/blueprint.yaml", "scripted/blueprint.yaml"])


def test_workflows_follow_the_data_types(tmp_path):
    root = write_tree(tmp_path, FILES)
    _alike_in_any_order(root, ["central/blueprint.yaml", "sized/blueprint.yaml"])


def test_type_operations_follow_the_namespaces(tmp_path):
    root = write_tree(tmp_path, FILES)
    _alike_in_any_order(root, ["spaced/blueprint.yaml", "unspaced/blueprint.yaml"])


def test_a_definition_that_reports_is_reported_by_every_blueprint(tmp_path):
    # the second template of a type meets its faulty definition already judged in its blueprint
    root = write_tree(tmp_path, FILES)
    _alike_in_any_order(root, ["once/blueprint.yaml", "twice/blueprint.yaml"], distinct=False)


def test_relationship_types_no_template_uses_are_mapped_for_each_blueprint(tmp_path):
    root = write_tree(tmp_path, FILES)
    _alike_in_any_order(root, ["loose/blueprint.yaml", "bare/blueprint.yaml"])


def test_an_unknown_type_is_hinted_from_each_blueprints_types(tmp_path):
    # the hint is remembered for the process, not only the session: each blueprint's own type
    # names are checked for, in every order
    def typo(defined: str) -> str:
        return blueprint(f"""\
            node_types:
              {defined}: {{derived_from: cloudify.nodes.Root}}
            node_templates:
              a: {{type: lib.Servr}}
              b: {{type: lib.Servr}}
            """)

    defined = {"server.yaml": "lib.Server", "service.yaml": "lib.Service", "other.yaml": "lib.Other"}
    root = write_tree(tmp_path, dict(FILES, **{main: typo(name) for main, name in defined.items()}))
    for order in itertools.permutations(defined):
        session = _session(root)
        for main in order:
            hints = [problem.hint for problem in session.resolve(root / main).problems]
            assert hints == [f"Did you mean {defined[main]!r}?"] * 2, (order, main)


def test_the_operations_a_template_takes_from_its_type_one_by_one_follow_the_blueprint(tmp_path):
    root = write_tree(tmp_path, FILES)
    _alike_in_any_order(root, ["central-own/blueprint.yaml", "host-own/blueprint.yaml",
                               "scripted-own/blueprint.yaml"])
    _alike_in_any_order(root, ["spaced-own/blueprint.yaml", "unspaced-own/blueprint.yaml"])
    _alike_in_any_order(root, ["once-own/blueprint.yaml", "twice-own/blueprint.yaml"], distinct=False)
    # and beside the blueprints whose templates take their type's operations whole
    _alike_in_any_order(root, ["central/blueprint.yaml", "central-own/blueprint.yaml", "host-own/blueprint.yaml"])


def test_relationship_types_are_mapped_by_every_dot_of_their_mappings(tmp_path):
    # a plugin's name may hold a dot: `my.tools` is a candidate of my.tools.tasks.link, as `my` is
    def main(plugin: str | None) -> str:
        return blueprint("node_templates: {}\n" if plugin is None else f"""\
            plugins:
              {plugin}: {{executor: central_deployment_agent, install: false}}
            node_templates: {{}}
            """, "dotted.yaml")

    root = write_tree(tmp_path, dict(FILES, **{
        "dotted.yaml": """\
            relationships:
              lib.Dotted:
                derived_from: cloudify.relationships.connected_to
                source_interfaces:
                  lib.ops:
                    link: my.tools.tasks.link
            """,
        "deep.yaml": main("my.tools"), "shallow.yaml": main("my"), "other.yaml": main("tools"), "none.yaml": main(None),
    }))
    unmapped = {main: any(p.code == "relationship-operation-unmapped" for p in Resolver().resolve(root / main).problems)
                for main in ("deep.yaml", "shallow.yaml", "other.yaml", "none.yaml")}
    assert unmapped == {"deep.yaml": False, "shallow.yaml": False, "other.yaml": True, "none.yaml": True}
    _alike_in_any_order(root, list(unmapped), distinct=False)


def test_workflows_of_a_kept_file_follow_the_plugin_their_mappings_name(tmp_path):
    # the mapping flows.go.run names the plugin `flows` (operation go.run) or `flows.go` (operation
    # run), and a script of that name beside the blueprint before either; the workflows of the
    # kept file are made once for the blueprints that see their mappings alike
    def main(plugin: str) -> str:
        return blueprint(f"""\
            plugins:
              {plugin}: {{executor: central_deployment_agent, install: false}}
            node_templates: {{}}
            """, "flows.yaml")

    root = write_tree(tmp_path, dict(FILES, **{
        "flows.yaml": """\
            workflows:
              go: flows.go.run
              stay: {mapping: flows.go.stay, parameters: {when: {default: now}}}
            """,
        "short.yaml": main("flows"), "long.yaml": main("flows.go"),
        "also.yaml": main("flows"), "scripted/flows.go.run": "#!/bin/sh\n",
        "scripted/main.yaml": main("flows").replace("types.yaml", "../types.yaml").replace("flows.yaml", "../flows.yaml"),
    }))
    _alike_in_any_order(root, ["short.yaml", "long.yaml", "scripted/main.yaml"])
    _alike_in_any_order(root, ["short.yaml", "also.yaml"], distinct=False)


def test_plugins_of_kept_files_are_each_files_own(tmp_path):
    # two kept files declare the plugin `tools` their own way: each blueprint's plan shows the
    # declaration it imports (its executor, its package)
    def main(imported: str) -> str:
        return blueprint("""\
            node_templates:
              vm: {type: cloudify.nodes.Compute}
              a: {type: app.App, relationships: [{type: cloudify.relationships.contained_in, target: vm}]}
            """, imported, "app.yaml")

    root = write_tree(tmp_path, dict(FILES, **{
        "app.yaml": """\
            node_types:
              app.App:
                derived_from: cloudify.nodes.Root
                interfaces: {app.ops: {run: tools.tasks.run}}
            """,
        "central.yaml": "plugins:\n  tools: {executor: central_deployment_agent, install: false}\n",
        "host.yaml": "plugins:\n  tools: {executor: host_agent, package_name: tools-host}\n",
        "a.yaml": main("central.yaml"), "b.yaml": main("host.yaml"),
    }))
    _alike_in_any_order(root, ["a.yaml", "b.yaml"])


def test_operation_names_of_kept_types_are_each_interfaces_own(tmp_path):
    # two kept types write an interface of the same name with other operations, one derived type
    # takes its parent's as it is and one adds to it: each template's operations are its type's,
    # under their full names, in whichever order one session's blueprints use the types
    def main(node_type: str, own: str = "") -> str:
        return blueprint(f"""\
            plugins:
              tools: {{executor: central_deployment_agent, install: false}}
            node_templates:
              a: {{type: {node_type}{own}}}
            """, "named.yaml")

    root = write_tree(tmp_path, dict(FILES, **{
        "named.yaml": """\
            node_types:
              lib.One:
                derived_from: cloudify.nodes.Root
                interfaces: {lib.ops: {run: tools.tasks.run, stop: tools.tasks.stop}}
              lib.Two:
                derived_from: cloudify.nodes.Root
                interfaces: {lib.ops: {go: tools.tasks.go}}
              lib.OneMore:
                derived_from: lib.One
              lib.OneOther:
                derived_from: lib.One
                interfaces: {lib.ops: {halt: tools.tasks.halt}}
            """,
        "one.yaml": main("lib.One"), "two.yaml": main("lib.Two"), "more.yaml": main("lib.OneMore"),
        "other.yaml": main("lib.OneOther"),
        "own.yaml": main("lib.Two", ", interfaces: {lib.ops: {run: tools.tasks.mine}}"),
    }))
    names = {"one.yaml": ["lib.ops.run", "lib.ops.stop"], "two.yaml": ["lib.ops.go"],
             "more.yaml": ["lib.ops.run", "lib.ops.stop"], "other.yaml": ["lib.ops.run", "lib.ops.stop", "lib.ops.halt"],
             "own.yaml": ["lib.ops.go", "lib.ops.run"]}
    for order in itertools.permutations(names):
        session = _session(root)
        for main in order:
            operations = session.resolve(root / main).plan["nodes"][0]["operations"]
            assert [name for name in operations if name.startswith("lib.ops.")] == names[main], (order, main)
    _alike_in_any_order(root, ["one.yaml", "two.yaml", "other.yaml", "own.yaml"])
