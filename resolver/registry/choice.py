"""The manager's choices, for every source: which version a `plugin:` import gets, which YAML file.

Parsing the import (`parse_plugin_import`), choosing among stored versions (`select`, and
`explain` for the reasons) and choosing the YAML file for a DSL version (`choose_yaml`)
follow REGISTRY.md §1.1-1.4 and live here, outside any one registry, so every source behaves
the same. Legacy plugin-YAML URLs (`.../spec/<name>/<version>/plugin.yaml`) are recognised here
too, so a registry can answer them by (package, version).
"""
from __future__ import annotations

import functools
import re
from typing import Callable, Collection, Iterable, Sequence
from urllib.parse import parse_qs, urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .. import records
from .base import PluginRecord, Registry

PLUGIN_PREFIX = "plugin:"
_VERSIONED_YAML = re.compile(r"_(\d_\d+)\.yaml$")


class PluginSpecError(ValueError):
    """A `plugin:` import string that the manager would refuse; the message says why."""


@records.frozen
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


@functools.lru_cache(maxsize=1024)
def parse_plugin_import(text: str) -> PluginRequest:
    """Parse `plugin:<name>[?version=...&distribution=...]` as the manager does.

    A function of the text alone, remembered: a batch's blueprints import the same plugins again
    and again, and the request (never changed once made) is shared by them.

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


@records.frozen
class Candidate:
    """One stored version as the choice saw it: `verdict` says whether it won or why it lost.

    Verdicts: `chosen`; `older` (it matched, a newer version won); `tie` (the same version
    again, later in listing order: the earliest upload wins); `specifier` (outside the version
    specifier); `prerelease` (a pre-release or dev release, excluded unless the specifier names
    one); `distribution` (built for another distribution than `?distribution=` asks);
    `no-wagon` (a catalog or marketplace version with no wagon the manager could install);
    `no-yaml` (a marketplace version that publishes no plugin YAML); `wagon-distribution` (a
    marketplace version whose wagons are all for other distributions, while another matching
    version has one for the manager's, REGISTRY.md §1.5 pass 1).
    """

    record: PluginRecord
    verdict: str
    registry: str = ""

    def as_dict(self) -> dict:
        return {"version": self.record.version, "registry": self.registry or self.record.source,
                "distribution": self.record.distribution, "verdict": self.verdict}


@records.frozen
class Selection:
    """The outcome of choosing among the versions of one package in one registry."""

    request: PluginRequest
    chosen: PluginRecord | None
    candidates: tuple[Candidate, ...]


Screen = Callable[[PluginRecord], "str | None"]


def _verdict(request: PluginRequest, record: PluginRecord,
             distributions: Callable[[PluginRecord], Collection[str | None]] | None,
             screen: Screen | None) -> str | None:
    """Why `record` cannot be chosen for `request`, or None when it matches."""
    if request.distributions:
        offered = distributions(record) if distributions is not None else (record.distribution,)
        if not any(value in request.distributions for value in offered):
            return "distribution"
    # a string, not a Version: `===` compares the stored text, which need not be PEP 440
    if not request.specifier.contains(record.version):
        if not request.specifier.prereleases:
            loose = SpecifierSet(str(request.specifier), prereleases=True)
            if loose.contains(record.version):
                return "prerelease"
        return "specifier"
    return screen(record) if screen is not None else None


def explain(request: PluginRequest, records: Iterable[PluginRecord], registry: str = "", *,
            distributions: Callable[[PluginRecord], Collection[str | None]] | None = None,
            screen: Screen | None = None) -> Selection:
    """Choose as the manager does (REGISTRY.md §1.3) and say why every other version lost.

    The newest matching version wins; ties (equal versions, e.g. `1.3` and `1.3.0`, or one
    version built for several distributions) go to the earliest in listing order.

    Two hooks let a source that stores versions differently keep this one rule:
    `distributions(record)` gives the distributions a record was built for (default: its
    `distribution`), which `?distribution=` must meet; `screen(record)` is the source's own
    rule for a version that matches the specifier, returning the verdict that rules it out
    (`no-wagon`, `no-yaml`, ...) or None.
    """
    records = tuple(records)
    verdicts = [_verdict(request, record, distributions, screen) for record in records]
    best: int | None = None
    for index, record in enumerate(records):
        if verdicts[index] is None and (best is None or _order_key(record) > _order_key(records[best])):
            best = index
    candidates = []
    for index, record in enumerate(records):
        verdict = verdicts[index]
        if verdict is None:
            if index == best:
                verdict = "chosen"
            elif _order_key(record) == _order_key(records[best]):
                verdict = "tie"
            else:
                verdict = "older"
        candidates.append(Candidate(record=record, verdict=verdict, registry=registry))
    return Selection(request=request, chosen=None if best is None else records[best],
                     candidates=tuple(candidates))


def select(request: PluginRequest, records: Iterable[PluginRecord]) -> PluginRecord | None:
    """The newest matching version; ties go to the earliest in listing order."""
    return explain(request, records).chosen


def release_distribution(release: str) -> str:
    """The distribution a catalog or marketplace wagon release names: its first word, lowercase.

    `Centos Core` and `Centos AltArch` are `centos`, `Redhat Maipo` is `redhat`, `manylinux` is
    `manylinux`: the value a wagon built there carries in `build_server_os_properties`, which is
    what `?distribution=` is written against.
    """
    words = release.split()
    return words[0].lower() if words else ""


def wagon_distributions(record: PluginRecord) -> tuple[str, ...]:
    """The distributions of the wagons a catalog or marketplace version offers (`release_distribution`)."""
    return tuple(release_distribution(release) for release in record.wagons)


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


@records.frozen
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
