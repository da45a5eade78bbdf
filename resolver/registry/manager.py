"""A Cloudify manager's REST API as a plugin source (REGISTRY.md §2.1-2.2): `-r https://HOST`.

What it asks, all under `<base>/api/v3.1` (the version the official client speaks):

| question | request |
|---|---|
| versions of a package | `GET /plugins?package_name=NAME&_size=N&_offset=K`, every page |
| every package | `GET /plugins?_include=package_name&_size=N&_offset=K`, every page |
| one plugin (is it still there?) | `GET /plugins/<id>` |
| the YAML for a DSL version | `GET /plugins/<id>/yaml?dsl_version=1_4` (the manager picks the file, §1.4 A) |

Where the manager's own resolver and ours differ, on purpose:

* the manager's blueprint-upload resolver reads only the first page of the listing (1000 rows);
  we follow `metadata.pagination` until every row is read;
* `?distribution=` is not sent as a filter: the rows of every distribution are read and
  `choice.explain` filters them, so `--explain` can say which versions lost on distribution.

Rows come in the manager's listing order (its default sort, the upload order), which breaks ties
between equal versions; we never re-sort them. Credentials (ManagerAuth) go in headers as the
official client sends them: `Authentication-Token` for a token (preferred when both are given),
else HTTP Basic for a user and password; `Tenant` names the tenant. Secrets never reach a cache
key, a message or a repr; the cache key of every answer holds the URL, the tenant and the user,
because the same URL lists different plugins per tenant (and per user, for private plugins).
"""
from __future__ import annotations

import base64
import json
import posixpath
import re
from typing import Sequence
from urllib.parse import quote, unquote, urlencode, urlsplit

from ..net import Http, NetError
from .base import PluginRecord, RegistryError
from .choice import choose_yaml

API = "/api/v3.1"
DEFAULT_PAGE_SIZE = 1000  # the manager's default `_size`
_DSL_SHORT = re.compile(r"^\d_\d+$")
_VERSIONED_NAME = re.compile(r"_(\d_\d+)\.yaml$")
YAML_RESOURCE = "yaml?dsl_version="


class ManagerRegistry:
    """Plugins uploaded to one manager, in one tenant (see the module docstring).

    `base_url` is the manager's address (`https://HOST[:PORT]`, or `http://...` when the user
    wrote `manager+http://`); a trailing `/api/v3.1` is accepted and dropped. `auth` is a
    `sources.ManagerAuth`. Every method may raise RegistryError with a `registry-*` code.
    """

    def __init__(self, base_url: str, http: Http, auth=None, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        from .sources import ManagerAuth

        parts = urlsplit(base_url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise RegistryError("registry-not-found", f"{base_url}: not a manager address (https://HOST[:PORT])")
        if parts.username or parts.password:
            raise RegistryError(
                "registry-auth-failed", "credentials written in the manager address are not accepted",
                hint="Give the user with --manager-user or CLOUDIFY_USERNAME and the password with "
                     "CLOUDIFY_PASSWORD (or a token with CLOUDIFY_TOKEN).")
        base = base_url.rstrip("/")
        if base.endswith(API):
            base = base[:-len(API)]
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.base_url = base
        self.api = base + API
        self.http = http
        self.auth = auth if auth is not None else ManagerAuth()
        self.page_size = page_size
        self.name = f"manager {base}" + (f" (tenant {self.auth.tenant})" if self.auth.tenant else "")
        self._versions: dict[str, tuple[PluginRecord, ...]] = {}

    def __repr__(self) -> str:
        return f"ManagerRegistry({self.base_url!r}, tenant={self.auth.tenant!r}, user={self.auth.username!r})"

    # -- the Registry protocol ---------------------------------------------------------------
    def packages(self) -> Sequence[str]:
        rows = self._list({"_include": "package_name"}, ("package_name",))
        return tuple(sorted({row["package_name"] for row in rows}))

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        """Every plugin row of `package_name` visible in this tenant, in the manager's listing order."""
        held = self._versions.get(package_name)
        if held is not None:
            return held
        records = []
        for row in self._list({"package_name": package_name}, ("id", "package_name", "package_version")):
            if row["package_name"] != package_name:
                raise RegistryError("registry-bad-response",
                                    f"{self.name}: asked for the plugins named {package_name}, "
                                    f"got one named {row['package_name']}",
                                    hint="Is this a Cloudify manager? It ignored the package_name filter.")
            records.append(self._record(row))
        result = tuple(records)
        self._versions[package_name] = result
        return result

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        """The text of `yaml_file` of `record`.

        The manager serves a plugin's YAML only by DSL version (`/yaml?dsl_version=`), so a file
        is readable when some DSL version leads the manager to exactly that file whatever order
        its storage lists the files in; `yaml?dsl_version=X` (what `read_for_dsl` names a file
        when the manager does not list its files) is read as such. Raises OSError for a file the
        API cannot single out (e.g. `plugin.yaml` beside `v2_plugin.yaml`: the manager gives the
        first of them in storage order), RegistryError when the manager does not answer.
        """
        if yaml_file.startswith(YAML_RESOURCE):
            dsl = yaml_file[len(YAML_RESOURCE):] or None
        else:
            if yaml_file not in record.yaml_files:
                raise OSError(f"{record.package_name} {record.version} on {self.name} has no file {yaml_file}")
            dsl = _dsl_reaching(record.yaml_files, yaml_file)
            if dsl is _UNREACHABLE:
                raise OSError(f"{self.name} serves plugin YAML by DSL version only, and no DSL version "
                              f"singles out {yaml_file} among {', '.join(record.yaml_files)}")
        text = self._yaml(record, dsl)
        if text is None:
            raise OSError(f"{self.name} has no plugin YAML for {record.package_name} {record.version}"
                          + (f" and DSL {dsl}" if dsl else ""))
        return text

    def read_for_dsl(self, record: PluginRecord, dsl_short: str | None) -> tuple[str, str] | None:
        """(file name, text) of the YAML the manager gives `record` for a DSL version (`1_4`).

        The manager chooses (REGISTRY.md §1.4 A). The name is the one its file listing and that
        algorithm give; when the manager lists no files, the name is the API resource itself,
        `yaml?dsl_version=1_4` (so `record.location/name` is the URL that was read). None when
        the manager holds no YAML for that DSL version (it answers 404 for an existing plugin,
        e.g. only `plugin_1_4.yaml` and `plugin_1_5.yaml` for a 1_3 blueprint).
        """
        if dsl_short is not None and not _DSL_SHORT.match(dsl_short):
            raise ValueError(f"{dsl_short!r} is not a short DSL version such as 1_4")
        if record.yaml_files:
            name = choose_yaml(record.yaml_files, dsl_short)
            if name is None:
                return None
        else:
            name = YAML_RESOURCE + (dsl_short or "")
        text = self._yaml(record, dsl_short)
        return None if text is None else (name, text)

    # -- requests -------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.auth.token:
            headers["Authentication-Token"] = self.auth.token
        elif self.auth.username and self.auth.password:
            pair = f"{self.auth.username}:{self.auth.password}".encode("utf-8")
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        if self.auth.tenant:
            headers["Tenant"] = self.auth.tenant
        return headers

    def _cache_key(self, url: str) -> str:
        # the answer depends on who asks in which tenant; never on (or holding) a secret
        return f"{url} tenant={self.auth.tenant or '(default)'} user={self.auth.username or '(token)'}"

    def _fetch(self, url: str, *, listing: bool) -> bytes:
        """The body of `url` through the cache, as this user in this tenant. Raises NetError."""
        return self.http.get(url, headers=self._headers(), listing=listing, cache_key=self._cache_key(url))

    def _json(self, url: str):
        try:
            data = self._fetch(url, listing=True)
        except NetError as exc:
            raise self._error(exc) from None
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RegistryError("registry-bad-response", f"{url} did not answer with JSON: {exc}",
                                hint=f"Is this a Cloudify manager? Its REST API answers at {API}.") from None

    def _list(self, filters: dict[str, str], fields: tuple[str, ...]) -> list[dict]:
        """Every row of `GET /plugins` with `filters`, page after page, in listing order.

        Each row must carry `fields` as non-empty strings (registry-bad-response otherwise).
        """
        rows: list[dict] = []
        offset = 0
        while True:
            query = urlencode(sorted({**filters, "_size": str(self.page_size), "_offset": str(offset)}.items()))
            url = f"{self.api}/plugins?{query}"
            items, total, answered_offset = _page(self._json(url), url)
            if answered_offset != offset:
                raise RegistryError("registry-bad-response",
                                    f"{url} answered the page at offset {answered_offset}, not {offset}")
            rows.extend(_check_row(row, url, fields) for row in items)
            offset += len(items)
            if not items or offset >= total:
                return rows

    def _yaml(self, record: PluginRecord, dsl_short: str | None) -> str | None:
        """The YAML the manager gives for `dsl_short`, or None when it has none (404)."""
        url = _plugin_url(self.api, _plugin_id(record)) + "/yaml"
        if dsl_short:
            url += "?" + urlencode({"dsl_version": dsl_short})
        try:
            data = self._fetch(url, listing=False)
        except NetError as exc:
            if exc.code != "registry-not-found":
                raise self._error(exc) from None
            # 404 also answers for a plugin deleted since it was listed: tell the two apart
            try:
                self._fetch(_plugin_url(self.api, _plugin_id(record)), listing=True)
            except NetError as gone:
                if gone.code != "registry-not-found":
                    raise self._error(gone) from None
                raise RegistryError(gone.code, f"{self.name} no longer holds {record.package_name} "
                                               f"{record.version} (plugin {_plugin_id(record)})",
                                    hint="It was deleted after it was listed; run again.") from None
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise RegistryError("registry-bad-response", f"{url} answered with a YAML file that is not UTF-8") \
                from None

    def _record(self, row: dict) -> PluginRecord:
        paths = row.get("yaml_files_paths")
        files = tuple(sorted({posixpath.basename(p) for p in paths if isinstance(p, str) and p.endswith(".yaml")})) \
            if isinstance(paths, list) else ()
        return PluginRecord(
            package_name=row["package_name"], version=row["package_version"], yaml_files=files,
            location=_plugin_url(self.api, row["id"]), source=self.name,
            distribution=_text(row, "distribution"), distribution_release=_text(row, "distribution_release"),
            supported_platform=_text(row, "supported_platform"), archive_name=_text(row, "archive_name"))

    def _error(self, exc: NetError) -> RegistryError:
        """A NetError as the RegistryError a user can act on: what the manager said and what to do."""
        where = f"manager {self.base_url}"
        if exc.code == "registry-auth-failed":
            if self.auth.token:
                given = "the token (CLOUDIFY_TOKEN)"
            elif self.auth.username and self.auth.password:
                given = f"user {self.auth.username} and the password"
            elif self.auth.username:
                given = f"user {self.auth.username} without a password (CLOUDIFY_PASSWORD is not set)"
            else:
                given = "no credentials"
            return RegistryError(exc.code, f"{where} refused {given}: {exc.message}",
                                 hint="Give a token in CLOUDIFY_TOKEN, or a user (--manager-user or "
                                      "CLOUDIFY_USERNAME) and a password in CLOUDIFY_PASSWORD.")
        if exc.code == "registry-forbidden":
            tenant = f"tenant {self.auth.tenant}" if self.auth.tenant else "the user's default tenant"
            return RegistryError(exc.code, f"{where} does not let this user list plugins in {tenant}: {exc.message}",
                                 hint="Choose a tenant the user belongs to with --manager-tenant or CLOUDIFY_TENANT.")
        if exc.code == "registry-not-found":
            return RegistryError(exc.code, f"{where}: is this a manager? {exc.message}",
                                 hint=f"The address must be the manager's, whose REST API answers at {API}.")
        if exc.code == "registry-server-error" and exc.status is not None and exc.status < 500:
            return RegistryError(exc.code, f"{where} refused the request: {exc.message}",
                                 hint="The manager may be older than the API resolver speaks (v3.1).")
        return RegistryError(exc.code, f"{where}: {exc.message}", hint=exc.hint)


_UNREACHABLE = object()  # what _dsl_reaching answers when no DSL version leads to the file


def _dsl_reaching(files: Sequence[str], target: str):
    """A DSL version for which algorithm A gives `target` in any storage order, None for
    'no DSL version needed', or _UNREACHABLE.

    Order matters to the manager only between files that tie: several ending in the same
    `<dsl>.yaml` (a direct hit takes the first), or several unversioned ones (the fallback takes
    the first). So a file is reachable when it is alone in its tie group and some DSL version
    leads there.
    """
    if len(files) == 1:
        return None
    match = _VERSIONED_NAME.search(target)
    if match:
        key = match.group(1)
        same_suffix = [f for f in files if f.endswith(f"{key}.yaml")]
        return key if same_suffix == [target] else _UNREACHABLE
    unversioned = [f for f in files if not _VERSIONED_NAME.search(f)]
    if unversioned != [target]:
        return _UNREACHABLE
    keys = sorted(m.group(1) for m in map(_VERSIONED_NAME.search, files) if m)
    # below every versioned file's key, no versioned file qualifies and the fallback is taken
    lowest = keys[0]
    below = "1_0" if lowest > "1_0" else None
    if below is None or any(f.endswith(f"{below}.yaml") for f in files):
        return _UNREACHABLE
    return below


def _page(body, url: str) -> tuple[list, int, int]:
    """(rows, total, offset) of one listing page; registry-bad-response when it is not one."""
    bad = RegistryError("registry-bad-response", f"{url} did not answer with a manager's plugin list",
                        hint="Is this a Cloudify manager? Expected {\"items\": [...], \"metadata\": "
                             "{\"pagination\": {\"total\", \"size\", \"offset\"}}}.")
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise bad
    metadata = body.get("metadata")
    pagination = metadata.get("pagination") if isinstance(metadata, dict) else None
    if not isinstance(pagination, dict):
        raise bad
    total, offset = pagination.get("total"), pagination.get("offset")
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (total, offset)):
        raise bad
    return body["items"], total, offset


def _check_row(row, url: str, fields: tuple[str, ...]) -> dict:
    """`row` when it is a mapping whose `fields` are non-empty strings; else registry-bad-response."""
    if not isinstance(row, dict) or not all(isinstance(row.get(f), str) and row[f] for f in fields):
        raise RegistryError("registry-bad-response",
                            f"{url} listed a plugin without {' or '.join(fields)}: {row!r:.200}")
    return row


def _plugin_id(record: PluginRecord) -> str:
    # the record keeps the plugin's id only in its location, `<api>/plugins/<quoted id>`
    return unquote(record.location.rsplit("/", 1)[-1])


def _plugin_url(api: str, plugin_id: str) -> str:
    return f"{api}/plugins/{quote(plugin_id, safe='')}"


def _text(row: dict, key: str) -> str | None:
    value = row.get(key)
    return value if isinstance(value, str) and value else None
