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


def test_no_blueprint_tells_what_the_session_shared(tmp_path):
    root = write_tree(tmp_path, FILES)
    mains = ["fine.yaml", "boolean.yaml", "derived.yaml", "missing.yaml"]
    alone = {main: _report(Resolver(), root / main) for main in mains}
    assert len(set(alone.values())) == len(mains)  # four different sets of findings about lib.yaml
    for order in itertools.permutations(mains):
        session = Resolver()
        for main in order + order:  # and each again, after all the others
            assert _report(session, root / main) == alone[main], (order, main)


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
