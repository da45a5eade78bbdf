"""The shared corpus as plugin sources: every source built from ../shared/corpus/plugins, in place.

Nothing is copied into the repository: wagon folders and catalogs are written under a test's
tmp folder, the marketplace and manager stand-ins serve the corpus files from loopback.
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from resolver.registry import DirectoryRegistry

from .conftest import REPO

CORPUS = REPO.parent / "shared" / "corpus"
PLUGINS = CORPUS / "plugins"


def manifest() -> list[dict[str, str]]:
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def written_imports(row: dict[str, str]) -> list[str]:
    """A manifest row's imports as written; the dict form (plugin properties) gives its key."""
    out = []
    for entry in json.loads(row["imports"].replace('\\"', '"')):
        out.append(entry if isinstance(entry, str) else next(iter(entry)))
    return out


def plugin_target(written: str) -> str | None:
    """`ns--plugin:x?...` -> `plugin:x?...`; None for an import that is not a plugin: one."""
    target = written.rpartition("--")[2] if "--" in written.split("?", 1)[0] else written
    return target if target.startswith("plugin:") else None


def corpus_plugin_imports() -> list[tuple[str, str]]:
    """Every distinct (`plugin:` import without namespace, short DSL version) the corpus writes, sorted."""
    found = set()
    for row in manifest():
        dsl = row["dsl_version"].replace("cloudify_dsl_", "")
        for written in written_imports(row):
            target = plugin_target(written)
            if target:
                found.add((target, dsl))
    return sorted(found)


def wagon_folder(root: Path) -> Path:
    """Every corpus plugin version as a wagon upload folder (`<package>-<version>/`: a minimal
    wagon with that package.json, zip and tar.gz alternately, and the version's YAML files)."""
    from .wagons import package_json, write_wagon

    directory = DirectoryRegistry(PLUGINS)
    count = 0
    for package in directory.packages():
        for record in directory.versions(package):
            folder = root / f"{package}-{record.version}"
            write_wagon(folder / f"{package.replace('-', '_')}-{record.version}-py3-none-any.wgn",
                        package_json(package, record.version), fmt="zip" if count % 2 else "tar.gz")
            for name in record.yaml_files:
                shutil.copyfile(PLUGINS / package / record.version / name, folder / name)
            count += 1
    return root


def all_versions_catalog(market, releases) -> list:
    """The all-versions catalog shape (REGISTRY.md §4.3) for `releases` served by `market`:
    `yaml` is plugin.yaml, `v2_yaml` v2_plugin.yaml, the other files `yaml_urls`."""
    out = []
    for package, held in releases.items():
        versions = {}
        for release in held:
            spec: dict = {"wagons": [{"name": "Centos Core", "url": "x.wgn"}], "yaml_urls": []}
            for name in release.files:
                url = market.yaml_url(package, release.version, name)
                if name == "plugin.yaml":
                    spec["yaml"] = url
                elif name == "v2_plugin.yaml":
                    spec["v2_yaml"] = url
                else:
                    spec["yaml_urls"].append({"url": url})
            versions[release.version] = spec
        out.append({"name": package, "icon": "icon.png", "versions": versions})
    return out
