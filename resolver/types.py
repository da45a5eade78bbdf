"""Cloudify's global types (`types.yaml`), from the registries, the cache, or the spec site.

Blueprints name the types two ways:

- `cloudify/types/<file>` as a relative import (or `resource:cloudify/types/<file>`): the file a
  manager serves from its resources folder. The reference reaches it only after the importer's
  folder and the search paths, trying `types_<dsl short>.yaml` before `types.yaml`. It means the
  types of one manager version: `--manager-version VER`, else the newest version held (final
  releases win over pre-releases; a pre-release only when nothing else is held), else, online,
  `DEFAULT_MANAGER_VERSION` fetched from the spec site.
- `http(s)://(www.)getcloudify.org|cloudify.co/spec/cloudify/<version>/<file>`: that version's file.

Both are held under the reserved package `cloudify-types/<version>/<file>` of any local registry
(a directory registry, in memory) and of the cache's registry folder. A file not held is fetched
through `Http` (the URL cache answers offline, the network when online), then written into the
cache's registry folder, so the next run, online or not, finds it held.
"""
from __future__ import annotations

import os
from typing import Sequence

import yaml
from packaging.version import InvalidVersion, Version

from . import records
from .cache import Cache, write_atomic
from .net import Http, NetError
from .registry.base import PluginRecord, Registry
from .registry.directory import DirectoryRegistry, safe_name
from .registry.memory import MemoryRegistry
from .sources import FetchError, resource_types_file, spec_types_url, versioned_name

TYPES_PACKAGE = "cloudify-types"
# The newest Cloudify release whose types the spec site publishes, and the line of the reference
# parser (cloudify-common 7.0.x). Used only when no types are held and the session is online;
# `--manager-version` overrides it, and any held version is preferred to it.
DEFAULT_MANAGER_VERSION = "7.0.0"
SPEC_BASE_URL = "https://cloudify.co/spec/cloudify/"
RESOURCE_FOLDER = "cloudify/types/"


@records.frozen
class TypesAnswer:
    """One types file: which version and file answered, its text, and where it was read.

    `location` is a file path (or a memory registry's name) when `held`, else the URL fetched.
    """

    version: str
    yaml_file: str
    text: str
    location: str
    held: bool


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _same_version(held: str, wanted: str) -> bool:
    """`7.0` names the folder `7.0.0` too: versions compare as versions, else as strings."""
    if held == wanted:
        return True
    a, b = _version(held), _version(wanted)
    return a is not None and a == b


class CloudifyTypes:
    """Answers the types lookups of one session (see the module docstring).

    `registries` are the session's registries, searched in order; only local ones (folders and
    in-memory) are asked, so no marketplace or manager is queried for a package none lists.
    The cache's registry folder is searched after them and receives what is fetched.
    """

    def __init__(self, registries: Sequence[Registry] = (), cache: Cache | None = None,
                 http: Http | None = None, manager_version: str | None = None) -> None:
        self.cache = cache
        self.http = http
        self.manager_version = manager_version
        cache_root = cache.registry_root if cache is not None else None
        # The cache's folder is searched last, as its own (fresh) registry: not twice.
        self._registries = tuple(r for r in registries if isinstance(r, (DirectoryRegistry, MemoryRegistry))
                                 and not (cache_root and getattr(r, "root", None) == cache_root))

    @property
    def online(self) -> bool:
        return bool(self.http is not None and self.http.online)

    def pinned(self, version: str) -> "CloudifyTypes":
        """The same sources, with `cloudify/types/*.yaml` meaning the types of `version`."""
        clone = CloudifyTypes(cache=self.cache, http=self.http, manager_version=version)
        clone._registries = self._registries
        return clone

    # -- what is held ---------------------------------------------------------------------
    def _searched(self) -> tuple[Registry, ...]:
        # A fresh folder registry for the cache each time: this session may have just written to it.
        if self.cache is None:
            return self._registries
        return self._registries + (DirectoryRegistry(self.cache.registry_root),)

    def held(self) -> list[tuple[Registry, PluginRecord]]:
        """Every held types version, registry by registry in search order."""
        return [(registry, record) for registry in self._searched() for record in registry.versions(TYPES_PACKAGE)]

    def newest_held(self) -> str | None:
        """The newest held version (a final release when any is held), or None.

        Equal versions in two registries: the first registry's spelling wins.
        """
        parsed = [(v, index, record.version) for index, (_, record) in enumerate(self.held())
                  if (v := _version(record.version)) is not None]
        finals = [item for item in parsed if not item[0].is_prerelease]
        pool = finals or parsed
        if not pool:
            return None
        best = max(v for v, _, _ in pool)
        return min((index, text) for v, index, text in pool if v == best)[1]

    def _read_held(self, version: str, yaml_file: str) -> TypesAnswer | None:
        for registry, record in self.held():
            if not _same_version(record.version, version) or yaml_file not in record.yaml_files:
                continue
            try:
                text = registry.read(record, yaml_file)
            except OSError:
                continue
            return TypesAnswer(version=record.version, yaml_file=yaml_file, text=text,
                               location=f"{record.location}/{yaml_file}", held=True)
        return None

    # -- the two lookups ------------------------------------------------------------------
    def for_url(self, url: str, tried: list[str]) -> TypesAnswer:
        """The answer for a spec-site URL: held, else fetched through the cache or network.

        Raises ValueError when `url` is not a spec-site types URL, and FetchError (with every
        place tried added to `tried`) when it cannot be answered.
        """
        parts = spec_types_url(url)
        if parts is None:
            raise ValueError(f"{url} is not a Cloudify types URL")
        version, yaml_file = parts
        errors: list[NetError] = []
        answer = self._read_held(version, yaml_file) or self._fetch(url, version, yaml_file, tried, errors)
        if answer is None:
            raise _failure(url, tried, errors, places="answered by any import rule, registry or the cache")
        return answer

    def for_resource(self, ref: str, dsl_short: str | None, tried: list[str]) -> TypesAnswer:
        """The manager-resources answer for `cloudify/types/<file>`: the chosen version's
        `types_<dsl short>.yaml`, else its `<file>`; each held, else fetched from the spec site.

        Raises ValueError when `ref` does not name the resources' types, FetchError when no
        file of the chosen version can be had.
        """
        name = resource_types_file(ref)
        if name is None:
            raise ValueError(f"{ref} does not name the manager's cloudify/types files")
        newest = None if self.manager_version else self.newest_held()
        version = self.manager_version or newest or DEFAULT_MANAGER_VERSION
        errors: list[NetError] = []
        for candidate in filter(None, (versioned_name(name, dsl_short), name)):
            url = f"{SPEC_BASE_URL}{version}/{candidate}"
            answer = self._read_held(version, candidate) or self._fetch(url, version, candidate, tried, errors)
            if answer is not None:
                return answer
        chosen = "--manager-version" if self.manager_version else "the newest held" if newest else "the default"
        raise _failure(f"{RESOURCE_FOLDER}{name} (Cloudify types {version}, {chosen})", tried, errors)

    # -- fetching and keeping -------------------------------------------------------------
    def _fetch(self, url: str, version: str, yaml_file: str, tried: list[str],
               errors: list[NetError]) -> TypesAnswer | None:
        """`url` through the cache (and the network when online), kept on success; a failure
        is added to `errors`."""
        tried.append(f"{TYPES_PACKAGE}/{version}/{yaml_file} (not held)")
        if self.http is None:
            return None
        tried.append(url if self.online else f"{url} (cache; network off: pass --online to allow it)")
        try:
            data = self.http.get(url)
        except NetError as exc:
            errors.append(exc)
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(NetError("registry-bad-response", f"{url} is not UTF-8 text", url=url))
            return None
        self._keep(version, yaml_file, text)
        return TypesAnswer(version=version, yaml_file=yaml_file, text=text, location=url, held=False)

    def _keep(self, version: str, yaml_file: str, text: str) -> None:
        """Write a fetched types file into the cache's registry folder when it is a YAML mapping.

        A page that is not YAML (a proxy's error page) stays only in the URL cache, where
        `--refresh` replaces it, and never becomes a held version.
        """
        if self.cache is None or not (safe_name(version) and safe_name(yaml_file)):
            return
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            return
        if isinstance(doc, dict):
            path = os.path.join(self.cache.registry_root, TYPES_PACKAGE, version, yaml_file)
            write_atomic(path, text.encode("utf-8"))


def _failure(what: str, tried: list[str], errors: list[NetError],
             places: str = "held by any registry or the cache") -> FetchError:
    """The FetchError for an unanswered lookup; offline when the network was the only way left."""
    if not errors or all(e.code == "registry-offline" for e in errors):
        why = "and the network is off" if errors else "and there is no cache or network"
        return FetchError(f"{what} is not {places}, {why}", tried=tried, offline=True)
    failed = [e for e in errors if e.code != "registry-offline"]
    return FetchError(f"{what}: {failed[-1].message}", tried=tried)
