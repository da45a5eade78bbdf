"""Wagons for the tests: real ones built by the `wagon` tool, and small hand-written ones.

`build_demo_wagons(folder)` writes a tiny plugin package (`cloudify-demo-plugin`) in several
versions and runs `wagon create` on each (zip and tar.gz, one with a Linux platform so that wagon
records the build machine's distribution). `write_wagon` writes a minimal wagon archive with a
given `package.json`, as the manager only reads that file; `rewrite_package_json` copies a real
wagon with some `package.json` fields changed (for `?distribution=` on a machine that builds only
one distribution). The session fixture `demo_wagons` builds once per test session.
"""
from __future__ import annotations

import concurrent.futures
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import attrs
import pytest

PACKAGE = "cloudify-demo-plugin"

# (key, version, wagon archive format, extra `wagon create` arguments)
BUILDS = (
    ("1.0.0", "1.0.0", "zip", ()),
    ("1.1.0", "1.1.0", "tar.gz", ()),
    ("2.0.0rc1", "2.0.0rc1", "zip", ()),
    # a platform other than `any` makes wagon record the build machine's distribution
    ("1.1.0-linux", "1.1.0", "zip", ("--supported-platform", "linux_x86_64")),
)


def plugin_yaml(version: str, dsl: str = "") -> str:
    """A plugin YAML for one version of the demo plugin; `dsl` marks which file it is.

    The `create` operation's `flavour` input names the version and file, so a plan shows which was read.
    """
    return textwrap.dedent(f"""\
        plugins:
          demo:
            executor: central_deployment_agent
            package_name: {PACKAGE}
            package_version: '{version}'
        node_types:
          demo.nodes.Thing:
            derived_from: cloudify.nodes.Root
            interfaces:
              cloudify.interfaces.lifecycle:
                create:
                  implementation: demo.demo_plugin.tasks.create
                  inputs:
                    flavour:
                      default: '{version} {dsl or "plugin"}'
        """)


def _write_package(folder: Path, key: str, version: str) -> Path:
    src = folder / f"src-{key}"
    (src / "demo_plugin").mkdir(parents=True, exist_ok=True)
    (src / "demo_plugin" / "__init__.py").write_text("", encoding="utf-8")
    (src / "demo_plugin" / "tasks.py").write_text("def create(**kwargs):\n    return None\n", encoding="utf-8")
    (src / "setup.py").write_text(
        "from setuptools import setup\n"
        f"setup(name={PACKAGE!r}, version={version!r}, packages=['demo_plugin'])\n", encoding="utf-8")
    return src


def _wagon_create(src: Path, out: Path, fmt: str, extra: tuple[str, ...]) -> Path:
    wheel_args = "--no-deps"
    # with setuptools at hand pip need not fetch it into an isolated build environment
    if importlib.util.find_spec("setuptools") is not None:
        wheel_args += " --no-build-isolation"
    out.mkdir(parents=True, exist_ok=True)
    wagon = [sys.executable, "-c", "import sys, wagon; sys.exit(wagon.main())"]
    proc = subprocess.run([*wagon, "create", "-t", fmt, "-o", str(out), f"--wheel-args={wheel_args}",
                           *extra, str(src)], capture_output=True, text=True, timeout=300)
    built = sorted(out.glob("*.wgn"))
    if proc.returncode != 0 or len(built) != 1:
        raise RuntimeError(f"wagon create failed for {src}:\n{proc.stdout}\n{proc.stderr}")
    return built[0]


@attrs.frozen
class DemoWagons:
    """Real wagons by key (see BUILDS), each alone in its own folder under `root`."""

    root: Path
    wagons: dict

    def __getitem__(self, key: str) -> Path:
        return self.wagons[key]


def build_demo_wagons(folder: Path) -> DemoWagons:
    """Build every wagon of BUILDS with `wagon create`, in parallel (each is a pip run)."""
    def one(build):
        key, version, fmt, extra = build
        src = _write_package(folder, key, version)
        return key, _wagon_create(src, folder / "out" / key, fmt, extra)

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(BUILDS)) as pool:
        wagons = dict(pool.map(one, BUILDS))
    return DemoWagons(root=folder, wagons=wagons)


@pytest.fixture(scope="session")
def demo_wagons(tmp_path_factory) -> DemoWagons:
    return build_demo_wagons(tmp_path_factory.mktemp("demo-wagons"))


# -- reading and writing package.json without the code under test ----------------------

def package_json_of(wagon: Path) -> dict:
    """The wagon's package.json, read here with the standard library (not with resolver)."""
    if zipfile.is_zipfile(wagon):
        with zipfile.ZipFile(wagon) as archive:
            name = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/package.json"))
            return json.loads(archive.read(name))
    with tarfile.open(wagon) as archive:
        member = next(m for m in archive.getmembers()
                      if m.name.count("/") == 1 and m.name.endswith("/package.json"))
        return json.loads(archive.extractfile(member).read())


def package_json(name: str, version: str, *, distribution=None, release=None, platform="any",
                 archive_name=None) -> dict:
    """A package.json as `wagon create` writes it (the keys the manager reads, and a few more)."""
    return {
        "archive_name": archive_name or f"{name.replace('-', '_')}-{version}-py3-none-{platform}.wgn",
        "build_server_os_properties": {"distribution": distribution, "distribution_release": release,
                                       "distribution_version": None},
        "package_name": name, "package_version": version, "supported_platform": platform,
        "supported_python_versions": ["py3"], "wheels": [], "files": [],
    }


def write_wagon(path: Path, meta: dict, fmt: str = "zip", top: str | None = None,
                extra: dict | None = None) -> Path:
    """A minimal wagon: `<top>/package.json` (plus `extra` {member: bytes}) as a zip or tar.gz."""
    top = top or meta.get("package_name", "wagon")
    members = {f"{top}/package.json": json.dumps(meta, indent=4, sort_keys=True).encode()}
    members.update(extra or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(archive_bytes(members, fmt))
    return path


def archive_bytes(members: dict, fmt: str = "zip") -> bytes:
    """A zip or tar.gz holding {member name: bytes}, in the order given."""
    buffer = io.BytesIO()
    if fmt == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def rewrite_package_json(src: Path, dst: Path, **changes) -> Path:
    """Copy wagon `src` to `dst` with package.json fields changed; `distribution` and
    `distribution_release` go into `build_server_os_properties`. Keeps the container format."""
    meta = package_json_of(src)
    props = dict(meta.get("build_server_os_properties") or {})
    for key in ("distribution", "distribution_release"):
        if key in changes:
            props[key] = changes.pop(key)
    meta["build_server_os_properties"] = props
    meta.update(changes)
    data = json.dumps(meta, indent=4, sort_keys=True).encode()
    dst.parent.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(src):
        with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
            for info in old.infolist():
                new.writestr(info.filename, data if info.filename.endswith("/package.json")
                             and info.filename.count("/") == 1 else old.read(info))
    else:
        with tarfile.open(src) as old, tarfile.open(dst, "w:gz") as new:
            for member in old.getmembers():
                if member.isfile() and member.name.endswith("/package.json") and member.name.count("/") == 1:
                    member = tarfile.TarInfo(member.name)
                    member.size = len(data)
                    new.addfile(member, io.BytesIO(data))
                elif member.isfile():
                    new.addfile(member, old.extractfile(member))
                else:
                    new.addfile(member)
    return dst


def listing(root: Path) -> list[tuple[str, int, int]]:
    """Every file and folder under `root` with its size and mtime: what a read must not change."""
    out = []
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            info = os.lstat(path)
            out.append((os.path.relpath(path, root), info.st_size, info.st_mtime_ns))
    return sorted(out)
