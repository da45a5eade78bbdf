"""Plugin registries: where `plugin:` imports and legacy plugin-YAML URLs are answered.

A registry is anything with `versions(package_name)` (the stored versions of a package, each
with its distribution and YAML files) and `read(record, yaml_file)`. `DirectoryRegistry`
reads the `<package_name>/<version>/*.yaml` layout; `MemoryRegistry` serves tests and
embedders. Choosing among versions (`select`) and choosing the YAML file for a DSL
version (`choose_yaml`) follow the manager's rules (REGISTRY.md §1.1-1.4) and live here,
outside any one registry, so every source behaves the same.
"""
from __future__ import annotations

import os
import re
from typing import Iterable, Protocol, Sequence
from urllib.parse import parse_qs, urlsplit

import attrs
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

PLUGIN_PREFIX = "plugin:"
_VERSIONED_YAML = re.compile(r"_(\d_\d+)\.yaml$")


class PluginSpecError(ValueError):
    """A `plugin:` import string that the manager would refuse; the message says why."""


@attrs.frozen
class PluginRequest:
    """A `plugin:` import as written, parsed: package name, AND-ed specifier, distributions."""

    text: str
    package_name: str
    specifier: SpecifierSet
    version_params: tuple[str, ...]
    distributions: tuple[str, ...]

    def describe(self) -> str:
        parts = []
        if self.version_params:
            parts.append(f"version {','.join(p.strip() for p in self.version_params)}")
        if self.distributions:
            parts.append(f"distribution {', '.join(self.distributions)}")
        return self.package_name + (f" ({'; '.join(parts)})" if parts else "")


@attrs.frozen
class PluginRecord:
    """One stored plugin version: where it lives and which YAML files it has."""

    package_name: str
    version: str
    yaml_files: tuple[str, ...]
    location: str
    distribution: str | None = None
    source: str = ""

    @property
    def parsed_version(self) -> Version | None:
        try:
            return Version(self.version)
        except InvalidVersion:
            return None


class Registry(Protocol):
    name: str

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        """Every stored version of `package_name`, in upload (listing) order."""

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        """The text of one YAML file of `record`; OSError when it cannot be read."""


def parse_plugin_import(text: str) -> PluginRequest:
    """Parse `plugin:<name>[?version=...&distribution=...]` as the manager does.

    Raises PluginSpecError for an unknown parameter, an empty comma piece or an
    unparseable specifier.
    """
    body = text[len(PLUGIN_PREFIX):] if text.startswith(PLUGIN_PREFIX) else text
    name, _, query = body.partition("?")
    name = name.strip()
    if not name:
        raise PluginSpecError("the plugin import names no package")
    params = parse_qs(query) if query else {}
    for key in params:
        if key not in ("version", "distribution"):
            raise PluginSpecError(f"invalid parameter {key!r} for plugin {name} "
                                  "(only 'version' and 'distribution' are accepted)")
    version_params = tuple(params.get("version", ()))
    specifier = SpecifierSet(prereleases=False)
    for value in version_params:
        for piece in value.split(","):
            piece = piece.strip()
            if not piece:
                raise PluginSpecError(
                    f"version {version_params!r} of plugin {name} has an empty piece between commas")
            try:
                part = SpecifierSet(piece)
            except InvalidSpecifier:
                if re.search(r"[<>=!~]", piece):
                    raise PluginSpecError(
                        f"version {piece!r} of plugin {name} is not a valid specifier") from None
                part = SpecifierSet(f"==={piece}")
            specifier &= part
    specifier = SpecifierSet(str(specifier), prereleases=_names_prerelease(specifier))
    return PluginRequest(text=text, package_name=name, specifier=specifier,
                         version_params=version_params,
                         distributions=tuple(params.get("distribution", ())))


def _names_prerelease(specifier: SpecifierSet) -> bool:
    """True when a specifier itself names a pre-release: only then may one be picked."""
    for spec in specifier:
        if spec.operator == "===":
            try:
                if Version(spec.version).is_prerelease:
                    return True
            except InvalidVersion:
                pass
            continue
        try:
            if Version(spec.version.rstrip(".*")).is_prerelease:
                return True
        except InvalidVersion:
            continue
    return False


def _matches(request: PluginRequest, record: PluginRecord) -> bool:
    if request.distributions and record.distribution not in request.distributions:
        return False
    # a string, not a Version: `===` compares the stored text, which need not be PEP 440
    return request.specifier.contains(record.version)


def select(request: PluginRequest, records: Iterable[PluginRecord]) -> PluginRecord | None:
    """The newest matching version; ties go to the earliest in listing order."""
    best: PluginRecord | None = None
    for record in records:
        if not _matches(request, record):
            continue
        if best is None or _order_key(record) > _order_key(best):
            best = record
    return best


def _order_key(record: PluginRecord):
    version = record.parsed_version
    return (0, Version("0")) if version is None else (1, version)


def choose_yaml(yaml_files: Sequence[str], dsl_short: str | None) -> str | None:
    """Pick the plugin YAML for a DSL version (manager algorithm A, files in sorted order)."""
    files = sorted(yaml_files)
    if dsl_short:
        for name in files:
            if name.endswith(f"{dsl_short}.yaml"):
                return name
    versioned = []
    unversioned = []
    for name in files:
        match = _VERSIONED_YAML.search(name)
        if match:
            versioned.append((match.group(1), name))
        else:
            unversioned.append(name)
    if dsl_short:
        versioned = [(key, name) for key, name in versioned if key <= dsl_short]
    if versioned:
        return max(versioned)[1]
    return unversioned[0] if unversioned else None


# --- legacy plugin YAML URLs -----------------------------------------------------------

_LEGACY_PATTERNS = (
    # http://www.getcloudify.org/spec/openstack-plugin/2.4.1/plugin.yaml (any host)
    re.compile(r"^/spec/(?P<name>[^/]+)/(?P<version>[^/]+)/(?P<file>[^/]+\.yaml)$"),
    # https://github.com/<org>/<repo>/releases/download/<version>/plugin.yaml
    re.compile(r"^/[^/]+/(?P<name>[^/]+)/releases/download/(?P<version>[^/]+)/(?P<file>[^/]+\.yaml)$"),
    # https://raw.githubusercontent.com/<org>/<repo>/<version>/plugin.yaml
    re.compile(r"^/[^/]+/(?P<name>[^/]+)/(?P<version>[^/]+)/(?P<file>[^/]+\.yaml)$"),
)


@attrs.frozen
class LegacyPluginUrl:
    url: str
    names: tuple[str, ...]
    version: str
    yaml_file: str


def parse_legacy_plugin_url(url: str) -> LegacyPluginUrl | None:
    """Recognise a URL that names a plugin YAML by (package, version); None otherwise.

    The package is tried as written and with a `cloudify-` prefix, because the old
    `/spec/<name>/` URLs drop it (`openstack-plugin` is `cloudify-openstack-plugin`).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.path.endswith(".yaml"):
        return None
    for pattern in _LEGACY_PATTERNS:
        match = pattern.match(parts.path)
        if not match:
            continue
        name, version, yaml_file = match.group("name", "version", "file")
        if not re.search(r"plugin", name) or "plugin" not in yaml_file:
            return None
        names = (name,) if name.startswith("cloudify-") else (name, f"cloudify-{name}")
        return LegacyPluginUrl(url=url, names=names, version=version, yaml_file=yaml_file)
    return None


def find_exact(registries: Sequence[Registry], names: Sequence[str], version: str):
    """The first stored (registry, record) whose name is one of `names` and version is `version`."""
    for registry in registries:
        for name in names:
            for record in registry.versions(name):
                if record.version == version or _same_version(record.version, version):
                    return registry, record
    return None


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return False


# --- implementations --------------------------------------------------------------------

class DirectoryRegistry:
    """A folder laid out `<package_name>/<version>/<plugin yaml files>`.

    A version folder may also hold the wagon's `package.json`; its
    `build_server_os_properties.distribution` is what `?distribution=` matches.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.name = self.root
        self._versions: dict[str, tuple[PluginRecord, ...]] = {}

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        cached = self._versions.get(package_name)
        if cached is not None:
            return cached
        folder = os.path.join(self.root, package_name)
        records = []
        if os.sep not in package_name and package_name not in ("", ".", "..") and os.path.isdir(folder):
            for version in sorted(os.listdir(folder)):
                vdir = os.path.join(folder, version)
                if not os.path.isdir(vdir):
                    continue
                files = tuple(sorted(f for f in os.listdir(vdir) if f.endswith(".yaml")))
                records.append(PluginRecord(package_name=package_name, version=version,
                                            yaml_files=files, location=vdir, source=self.root,
                                            distribution=_wagon_distribution(vdir)))
        result = tuple(records)
        self._versions[package_name] = result
        return result

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        with open(os.path.join(record.location, yaml_file), encoding="utf-8") as handle:
            return handle.read()


def _wagon_distribution(folder: str) -> str | None:
    """The distribution a wagon was built for, from a `package.json` kept beside the YAML files."""
    path = os.path.join(folder, "package.json")
    if not os.path.isfile(path):
        return None
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        return None
    props = meta.get("build_server_os_properties") if isinstance(meta, dict) else None
    distribution = props.get("distribution") if isinstance(props, dict) else None
    return distribution.lower() if isinstance(distribution, str) else None


class MemoryRegistry:
    """An in-memory registry: {package_name: {version: {yaml_file: text}}}."""

    def __init__(self, packages: dict, name: str = "memory") -> None:
        self.name = name
        self._packages = packages

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        versions = self._packages.get(package_name, {})
        return tuple(
            PluginRecord(package_name=package_name, version=version,
                         yaml_files=tuple(sorted(files)), location=f"{self.name}:{package_name}/{version}",
                         source=self.name)
            for version, files in versions.items())

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        try:
            return self._packages[record.package_name][record.version][yaml_file]
        except KeyError:
            raise OSError(f"{yaml_file} is not stored for {record.package_name} {record.version}") from None
