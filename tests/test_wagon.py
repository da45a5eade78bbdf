"""Wagon folders, zip bundles, caravans and bare wagons as a registry (resolver/registry/wagon.py).

The wagons are built by the real `wagon` tool (tests/wagons.py, once per session); hand-written
archives stand in only where a test needs a `package.json` the build machine cannot produce (other
distributions) or an archive no tool would write (hostile ones).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from resolver import Options, Resolver
from resolver.registry import (DirectoryRegistry, PluginSpecError, RegistryError, choose_yaml, explain,
                               parse_plugin_import)
from resolver.registry import wagon as wagon_module
from resolver.registry.sources import SourceContext, open_source
from resolver.registry.wagon import WagonRegistry

from .conftest import BASIC_TYPES, REPO, node, write_tree
from .corpus import corpus_plugin_imports, wagon_folder
from .wagons import (PACKAGE, archive_bytes, demo_wagons, listing, package_json, package_json_of,  # noqa: F401
                     plugin_yaml, rewrite_package_json, write_wagon)

CORPUS = REPO.parent / "shared" / "corpus"
YAMLS = {"plugin.yaml": "", "plugin_1_4.yaml": "1_4"}


def upload_folder(folder: Path, wagon: Path, version: str, yamls=YAMLS) -> Path:
    """`folder` holding the wagon and that version's plugin YAML files, as `cfy plugins upload` takes."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(wagon, folder / wagon.name)
    for name, dsl in yamls.items():
        (folder / name).write_text(plugin_yaml(version, dsl), encoding="utf-8")
    return folder


def zip_bundle(path: Path, wagons: list[Path], version: str, yamls=YAMLS, icon: bool = True) -> Path:
    members = {w.name: w.read_bytes() for w in wagons}
    members.update({name: plugin_yaml(version, dsl).encode() for name, dsl in yamls.items()})
    if icon:
        members["icon.png"] = b"\x89PNG\r\n\x1a\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(archive_bytes(members, "zip"))
    return path


def blueprint_tree(root: Path, imports: str, version: str = "cloudify_dsl_1_4") -> Path:
    write_tree(root, {"types.yaml": BASIC_TYPES, "blueprint.yaml": f"""\
        tosca_definitions_version: {version}
        imports:
          - types.yaml
          - {imports}
        node_templates:
          thing:
            type: demo.nodes.Thing
        """})
    return root / "blueprint.yaml"


def resolve_with(registry, root: Path, imports: str, version: str = "cloudify_dsl_1_4"):
    main = blueprint_tree(root, imports, version)
    return Resolver(registries=[registry], options=Options()).resolve(main)


def flavour(result) -> str:
    assert result.plan is not None, [(p.code, p.message) for p in result.problems]
    return node(result.plan, "thing")["operations"]["cloudify.interfaces.lifecycle.create"]["inputs"]["flavour"]


@pytest.fixture(scope="module")
def demo_folder(demo_wagons, tmp_path_factory) -> Path:
    """One sub-folder per version (1.0.0 zip, 1.1.0 tar.gz, 2.0.0rc1 zip), YAML beside each wagon."""
    root = tmp_path_factory.mktemp("wagon-folder")
    for key in ("1.0.0", "1.1.0", "2.0.0rc1"):
        upload_folder(root / f"{PACKAGE}-{key}", demo_wagons[key], key)
    return root


# -- layouts ---------------------------------------------------------------------------

def test_real_wagons_are_one_zip_and_one_tar(demo_wagons):
    # the test premise: wagon wrote both container formats, whatever the suffix says
    assert zipfile.is_zipfile(demo_wagons["1.0.0"])
    assert not zipfile.is_zipfile(demo_wagons["1.1.0"]) and tarfile.is_tarfile(demo_wagons["1.1.0"])
    assert demo_wagons["1.0.0"].suffix == demo_wagons["1.1.0"].suffix == ".wgn"


def test_folder_of_version_folders_lists_package_json_fields(demo_folder, demo_wagons):
    registry = WagonRegistry(demo_folder)
    assert registry.packages() == (PACKAGE,)
    records = registry.versions(PACKAGE)
    assert [r.version for r in records] == ["1.0.0", "1.1.0", "2.0.0rc1"]
    for record, key in zip(records, ("1.0.0", "1.1.0", "2.0.0rc1")):
        meta = package_json_of(demo_wagons[key])
        assert record.archive_name == meta["archive_name"] == demo_wagons[key].name
        assert record.supported_platform == meta["supported_platform"] == "any"
        assert record.distribution is None  # wagon records none for an `any` build
        assert record.yaml_files == ("plugin.yaml", "plugin_1_4.yaml")
        assert record.location == str(demo_folder / f"{PACKAGE}-{key}")
    assert registry.faults == ()


def test_folder_registry_answers_plugin_imports(demo_folder, tmp_path):
    registry = WagonRegistry(demo_folder)
    # the pre-release is left out unless asked for; 1_4 gets plugin_1_4.yaml, 1_3 plugin.yaml
    assert flavour(resolve_with(registry, tmp_path / "a", f"plugin:{PACKAGE}")) == "1.1.0 1_4"
    assert flavour(resolve_with(registry, tmp_path / "b", f"plugin:{PACKAGE}?version=<1.1")) == "1.0.0 1_4"
    assert flavour(resolve_with(registry, tmp_path / "c", f"plugin:{PACKAGE}?version=2.0.0rc1")) == "2.0.0rc1 1_4"
    assert flavour(resolve_with(registry, tmp_path / "d", f"plugin:{PACKAGE}", "cloudify_dsl_1_5")) == "1.1.0 1_4"


def test_cli_resolves_with_a_wagon_folder(demo_folder, tmp_path):
    main = blueprint_tree(tmp_path, f"plugin:{PACKAGE}?version=1.0.0")
    proc = subprocess.run([sys.executable, "-m", "resolver", "-r", str(demo_folder), "--no-cache", "--no-config",
                           "-f", "json", str(main)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plan = json.loads(proc.stdout)["results"][0]["plan"]
    assert node(plan, "thing")["operations"]["cloudify.interfaces.lifecycle.create"]["inputs"]["flavour"] \
        == "1.0.0 1_4"
    assert [p["package_version"] for p in plan["deployment_plugins_to_install"]] == ["1.0.0"]


def test_wagons_directly_in_the_folder_share_its_yaml(demo_wagons, tmp_path):
    # one version built twice (any, linux): both wagons get the folder's YAML files
    folder = upload_folder(tmp_path / "reg", demo_wagons["1.1.0"], "1.1.0")
    shutil.copy(demo_wagons["1.1.0-linux"], folder)
    records = WagonRegistry(folder).versions(PACKAGE)
    assert sorted(r.archive_name for r in records) == sorted([demo_wagons["1.1.0"].name,
                                                              demo_wagons["1.1.0-linux"].name])
    assert {r.yaml_files for r in records} == {("plugin.yaml", "plugin_1_4.yaml")}
    # listing order is the file-name order: it stands for the upload order that breaks the tie
    assert [r.archive_name for r in records] == sorted(r.archive_name for r in records)
    chosen = explain(parse_plugin_import(f"plugin:{PACKAGE}"), records).chosen
    assert chosen is records[0]


def test_format_is_told_by_content_not_suffix(demo_wagons, tmp_path):
    # a tar.gz wagon named .zip and a zip wagon named .tgz are still bare wagons
    shutil.copy(demo_wagons["1.1.0"], tmp_path / "tar-wagon.zip")
    shutil.copy(demo_wagons["1.0.0"], tmp_path / "zip-wagon.tgz")
    assert [r.version for r in WagonRegistry(tmp_path / "tar-wagon.zip").versions(PACKAGE)] == ["1.1.0"]
    assert [r.version for r in WagonRegistry(tmp_path / "zip-wagon.tgz").versions(PACKAGE)] == ["1.0.0"]


def test_zip_bundle(demo_wagons, tmp_path):
    bundle = zip_bundle(tmp_path / "bundle.zip", [demo_wagons["1.1.0"]], "1.1.0")
    registry = WagonRegistry(bundle)
    (record,) = registry.versions(PACKAGE)
    assert (record.version, record.yaml_files) == ("1.1.0", ("plugin.yaml", "plugin_1_4.yaml"))
    assert record.archive_name == demo_wagons["1.1.0"].name
    assert registry.read(record, "plugin_1_4.yaml") == plugin_yaml("1.1.0", "1_4")
    assert flavour(resolve_with(registry, tmp_path / "bp", f"plugin:{PACKAGE}", "cloudify_dsl_1_3")) == "1.1.0 plugin"
    with pytest.raises(OSError):
        registry.read(record, "icon.png")


def test_zip_bundles_inside_a_folder(demo_wagons, tmp_path):
    zip_bundle(tmp_path / "reg" / "one" / "demo-1.0.0.zip", [demo_wagons["1.0.0"]], "1.0.0")
    zip_bundle(tmp_path / "reg" / "demo-2.0.0rc1.zip", [demo_wagons["2.0.0rc1"]], "2.0.0rc1")
    registry = open_source(str(tmp_path / "reg"), SourceContext(http=None))
    assert isinstance(registry, WagonRegistry)
    assert [r.version for r in registry.versions(PACKAGE)] == ["2.0.0rc1", "1.0.0"]
    assert flavour(resolve_with(registry, tmp_path / "bp", f"plugin:{PACKAGE}")) == "1.0.0 1_4"


def caravan(path: Path, entries: dict[str, tuple[Path, str]], top: str = "cloudify-plugins-bundle",
            metadata=None) -> Path:
    """A caravan: `top/<dir>/<wagon>` and `top/<dir>/plugin.yaml` per entry, and `top/METADATA`."""
    members = {}
    mapping = {}
    for folder, (wagon, version) in entries.items():
        members[f"{top}/{folder}/{wagon.name}"] = wagon.read_bytes()
        members[f"{top}/{folder}/plugin.yaml"] = plugin_yaml(version).encode()
        mapping[f"{folder}/{wagon.name}"] = f"{folder}/plugin.yaml"
    members[f"{top}/METADATA"] = json.dumps(mapping if metadata is None else metadata).encode()
    path.write_bytes(archive_bytes(members, "tar.gz"))
    return path


def test_caravan_bundle(demo_wagons, tmp_path):
    bundle = caravan(tmp_path / "bundle.tgz", {"b": (demo_wagons["1.1.0"], "1.1.0"),
                                               "a": (demo_wagons["1.0.0"], "1.0.0")})
    registry = open_source(str(bundle), SourceContext(http=None))
    assert isinstance(registry, WagonRegistry)
    records = registry.versions(PACKAGE)
    # one record per METADATA entry, ordered by wagon path
    assert [(r.version, r.yaml_files) for r in records] == [("1.0.0", ("plugin.yaml",)), ("1.1.0", ("plugin.yaml",))]
    assert registry.read(records[1], "plugin.yaml") == plugin_yaml("1.1.0")
    assert flavour(resolve_with(registry, tmp_path / "bp", f"plugin:{PACKAGE}")) == "1.1.0 plugin"


def test_caravan_with_bad_metadata_is_refused(demo_wagons, tmp_path):
    missing = caravan(tmp_path / "missing.tgz", {"a": (demo_wagons["1.0.0"], "1.0.0")},
                      metadata={"a/nothing.wgn": "a/plugin.yaml"})
    escaping = caravan(tmp_path / "escaping.tgz", {"a": (demo_wagons["1.0.0"], "1.0.0")},
                       metadata={f"../a/{demo_wagons['1.0.0'].name}": "a/plugin.yaml"})
    not_object = caravan(tmp_path / "list.tgz", {"a": (demo_wagons["1.0.0"], "1.0.0")}, metadata=["a"])
    for bundle in (missing, escaping, not_object):
        with pytest.raises(RegistryError) as caught:
            WagonRegistry(bundle).versions(PACKAGE)
        assert caught.value.code == "wagon-bundle-invalid"
        assert str(bundle) in caught.value.message


def test_bare_wagon_is_listed_without_yaml(demo_wagons, tmp_path):
    registry = open_source(str(demo_wagons["1.0.0"]), SourceContext(http=None))
    assert isinstance(registry, WagonRegistry)
    (record,) = registry.versions(PACKAGE)
    assert (record.version, record.yaml_files, record.location) == ("1.0.0", (), str(demo_wagons["1.0.0"]))
    result = resolve_with(registry, tmp_path, f"plugin:{PACKAGE}")
    assert "plugin-yaml-missing" in [p.code for p in result.problems]


# -- distributions ---------------------------------------------------------------------

def test_real_linux_build_records_the_build_distribution(demo_wagons, tmp_path):
    meta = package_json_of(demo_wagons["1.1.0-linux"])
    expected = meta["build_server_os_properties"]["distribution"]
    if sys.platform.startswith("linux"):
        assert expected, "wagon records the distribution of a Linux build with a platform"
    (record,) = WagonRegistry(demo_wagons["1.1.0-linux"]).versions(PACKAGE)
    assert record.distribution == (expected.lower() if expected else None)
    assert record.supported_platform == meta["supported_platform"] == "linux_x86_64"


@pytest.fixture
def distro_folder(demo_wagons, tmp_path) -> Path:
    """1.0.0 for ubuntu, 1.1.0 for centos and (same version, later in listing) for RedHat."""
    root = tmp_path / "reg"
    for folder, key, version, distribution, release in (
            ("a-ubuntu-1.0.0", "1.0.0", "1.0.0", "Ubuntu", "jammy"),
            ("b-centos-1.1.0", "1.1.0", "1.1.0", "centos", "Core"),
            ("c-redhat-1.1.0", "1.1.0-linux", "1.1.0", "redhat", "Maipo")):
        target = root / folder
        rewrite_package_json(demo_wagons[key], target / f"{folder}.wgn", distribution=distribution,
                             distribution_release=release)
        for name, dsl in YAMLS.items():
            (target / name).write_text(plugin_yaml(version, f"{dsl} {distribution}"), encoding="utf-8")
    return root


def test_distribution_filter(distro_folder, tmp_path):
    registry = WagonRegistry(distro_folder)
    records = registry.versions(PACKAGE)
    assert [(r.distribution, r.distribution_release) for r in records] == [
        ("ubuntu", "jammy"), ("centos", "core"), ("redhat", "maipo")]
    # distribution values are stored lowercase, as the manager stores them
    assert flavour(resolve_with(registry, tmp_path / "a", f"plugin:{PACKAGE}?distribution=ubuntu")) \
        == "1.0.0 1_4 Ubuntu"
    assert flavour(resolve_with(registry, tmp_path / "b", f"plugin:{PACKAGE}?distribution=redhat")) \
        == "1.1.0 1_4 redhat"
    # no filter: 1.1.0 twice, the earlier listing (centos) wins the tie
    assert flavour(resolve_with(registry, tmp_path / "c", f"plugin:{PACKAGE}")) == "1.1.0 1_4 centos"
    result = resolve_with(registry, tmp_path / "d", f"plugin:{PACKAGE}?distribution=Ubuntu")
    assert "plugin-not-found" in [p.code for p in result.problems]


def test_distribution_filter_through_the_cli(distro_folder, tmp_path):
    main = blueprint_tree(tmp_path, f"plugin:{PACKAGE}?distribution=ubuntu")
    proc = subprocess.run([sys.executable, "-m", "resolver", "-r", str(distro_folder), "--no-cache", "--no-config",
                           "-f", "json", str(main)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plan = json.loads(proc.stdout)["results"][0]["plan"]
    assert [p["package_version"] for p in plan["deployment_plugins_to_install"]] == ["1.0.0"]


# -- faults and hostile archives -------------------------------------------------------

GOOD = package_json("cloudify-good-plugin", "1.0")


def _zip_with(members: dict, path: Path, symlinks=()) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def _tar_with(path: Path, members: dict, link: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            archive.addfile(info)
    return path


def _meta_bytes(name="cloudify-bad-plugin"):
    return json.dumps(package_json(name, "1.0")).encode()


HOSTILE = {
    # name: (builder(path), expected code)
    "dotdot-zip": (lambda p: _zip_with({"bad/package.json": _meta_bytes(), "bad/../../evil.txt": b"x"}, p),
                   "wagon-unsafe"),
    "absolute-zip": (lambda p: _zip_with({"bad/package.json": _meta_bytes(), "/tmp/evil.txt": b"x"}, p),
                     "wagon-unsafe"),
    "symlink-zip": (lambda p: _zip_with({"bad/package.json": _meta_bytes()}, p, symlinks=["bad/wheels/link"]),
                    "wagon-unsafe"),
    "dotdot-tar": (lambda p: _tar_with(p, {"bad/package.json": _meta_bytes(), "bad/../../evil": b"x"}),
                   "wagon-unsafe"),
    "absolute-tar": (lambda p: _tar_with(p, {"bad/package.json": _meta_bytes(), "/evil": b"x"}), "wagon-unsafe"),
    "symlink-tar": (lambda p: _tar_with(p, {"bad/package.json": _meta_bytes()}, link="bad/wheels/link"),
                    "wagon-unsafe"),
    # 4 MiB of spaces compresses to almost nothing: the declared size is refused before reading
    "huge-package-json": (lambda p: _zip_deflated({"bad/package.json": b" " * (4 << 20)}, p), "wagon-unsafe"),
    "huge-package-json-tar": (lambda p: _tar_with(p, {"bad/package.json": b" " * (4 << 20)}), "wagon-unsafe"),
    "not-an-archive": (lambda p: p.write_bytes(b"this is not a wagon\n" * 10), "wagon-unreadable"),
    "empty-file": (lambda p: p.write_bytes(b""), "wagon-unreadable"),
    "truncated-zip": (lambda p: p.write_bytes(archive_bytes({"bad/package.json": _meta_bytes()})[:-30]),
                      "wagon-unreadable"),
    "truncated-tar": (lambda p: p.write_bytes(archive_bytes({"bad/package.json": _meta_bytes()}, "tar.gz")[:40]),
                      "wagon-unreadable"),
    "no-package-json": (lambda p: _zip_with({"bad/wheels/x.whl": b"x"}, p), "wagon-unreadable"),
    "no-package-json-tar": (lambda p: _tar_with(p, {"bad/wheels/x.whl": b"x"}), "wagon-unreadable"),
    "package-json-not-json": (lambda p: _zip_with({"bad/package.json": b"{nope"}, p), "wagon-unreadable"),
    "package-json-no-version": (lambda p: _zip_with({"bad/package.json": b'{"package_name": "x"}'}, p),
                                "wagon-unreadable"),
}


def _zip_deflated(members: dict, path: Path) -> Path:
    path.write_bytes(archive_bytes(members, "zip"))
    return path


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_or_broken_wagon_is_a_coded_fault(case, tmp_path):
    build, code = HOSTILE[case]
    registry_dir = tmp_path / "reg"
    bad = registry_dir / "bad" / "bad.wgn"
    bad.parent.mkdir(parents=True)
    build(bad)
    write_wagon(registry_dir / "good" / "good.wgn", GOOD)
    (registry_dir / "good" / "plugin.yaml").write_text("plugins: {}\n", encoding="utf-8")
    before = listing(tmp_path)

    # the bad upload is left out with its reason; the good one still answers
    registry = WagonRegistry(registry_dir)
    assert [r.version for r in registry.versions("cloudify-good-plugin")] == ["1.0"]
    assert [(f.path, f.code) for f in registry.faults] == [(str(bad), code)]
    assert str(bad) in registry.faults[0].message
    # alone, it is the registry's error, with the code and the file
    with pytest.raises(RegistryError) as caught:
        WagonRegistry(bad).versions("cloudify-bad-plugin")
    assert caught.value.code == code and str(bad) in caught.value.message
    # nothing was extracted: no file appeared or changed, here or in the working folder
    assert listing(tmp_path) == before
    assert not (Path(os.getcwd()) / "evil.txt").exists()


@pytest.mark.parametrize("wagons", [0, 2])
def test_zip_bundle_needs_exactly_one_wagon(wagons, tmp_path):
    members = {f"w{i}.wgn": archive_bytes({f"w{i}/package.json": _meta_bytes(f"w{i}")}) for i in range(wagons)}
    members["plugin.yaml"] = b"plugins: {}\n"
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(archive_bytes(members))
    with pytest.raises(RegistryError) as caught:
        WagonRegistry(bundle).packages()
    assert caught.value.code == "wagon-bundle-invalid"
    assert "Archive must include one wgn file" in caught.value.message and str(bundle) in caught.value.message


def test_bundle_with_unsafe_member_is_refused(demo_wagons, tmp_path):
    members = {demo_wagons["1.0.0"].name: demo_wagons["1.0.0"].read_bytes(), "../plugin.yaml": b"plugins: {}\n"}
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(archive_bytes(members))
    with pytest.raises(RegistryError) as caught:
        WagonRegistry(bundle).versions(PACKAGE)
    assert caught.value.code == "wagon-unsafe"


def test_member_count_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(wagon_module, "MAX_MEMBERS", 5)
    members = {"many/package.json": _meta_bytes("many")}
    members.update({f"many/wheels/{i}.whl": b"" for i in range(10)})
    for fmt in ("zip", "tar.gz"):
        path = tmp_path / f"many-{fmt}.wgn"
        path.write_bytes(archive_bytes(members, fmt))
        with pytest.raises(RegistryError) as caught:
            WagonRegistry(path).versions("many")
        assert caught.value.code == "wagon-unsafe"


def test_tar_total_size_is_bounded(tmp_path, monkeypatch):
    # a member that compresses well is refused by its declared size, before it is decompressed
    monkeypatch.setattr(wagon_module, "MAX_TAR_BYTES", 1 << 20)
    path = _tar_with(tmp_path / "big.wgn", {"big/package.json": _meta_bytes("big"),
                                            "big/wheels/x.whl": bytes(2 << 20)})
    with pytest.raises(RegistryError) as caught:
        WagonRegistry(path).versions("big")
    assert caught.value.code == "wagon-unsafe"


def test_missing_path_is_registry_not_found(tmp_path):
    with pytest.raises(RegistryError) as caught:
        WagonRegistry(tmp_path / "nowhere.wgn").versions(PACKAGE)
    assert caught.value.code == "registry-not-found"


def test_faulty_registry_alone_is_reported_at_the_import(tmp_path):
    bad = tmp_path / "reg" / "demo" / "demo.wgn"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not a wagon")
    result = resolve_with(WagonRegistry(tmp_path / "reg"), tmp_path / "bp", f"plugin:{PACKAGE}")
    problems = [(p.code, p.line) for p in result.problems]
    assert ("wagon-unreadable", 4) in problems
    assert "internal-error" not in [p.code for p in result.problems]


# -- reading leaves no trace, and is done once -----------------------------------------

def test_reading_writes_nothing(demo_folder, demo_wagons, tmp_path):
    zip_bundle(tmp_path / "bundle.zip", [demo_wagons["1.0.0"]], "1.0.0")
    caravan(tmp_path / "bundle.tgz", {"a": (demo_wagons["1.1.0"], "1.1.0")})
    before = listing(demo_folder), listing(tmp_path)
    for source in (demo_folder, tmp_path / "bundle.zip", tmp_path / "bundle.tgz", demo_wagons["1.0.0"]):
        registry = WagonRegistry(source)
        for record in registry.versions(PACKAGE):
            for name in record.yaml_files:
                assert registry.read(record, name).startswith("plugins:")
    assert (listing(demo_folder), listing(tmp_path)) == before


def test_scan_is_kept_per_registry_object(demo_wagons, tmp_path):
    folder = upload_folder(tmp_path / "reg" / "v", demo_wagons["1.0.0"], "1.0.0").parent
    registry = WagonRegistry(folder)
    first = registry.versions(PACKAGE)
    shutil.rmtree(folder / "v")
    # the archive is gone, yet the same object answers from its scan; a new one sees the change
    assert registry.versions(PACKAGE) is first
    assert WagonRegistry(folder).versions(PACKAGE) == ()


# -- the corpus claim ------------------------------------------------------------------

@pytest.mark.skipif(not (CORPUS / "plugins").is_dir(), reason="needs ../shared/corpus beside the repository")
def test_wagon_folder_from_the_corpus_chooses_as_the_directory_registry(tmp_path):
    directory = DirectoryRegistry(CORPUS / "plugins")
    root = wagon_folder(tmp_path / "wagons")
    count = sum(len(directory.versions(p)) for p in directory.packages())
    registry = WagonRegistry(root)
    assert registry.faults == ()
    assert registry.packages() == tuple(directory.packages())
    imports = corpus_plugin_imports()
    assert len(imports) >= 30 and count >= 100
    compared = 0
    for text, dsl_version in imports:
        try:
            request = parse_plugin_import(text)
        except PluginSpecError:
            continue  # refused before any registry is asked, whichever it is
        want = explain(request, directory.versions(request.package_name)).chosen
        got = explain(request, registry.versions(request.package_name)).chosen
        assert (got and got.version) == (want and want.version), text
        if want is None:
            continue
        dsl = dsl_version
        assert choose_yaml(got.yaml_files, dsl) == choose_yaml(want.yaml_files, dsl), (text, dsl)
        got_file = choose_yaml(got.yaml_files, dsl)
        if got_file:
            assert registry.read(got, got_file) == directory.read(want, got_file)
        compared += 1
    assert compared >= 30
