"""Hostile input, tried as an attacker would: each case gets a coded problem, fast, and leaks nothing.

Every case of SECURITY.md's table is one function of `CASES`: it builds its input under a fresh
folder, resolves it, asserts what must hold beyond the code (nothing of a secret read or quoted,
no request sent), and returns the codes reported. The tests run every case; the table's time and
peak-memory figures come from running each case alone in a fresh process:

    python -m tests.test_security --table      # the Markdown rows of SECURITY.md's table

Secrets live in a `secret/` folder beside the project (`project/`), holding a file whose text
(`SECRET_TEXT`) must appear in no problem and whose path must appear in no file opened.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import pytest

from resolver import Options, Resolver
from resolver.limits import Limits
from resolver.net import Http, NetError, NetOptions, host_allowed
from resolver.wire import public_address

from .audit import opened
from .conftest import BASIC_TYPES, REPO, write_tree
from .servers import Reply, json_reply, serve, text_reply

SECRET_TEXT = "TOP-SECRET-7f3a: password=hunter2"
SECRET_YAML = f"inputs:\n  stolen:\n    default: '{SECRET_TEXT}'\n"
WAGON_UNSAFE = REPO / "fixtures" / "codes" / "wagon-unsafe"
# how long each Scene.resolve took (the table reports the resolving, not the writing of the input)
RESOLVE_SECONDS: list[float] = []


def _blueprint(*imports: str, body: str = "node_templates: {}\n") -> str:
    lines = ["tosca_definitions_version: cloudify_dsl_1_4", "imports:", "  - types.yaml"]
    lines += [f"  - {ref}" for ref in imports]
    return "\n".join(lines) + "\n" + body


class Scene:
    """A project folder and a secret folder beside it, and one session to resolve with."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.project = base / "project"
        self.secret = base / "secret"
        write_tree(self.secret, {"s.yaml": SECRET_YAML, "s.sh": f"echo '{SECRET_TEXT}'\n"})
        write_tree(self.project, {"types.yaml": BASIC_TYPES})
        (self.project / ".git").mkdir()  # the project root: nearest folder holding .git

    def write(self, files: dict[str, str]) -> None:
        write_tree(self.project, files)

    def resolve(self, text: str | None = None, main: str = "blueprint.yaml", **options):
        """Resolve `main` (written from `text` when given); assert nothing of the secret leaked."""
        if text is not None:
            self.write({main: text})
        session = Resolver(registries=options.pop("registries", []), options=Options(**options))
        started = time.perf_counter()
        with opened() as paths:
            result = session.resolve(self.project / main)
        RESOLVE_SECONDS.append(time.perf_counter() - started)
        secret = str(self.secret.resolve())
        assert not [p for p in paths if os.path.realpath(p).startswith(secret)], "a secret file was opened"
        for problem in result.problems:
            assert SECRET_TEXT not in f"{problem.message} {problem.hint}"
            assert problem.code != "internal-error", problem.message
        assert not _merged_secret(result), "the secret file was merged"
        return result


def _merged_secret(result) -> bool:
    """Whether any file the walk merged holds the secret."""
    files = result.imports.files if result.imports is not None else ()
    return any(SECRET_TEXT in repr(source.doc) for source in files)


def _codes(result) -> list[str]:
    return sorted({p.code for p in result.problems if p.is_error or p.code == "import-cycle"})


# -- confinement ---------------------------------------------------------------------------------------


def case_traversal_relative(base: Path) -> list[str]:
    scene = Scene(base)
    return _codes(scene.resolve(_blueprint("../secret/s.yaml")))


def case_traversal_deep_relative(base: Path) -> list[str]:
    scene = Scene(base)
    scene.write({"app/blueprint.yaml": _blueprint("../../secret/s.yaml").replace("- types.yaml", "- ../types.yaml")})
    return _codes(scene.resolve(main="app/blueprint.yaml"))


def case_traversal_absolute(base: Path) -> list[str]:
    scene = Scene(base)
    return _codes(scene.resolve(_blueprint(str(scene.secret / "s.yaml"))))


def case_traversal_file_url(base: Path) -> list[str]:
    scene = Scene(base)
    return _codes(scene.resolve(_blueprint((scene.secret / "s.yaml").as_uri())))


def case_traversal_symlink(base: Path) -> list[str]:
    scene = Scene(base)
    (scene.project / "innocent.yaml").symlink_to(scene.secret / "s.yaml")
    return _codes(scene.resolve(_blueprint("innocent.yaml")))


def case_traversal_symlinked_folder(base: Path) -> list[str]:
    scene = Scene(base)
    (scene.project / "lib").symlink_to(scene.secret, target_is_directory=True)
    return _codes(scene.resolve(_blueprint("lib/s.yaml")))


def case_script_escaping_the_root(base: Path) -> list[str]:
    scene = Scene(base)
    body = ("node_templates:\n  n:\n    type: cloudify.nodes.Root\n    interfaces:\n"
            "      cloudify.interfaces.lifecycle:\n        create: ../secret/s.sh\n")
    probed = []
    real_isfile = os.path.isfile

    def isfile(path):
        probed.append(os.path.abspath(path))
        return real_isfile(path)

    os.path.isfile = isfile
    try:
        result = scene.resolve(_blueprint(body=body))
    finally:
        os.path.isfile = real_isfile
    assert not [p for p in probed if p.startswith(str(scene.secret))], "the script's existence was probed"
    return _codes(result)


def case_registry_path_injection(base: Path) -> list[str]:
    scene = Scene(base)
    registry = base / "registry"
    write_tree(registry, {"demo/1.0/plugin.yaml": "plugins:\n  demo: {executor: central_deployment_agent}\n"})
    # the names a blueprint controls never become paths outside the registry
    result = scene.resolve(_blueprint("plugin:../secret?version=1.0", "plugin:demo?version=../../secret"),
                           registries=[registry])
    return _codes(result)


def case_import_cycle_through_dotdot(base: Path) -> list[str]:
    scene = Scene(base)
    scene.write({"lib/a.yaml": "imports:\n  - ../lib/../blueprint.yaml\n"})
    return _codes(scene.resolve(_blueprint("lib/a.yaml")))


def case_wagon_with_dotdot_members(base: Path) -> list[str]:
    scene = Scene(base)
    return _codes(scene.resolve(_blueprint("plugin:cloudify-demo-plugin"),
                                registries=[WAGON_UNSAFE / "registry"]))


# -- bounded work --------------------------------------------------------------------------------------


def case_billion_laughs(base: Path) -> list[str]:
    scene = Scene(base)
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]
    text = _blueprint(body="inputs:\n  bomb:\n    default:\n" + "".join(f"      {line}\n" for line in lines))
    return _codes(scene.resolve(text))


def case_recursive_alias(base: Path) -> list[str]:
    scene = Scene(base)
    return _codes(scene.resolve(_blueprint(body="inputs:\n  loop:\n    default: &a [1, *a]\n")))


def case_deep_nesting_100000(base: Path) -> list[str]:
    scene = Scene(base)
    return _codes(scene.resolve(_blueprint(body="inputs:\n  deep:\n    default: " + "[" * 100_000 + "]" * 100_000 + "\n")))


def case_big_text_refused_at_its_end(base: Path) -> list[str]:
    """A text libyaml refuses is read again by PyYAML's pure-Python parser (as the reference reads
    it, for its message and position): the biggest it reads again, refused at its very end."""
    scene = Scene(base)
    entries = "".join(f"  in{i}:\n    default: {{a: [1, {{b: v{i}}}], c: 'text {i}'}}\n" for i in range(5_000))
    body = ("inputs:\n" + entries)[:250_000].rsplit("\n", 1)[0] + "\nbroken: [1, 2\n"
    return _codes(scene.resolve(_blueprint(body=body)))


def case_tab_beside_deep_nesting(base: Path) -> list[str]:
    """A tab makes a text one PyYAML's parser reads again, but not one nested past --max-depth:
    that parser takes time quadratic in flow nesting."""
    scene = Scene(base)
    return _codes(scene.resolve(_blueprint(body="inputs:\n  deep:\n    default:\t" + "[" * 100_000 + "]" * 100_000 + "\n")))


def case_deep_block_nesting(base: Path) -> list[str]:
    scene = Scene(base)
    body = "inputs:\n  deep:\n    default:\n" + "".join(" " * (6 + i) + "- \n" for i in range(400))
    return _codes(scene.resolve(_blueprint(body=body)))


def _write_big_yaml(path: Path, size: int) -> None:
    """A YAML file of `size` bytes, written a megabyte at a time (never held whole in memory)."""
    block = ("# " + "x" * 97 + "\n") * 10_486
    with open(path, "w", encoding="utf-8") as out:
        out.write("tosca_definitions_version: cloudify_dsl_1_4\n")
        for _ in range(size // len(block)):
            out.write(block)


def case_main_blueprint_of_50_mb(base: Path) -> list[str]:
    scene = Scene(base)
    _write_big_yaml(scene.project / "blueprint.yaml", 50 * 1024 * 1024)
    return _codes(scene.resolve())


def case_import_of_50_mb(base: Path) -> list[str]:
    scene = Scene(base)
    _write_big_yaml(scene.project / "big.yaml", 50 * 1024 * 1024)
    return _codes(scene.resolve(_blueprint("big.yaml")))


def case_imports_10000(base: Path) -> list[str]:
    scene = Scene(base)
    (scene.project / "lib").mkdir()
    for i in range(10_000):
        (scene.project / "lib" / f"f{i}.yaml").write_text(f"inputs:\n  i{i}: {{default: {i}}}\n", encoding="utf-8")
    return _codes(scene.resolve(_blueprint(*(f"lib/f{i}.yaml" for i in range(10_000)))))


def case_node_templates_20000(base: Path) -> list[str]:
    scene = Scene(base)
    body = "node_templates:\n" + "".join(f"  n{i}: {{type: cloudify.nodes.Root}}\n" for i in range(20_000))
    return _codes(scene.resolve(_blueprint(body=body)))


def case_type_hierarchy_10000(base: Path) -> list[str]:
    scene = Scene(base)
    body = "node_types:\n  t0: {derived_from: cloudify.nodes.Root}\n" + "".join(
        f"  t{i}: {{derived_from: t{i - 1}}}\n" for i in range(1, 10_000))
    return _codes(scene.resolve(_blueprint(body=body + "node_templates:\n  n: {type: t9999}\n")))


def case_non_utf8_bytes(base: Path) -> list[str]:
    scene = Scene(base)
    (scene.project / "blueprint.yaml").write_bytes(b"tosca_definitions_version: cloudify_dsl_1_4\n"
                                                   b"description: \xff\xfe\x80 latin-1 caf\xe9\n")
    return _codes(scene.resolve())


def case_binary_garbage(base: Path) -> list[str]:
    scene = Scene(base)
    (scene.project / "blueprint.yaml").write_bytes(bytes(range(256)) * 64)
    return _codes(scene.resolve())


# -- the network ---------------------------------------------------------------------------------------


def _online_import(base: Path, url: str, **options) -> list[str]:
    scene = Scene(base)
    return _codes(scene.resolve(_blueprint(url), online=True, **options))


def _no_request(routes=None) -> Callable:
    """Run `check(server)` against a loopback server; assert it saw no request at all."""
    def run(check):
        with serve(routes or {"/x.yaml": text_reply("inputs: {}\n")}) as server:
            codes = check(server)
            assert server.requests == [], "a request reached the server"
        return codes
    return run


def case_loopback_address_online(base: Path) -> list[str]:
    return _no_request()(lambda server: _online_import(base, f"{server.url}/x.yaml"))


def case_localhost_name_online(base: Path) -> list[str]:
    return _no_request()(lambda server: _online_import(base, server.url.replace("127.0.0.1", "localhost") + "/x.yaml"))


def case_ipv4_mapped_ipv6_online(base: Path) -> list[str]:
    return _no_request()(lambda server: _online_import(
        base, server.url.replace("127.0.0.1", "[::ffff:127.0.0.1]") + "/x.yaml"))


def case_link_local_metadata_online(base: Path) -> list[str]:
    # the cloud metadata service: refused before any connection is tried (no time-out waited for)
    started = time.perf_counter()
    codes = _online_import(base, "http://169.254.169.254/latest/meta-data/x.yaml")
    assert time.perf_counter() - started < 5
    return codes


def case_ipv6_link_local_online(base: Path) -> list[str]:
    return _online_import(base, "http://[fe80::1]/x.yaml")


def case_private_address_online(base: Path) -> list[str]:
    return _online_import(base, "http://10.0.0.1/x.yaml")


def case_other_scheme_online(base: Path) -> list[str]:
    return _online_import(base, "ftp://example.org/x.yaml")


def case_host_not_allowed_online(base: Path) -> list[str]:
    return _no_request()(lambda server: _online_import(base, f"{server.url}/x.yaml", allow_private_addresses=True,
                                                       allow_hosts=("plugins.example.org",)))


def case_redirect_to_file_scheme(base: Path) -> list[str]:
    redirect = lambda request: Reply(302, b"", (("Location", "file:///etc/passwd"),))  # noqa: E731
    with serve({"/x.yaml": redirect}) as server:
        codes = _online_import(base, f"{server.url}/x.yaml", allow_private_addresses=True)
        assert [r.path for r in server.requests] == ["/x.yaml"]
    return codes


def case_redirect_to_a_refused_host(base: Path) -> list[str]:
    with serve({"/y.yaml": text_reply("inputs: {}\n")}) as target:
        elsewhere = target.url.replace("127.0.0.1", "localhost") + "/y.yaml"
        redirect = lambda request: Reply(302, b"", (("Location", elsewhere),))  # noqa: E731
        with serve({"/x.yaml": redirect}) as server:
            codes = _online_import(base, f"{server.url}/x.yaml", allow_private_addresses=True,
                                   allow_hosts=("127.0.0.1",))
            assert [r.path for r in server.requests] == ["/x.yaml"]
        assert target.requests == []
    return codes


def case_marketplace_on_loopback(base: Path) -> list[str]:
    from resolver.registry.marketplace import MarketplaceRegistry

    with serve({"/plugins": json_reply({"items": []})}) as server:
        registry = MarketplaceRegistry(server.url, Http(None, NetOptions(online=True, retries=0)))
        result = Scene(base).resolve(_blueprint("plugin:cloudify-demo-plugin"), registries=[registry])
        assert server.requests == []
    return _codes(result)


# -- the table -----------------------------------------------------------------------------------------

# case -> (what SECURITY.md calls it, the code it must get)
CASES: dict[str, tuple[Callable[[Path], list[str]], str, str]] = {
    "traversal_relative": (case_traversal_relative, "import `../secret/s.yaml` (relative path out of the root)",
                           "import-outside-root"),
    "traversal_deep_relative": (case_traversal_deep_relative, "import `../../secret/s.yaml` from a subfolder",
                                "import-outside-root"),
    "traversal_absolute": (case_traversal_absolute, "import of an absolute path outside the root",
                           "import-outside-root"),
    "traversal_file_url": (case_traversal_file_url, "import of a `file:///...` URL outside the root",
                           "import-outside-root"),
    "traversal_symlink": (case_traversal_symlink, "import of a symlink inside the root to a file outside",
                          "import-outside-root"),
    "traversal_symlinked_folder": (case_traversal_symlinked_folder, "import through a symlinked folder to outside",
                                   "import-outside-root"),
    "script_escaping_the_root": (case_script_escaping_the_root,
                                 "operation script `../secret/s.sh` (existence not probed)", "operation-unmapped"),
    "registry_path_injection": (case_registry_path_injection, "`plugin:../secret`, `?version=../../secret`",
                                "plugin-not-found"),
    "import_cycle_through_dotdot": (case_import_cycle_through_dotdot, "import cycle through `..`", "import-cycle"),
    "wagon_with_dotdot_members": (case_wagon_with_dotdot_members, "wagon with a `../` member", "wagon-unsafe"),
    "billion_laughs": (case_billion_laughs, "billion laughs (9 levels of 9 aliases, 10^9 values)",
                       "yaml-alias-expansion"),
    "recursive_alias": (case_recursive_alias, "an alias inside its own anchor", "yaml-alias-expansion"),
    "deep_nesting_100000": (case_deep_nesting_100000, "100,000-deep flow nesting", "yaml-too-complex"),
    "deep_block_nesting": (case_deep_block_nesting, "400-deep block nesting", "yaml-too-complex"),
    "big_text_refused_at_its_end": (case_big_text_refused_at_its_end,
                                    "a 250 KB blueprint refused at its end (read again by PyYAML's parser)",
                                    "yaml-syntax"),
    "tab_beside_deep_nesting": (case_tab_beside_deep_nesting, "a tab beside 100,000-deep flow nesting",
                                "yaml-too-complex"),
    "main_blueprint_of_50_mb": (case_main_blueprint_of_50_mb, "a 50 MB blueprint", "file-too-large"),
    "import_of_50_mb": (case_import_of_50_mb, "an import of a 50 MB file", "file-too-large"),
    "imports_10000": (case_imports_10000, "10,000 imports", "imports-too-many"),
    "node_templates_20000": (case_node_templates_20000, "20,000 node templates", "nodes-too-many"),
    "type_hierarchy_10000": (case_type_hierarchy_10000, "a derived_from chain of 10,000 types",
                             "type-hierarchy-too-deep"),
    "non_utf8_bytes": (case_non_utf8_bytes, "non-UTF-8 bytes", "file-unreadable"),
    "binary_garbage": (case_binary_garbage, "16 KB of binary garbage", "file-unreadable"),
    "loopback_address_online": (case_loopback_address_online, "`--online` import from `127.0.0.1`", "url-refused"),
    "localhost_name_online": (case_localhost_name_online, "`--online` import from `localhost`", "url-refused"),
    "ipv4_mapped_ipv6_online": (case_ipv4_mapped_ipv6_online, "`--online` import from `[::ffff:127.0.0.1]`",
                                "url-refused"),
    "link_local_metadata_online": (case_link_local_metadata_online,
                                   "`--online` import from `169.254.169.254` (cloud metadata)", "url-refused"),
    "ipv6_link_local_online": (case_ipv6_link_local_online, "`--online` import from `[fe80::1]`", "url-refused"),
    "private_address_online": (case_private_address_online, "`--online` import from `10.0.0.1`", "url-refused"),
    "other_scheme_online": (case_other_scheme_online, "`--online` import of an `ftp://` URL", "url-refused"),
    "host_not_allowed_online": (case_host_not_allowed_online, "`--online --allow-host` another host",
                                "url-refused"),
    "redirect_to_file_scheme": (case_redirect_to_file_scheme, "a redirect to `file:///etc/passwd`", "url-refused"),
    "redirect_to_a_refused_host": (case_redirect_to_a_refused_host, "a redirect to a host not allowed",
                                   "url-refused"),
    "marketplace_on_loopback": (case_marketplace_on_loopback, "a plugin source (marketplace) on loopback",
                                "url-refused"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case_gets_its_code_quickly(name, tmp_path):
    case, _, code = CASES[name]
    started = time.perf_counter()
    codes = case(tmp_path)
    elapsed = time.perf_counter() - started
    assert code in codes, codes
    assert elapsed < 20, f"{name} took {elapsed:.1f} s"


def test_outside_import_names_the_import_and_the_root_and_nothing_else(tmp_path):
    scene = Scene(tmp_path)
    result = scene.resolve(_blueprint("../secret/s.yaml"))
    (problem,) = [p for p in result.problems if p.code == "import-outside-root"]
    assert "'../secret/s.yaml'" in problem.message and str(scene.project) in problem.message
    assert (problem.file, problem.line, problem.column) == (str(scene.project / "blueprint.yaml"), 4, 5)
    assert result.plan is None


def test_outside_file_that_is_not_yaml_is_never_quoted(tmp_path):
    # with confinement off the same import is read, and its YAML error would quote nothing of it either
    scene = Scene(tmp_path)
    (scene.secret / "passwd").write_text(f"root:x:0:0:{SECRET_TEXT}:/root:/bin/sh\n\t{SECRET_TEXT}: [\n")
    result = scene.resolve(_blueprint("../secret/passwd"))
    assert _codes(result) == ["import-outside-root"]


def test_allow_outside_reads_what_confinement_refuses(tmp_path):
    scene = Scene(tmp_path)
    scene.write({"blueprint.yaml": _blueprint("../secret/s.yaml")})
    result = Resolver(registries=[], options=Options(allow_outside=True)).resolve(scene.project / "blueprint.yaml")
    assert result.ok and _merged_secret(result)


def test_root_option_widens_and_narrows(tmp_path):
    scene = Scene(tmp_path)
    scene.write({"app/blueprint.yaml": _blueprint("../lib.yaml").replace("- types.yaml", "- ../types.yaml"),
                 "lib.yaml": "inputs: {}\n"})
    main = scene.project / "app" / "blueprint.yaml"
    assert Resolver(registries=[]).resolve(main).ok  # the .git folder makes project/ the root
    narrowed = Resolver(registries=[], options=Options(root=str(scene.project / "app"))).resolve(main)
    assert {p.code for p in narrowed.problems} == {"import-outside-root"}
    widened = Resolver(registries=[], options=Options(root=str(tmp_path)))
    assert widened.resolve(main).ok


NSX = REPO.parent / "shared" / "corpus" / "blueprints" / "cloudify-cosmo" / "cloudify-nsx-plugin"


@pytest.mark.skipif(not NSX.is_dir(), reason="needs ../shared/corpus beside the repository")
def test_a_real_blueprint_importing_dotdot_plugin_yaml_inside_its_repository_keeps_working():
    # tests/platformtests/resources/*.yaml import ../../../plugin.yaml: inside the repository, above the
    # blueprint's folder. The corpus keeps no .git per repository, so the repository's root is given.
    corpus = REPO.parent / "shared" / "corpus"
    main = NSX / "tests" / "platformtests" / "resources" / "security_groups.yaml"
    session = dict(registries=[corpus / "plugins"], import_rules=corpus / "import-rules.yaml")
    kept = Resolver(**session, options=Options(root=str(NSX))).resolve(main)
    assert kept.ok, [(p.code, p.message) for p in kept.problems if p.is_error]
    assert any(f.shown.endswith("cloudify-nsx-plugin/plugin.yaml") for f in kept.imports.files)
    # without the repository's root, the blueprint's own folder is the root, and plugin.yaml is above it
    alone = Resolver(**session).resolve(main)
    assert "import-outside-root" in {p.code for p in alone.problems}


def test_project_root_is_found_from_git_or_config(tmp_path):
    from resolver.sources import project_root

    write_tree(tmp_path, {"repo/.resolver.yaml": "strict: false\n", "repo/a/b/bp.yaml": "x: 1\n",
                          "loose/bp.yaml": "x: 1\n"})
    assert project_root(str(tmp_path / "repo" / "a" / "b" / "bp.yaml")) == str(tmp_path / "repo")
    assert project_root(str(tmp_path / "loose" / "bp.yaml")) == str(tmp_path / "loose")


def test_a_session_learns_each_folder_s_project_root(tmp_path):
    # FolderFacts.project remembers a blueprint folder's project root: folders of one repository,
    # nested or not, and a folder of none, asked in turn and again, each get their own
    from resolver.sources import FolderFacts, project_root

    write_tree(tmp_path, {"repo/.git/HEAD": "ref\n", "repo/a/b/bp.yaml": "x: 1\n", "repo/a/bp.yaml": "x: 1\n",
                          "repo/bp.yaml": "x: 1\n", "loose/bp.yaml": "x: 1\n", "loose/in/bp.yaml": "x: 1\n"})
    blueprints = [tmp_path / "repo" / "a" / "b" / "bp.yaml", tmp_path / "loose" / "in" / "bp.yaml",
                  tmp_path / "repo" / "a" / "bp.yaml", tmp_path / "loose" / "bp.yaml", tmp_path / "repo" / "bp.yaml"]
    facts = FolderFacts()
    for blueprint in map(str, blueprints * 2):
        assert project_root(blueprint, facts) == project_root(blueprint), blueprint
    assert project_root(str(blueprints[1]), facts) == str(tmp_path / "loose" / "in")


def test_a_session_follows_links_as_realpath_does(tmp_path):
    # FolderFacts learns a path's real path from its folder's: a link anywhere on the way, to
    # a folder or relative, above or below a folder already learnt, is followed all the same
    from resolver.sources import FolderFacts

    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "a" / "lx").symlink_to(tmp_path / "x", target_is_directory=True)
    (tmp_path / "a" / "ly").symlink_to(os.path.join("..", "x", "y"), target_is_directory=True)
    (tmp_path / "a" / "b" / "rel").symlink_to(os.path.join("..", "lx", "y"), target_is_directory=True)
    paths = [tmp_path / "a" / "b" / "c", tmp_path / "a" / "lx" / "y" / "new.yaml", tmp_path / "a" / "ly",
             tmp_path / "a" / "ly" / "q.yaml", tmp_path / "a" / "b" / "rel" / "z.yaml", tmp_path / "a" / "b"]
    facts = FolderFacts()
    for path in map(str, paths * 2):
        assert facts.realpath(path) == os.path.realpath(path), path


def test_search_paths_rules_and_registries_are_roots(tmp_path):
    scene = Scene(tmp_path)
    write_tree(tmp_path, {"shared/lib.yaml": "inputs: {}\n", "mirror/types/x.yaml": "inputs: {}\n",
                          "rules.yaml": "rules:\n  - {'https://example.org/': 'mirror/'}\n"})
    text = _blueprint("lib.yaml", "https://example.org/types/x.yaml")
    scene.write({"blueprint.yaml": text})
    result = Resolver(registries=[], search_paths=[tmp_path / "shared"],
                      import_rules=tmp_path / "rules.yaml").resolve(scene.project / "blueprint.yaml")
    assert result.ok, [(p.code, p.message) for p in result.problems]
    # a rule's target is a root, but not what lies above it
    scene.write({"blueprint.yaml": _blueprint("https://example.org/../secret/s.yaml")})
    escaped = Resolver(registries=[], import_rules=tmp_path / "rules.yaml").resolve(scene.project / "blueprint.yaml")
    assert not _merged_secret(escaped)


def test_a_session_confines_each_blueprint_to_its_own_project(tmp_path):
    # the session learns each set of allowed folders once (sources.FolderFacts.allowed): the
    # project root is part of what it learns them by, so a blueprint of one project never
    # reads inside another project the session met first, nor is refused its own
    for name in ("one", "two"):
        write_tree(tmp_path / name, {"types.yaml": BASIC_TYPES, "lib.yaml": "inputs: {}\n"})
        (tmp_path / name / ".git").mkdir()
    write_tree(tmp_path, {"one/own.yaml": _blueprint("lib.yaml"), "one/across.yaml": _blueprint("../two/lib.yaml"),
                          "two/own.yaml": _blueprint("lib.yaml"), "two/across.yaml": _blueprint("../one/lib.yaml")})
    session = Resolver(registries=[])
    for name, other in (("one", "two"), ("two", "one"), ("one", "two")):
        assert session.resolve(tmp_path / name / "own.yaml").ok
        assert "import-outside-root" in _codes(session.resolve(tmp_path / name / "across.yaml"))
        assert _codes(Resolver(registries=[], options=Options(root=str(tmp_path))).resolve(
            tmp_path / other / "across.yaml")) == []
    # and to its own search paths, which are roots for it alone
    write_tree(tmp_path, {"extra/lib.yaml": "inputs: {}\n",
                          "one/extra.yaml": _blueprint(str(tmp_path / "extra" / "lib.yaml"))})
    for searched in (True, False, True):
        codes = _codes(session.resolve(tmp_path / "one" / "extra.yaml",
                                       search_paths=[tmp_path / "extra"] if searched else []))
        assert codes == ([] if searched else ["import-outside-root"]), (searched, codes)


def test_limits_are_options_and_name_their_option(tmp_path):
    scene = Scene(tmp_path)
    scene.write({"blueprint.yaml": _blueprint(body="node_templates:\n  a: {type: cloudify.nodes.Root}\n"
                                                   "  b: {type: cloudify.nodes.Root}\n")})
    main = scene.project / "blueprint.yaml"
    assert Resolver(registries=[]).resolve(main).ok
    limited = Resolver(registries=[], options=Options(limits=Limits(max_nodes=1))).resolve(main)
    (problem,) = limited.problems
    assert problem.code == "nodes-too-many" and "--max-nodes" in problem.hint
    assert (problem.line, problem.column) == (4, 1)
    with pytest.raises(ValueError):
        Limits(max_depth=0)


def test_cli_options_reach_the_session(tmp_path, capsys):
    from resolver import cli

    scene = Scene(tmp_path)
    scene.write({"blueprint.yaml": _blueprint("../secret/s.yaml")})
    main = str(scene.project / "blueprint.yaml")
    assert cli.main([main, "--no-cache", "--no-config"]) == 1
    assert "import-outside-root" in capsys.readouterr().out
    assert cli.main([main, "--no-cache", "--no-config", "--allow-outside"]) == 0
    capsys.readouterr()
    assert cli.main([main, "--no-cache", "--no-config", "--root", str(tmp_path)]) == 0
    capsys.readouterr()
    assert cli.main([main, "--no-cache", "--no-config", "--max-files", "1", "--allow-outside"]) == 1
    assert "imports-too-many" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main([main, "--max-depth", "zero"])


def test_config_cannot_lift_confinement(tmp_path, capsys):
    from resolver import cli

    scene = Scene(tmp_path)
    scene.write({"blueprint.yaml": _blueprint("../secret/s.yaml"), ".resolver.yaml": "allow_outside: true\n"})
    assert cli.main([str(scene.project / "blueprint.yaml"), "--no-cache"]) == 2
    assert "config-unknown-key" in capsys.readouterr().err
    scene.write({".resolver.yaml": "max_files: 1\n"})
    assert cli.main([str(scene.project / "blueprint.yaml"), "--no-cache"]) == 1
    assert "imports-too-many" in capsys.readouterr().out


def test_internal_error_at_the_cli_boundary_is_exit_2_with_a_report(tmp_path, capsys, monkeypatch):
    from resolver import cli, hook
    from resolver.api import Resolver as Session

    def broken(self, path, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(Session, "resolve", broken)
    main = tmp_path / "bp.yaml"
    main.write_text("tosca_definitions_version: cloudify_dsl_1_4\nnode_templates: {}\n")
    for entry in (cli.main, hook.main):
        assert entry([str(main), "--no-cache", "--no-config"]) == 2
        err = capsys.readouterr().err
        assert "internal error: KeyError" in err and "report it" in err and "python " in err
        assert 'in broken\n    raise KeyError("a bug")' in err  # the innermost frames: what a bug report needs


@pytest.mark.parametrize("text, where", [("a: [1, 2", (1, 9)), ("x:\n  - [a, b", (2, 10)), ("a: {b", (1, 6))])
def test_a_truncated_file_is_faulted_on_its_last_line(text, where):
    # found by make fuzz: at the end of a text with no final line break, libyaml reports the line after it
    from resolver.load import load_yaml
    from resolver.problems import Problems

    problems = Problems()
    assert load_yaml(text, "f.yaml", problems) is None
    assert [(p.code, p.line, p.column) for p in problems] == [("yaml-syntax", *where)]


# -- the network, below the import: Http itself --------------------------------------------------------


def test_address_checks():
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                    "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1",
                    "fe80::1%eth0", "not an address"):
        assert not public_address(address), address
    for address in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"):
        assert public_address(address), address


def test_host_patterns():
    assert host_allowed("plugins.example.org", ["plugins.example.org"])
    assert host_allowed("a.example.org", ["*.example.org"]) and not host_allowed("example.org", ["*.example.org"])
    assert not host_allowed("evil-example.org", ["*.example.org"]) and not host_allowed("x.org", ["example.org"])
    assert host_allowed("EXAMPLE.org.", ["example.org"])


def test_private_addresses_allowed_on_request(tmp_path):
    with serve({"/x.yaml": text_reply("inputs: {}\n")}) as server:
        refused = Http(None, NetOptions(online=True, retries=0))
        with pytest.raises(NetError) as caught:
            refused.get(f"{server.url}/x.yaml")
        assert caught.value.code == "url-refused" and "--allow-private-addresses" in caught.value.hint
        allowed = Http(None, NetOptions(online=True, retries=0, allow_private=True))
        assert allowed.get(f"{server.url}/x.yaml") == b"inputs: {}\n"
        assert [r.path for r in server.requests] == ["/x.yaml"]


def test_https_never_redirects_down_to_http():
    from resolver.wire import CheckedRedirects
    from urllib.request import Request

    handler = CheckedRedirects()
    request = Request("https://plugins.example.org/a.yaml")
    with pytest.raises(NetError) as caught:
        handler.redirect_request(request, None, 302, "Found", {}, "http://plugins.example.org/a.yaml")
    assert caught.value.code == "url-refused"
    upgraded = handler.redirect_request(Request("http://plugins.example.org/a.yaml"), None, 302, "Found", {},
                                        "https://plugins.example.org/a.yaml")
    assert upgraded.full_url == "https://plugins.example.org/a.yaml"


def test_through_a_proxy_the_target_is_checked_not_the_proxy(monkeypatch):
    # The proxy (the user's choice) is on loopback; the metadata address is refused before the proxy is
    # asked, a name this machine cannot resolve is left to the proxy.
    routes = {"plugins.invalid/x.yaml": text_reply("inputs: {}\n")}
    with serve(routes) as proxy:
        for name in ("http_proxy", "HTTP_PROXY"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        http = Http(None, NetOptions(online=True, retries=0))
        with pytest.raises(NetError) as caught:
            http.get("http://169.254.169.254/latest/x.yaml")
        assert caught.value.code == "url-refused" and proxy.requests == []
        assert http.get("http://plugins.invalid/x.yaml") == b"inputs: {}\n"
        assert [r.host + r.path for r in proxy.requests] == ["plugins.invalid/x.yaml"]


def test_answers_are_bounded_in_size(tmp_path):
    with serve({"/big": text_reply(b"x" * 5000)}) as server:
        http = Http(None, NetOptions(online=True, retries=0, allow_private=True, max_bytes=1000))
        with pytest.raises(NetError) as caught:
            http.get(f"{server.url}/big")
        assert caught.value.code == "registry-bad-response"


# -- measuring, for SECURITY.md ----------------------------------------------------------------------


def measure(name: str) -> dict:
    """Run one case in this process (meant to be a fresh one): its codes, wall time and peak memory."""
    case, _, _ = CASES[name]
    RESOLVE_SECONDS.clear()
    with tempfile.TemporaryDirectory() as folder:
        codes = case(Path(folder))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"name": name, "codes": codes, "seconds": sum(RESOLVE_SECONDS), "peak_mib": peak_kib / 1024}


def table() -> str:
    """SECURITY.md's rows: each case alone in a fresh interpreter; the time is the resolving alone, the
    peak memory the whole process's (Python and resolver included, building the input too)."""
    rows = ["| hostile input | code | time | peak memory | test |", "|---|---|---|---|---|"]
    for name, (_, title, code) in CASES.items():
        run = subprocess.run([sys.executable, "-c", "import json, sys; from tests.test_security import measure; "
                              "print(json.dumps(measure(sys.argv[1])))", name],
                             cwd=REPO, capture_output=True, text=True, timeout=600)
        got = json.loads(run.stdout.strip().splitlines()[-1])
        assert code in got["codes"], (name, got)
        rows.append(f"| {title} | `{code}` | {got['seconds']:.2f} s | {got['peak_mib']:.0f} MiB | "
                    f"`case_{name}` |")
    return "\n".join(rows)


if __name__ == "__main__":
    if sys.argv[1:] != ["--table"]:
        sys.exit("usage: python -m tests.test_security --table")
    print(table())
