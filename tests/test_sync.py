"""`resolver registry sync` and `registry list`: a source copied into a directory registry, atomic per
version, resumable, checked; and what a registry holds."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resolver import cli, sync as sync_module
from resolver.registry import DirectoryRegistry, MemoryRegistry, PluginRecord, RegistryError
from resolver.sync import Progress, TerminalProgress, holdings, progress_for, sync

from .servers import json_reply, serve, text_reply

CORPUS_PLUGINS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "plugins"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_digests(root: Path) -> dict[tuple[str, str, str], str]:
    """{(package, version, file): sha256} of every file under a directory registry folder."""
    out = {}
    for path in root.glob("*/*/*"):
        package, version, name = path.relative_to(root).parts
        out[(package, version, name)] = sha(path.read_bytes())
    return out


def corpus_digests() -> dict[tuple[str, str, str], str]:
    """{(package, version, file): sha256} of the corpus plugin YAML as text, which is what a directory
    registry gives: read with universal newlines (some corpus files have CRLF line ends), UTF-8 encoded."""
    out = {}
    for path in CORPUS_PLUGINS.glob("*/*/*.yaml"):
        package, version, name = path.relative_to(CORPUS_PLUGINS).parts
        out[(package, version, name)] = sha(path.read_text(encoding="utf-8").encode("utf-8"))
    return out


class FakeSource:
    """The Registry protocol over a list of (record, {file: text}); `on_read` may raise to fail a read."""

    def __init__(self, versions, name="fake", on_read=None, packages=None):
        self.name = name
        self._versions = versions
        self._packages = packages
        self.on_read = on_read
        self.reads: list[tuple[str, str, str]] = []

    def packages(self):
        if self._packages is not None:
            return self._packages
        return tuple(sorted({record.package_name for record, _ in self._versions}))

    def versions(self, package_name):
        return tuple(record for record, _ in self._versions if record.package_name == package_name)

    def read(self, record, yaml_file):
        self.reads.append((record.package_name, record.version, yaml_file))
        if self.on_read is not None:
            self.on_read(record, yaml_file)
        for held, files in self._versions:
            if held == record:
                return files[yaml_file]
        raise OSError(f"no {yaml_file}")


def record(package, version, files, **fields):
    return PluginRecord(package_name=package, version=version, yaml_files=tuple(sorted(files)),
                        location=f"fake:{package}/{version}", source="fake", **fields)


def fake(entries, **kwargs) -> FakeSource:
    """A FakeSource from [(package, version, {file: text}, record fields)]."""
    return FakeSource([(record(p, v, files, **fields), files) for p, v, files, fields in entries], **kwargs)


def three_versions(**kwargs) -> FakeSource:
    return fake([("alpha", "1.0", {"plugin.yaml": "a: 1\n", "plugin_1_5.yaml": "a: 15\n"}, {}),
                 ("alpha", "2.0", {"plugin.yaml": "a: 2\n", "plugin_1_5.yaml": "a: 25\n"}, {}),
                 ("beta", "0.1", {"plugin.yaml": "b: 1\n"}, {})], **kwargs)


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if "@" in p.name)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("RESOLVER_CACHE", str(tmp_path / "user-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


# --- copying ----------------------------------------------------------------------------------------


def test_sync_of_the_corpus_folder_copies_every_file_then_skips_them(tmp_path):
    expected = corpus_digests()
    versions = {(p, v) for p, v, _ in expected}
    report = sync(DirectoryRegistry(CORPUS_PLUGINS), str(tmp_path / "copy"))
    assert report.ok and report.skipped == ()
    assert set(report.written) == versions
    assert report.packages == len({p for p, _ in versions})
    assert tree_digests(tmp_path / "copy") == expected
    again = sync(DirectoryRegistry(CORPUS_PLUGINS), str(tmp_path / "copy"))
    assert again.written == () and set(again.skipped) == versions


def test_wagon_metadata_is_kept_so_distribution_still_works(tmp_path):
    source = fake([("p", "1.0", {"plugin.yaml": "x: 1\n"},
                    dict(distribution="centos", distribution_release="core", supported_platform="linux_x86_64",
                         archive_name="p-1.0-centos-Core-py311-none-linux_x86_64.wgn")),
                   ("p", "2.0", {"plugin.yaml": "x: 2\n"}, {})])
    sync(source, str(tmp_path / "copy"))
    meta = json.loads((tmp_path / "copy/p/1.0/package.json").read_text())
    assert meta == {"package_name": "p", "package_version": "1.0", "supported_platform": "linux_x86_64",
                    "archive_name": "p-1.0-centos-Core-py311-none-linux_x86_64.wgn",
                    "build_server_os_properties": {"distribution": "centos", "distribution_release": "core"}}
    assert not (tmp_path / "copy/p/2.0/package.json").exists()  # no wagon data given, none invented
    copy = {r.version: r for r in DirectoryRegistry(tmp_path / "copy").versions("p")}
    assert (copy["1.0"].distribution, copy["1.0"].distribution_release, copy["1.0"].supported_platform,
            copy["1.0"].archive_name) == ("centos", "core", "linux_x86_64",
                                          "p-1.0-centos-Core-py311-none-linux_x86_64.wgn")
    assert copy["2.0"].distribution is None
    from resolver.registry import parse_plugin_import, select

    held = DirectoryRegistry(tmp_path / "copy").versions("p")
    assert select(parse_plugin_import("plugin:p?distribution=centos"), held).version == "1.0"
    assert select(parse_plugin_import("plugin:p"), held).version == "2.0"


def test_only_the_packages_asked(tmp_path):
    report = sync(three_versions(), str(tmp_path / "copy"), packages=["beta", "gamma"])
    assert report.written == (("beta", "0.1"),)
    assert [(f.package, f.version, f.code) for f in report.failures] == [("gamma", None, "plugin-not-found")]
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["beta"]


def test_a_changed_version_is_replaced_whole(tmp_path):
    target = tmp_path / "copy"
    sync(three_versions(), str(target))
    (target / "alpha/1.0/plugin.yaml").write_text("changed\n")
    (target / "alpha/1.0/extra.yaml").write_text("stray\n")
    report = sync(three_versions(), str(target))
    assert report.written == (("alpha", "1.0"),) and len(report.skipped) == 2
    assert sorted(os.listdir(target / "alpha/1.0")) == ["plugin.yaml", "plugin_1_5.yaml"]
    assert (target / "alpha/1.0/plugin.yaml").read_text() == "a: 1\n"
    assert leftovers(target) == []


def test_a_version_listed_twice_keeps_the_first(tmp_path):
    source = fake([("p", "1.0", {"plugin.yaml": "first\n"}, dict(distribution="centos")),
                   ("p", "1.0", {"plugin.yaml": "second\n"}, dict(distribution="redhat"))])
    report = sync(source, str(tmp_path / "copy"))
    assert report.ok and report.written == (("p", "1.0"),)
    assert (tmp_path / "copy/p/1.0/plugin.yaml").read_text() == "first\n"
    assert len(report.notes) == 1 and "redhat" in report.notes[0]


# --- checks -----------------------------------------------------------------------------------------


def test_checksums_are_verified(tmp_path):
    good, bad = "x: 1\n", "x: 2\n"
    source = fake([("p", "1.0", {"plugin.yaml": good}, dict(checksums=(("plugin.yaml", sha(good.encode())),))),
                   ("p", "2.0", {"plugin.yaml": bad}, dict(checksums=(("plugin.yaml", sha(good.encode())),)))])
    report = sync(source, str(tmp_path / "copy"))
    assert report.written == (("p", "1.0"),)
    assert [(f.package, f.version, f.code) for f in report.failures] == [("p", "2.0", "registry-bad-response")]
    assert "sha256" in report.failures[0].message
    assert not (tmp_path / "copy/p/2.0").exists() and leftovers(tmp_path / "copy") == []
    # a version whose every file has a checksum is found complete without reading the source again
    source.reads.clear()
    again = sync(source, str(tmp_path / "copy"), packages=["p"])
    assert again.skipped == (("p", "1.0"),)
    assert ("p", "1.0", "plugin.yaml") not in source.reads


@pytest.mark.parametrize("package, version, files", [
    ("../evil", "1.0", {"plugin.yaml": "x\n"}),
    ("a/b", "1.0", {"plugin.yaml": "x\n"}),
    ("p", "..", {"plugin.yaml": "x\n"}),
    ("p", "1.0/../../../escaped", {"plugin.yaml": "x\n"}),
    ("p", "1.0", {"../../escaped.yaml": "x\n"}),
    ("p", "1.0", {"sub/plugin.yaml": "x\n"}),
    ("p", "1.0", {"plugin.yml": "x\n"}),
    ("p", "1.0", {".": "x\n"}),
])
def test_unsafe_names_are_refused_and_nothing_is_written_outside(tmp_path, package, version, files):
    target = tmp_path / "deep" / "copy"
    source = fake([(package, version, files, {})])
    report = sync(source, str(target))
    assert report.written == ()
    assert [f.code for f in report.failures] == ["registry-bad-response"]
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == []


# --- interruptions ------------------------------------------------------------------------------------


def test_an_interrupted_sync_leaves_whole_versions_and_resumes(tmp_path):
    target = tmp_path / "copy"

    def interrupt(record, yaml_file):
        if (record.version, yaml_file) == ("2.0", "plugin_1_5.yaml"):  # the second file of a version
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync(three_versions(on_read=interrupt), str(target), jobs=1)
    assert sorted(os.listdir(target / "alpha")) == ["1.0"]
    assert sorted(os.listdir(target / "alpha/1.0")) == ["plugin.yaml", "plugin_1_5.yaml"]
    assert leftovers(target) == []
    source = three_versions()
    report = sync(source, str(target))
    assert report.skipped == (("alpha", "1.0"),)
    assert report.written == (("alpha", "2.0"), ("beta", "0.1"))
    assert tree_digests(target)[("alpha", "2.0", "plugin_1_5.yaml")] == sha(b"a: 25\n")


def test_a_failing_read_fails_that_version_only(tmp_path):
    target = tmp_path / "copy"

    def refuse(record, yaml_file):
        if (record.version, yaml_file) == ("2.0", "plugin_1_5.yaml"):
            raise RegistryError("registry-server-error", "http://x/plugin_1_5.yaml answered HTTP 502")

    report = sync(three_versions(on_read=refuse), str(target), jobs=4)
    assert [(f.package, f.version, f.code) for f in report.failures] == [("alpha", "2.0", "registry-server-error")]
    assert report.written == (("alpha", "1.0"), ("beta", "0.1"))
    assert not (target / "alpha/2.0").exists() and leftovers(target) == []
    assert sync(three_versions(), str(target)).written == (("alpha", "2.0"),)


def test_an_interruption_while_writing_leaves_no_partial_folder(tmp_path, monkeypatch):
    target = tmp_path / "copy"
    real_rename = os.rename
    calls = []

    def rename_then_stop(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the files of the second version are written; moving it into place stops
            raise KeyboardInterrupt
        return real_rename(src, dst)

    monkeypatch.setattr(sync_module.os, "rename", rename_then_stop)
    with pytest.raises(KeyboardInterrupt):
        sync(three_versions(), str(target), jobs=1)
    monkeypatch.setattr(sync_module.os, "rename", real_rename)
    assert leftovers(target) == []
    assert not (target / "alpha/2.0").exists()
    assert sync(three_versions(), str(target)).written == (("alpha", "2.0"), ("beta", "0.1"))


def test_leftovers_of_a_killed_sync_are_invisible_and_cleaned_when_old(tmp_path):
    target = tmp_path / "copy"
    sync(three_versions(), str(target))
    old = target / "alpha" / ".partial@3.0@abc"
    young = target / "alpha" / ".partial@4.0@def"
    for folder in (old, young):
        folder.mkdir()
        (folder / "plugin.yaml").write_text("half\n")
    an_hour_ago = time.time() - sync_module.STALE_PARTIAL_SECONDS - 60
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert [r.version for r in DirectoryRegistry(target).versions("alpha")] == ["1.0", "2.0"]
    sync(three_versions(), str(target))
    assert not old.exists() and young.exists()  # a young one may be another sync's, still running


# --- progress ---------------------------------------------------------------------------------------


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_only_on_a_terminal(tmp_path, capsys):
    assert type(progress_for(Stream(False))) is Progress
    assert isinstance(progress_for(Stream(True)), TerminalProgress)
    stream = Stream(True)
    sync(three_versions(), str(tmp_path / "a"), progress=TerminalProgress(stream, width=60, interval=0))
    text = stream.getvalue()
    assert "\r[" in text and "3/3" in text and "0/3" in text
    assert text.endswith("\r" + " " * 59 + "\r")  # the line is cleared at the end
    # the command line: nothing but the failures and the summary in a pipe
    pipe = Stream(False)
    assert sync_module.main(["sync", str(CORPUS_PLUGINS), "--to", str(tmp_path / "b"), "--package",
                             "cloudify-aws-plugin"], stderr=pipe) == 0
    assert pipe.getvalue() == ""
    tty = Stream(True)
    assert sync_module.main(["sync", str(CORPUS_PLUGINS), "--to", str(tmp_path / "c"), "--package",
                             "cloudify-aws-plugin"], stderr=tty) == 0
    assert "\r[" in tty.getvalue()


@pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) to run under a pseudo-terminal")
def test_progress_under_a_real_terminal(tmp_path):
    command = [sys.executable, "-m", "resolver", "registry", "sync", str(CORPUS_PLUGINS), "--to",
               str(tmp_path / "copy")]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    total = len({(p, v) for p, v, _ in corpus_digests()})
    under_tty = subprocess.run(["script", "-qec", shlex.join(command), "/dev/null"], capture_output=True,
                               timeout=120, env=env)
    assert under_tty.returncode == 0, under_tty.stdout
    assert f"\r[####################] {total}/{total} ".encode() in under_tty.stdout
    piped = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert piped.returncode == 0 and piped.stderr == "" and "[#" not in piped.stdout
    assert "0 versions written" in piped.stdout


# --- the command line ----------------------------------------------------------------------------------


def test_sync_into_the_cache_then_list(tmp_path, capsys):
    target = tmp_path / "user-cache" / "registry"
    assert cli.main(["registry", "sync", str(CORPUS_PLUGINS), "--package", "cloudify-utilities-plugin",
                     "--package", "cloudify-fabric-plugin"]) == 0
    out = capsys.readouterr().out
    expected = {key for key in corpus_digests() if key[0] in ("cloudify-utilities-plugin", "cloudify-fabric-plugin")}
    versions = {(p, v) for p, v, _ in expected}
    assert out.startswith(f"2 packages, {len(versions)} versions written, 0 skipped, 0 failed, in ")
    assert set(tree_digests(target)) == expected
    assert cli.main(["registry", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["cloudify-fabric-plugin", "cloudify-utilities-plugin"]
    assert lines[-1].startswith(f"2 packages, {len(versions)} versions, 0 types versions in ")


def test_list_sorts_by_version_and_shows_the_types(tmp_path, capsys):
    source = fake([("p", "10.0", {"plugin.yaml": "x\n"}, dict(distribution="centos")),
                   ("p", "2.0", {"plugin.yaml": "x\n"}, {}),
                   ("p", "1.10.0", {"plugin.yaml": "x\n"}, {}),
                   ("p", "2.0rc1", {"plugin.yaml": "x\n"}, {}),
                   ("p", "latest", {"plugin.yaml": "x\n"}, {}),
                   ("aa", "1", {"plugin.yaml": "x\n", "plugin_1_5.yaml": "x\n"}, {}),
                   ("cloudify-types", "7.0.5", {"types.yaml": "x\n"}, {}),
                   ("cloudify-types", "6.4.0", {"types.yaml": "x\n", "types_1_5.yaml": "x\n"}, {})])
    sync(source, str(tmp_path / "reg"))
    assert cli.main(["registry", "list", "--to", "reg"]) == 0
    width = len("cloudify-types (Cloudify types)")  # the names are aligned on the longest
    assert capsys.readouterr().out.splitlines() == [
        f"{'aa':{width}}  1",
        f"{'p':{width}}  1.10.0, 2.0rc1, 2.0, 10.0, latest",
        "cloudify-types (Cloudify types)  6.4.0, 7.0.5",
        f"2 packages, 6 versions, 2 types versions in {tmp_path / 'reg'}",
    ]
    assert cli.main(["registry", "list", "-r", "reg", "-f", "json"]) == 0
    held = json.loads(capsys.readouterr().out)
    assert held["source"] == str(tmp_path / "reg")
    assert [(e["name"], [v["version"] for v in e["versions"]]) for e in held["packages"]] == [
        ("aa", ["1"]), ("p", ["1.10.0", "2.0rc1", "2.0", "10.0", "latest"])]
    assert held["packages"][1]["versions"][3] == {"version": "10.0", "yaml_files": ["plugin.yaml"],
                                                  "distribution": "centos"}
    assert held["types"] == [
        {"version": "6.4.0", "yaml_files": ["types.yaml", "types_1_5.yaml"], "distribution": None},
        {"version": "7.0.5", "yaml_files": ["types.yaml"], "distribution": None}]
    assert holdings(DirectoryRegistry(tmp_path / "empty")) == {"source": str(tmp_path / "empty"),
                                                               "packages": [], "types": []}


def test_failures_are_listed_with_their_code_and_exit_1(tmp_path, capsys):
    shutil.copytree(CORPUS_PLUGINS / "cloudify-fabric-plugin", tmp_path / "src" / "cloudify-fabric-plugin")
    broken = sorted((tmp_path / "src" / "cloudify-fabric-plugin").glob("*/plugin.yaml"))[0]
    broken.write_bytes(b"plugins: \xff\n")  # not UTF-8: the source cannot give it as text
    version = broken.parent.name
    assert cli.main(["registry", "sync", "src", "--to", "copy", "--package", "nope"]) == 1
    err = capsys.readouterr().err
    assert "failed: nope: plugin-not-found:" in err
    assert cli.main(["registry", "sync", "src", "--to", "copy"]) == 1
    captured = capsys.readouterr()
    assert f"failed: cloudify-fabric-plugin {version}: file-unreadable:" in captured.err
    assert ", 1 failed, in " in captured.out
    assert not (tmp_path / "copy" / "cloudify-fabric-plugin" / version).exists()


@pytest.mark.parametrize("argv, message", [
    (["registry"], "usage"),
    (["registry", "sync"], "usage"),
    (["registry", "sync", "no-such-folder"], "registry-not-found"),
    (["registry", "sync", "src", "--no-cache"], "--no-cache needs --to"),
    (["registry", "sync", "src", "-r", "src"], "not with -r"),
    (["registry", "sync", "src", "--jobs", "0"], "--jobs"),
    (["registry", "list", "--to", "a", "-r", "b"], "not both"),
    (["registry", "list", "-r", "a", "-r", "b"], "one source at a time"),
])
def test_usage_errors_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "src").mkdir()
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_url_source_needs_online(tmp_path, capsys):
    with serve({"/plugins.json": json_reply([])}) as server:
        assert cli.main(["registry", "sync", f"{server.url}/plugins.json", "--to", "copy"]) == 2
        assert server.requests == []
    err = capsys.readouterr().err
    assert "registry-offline" in err and "--online" in err


def test_the_project_config_gives_the_cache(tmp_path, capsys):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".resolver.yaml").write_text("cache: project-cache\n")
    assert cli.main(["registry", "sync", str(CORPUS_PLUGINS), "--package", "cloudify-fabric-plugin"]) == 0
    capsys.readouterr()
    assert (tmp_path / "project-cache" / "registry" / "cloudify-fabric-plugin").is_dir()


# --- a catalog of 300+ versions over HTTP --------------------------------------------------------------


def all_versions_catalog(base_url: str) -> tuple[list, dict[str, bytes], dict]:
    """An all-versions catalog (REGISTRY.md §4.3) of every corpus plugin version, and as many again
    made by copying each version under a new number (`<version>.post7`, each file marked as a copy).

    Returns (catalog, {URL path: bytes}, {(package, version, file): sha256}).
    """
    entries: dict[str, dict] = {}
    served: dict[str, bytes] = {}
    expected: dict[tuple[str, str, str], str] = {}
    dsl = {"plugin.yaml": "cloudify_dsl_1_3", "v2_plugin.yaml": "cloudify_dsl_1_4",
           "plugin_1_4.yaml": "cloudify_dsl_1_4", "plugin_1_5.yaml": "cloudify_dsl_1_5"}
    for folder in sorted(p for p in CORPUS_PLUGINS.glob("*/*") if p.is_dir()):
        package, version = folder.parent.name, folder.name
        files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.yaml"))}
        for new_version, marker in ((version, b""), (f"{version}.post7", f"# copy as {version}.post7\n".encode())):
            yaml_urls = []
            for name, data in files.items():
                path = f"/wagons/{package}/{new_version}/{name}"
                served[path] = marker + data
                expected[(package, new_version, name)] = sha(marker + data)
                yaml_urls.append({"dsl_version": dsl.get(name, "cloudify_dsl_1_3"), "url": base_url + path})
            entry = entries.setdefault(package, {"name": package, "icon": "", "versions": {}})
            entry["versions"][new_version] = {"yaml_urls": yaml_urls,
                                              "wagons": [{"name": "Centos Core", "url": base_url + "/x.wgn"}]}
    return list(entries.values()), served, expected


def test_sync_of_a_catalog_of_300_versions_over_http(tmp_path, capsys):
    with serve({}) as server:  # the URLs name the server's port: the routes are added once it runs
        catalog, served, expected = all_versions_catalog(server.url)
        versions = {(p, v) for p, v, _ in expected}
        assert len(versions) >= 300
        server.routes.update({path: text_reply(data) for path, data in served.items()})
        server.routes["/plugins_allversions.json"] = json_reply(catalog)
        url = f"{server.url}/plugins_allversions.json"
        started = time.perf_counter()
        status = cli.main(["registry", "sync", url, "--online", "--allow-private-addresses", "--cache", "cache"])
        elapsed = time.perf_counter() - started
        out = capsys.readouterr().out
        assert status == 0, out
        fetched = [r.path for r in server.requests]
    assert tree_digests(tmp_path / "cache" / "registry") == expected
    assert sorted(fetched) == sorted(["/plugins_allversions.json", *served])  # each file once
    assert out.startswith(f"{len({p for p, _ in versions})} packages, {len(versions)} versions written, 0 skipped")
    # offline now, the cache answers: the same sync finds everything held
    assert cli.main(["registry", "sync", url, "--cache", "cache"]) == 0
    assert f"{len(versions)} skipped, 0 failed" in capsys.readouterr().out
    print(f"\nsynced {len(versions)} versions ({len(served)} files) over loopback HTTP in {elapsed:.2f} s")


# --- the other sources, as `-r` names them ---------------------------------------------------------------


def raw_digests(packages) -> dict[tuple[str, str, str], str]:
    """{(package, version, file): sha256} of the corpus plugin files' bytes, for sources that serve bytes."""
    return {key: digest for key, digest in tree_digests(CORPUS_PLUGINS).items()
            if key[0] in packages and key[2].endswith(".yaml")}


def test_sync_from_a_wagon_folder_keeps_the_wagon_metadata(tmp_path, capsys):
    from .wagons import package_json, write_wagon

    for version, distribution, release in (("1.0", "centos", "Core"), ("2.0", None, None)):
        folder = tmp_path / "wagons" / f"demo-{version}"
        meta = package_json("demo-plugin", version, distribution=distribution, release=release,
                            platform="linux_x86_64" if distribution else "any")
        write_wagon(folder / meta["archive_name"], meta)
        (folder / "plugin.yaml").write_text(f"# demo {version}\n")
    assert cli.main(["registry", "sync", "wagons", "--to", "copy"]) == 0
    assert capsys.readouterr().out.startswith("1 packages, 2 versions written, 0 skipped, 0 failed")
    assert (tmp_path / "copy/demo-plugin/1.0/plugin.yaml").read_text() == "# demo 1.0\n"
    kept = json.loads((tmp_path / "copy/demo-plugin/1.0/package.json").read_text())
    assert kept["build_server_os_properties"] == {"distribution": "centos", "distribution_release": "core"}
    assert (kept["supported_platform"], kept["archive_name"]) == (
        "linux_x86_64", "demo_plugin-1.0-py3-none-linux_x86_64.wgn")
    copy = DirectoryRegistry(tmp_path / "copy").versions("demo-plugin")
    assert [(r.version, r.distribution) for r in copy] == [("1.0", "centos"), ("2.0", None)]


def test_sync_from_the_marketplace(tmp_path, capsys):
    from .marketplace_server import corpus_releases, marketplace

    packages = ["cloudify-fabric-plugin", "cloudify-utilities-plugin"]
    with marketplace(corpus_releases(CORPUS_PLUGINS, packages)) as market:
        argv = ["registry", "sync", "marketplace", "--marketplace-url", market.url, "--to", "copy", "--cache", "c"]
        assert cli.main(argv) == 2  # offline, and nothing cached yet
        assert "registry-offline" in capsys.readouterr().err
        assert cli.main([*argv, "--online", "--allow-private-addresses"]) == 0
    capsys.readouterr()
    assert tree_digests(tmp_path / "copy") == raw_digests(packages)


def test_sync_from_a_manager_answers_every_dsl_version_as_the_manager(tmp_path, capsys, monkeypatch):
    from .manager_server import FakeManager, corpus_plugins, pick_yaml
    from resolver.registry import choose_yaml

    packages = ("cloudify-aws-plugin", "cloudify-utilities-plugin")
    stored = [p for p in corpus_plugins(CORPUS_PLUGINS) if p.row["package_name"] in packages]
    monkeypatch.setenv("CLOUDIFY_TOKEN", "tok-admin-5ecret")
    with FakeManager(stored).serve() as server:
        assert cli.main(["registry", "sync", f"manager+{server.url}", "--online", "--allow-private-addresses", "--to", "copy",
                         "--cache", "c"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"2 packages, {len(stored)} versions written, 0 skipped, 0 failed")
    # the manager serves YAML by DSL version only: for every DSL version, the copy gives the file the
    # manager gives (the fake manager's own algorithm decides which that is)
    for plugin in stored:
        files = dict(plugin.files)
        held = tmp_path / "copy" / plugin.row["package_name"] / plugin.row["package_version"]
        names = sorted(p.name for p in held.glob("*.yaml"))
        for dsl in (None, "1_0", "1_1", "1_2", "1_3", "1_4", "1_5"):
            expected = pick_yaml(sorted(files), dsl)
            chosen = choose_yaml(names, dsl)
            assert (held / chosen).read_bytes() == files[expected], (held, dsl)
