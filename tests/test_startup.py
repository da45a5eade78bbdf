"""Start-up: what `resolver --version`, `--help` and a first resolve import, each in a fresh
interpreter (a subprocess), since this process has imported everything long ago."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import resolver

from .conftest import BASIC_TYPES, REPO, blueprint, write_tree

HEAVY = ("networkx", "jsonschema", "referencing", "yaml", "packaging")


def imported_by(code: str, cwd=REPO, environ=None) -> tuple[str, set[str]]:
    """Run `code` in a fresh interpreter (in `environ`, else this process's environment); its
    stdout, and the top-level packages imported by then."""
    probe = code + textwrap.dedent("""
        import sys as _sys
        _sys.stderr.write("\\nMODULES " + __import__("json").dumps(sorted(_sys.modules)) + "\\n")
        """)
    environ = os.environ if environ is None else environ
    env = dict(environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=60, env=env)
    marker = done.stderr.rindex("MODULES ")
    modules = json.loads(done.stderr[marker + len("MODULES "):])
    return done.stdout, {name.split(".")[0] for name in modules}


# a web server contained in a VM: an install order, relationships, lifecycle tasks
HOSTED_WEB = blueprint("node_templates:\n  vm: {type: cloudify.nodes.Compute}\n"
                       "  web:\n    type: cloudify.nodes.WebServer\n"
                       "    relationships:\n      - {type: cloudify.relationships.contained_in, target: vm}\n")


def run_main(*argv: str) -> str:
    """Code that runs `python -m resolver ARGV` in the probing interpreter, as runpy does."""
    return textwrap.dedent(f"""
        import runpy, sys
        sys.argv = ["resolver", *{list(argv)!r}]
        try:
            runpy.run_module("resolver", run_name="__main__", alter_sys=True)
        except SystemExit:
            pass
        """)


def test_version_imports_nothing_heavy():
    out, modules = imported_by(run_main("--version"))
    assert out == f"resolver {resolver.__version__}\n"
    assert not modules & {*HEAVY, "attr", "attrs", "argparse"}


@pytest.mark.parametrize("entry, prog", [("main", "resolver"), ("hook", "resolver-hook")])
def test_the_installed_scripts_version_imports_nothing_heavy(entry, prog):
    """The `resolver` and `resolver-hook` scripts pip writes call command.main and command.hook:
    `--version` without argparse."""
    code = textwrap.dedent(f"""
        from resolver.command import {entry}
        status = {entry}(["--version"])
        """)
    out, modules = imported_by(code)
    assert out == f"{prog} {resolver.__version__}\n"
    assert not modules & {*HEAVY, "attr", "attrs", "argparse"}


SCRIPTS = os.path.dirname(sys.executable)


@pytest.mark.parametrize("prog", ["resolver", "resolver-hook"])
@pytest.mark.skipif(not os.path.isfile(os.path.join(SCRIPTS, "resolver")), reason="resolver is not installed "
                    "beside this interpreter (make install puts its scripts in .venv/bin)")
def test_the_installed_scripts_answer_version_and_run_the_command(tmp_path, prog):
    script = os.path.join(SCRIPTS, prog)
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"{prog} {resolver.__version__}\n")
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--jobs" in done.stdout  # anything else is the command's own
    done = subprocess.run([script, "--no-such-option"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and f"usage: {prog}" in done.stderr


def test_help_imports_no_yaml_schema_or_graph_library():
    out, modules = imported_by(run_main("--help"))
    assert "--jobs" in out and "--registry" in out
    assert not modules & set(HEAVY)


def test_the_first_resolve_imports_no_graph_library_until_the_graph_is_read(tmp_path):
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "blueprint.yaml": HOSTED_WEB})
    resolve = textwrap.dedent(f"""
        from resolver import resolve
        result = resolve({os.fspath(tmp_path / "blueprint.yaml")!r})
        print(result.ok, result.plan["install_order"])
        """)
    out, modules = imported_by(resolve)
    assert out == "True ['vm', 'web']\n"
    assert "networkx" not in modules
    assert "argparse" not in modules  # the lock module (and its command line) only when a lock is asked for
    assert not modules & {"attr", "attrs", "inspect", "dataclasses"}  # records.py makes the model's classes
    assert "pathlib" not in modules  # os.path does (schema files, sources): pathlib costs ~1.3 ms to import
    out, modules = imported_by(resolve + "print(sorted(result.graph.edges))\n")
    assert out.splitlines()[-1] == "[('web', 'vm')]"
    assert "networkx" in modules


def test_an_offline_run_of_the_command_opens_no_socket_module(tmp_path):
    """The network's modules (net's wire: socket, ssl, http.client) are imported on the first
    request only; a run answered from files and the cache, as most are, never pays for them."""
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES,
                          "blueprint.yaml": blueprint("node_templates:\n  vm: {type: cloudify.nodes.Compute}\n")})
    out, modules = imported_by(run_main("-f", "json", os.fspath(tmp_path / "blueprint.yaml")), cwd=tmp_path)
    assert json.loads(out)["results"][0]["ok"] is True
    assert not modules & {"socket", "ssl", "http", "_ssl"}
    # the lock's digests of a few KB come from CPython's own sha256, without loading OpenSSL
    assert "_hashlib" not in modules


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the cache folder is worked out without "
                    "platformdirs on Linux alone; elsewhere platformdirs answers")
@pytest.mark.parametrize("xdg, home", [("/x/cache", "/home/u"), ("/x/cache/", "/home/u"), ("relative/cache", "/home/u"),
                                       ("", "/home/u"), (None, "/home/u/"), (None, "/"), (None, "relative"), (None, None)])
def test_the_default_cache_folder_is_the_one_platformdirs_names(monkeypatch, xdg, home):
    """On Linux the folder comes from XDG_CACHE_HOME and HOME as platformdirs reads them, or from
    platformdirs itself where they do not settle it (no HOME, a relative one)."""
    import platformdirs

    from resolver import cache

    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    for name, value in (("XDG_CACHE_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    expected = platformdirs.user_cache_dir("resolver", appauthor=False)
    assert cache.default_root() == expected
    settled = cache._linux_cache_root()
    assert (settled is not None) == (os.path.isabs(xdg or "") or os.path.isabs(home or ""))
    assert settled in (None, expected)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="platformdirs is left out on Linux alone")
def test_a_run_with_the_default_cache_folder_imports_no_platformdirs(tmp_path):
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES,
                          "blueprint.yaml": blueprint("node_templates:\n  vm: {type: cloudify.nodes.Compute}\n")})
    environ = {name: value for name, value in os.environ.items() if name not in ("RESOLVER_CACHE", "XDG_CACHE_HOME")}
    environ["HOME"] = os.fspath(tmp_path / "home")
    out, modules = imported_by(run_main("-f", "json", os.fspath(tmp_path / "blueprint.yaml")), cwd=tmp_path,
                               environ=environ)
    assert json.loads(out)["results"][0]["ok"] is True
    assert "platformdirs" not in modules


def test_digests_are_sha256_before_and_after_the_switch_to_openssl(monkeypatch):
    """The built-in sha256 until SMALL_DIGEST bytes are hashed in all, OpenSSL's from then on:
    the same digests either way."""
    import hashlib

    from resolver import cache

    monkeypatch.setattr(cache, "_hashed", 0)
    monkeypatch.setattr(cache, "_large_sha256", None)
    sizes = (0, 1, cache.SMALL_DIGEST // 2, cache.SMALL_DIGEST // 2, 1, cache.SMALL_DIGEST + 1, 5)
    switched = []
    for size in sizes:
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        assert cache.sha256(data) == hashlib.sha256(data).hexdigest(), size
        switched.append(cache._large_sha256 is not None)
    assert switched == [False, False, False, True, True, True, True]


def test_lifecycle_plans_import_no_graph_library(tmp_path):
    """Install and uninstall plans are ordered with graphlib and bit sets (lifecycle.py); networkx
    only when `Lifecycle.graph` is read."""
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES, "blueprint.yaml": HOSTED_WEB})
    out, modules = imported_by(run_main("-f", "json", "--lifecycle", os.fspath(tmp_path / "blueprint.yaml")),
                               cwd=tmp_path)
    result = json.loads(out)["results"][0]
    assert result["ok"] is True
    install = result["plan"]["lifecycle"]["install"]
    assert install["tasks"] and sorted(t for step in install["steps"] for t in step) == [t["id"] for t in install["tasks"]]
    assert "networkx" not in modules


GLIBC = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else False


@pytest.mark.parametrize("claimed, size, applied", [(True, 2 << 20, True), (True, 4096, None), (False, 2 << 20, None)])
def test_malloc_s_threshold_is_fixed_only_in_a_claimed_process_reading_a_big_file(tmp_path, claimed, size, applied):
    """heap.py: the command's process (Batch(owns_process=True) claims it) fixes glibc's mmap
    threshold when it first reads a file of a MiB or more; small files, or a library caller's
    process, import no ctypes and change nothing."""
    padding = "".join(f"# {'x' * 78}\n" for _ in range(size // 80))  # a big file is mostly comments here
    write_tree(tmp_path, {"types.yaml": BASIC_TYPES,
                          "blueprint.yaml": blueprint("node_templates:\n  vm: {type: cloudify.nodes.Compute}\n") + padding})
    code = textwrap.dedent(f"""
        from resolver import heap, resolve
        from resolver.batch import Batch
        if {claimed!r}:
            Batch(1, owns_process=True)
        result = resolve({os.fspath(tmp_path / "blueprint.yaml")!r})
        print(result.ok, heap.applied)
        """)
    out, modules = imported_by(code)
    expected = applied if GLIBC or applied is None else False  # elsewhere: tried, and nothing to fix
    assert out == f"True {expected}\n"
    assert ("ctypes" in modules) == (applied is not None and sys.platform.startswith("linux"))
