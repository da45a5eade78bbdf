"""The manager's version choice (REGISTRY.md §1.3), one table, every plugin source.

Each case is a `plugin:` import resolved through the whole pipeline against the same stored
versions, held by each kind of source in turn. The expected version is worked out by hand from
§1.3 (and packaging 24.1's pre-release rule, which the manager pins): comma pieces are AND-ed, a
bare version is `===` (string equality), pre-releases and dev releases only when the specifier
names one, `distribution=` filters (repeated values OR-ed), the newest wins and equal versions
go to the earliest in listing order.

The stored versions are listed in sorted string order, the order a folder of versions lists in,
so the same table holds for sources whose listing order is the folder's and those whose order is
the upload order we give them.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolver import Options, Resolver

from .conftest import BASIC_TYPES, write_tree

PACKAGE = "cloudify-demo-plugin"

# (version, distribution), in listing order
STORED = [
    ("1.0", "centos"), ("1.2", "centos"), ("1.2.1", "centos"), ("1.3", "centos"), ("1.3.0", "redhat"),
    ("2.0", "redhat"), ("2.1rc1", "centos"), ("2.2.dev1", "centos"), ("2.5", "redhat"),
    ("3.0.1", "centos"), ("3.1b2", "redhat"),
]
assert [v for v, _ in STORED] == sorted(v for v, _ in STORED)

INVALID = "invalid"  # the import line itself is refused (plugin-spec-invalid)

CASES = [
    # (query after plugin:NAME, expected version, None for no match, or INVALID)
    ("", "3.0.1"),                                   # no filter: the newest final release
    ("?version=", "3.0.1"),                          # an empty value is dropped
    ("?version=1.3", "1.3"),                         # bare version is ===: the string 1.3 only
    ("?version=1.3.0", "1.3.0"),
    ("?version=3", None),                            # ===3 matches no stored string
    ("?version===1.3", "1.3"),                       # == matches 1.3 and 1.3.0; the earlier wins
    ("?version====3.0.1", "3.0.1"),                  # explicit arbitrary equality
    ("?version===1.*", "1.3"),                       # prefix match, tie to the earlier
    ("?version=<2", "1.3"),
    ("?version=<1", None),
    ("?version=>=2", "3.0.1"),
    ("?version=>2.0", "3.0.1"),
    ("?version=>=2,<3", "2.5"),                      # a range with a comma
    ("?version= >=2, <3", "2.5"),                    # spaces as the official examples write them
    ("?version=+<2", "1.3"),                         # + decodes to a space
    ("?version=<=2.0", "2.0"),
    ("?version=>1.2,<1.3", "1.2.1"),
    ("?version=~=1.2", "1.3"),                       # >=1.2, ==1.*
    ("?version=~=1.2.0", "1.2.1"),                   # >=1.2.0, ==1.2.*
    ("?version=!=3.0.1", "2.5"),
    ("?version=1.3,1.5", None),                      # ===1.3 AND ===1.5: there is no OR
    ("?version=>=2&version=<3", "2.5"),              # a repeated key is AND-ed too
    ("?version=>=3", "3.0.1"),                       # 3.1b2 is a pre-release: excluded
    ("?version=>=3.1", None),                        # only a pre-release would match
    ("?version=<2.5,>2.0", None),                    # only pre- and dev releases in range
    ("?version=>=2.1rc1", "3.1b2"),                  # names a pre-release: pre-releases allowed
    ("?version=>=2.0.0rc1,<2.5", "2.2.dev1"),        # ... dev releases too
    ("?version=2.1rc1", "2.1rc1"),                   # bare pre-release
    ("?version===2.1rc1", "2.1rc1"),
    ("?distribution=centos", "3.0.1"),
    ("?distribution=redhat", "2.5"),                 # 3.1b2 is redhat's newest, but a pre-release
    ("?distribution=ubuntu", None),
    ("?distribution=centos&distribution=redhat", "3.0.1"),   # repeated distributions are OR-ed
    ("?version=<2&distribution=redhat", "1.3.0"),
    ("?version=1.3&distribution=redhat", None),      # ===1.3 is centos's string
    ("?version=,1.3", INVALID),                      # an empty comma piece
    ("?version=1.3,", INVALID),
    ("?version=1.3,,2", INVALID),
    ("?release=1.3", INVALID),                       # an unknown parameter
]
assert len(CASES) >= 30

PLUGIN_YAML = """\
plugins:
  demo:
    executor: central_deployment_agent
    package_name: {package}
    package_version: '{version}'
node_types:
  demo.Node:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: demo.tasks.create
"""


def plugin_yaml(version: str) -> str:
    return PLUGIN_YAML.format(package=PACKAGE, version=version)


def package_json(version: str, distribution: str) -> str:
    return json.dumps({
        "package_name": PACKAGE, "package_version": version,
        "archive_name": f"cloudify_demo_plugin-{version}-py3-none-linux_x86_64.wgn",
        "supported_platform": "linux_x86_64",
        "build_server_os_properties": {"distribution": distribution, "distribution_version": "1",
                                       "distribution_release": "core"},
    })


def build_directory(root: Path):
    """The layout `registry sync` writes: <package>/<version>/plugin.yaml + package.json."""
    for version, distribution in STORED:
        write_tree(root / "registry", {
            f"{PACKAGE}/{version}/plugin.yaml": plugin_yaml(version),
            f"{PACKAGE}/{version}/package.json": package_json(version, distribution),
        })
    return str(root / "registry")


def build_wagons(root: Path):
    """A wagon upload folder per version (a wagon with that version's package.json, its YAML beside),
    folders named so that file-name order is STORED's listing order."""
    from .wagons import package_json as wagon_json, write_wagon

    for index, (version, distribution) in enumerate(STORED):
        folder = root / "wagons" / f"{index:02d}-{version}"
        write_wagon(folder / f"cloudify_demo_plugin-{version}-py3-none-linux_x86_64.wgn",
                    wagon_json(PACKAGE, version, distribution=distribution, release="core",
                               platform="linux_x86_64"), fmt="zip" if index % 2 else "tar.gz")
        write_tree(folder, {"plugin.yaml": plugin_yaml(version)})
    return str(root / "wagons")


# Each builder holds STORED in one kind of local source and returns what `registries=` takes.
# The network sources run the same table against loopback servers in their own test files
# (test_catalog.py, test_marketplace.py, test_manager.py), which import CASES from here.
BUILDERS = {"directory": build_directory, "wagon": build_wagons}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def session(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"choice-{request.param}")
    source = BUILDERS[request.param](root)
    write_tree(root, {"types.yaml": BASIC_TYPES})
    return root, Resolver(registries=[source], options=Options())


def check_case(resolver: Resolver, types_file, query: str, expected, folder) -> None:
    """Resolve `plugin:<PACKAGE><query>` with `resolver` and check what CASES expects of it.

    Every source's test runs the table through this one function (test_catalog.py,
    test_marketplace.py and test_manager.py serve STORED from loopback)."""
    main = Path(folder) / "blueprint.yaml"
    # beside the blueprint: a file elsewhere would be outside its project root (confinement)
    (Path(folder) / "types.yaml").write_text(Path(types_file).read_text(encoding="utf-8"), encoding="utf-8")
    main.write_text(
        "tosca_definitions_version: cloudify_dsl_1_4\n"
        f"imports:\n  - types.yaml\n  - 'plugin:{PACKAGE}{query}'\n"
        "node_templates:\n  n:\n    type: demo.Node\n", encoding="utf-8")
    result = resolver.resolve(main)
    codes = sorted({p.code for p in result.problems if p.is_error})
    if expected == INVALID:
        assert "plugin-spec-invalid" in codes
    elif expected is None:
        assert "plugin-not-found" in codes
    else:
        assert codes == [], [p.message for p in result.problems]
        (entry,) = [i for i in result.plan["imports"] if i.get("package_name") == PACKAGE]
        assert entry["package_version"] == expected
        plugins = {p["name"]: p for p in result.plan["deployment_plugins_to_install"]}
        assert plugins["demo"]["package_version"] == expected


@pytest.mark.parametrize("query, expected", CASES, ids=[q or "(none)" for q, _ in CASES])
def test_version_choice(session, query, expected, tmp_path):
    root, resolver = session
    check_case(resolver, root / "types.yaml", query, expected, tmp_path)
