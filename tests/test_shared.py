"""A session works out what it can from the documents it keeps once (resolver/shared.py): no blueprint
may tell. Each blueprint resolved after others in one session reports exactly what it reports in a
fresh session, whatever the others were and in whichever order they came."""
from __future__ import annotations

import itertools

from resolver import Resolver
from resolver.report import to_json

from .conftest import BASIC_TYPES, blueprint, write_tree

# One shared file whose definitions are judged against data types each blueprint defines its own way.
LIB = """\
node_types:
  lib.Server:
    derived_from: cloudify.nodes.Root
    properties:
      size: {type: lib.Size, default: {cpus: 2}}
      flavour: {type: lib.Flavour}
      count: {type: integer, default: many}
      limit: {type: integer}
data_types:
  lib.Base:
    properties:
      cpus: {type: integer}
"""

FILES = {
    "types.yaml": BASIC_TYPES,
    "lib.yaml": LIB,
    # lib.Size with an integer `cpus`: the default is fine
    "fine.yaml": blueprint("""\
        data_types:
          lib.Size:
            properties:
              cpus: {type: integer}
          lib.Flavour:
            properties:
              name: {type: string, default: small}
        node_templates:
          s: {type: lib.Server, properties: {flavour: {}, limit: 1}}
        """, "lib.yaml"),
    # the same name, a boolean `cpus`: the same default in the same file is now a fault
    "boolean.yaml": blueprint("""\
        data_types:
          lib.Size:
            properties:
              cpus: {type: boolean}
          lib.Flavour:
            properties:
              name: {type: integer, default: null}
        node_templates:
          s: {type: lib.Server, properties: {flavour: {}, limit: 1}}
        """, "lib.yaml"),
    # lib.Size derived from the shared lib.Base: the chain reaches into lib.yaml
    "derived.yaml": blueprint("""\
        data_types:
          lib.Size:
            derived_from: lib.Base
          lib.Flavour: {}
        node_templates:
          s: {type: lib.Server, properties: {flavour: {}, limit: 1}}
        """, "lib.yaml"),
    # no lib.Size at all, and a data type named after a primitive
    "missing.yaml": blueprint("""\
        data_types:
          integer:
            properties:
              x: {type: string}
        node_templates:
          s: {type: lib.Server, properties: {limit: 1}}
        """, "lib.yaml"),
}


def _report(session: Resolver, path) -> str:
    return to_json([session.resolve(path)])


def _every_order_reports_as_alone(root, mains, alone: dict) -> None:
    """In one session, every main after the others in every order, and each again after all of
    them, reports what it reports alone (`alone`: main -> its report in a session of its own)."""
    for order in itertools.permutations(mains):
        session = Resolver()
        for main in order + order:
            assert _report(session, root / main) == alone[main], (order, main)


def test_no_blueprint_tells_what_the_session_shared(tmp_path):
    root = write_tree(tmp_path, FILES)
    mains = ["fine.yaml", "boolean.yaml", "derived.yaml", "missing.yaml"]
    alone = {main: _report(Resolver(), root / main) for main in mains}
    assert len(set(alone.values())) == len(mains)  # four different sets of findings about lib.yaml
    _every_order_reports_as_alone(root, mains, alone)


def test_a_namespaced_copy_is_judged_for_its_blueprint(tmp_path):
    root = write_tree(tmp_path, dict(FILES, **{
        "spaced.yaml": blueprint("""\
            data_types:
              lib.Size:
                properties:
                  cpus: {type: boolean}
            node_templates: {}
            """, "ns--lib.yaml"),
    }))
    session = Resolver()
    for main in ("fine.yaml", "spaced.yaml", "boolean.yaml", "spaced.yaml"):
        assert _report(session, root / main) == _report(Resolver(), root / main), main


def test_two_types_of_one_definition_stay_two(tmp_path):
    # an alias gives two names the very same definition: what is shared is shared by name too
    root = write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "twins.yaml": """\
            node_types:
              lib.A: &twin
                derived_from: cloudify.nodes.Root
                properties:
                  size: {type: integer, default: 2}
              lib.B: *twin
            """,
        "blueprint.yaml": blueprint("""\
            node_templates:
              a: {type: lib.A}
              b: {type: lib.B}
            """, "twins.yaml"),
    })
    session = Resolver()
    for _ in range(2):
        result = session.resolve(root / "blueprint.yaml")
        assert result.ok, result.problems
        assert [node["type_hierarchy"][-1] for node in result.plan["nodes"]] == ["lib.A", "lib.B"]
        assert to_json([result]) == _report(Resolver(), root / "blueprint.yaml")


# A shared file with a fault in each of its types, merged whole into one blueprint and only in part
# into others: a blueprint is given the findings about the entries it holds, in its order.
FAULTY = """\
node_types:
  lib.First:
    derived_from: cloudify.nodes.Root
    properties:
      count: {type: integer, default: one}
  lib.Second:
    derived_from: cloudify.nodes.Root
    properties:
      count: {type: integer, default: two}
  lib.Third:
    derived_from: cloudify.nodes.Root
    properties:
      count: {type: integer, default: three}
workflows:
  lib_flow:
    mapping: default_workflows.cloudify.plugins.workflows.install
"""


def test_a_kept_file_merged_in_part_is_judged_by_what_was_merged(tmp_path):
    root = write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "faulty.yaml": FAULTY,
        "whole.yaml": blueprint("node_templates: {}\n", "faulty.yaml"),
        # lib.Second is the blueprint's own (the shared one conflicts with it and is left out)
        "replaced.yaml": blueprint("""\
            node_types:
              lib.Second:
                derived_from: cloudify.nodes.Root
                properties:
                  count: {type: integer, default: 2}
            node_templates: {}
            """, "faulty.yaml"),
        # the shared entries come after another file's, whose own faults come first
        "after.yaml": blueprint("""\
            node_types:
              own.Type:
                derived_from: cloudify.nodes.Root
                properties:
                  count: {type: integer, default: zero}
            node_templates: {}
            """, "faulty.yaml"),
        # a later file adds a faulty parameter to the shared workflow: the merged one is another
        "extra.yaml": """\
            workflows:
              lib_flow:
                parameters:
                  size: {type: integer, default: many}
            """,
        "extended.yaml": blueprint("node_templates: {}\n", "faulty.yaml", "extra.yaml"),
    })
    mains = ["whole.yaml", "replaced.yaml", "after.yaml", "extended.yaml"]
    faults = {main: [(p.file.rsplit("/", 1)[-1], p.line) for p in Resolver().resolve(root / main).problems
                     if p.code == "property-type-mismatch"] for main in mains}
    assert faults == {"whole.yaml": [("faulty.yaml", 5), ("faulty.yaml", 9), ("faulty.yaml", 13)],
                      "replaced.yaml": [("faulty.yaml", 5), ("faulty.yaml", 13)],
                      "after.yaml": [("after.yaml", 9), ("faulty.yaml", 5), ("faulty.yaml", 9), ("faulty.yaml", 13)],
                      "extended.yaml": [("extra.yaml", 4), ("faulty.yaml", 5), ("faulty.yaml", 9), ("faulty.yaml", 13)]}
    alone = {main: _report(Resolver(), root / main) for main in mains}
    _every_order_reports_as_alone(root, mains, alone)


# The data types come whole from kept files too: blueprints importing the very same files are
# given the findings about lib.yaml at once, which must follow the files their data types come from.
def test_data_types_of_kept_files_are_told_apart_by_the_files(tmp_path):
    sizes = {
        "integer.yaml": "data_types:\n  lib.Size:\n    properties:\n      cpus: {type: integer}\n",
        "boolean.yaml": "data_types:\n  lib.Size:\n    properties:\n      cpus: {type: boolean}\n",
        "flavour.yaml": "data_types:\n  lib.Flavour:\n    properties:\n      name: {type: integer, default: null}\n",
    }
    imports = {"integer": ("integer.yaml",), "boolean": ("boolean.yaml",), "both": ("integer.yaml", "flavour.yaml"),
               "swapped": ("flavour.yaml", "integer.yaml"), "none": ()}
    files = {"types.yaml": BASIC_TYPES, "lib.yaml": LIB, **sizes}
    for main, extra in imports.items():
        files[f"{main}.main.yaml"] = blueprint("node_templates: {}\n", "lib.yaml", *extra)
    root = write_tree(tmp_path, files)
    mains = [f"{main}.main.yaml" for main in imports]
    alone = {main: _report(Resolver(), root / main) for main in mains}
    # what lib.yaml is found to hold differs with the data types (the paths of the mains aside)
    assert len({text.replace(main, "") for main, text in alone.items()}) == len(mains) - 1  # swapped == both
    _every_order_reports_as_alone(root, mains, alone)


# Plugin and workflow declarations of a kept file, faulty in themselves: each blueprint that merges
# them is told about them, at the file's places, and one that declares its own is told about its own.
DECLARATIONS = """\
plugins:
  tool: {install: true}
  other: {executor: nowhere, install: false}
workflows:
  lib_flow: {mapping: tool.workflows.run, bogus: 1}
  lib_rules: {mapping: tool.workflows.rules, availability_rules: {node_instances_active: [some]}}
"""


def test_declarations_of_a_kept_file_are_judged_for_each_blueprint(tmp_path):
    root = write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "declarations.yaml": DECLARATIONS,
        "merged.yaml": blueprint("node_templates: {}\n", "declarations.yaml"),
        "own.yaml": blueprint("""\
            plugins:
              mine: {executor: central_deployment_agent}
            workflows:
              own_flow: {mapping: mine.workflows.run, extra: 2}
            node_templates: {}
            """, "declarations.yaml"),
        "none.yaml": blueprint("node_templates: {}\n"),
    })
    mains = ["merged.yaml", "own.yaml", "none.yaml"]
    codes = {main: sorted(p.code for p in Resolver().resolve(root / main).problems) for main in mains}
    faults = ["plugin-executor-invalid", "plugin-source-missing", "schema-missing-key", "schema-unknown-key",
              "workflow-availability-invalid"]
    assert set(faults) <= set(codes["merged.yaml"])
    assert len(codes["own.yaml"]) > len(codes["merged.yaml"]) and not set(faults) & set(codes["none.yaml"])
    alone = {main: _report(Resolver(), root / main) for main in mains}
    _every_order_reports_as_alone(root, mains, alone)


# Blueprints merging kept files' sections whole are given the findings about each section at once
# (Shared._whole): the findings must follow the DSL version and which files the section is made of
# (and the files the data types come from: test_data_types_of_kept_files_are_told_apart_by_the_files).
GATED = """\
node_types:
  lib.Gated:
    derived_from: cloudify.nodes.Root
    properties:
      size: {type: integer, required: false}
      names: {type: list, item_type: string, default: [a]}
"""
MORE = """\
node_types:
  lib.More:
    derived_from: cloudify.nodes.Root
    properties:
      count: {type: integer, default: many}
"""


def test_findings_about_whole_kept_sections_follow_the_version_and_the_files(tmp_path):
    root = write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "gated.yaml": GATED,
        "more.yaml": MORE,
        "new.yaml": blueprint("node_templates: {}\n", "gated.yaml"),
        "old.yaml": blueprint("node_templates: {}\n", "gated.yaml", version="cloudify_dsl_1_1"),
        "more.main.yaml": blueprint("node_templates: {}\n", "gated.yaml", "more.yaml"),
        "old.more.yaml": blueprint("node_templates: {}\n", "gated.yaml", "more.yaml", version="cloudify_dsl_1_1"),
    })
    mains = ["new.yaml", "old.yaml", "more.main.yaml", "old.more.yaml"]
    codes = {main: sorted(p.code for p in Resolver().resolve(root / main).problems) for main in mains}
    assert "feature-version" in codes["old.yaml"] and "feature-version" not in codes["new.yaml"]
    assert "property-type-mismatch" in codes["more.main.yaml"] and "property-type-mismatch" not in codes["new.yaml"]
    assert len({tuple(found) for found in codes.values()}) == len(mains)
    alone = {main: _report(Resolver(), root / main) for main in mains}
    _every_order_reports_as_alone(root, mains, alone)


def test_what_is_read_of_a_kept_types_property_schemas_follows_its_parent(tmp_path):
    # lib.Box (kept) inherits `size` from app.Base, which each blueprint declares its own way: what
    # PropertyChecker reads once of a resolved type's property schemas is read of each blueprint's
    def main(size: str, data_types: str = "") -> str:
        return blueprint("node_types:\n  app.Base:\n    derived_from: cloudify.nodes.Root\n    properties:\n"
                         f"      size: {size}\n{data_types}node_templates:\n  b: {{type: lib.Box}}\n", "box.yaml")

    root = write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "box.yaml": """\
            node_types:
              lib.Box:
                derived_from: app.Base
                properties:
                  label: {type: string, default: box}
            """,
        "mandatory.yaml": main("{type: integer}"),
        "optional.yaml": main("{type: integer, required: false}"),
        "nested.yaml": main("{type: app.Size}", "data_types:\n  app.Size:\n    properties:\n"
                                                "      cpus: {type: integer}\n"),
        # a data type named after a primitive: the property is filled from it, not found missing
        "primitive.yaml": main("{type: integer}", "data_types:\n  integer:\n    properties:\n"
                                                  "      cpus: {type: integer, default: 1}\n"),
    })
    mains = ["mandatory.yaml", "optional.yaml", "nested.yaml", "primitive.yaml"]
    alone = {main: _report(Resolver(), root / main) for main in mains}
    assert len({report.replace(main, "") for main, report in alone.items()}) == len(mains)
    _every_order_reports_as_alone(root, mains, alone)


# A kept file's types, one listed before its parent and one derived from a type outside the file:
# the session settles them at once (hierarchy._sound_within) only where that outside type is sound already.
CHAIN = """\
node_types:
  lib.Child:
    derived_from: lib.Middle
    properties:
      size: {type: integer}
  lib.Middle:
    derived_from: app.Base
  lib.Alone: {}
"""


def test_kept_types_are_as_sound_as_the_parents_each_blueprint_gives_them(tmp_path):
    def main(base: str, *imports: str) -> str:
        return blueprint(f"node_types:\n{base}node_templates:\n  c: {{type: lib.Child}}\n", *imports)

    root = write_tree(tmp_path, {
        "types.yaml": BASIC_TYPES,
        "chain.yaml": CHAIN,
        "base.yaml": "node_types:\n  app.Base:\n    derived_from: cloudify.nodes.Root\n",
        "loop.yaml": "node_types:\n  lib.Ping: {derived_from: lib.Pong}\n  lib.Pong: {derived_from: lib.Ping}\n",
        "defined.yaml": main("  app.Base:\n    derived_from: cloudify.nodes.Root\n", "chain.yaml"),
        "unknown.yaml": main("  app.Other: {}\n", "chain.yaml"),
        "cycle.yaml": main("  app.Base:\n    derived_from: lib.Child\n", "chain.yaml"),
        "broken.yaml": main("  app.Base:\n    derived_from: app.Missing\n", "chain.yaml"),
        # app.Base comes from a kept file merged after chain.yaml; loop.yaml's types form a cycle
        "later.yaml": main("  app.Other: {}\n", "loop.yaml", "chain.yaml", "base.yaml"),
    })
    mains = ["defined.yaml", "unknown.yaml", "cycle.yaml", "broken.yaml", "later.yaml"]
    codes = {main: {p.code for p in Resolver().resolve(root / main).problems} for main in mains}
    # a template of an unsound type is not built: its missing property goes unreported
    assert codes["unknown.yaml"] == codes["broken.yaml"] == {"type-parent-unknown"}
    assert "cycle" in codes["cycle.yaml"] and "cycle" in codes["later.yaml"]
    assert not {"cycle", "type-parent-unknown"} & codes["defined.yaml"]
    alone = {main: _report(Resolver(), root / main) for main in mains}
    _every_order_reports_as_alone(root, mains, alone)
