"""A catalog file: the published JSON lists of plugins, as `-r FILE.json` or `-r https://.../plugins.json`.

Two shapes, told apart by the first entry (REGISTRY.md §4.1, §4.3); every entry must have it:

* **flat** (`plugins.json`, `v2_plugins.json`, and the marketplace's `/plugins/catalog`): an
  array of `{name, title, version, yaml | link, wagons: [{name, url, md5url} | null]}`, one
  version per entry. The marketplace form of an entry (`yaml_urls: [{dsl_version, url}]`,
  `wagon_urls: [{release, url}]`) is read too.
* **all versions** (`plugins_allversions.json`): an array of
  `{name, icon, versions: {"<version>": {yaml, v2_yaml?, yaml_urls?, wagons: [{name, url}]}}}`.

What a version offers: every YAML URL it lists (`yaml`/`link`, `v2_yaml`, `yaml_urls`) is one
of its files, named by the URL's last path segment (`plugin.yaml`, `v2_plugin.yaml`, ...), and
the YAML for a blueprint is chosen among them by DSL version as a current manager does after
uploading them all (choice.choose_yaml). The 2021-22 manager that read the all-versions file
uploaded only `v2_yaml` when there was one; we follow today's manager instead.

How a version is chosen: as for a directory (REGISTRY.md §1.3), every listed version counts,
in file order (which breaks ties). `?distribution=X` keeps the versions with a wagon whose
name's first word, lowercase, is X (`centos` meets `Centos Core` and `Centos AltArch`,
`redhat` meets `Redhat Maipo`; see choice.release_distribution): the distribution the wagon
was built on, which is what a manager would store after uploading it. A version without wagons
meets no `?distribution=`.

The same package twice: the official files list `cloudify-openstack-plugin` under two titles
(`OpenStackV3` and the deprecated `OpenStack`) with the same version. Entries are read in file
order whatever their titles, one record per (name, version): the first entry for a (name,
version) gives it, a later one is ignored (a manager, too, keeps the earliest upload of a tie).
Entries of the same name with other versions are all kept.

A URL catalog is fetched through the cache as a listing (it expires after the listing TTL when
online); the YAML files are fetched through the cache and kept. A malformed file is a
`registry-bad-response` naming the file and the entry's index.
"""
from __future__ import annotations

import json
import os
from typing import Sequence
from urllib.parse import unquote, urlsplit

from ..net import Http, NetError
from ..report import shown_path
from .base import PluginRecord, RegistryError
from .choice import PluginRequest, Selection, explain, wagon_distributions

FLAT = "flat"
ALL_VERSIONS = "all-versions"


class CatalogRegistry:
    """The plugins one catalog file lists (see the module doc). The file is read on first use."""

    def __init__(self, path_or_url: str | os.PathLike, http: Http) -> None:
        """`http` fetches a URL catalog and every YAML file; a local catalog is read from disk."""
        text = os.fspath(path_or_url)
        self.is_url = text.lower().startswith(("http://", "https://"))
        self.location = text if self.is_url else os.path.abspath(text)
        self.name = self.location
        self.http = http
        self._records: dict[str, tuple[PluginRecord, ...]] | None = None
        self._urls: dict[PluginRecord, dict[str, str]] = {}
        self._shape = FLAT

    @property
    def shape(self) -> str:
        """`flat` or `all-versions` (module doc); reads the file. May raise RegistryError."""
        self._load()
        return self._shape

    # -- the Registry protocol ---------------------------------------------------------------
    def packages(self) -> Sequence[str]:
        return tuple(sorted(self._load()))

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        return self._load().get(package_name, ())

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        url = self.yaml_url(record, yaml_file)
        if url is None:
            raise OSError(f"{shown_path(self.location)} lists no {yaml_file} for {record.package_name} {record.version}")
        try:
            data = self.http.get(url)
        except NetError as exc:
            raise RegistryError(exc.code, f"{exc.message} (listed by {shown_path(self.location)})",
                                hint=exc.hint) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RegistryError("registry-bad-response", f"{url} is not UTF-8 text: {exc}") from None

    def explain(self, request: PluginRequest, dsl_short: str | None = None) -> Selection:
        """The version a manager would take if every listed version were uploaded (module doc).

        `?distribution=` is met through the wagons' names. `dsl_short` does not change the
        choice (a manager picks the version first, then the YAML); it is accepted so that every
        source's `explain` is called alike. May raise RegistryError.
        """
        return explain(request, self.versions(request.package_name), self.name,
                       distributions=wagon_distributions)

    def yaml_url(self, record: PluginRecord, yaml_file: str) -> str | None:
        """The URL `read` fetches for one YAML file of `record`, or None when it lists none."""
        return self._urls.get(record, {}).get(yaml_file)

    # -- reading the file ----------------------------------------------------------------------
    def _load(self) -> dict[str, tuple[PluginRecord, ...]]:
        if self._records is None:
            self._records = self._parse(self._fetch())
        return self._records

    def _fetch(self) -> bytes:
        if not self.is_url:
            try:
                with open(self.location, "rb") as handle:
                    return handle.read()
            except OSError as exc:
                raise RegistryError("registry-not-found",
                                    f"{shown_path(self.location)}: {exc.strerror or exc}") from None
        try:
            return self.http.get(self.location, listing=True)
        except NetError as exc:
            raise RegistryError(exc.code, exc.message, hint=exc.hint) from None

    def _bad(self, message: str, index: int | None = None) -> RegistryError:
        where = shown_path(self.location) + ("" if index is None else f", entry {index}")
        return RegistryError("registry-bad-response", f"{where}: {message}",
                             hint="A catalog is a JSON array in the plugins.json or plugins_allversions.json shape.")

    def _parse(self, data: bytes) -> dict[str, tuple[PluginRecord, ...]]:
        try:
            entries = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise self._bad(f"not JSON: {exc}") from None
        if not isinstance(entries, list):
            raise self._bad(f"the top level is a JSON {type(entries).__name__}, not an array")
        self._shape = ALL_VERSIONS if entries and isinstance(entries[0], dict) and "versions" in entries[0] else FLAT
        listed: dict[str, list[PluginRecord]] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise self._bad(f"a JSON {type(entry).__name__}, not an object", index)
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                raise self._bad("no 'name'", index)
            if (self._shape == ALL_VERSIONS) != ("versions" in entry):
                raise self._bad(f"{name}: the file is in the {self._shape} shape, this entry is not", index)
            if self._shape == ALL_VERSIONS:
                versions = entry["versions"]
                if not isinstance(versions, dict):
                    raise self._bad(f"{name}: 'versions' is not an object", index)
                for version, spec in versions.items():
                    if not version.strip():
                        raise self._bad(f"{name}: a version with an empty name", index)
                    if not isinstance(spec, dict):
                        raise self._bad(f"{name} {version}: not an object", index)
                    self._add(listed, index, name, version, spec, ("yaml", "v2_yaml"), ("wagons",))
            else:
                version = entry.get("version")
                if not isinstance(version, str) or not version.strip():
                    raise self._bad(f"{name}: no 'version'", index)
                # `link` and `yaml` name the same file in the published files; `yaml` is the one meant
                keys = ("yaml",) if entry.get("yaml") is not None else ("link",)
                self._add(listed, index, name, version, entry, keys, ("wagons", "wagon_urls"))
        return {name: tuple(records) for name, records in listed.items()}

    def _add(self, listed: dict, index: int, name: str, version: str, spec: dict,
             yaml_keys: tuple[str, ...], wagon_keys: tuple[str, ...]) -> None:
        if any(record.version == version for record in listed.get(name, ())):
            return  # the first entry for a (name, version) wins: see the module doc
        urls: list[str] = []
        for key in yaml_keys:
            value = spec.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not value.strip():
                raise self._bad(f"{name} {version}: {key!r} is not a URL", index)
            urls.append(value.strip())
        urls.extend(self._yaml_urls(spec.get("yaml_urls"), name, version, index))
        if any(not _last_segment(url) for url in urls):
            raise self._bad(f"{name} {version}: a YAML URL names no file", index)
        files = yaml_file_names(urls)
        if not files:
            raise self._bad(f"{name} {version}: no plugin YAML URL", index)
        wagons: list[str] = []
        for key in wagon_keys:
            wagons.extend(self._wagon_names(spec.get(key), key, name, version, index))
        first = next(iter(files.values()))
        record = PluginRecord(package_name=name, version=version, yaml_files=tuple(sorted(files)),
                              location=first.rsplit("/", 1)[0], source=self.location, wagons=tuple(wagons))
        self._urls[record] = files
        listed.setdefault(name, []).append(record)

    def _yaml_urls(self, value, name: str, version: str, index: int) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._bad(f"{name} {version}: 'yaml_urls' is not an array", index)
        urls = []
        for item in value:
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str) or not url.strip():
                raise self._bad(f"{name} {version}: a 'yaml_urls' item has no 'url'", index)
            urls.append(url.strip())
        return urls

    def _wagon_names(self, value, key: str, name: str, version: str, index: int) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._bad(f"{name} {version}: {key!r} is not an array", index)
        field = "release" if key == "wagon_urls" else "name"
        names = []
        for item in value:
            if item is None:  # the official template's empty distribution slots
                continue
            label = item.get(field) if isinstance(item, dict) else None
            if not isinstance(label, str):
                raise self._bad(f"{name} {version}: a {key!r} item has no {field!r}", index)
            names.append(label)
        return names


def _last_segment(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def yaml_file_names(urls: Sequence[str]) -> dict[str, str]:
    """{file name: URL}: each URL named by its last path segment, in listing order.

    A URL listed twice is one file. When two URLs end in the same name, the first keeps it and a
    later one becomes `<stem>-2.yaml`, `-3`, ...: every URL stays reachable and the names depend
    on the listing alone. (A manager downloading both into one folder would keep only one.)
    """
    files: dict[str, str] = {}
    for url in urls:
        if url in files.values():
            continue
        base = _last_segment(url)
        name, count = base, 1
        while name in files:
            count += 1
            stem, dot, ext = base.rpartition(".")
            name = f"{stem}-{count}.{ext}" if dot else f"{base}-{count}"
        files[name] = url
    return files
