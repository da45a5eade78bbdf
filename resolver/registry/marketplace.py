"""The plugin marketplace API (`-r marketplace`, `--marketplace-url`), as a manager's auto-upload reads it.

Requests (REGISTRY.md §4.2), all through the cache as listings (they expire after the listing
TTL when online; offline the cache alone answers, however old; `--refresh` fetches again):

    GET {base}/plugins                    every plugin (for `packages()`, `registry sync`)
    GET {base}/plugins?name=<name>        {items: [{id, name, ...}]}
    GET {base}/plugins/<id>/versions      {items: [{version, yaml_urls: [{dsl_version, url}],
                                                    wagon_urls: [{release, arch, url, file_size}]}]}

Paging: an answer may carry `metadata.pagination` `{total, size, offset}` (the shape of Cloudify's
REST answers); then the next page is asked with `_offset=<items received so far>` (the first
page being offset 0) until `total` items are in or a page comes back empty. An answer without
it is the whole list.

The plugin of a name is the first item whose `name` equals it exactly (a manager takes the first
item whatever its name; we do not, so a loose search can never bring another plugin's files).
An unknown name is a plugin with no versions, not an error.

Which version (REGISTRY.md §1.5, what a manager would auto-upload): among the versions inside the
specifier that publish at least one YAML URL, pass 1 keeps those with a wagon for the manager,
whose release, lowercase, equals `manager_distribution` (e.g. `centos core`) or starts with
`manylinux` (with no manager distribution only manylinux counts); pass 2, only when pass 1 keeps
none, those with any wagon. The newest wins, ties go to the earliest listed. `?distribution=X`
keeps only the wagons whose release's first word, lowercase, is X (choice.release_distribution),
before both passes.

Which YAML: the manager uploads every `yaml_urls` file of the version and then picks one for the
blueprint's DSL version by file name (choice.choose_yaml), so `yaml_files` are the URLs' file
names (`plugin.yaml`, `v2_plugin.yaml`, `plugin_1_5.yaml`, ...; two URLs ending in the same name
are told apart as catalog.yaml_file_names says) and `read` fetches that URL, kept in the cache.

Failures (unreachable, 401, 403, 404, 5xx, offline and not cached, not JSON, wrong shape) are
RegistryErrors with the `registry-*` code of the cause and a message naming the marketplace.
"""
from __future__ import annotations

from typing import Sequence
from urllib.parse import quote, urlencode

from ..net import Http, NetError, join
from .base import PluginRecord, RegistryError
from .catalog import yaml_file_names
from .choice import PluginRequest, Selection, explain, release_distribution, wagon_distributions

# A marketplace that keeps answering pages is broken; stop rather than loop for ever.
MAX_PAGES = 1000


class MarketplaceRegistry:
    """The marketplace at `base_url` (see the module doc). Answers are kept for the session."""

    def __init__(self, base_url: str, http: Http, manager_distribution: str | None = None) -> None:
        """`manager_distribution` is the manager's `"{distribution} {release}"` (any case), whose
        wagons pass 1 of the version choice accepts besides manylinux; None accepts manylinux only.
        """
        self.base_url = base_url.rstrip("/")
        self.name = self.base_url
        self.http = http
        self.manager_distribution = manager_distribution.lower().strip() if manager_distribution else None
        self._versions: dict[str, tuple[PluginRecord, ...]] = {}
        self._urls: dict[PluginRecord, dict[str, str]] = {}

    # -- the Registry protocol ---------------------------------------------------------------
    def packages(self) -> Sequence[str]:
        items = self._items(join(self.base_url, "plugins"))
        return tuple(sorted({item["name"] for item in items if isinstance(item.get("name"), str)}))

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        held = self._versions.get(package_name)
        if held is None:
            held = self._fetch_versions(package_name)
            self._versions[package_name] = held
        return held

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        url = self.yaml_url(record, yaml_file)
        if url is None:
            raise OSError(f"the marketplace lists no {yaml_file} for {record.package_name} {record.version}")
        data = self._get(url, listing=False)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RegistryError("registry-bad-response", f"{url} is not UTF-8 text: {exc}") from None

    def explain(self, request: PluginRequest, dsl_short: str | None = None) -> Selection:
        """The version a manager would auto-upload for `request` (module doc, REGISTRY.md §1.5).

        Verdicts besides §1.3's: `no-yaml` (no YAML URL), `no-wagon` (no wagon at all, or none
        for `?distribution=`), `wagon-distribution` (only wagons for other distributions, while
        pass 1 found a version with one for the manager). `dsl_short` does not change the choice
        (a manager picks the version first, then the YAML); it is accepted so that every
        source's `explain` is called alike. May raise RegistryError.
        """
        records = self.versions(request.package_name)

        def wagons(record: PluginRecord) -> list[str]:
            if not request.distributions:
                return list(record.wagons)
            return [w for w in record.wagons if release_distribution(w) in request.distributions]

        def any_wagon(record: PluginRecord) -> str | None:
            if not record.yaml_files:
                return "no-yaml"
            return None if wagons(record) else "no-wagon"

        def managers_wagon(record: PluginRecord) -> str | None:
            return any_wagon(record) or (
                None if any(self.installable(w) for w in wagons(record)) else "wagon-distribution")

        first = explain(request, records, self.name, distributions=wagon_distributions, screen=managers_wagon)
        if first.chosen is not None:
            return first
        return explain(request, records, self.name, distributions=wagon_distributions, screen=any_wagon)

    def installable(self, release: str) -> bool:
        """Whether pass 1 takes a wagon of this release: the manager's distribution, or manylinux."""
        lowered = release.lower()
        return lowered.startswith("manylinux") or (self.manager_distribution is not None
                                                   and lowered == self.manager_distribution)

    def yaml_url(self, record: PluginRecord, yaml_file: str) -> str | None:
        """The URL `read` fetches for one YAML file of `record`, or None when none is listed."""
        return self._urls.get(record, {}).get(yaml_file)

    # -- the API -------------------------------------------------------------------------------
    def _fetch_versions(self, package_name: str) -> tuple[PluginRecord, ...]:
        found = self._items(join(self.base_url, "plugins") + "?" + urlencode({"name": package_name}))
        plugin = next((item for item in found if item.get("name") == package_name), None)
        if plugin is None:
            return ()
        plugin_id = plugin.get("id")
        if plugin_id is None or not isinstance(plugin_id, (str, int)) or isinstance(plugin_id, bool) or str(plugin_id) == "":
            raise self._bad(f"plugin {package_name} has no usable 'id' ({plugin_id!r})")
        url = join(self.base_url, "plugins", quote(str(plugin_id), safe=""), "versions")
        records = []
        for index, item in enumerate(self._items(url)):
            record, files = self._record(package_name, item, url, index)
            if record in self._urls:
                continue  # the same release listed twice is one version
            self._urls[record] = files
            records.append(record)
        return tuple(records)

    def _record(self, package_name: str, item: dict, url: str, index: int) -> tuple[PluginRecord, dict[str, str]]:
        version = item.get("version")
        if not isinstance(version, str) or not version.strip():
            raise self._bad(f"{url}, item {index}: no 'version'")
        yaml_urls = []
        for entry in _list(item.get("yaml_urls"), f"{url}, item {index} ({version}): 'yaml_urls'", self._bad):
            link = entry.get("url") if isinstance(entry, dict) else None
            if not isinstance(link, str) or not link.strip():
                raise self._bad(f"{url}, item {index} ({version}): a 'yaml_urls' entry has no 'url'")
            yaml_urls.append(link.strip())
        releases = []
        for entry in _list(item.get("wagon_urls"), f"{url}, item {index} ({version}): 'wagon_urls'", self._bad):
            if not isinstance(entry, dict) or not isinstance(entry.get("release", ""), str):
                raise self._bad(f"{url}, item {index} ({version}): a 'wagon_urls' entry has no 'release'")
            releases.append(entry.get("release", ""))
        files = yaml_file_names(yaml_urls)
        location = yaml_urls[0].rsplit("/", 1)[0] if yaml_urls else url
        record = PluginRecord(package_name=package_name, version=version, yaml_files=tuple(sorted(files)),
                              location=location, source=self.name, wagons=tuple(releases))
        return record, files

    def _items(self, url: str) -> list[dict]:
        """Every item of a listing, following the pages (module doc)."""
        items: list[dict] = []
        page_url = url
        for _ in range(MAX_PAGES):
            answer = self._get_json(page_url)
            if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
                raise self._bad(f"{page_url} did not answer an object with an 'items' array")
            page = answer["items"]
            for index, item in enumerate(page):
                if not isinstance(item, dict):
                    raise self._bad(f"{page_url}, item {index}: not an object")
            items.extend(page)
            metadata = answer.get("metadata")
            pagination = metadata.get("pagination") if isinstance(metadata, dict) else None
            total = pagination.get("total") if isinstance(pagination, dict) else None
            if not page or not isinstance(total, int) or len(items) >= total:
                return items
            page_url = url + ("&" if "?" in url else "?") + urlencode({"_offset": len(items)})
        raise self._bad(f"{url} answered more than {MAX_PAGES} pages")

    def _get(self, url: str, listing: bool) -> bytes:
        try:
            return self.http.get(url, listing=listing)
        except NetError as exc:
            raise RegistryError(exc.code, f"marketplace {self.base_url}: {exc.message}", hint=exc.hint) from None

    def _get_json(self, url: str):
        try:
            return self.http.get_json(url, listing=True)
        except NetError as exc:
            raise RegistryError(exc.code, f"marketplace {self.base_url}: {exc.message}", hint=exc.hint) from None

    def _bad(self, message: str) -> RegistryError:
        return RegistryError("registry-bad-response", f"marketplace {self.base_url}: {message}",
                             hint="Check --marketplace-url: it should name the marketplace API's base URL.")


def _list(value, what: str, bad) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad(f"{what} is not an array")
    return value
