"""From what a user writes after `-r` to a registry, and the registries used when none is written.

| written | source |
|---|---|
| `marketplace` | the marketplace API at `marketplace_url` (marketplace.py) |
| `manager+http://HOST[:PORT]`, `manager+https://...`, or `https://HOST` not ending in `.json` | a manager's REST API (manager.py) |
| `https://.../plugins.json` (any http(s) URL ending in `.json`), or a local `FILE.json` | a catalog file (catalog.py) |
| a folder holding `.wgn` archives (in it or one level down), a `.zip` upload bundle, a `.tgz` caravan, a `.wgn` | wagons (wagon.py) |
| any other folder | a directory registry `<package>/<version>/*.yaml` (directory.py) |
"""
from __future__ import annotations

import os
from typing import Sequence

from .. import records
from ..cache import Cache
from ..net import Http
from ..recent import DEFAULT_KEPT_CHARS
from .base import Registry, RegistryError
from .directory import DirectoryRegistry

DEFAULT_MARKETPLACE_URL = "https://marketplace.cloudify.co"
WAGON_SUFFIXES = (".wgn",)
BUNDLE_SUFFIXES = (".zip", ".tgz", ".tar.gz")


@records.frozen
class ManagerAuth:
    """Credentials for a manager: a token, or a user and password; and the tenant.

    Never written to the cache, a lock file or any output.
    """

    token: str | None = records.field(default=None, repr=False)
    username: str | None = None
    password: str | None = records.field(default=None, repr=False)
    tenant: str | None = None

    @classmethod
    def from_env(cls, environ=os.environ, **given) -> "ManagerAuth":
        """Options given win; the rest come from CLOUDIFY_TOKEN, _USERNAME, _PASSWORD, _TENANT."""
        return cls(token=given.get("token") or environ.get("CLOUDIFY_TOKEN") or None,
                   username=given.get("username") or environ.get("CLOUDIFY_USERNAME") or None,
                   password=given.get("password") or environ.get("CLOUDIFY_PASSWORD") or None,
                   tenant=given.get("tenant") or environ.get("CLOUDIFY_TENANT") or None)


@records.frozen
class SourceContext:
    """What every online source needs: the HTTP client (with the cache) and the settings.

    `kept_chars`: how much of the texts they read the local sources keep for the next blueprints
    (a session's `Options.parse_cache_chars`).
    """

    http: Http
    cache: Cache | None = None
    marketplace_url: str = DEFAULT_MARKETPLACE_URL
    manager_auth: ManagerAuth = ManagerAuth()
    manager_distribution: str | None = None
    kept_chars: int = DEFAULT_KEPT_CHARS


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _holds_wagons(folder: str) -> bool:
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return False
    for name in entries:
        path = os.path.join(folder, name)
        if name.lower().endswith(WAGON_SUFFIXES + BUNDLE_SUFFIXES) and os.path.isfile(path):
            return True
        if os.path.isdir(path):
            try:
                if any(inner.endswith(WAGON_SUFFIXES + BUNDLE_SUFFIXES) for inner in os.listdir(path)):
                    return True
            except OSError:
                continue
    return False


def open_source(text: str, context: SourceContext) -> Registry:
    """The registry `text` names (see the module table). Raises RegistryError when it names none."""
    lowered = text.lower()
    if lowered == "marketplace":
        from .marketplace import MarketplaceRegistry

        return MarketplaceRegistry(context.marketplace_url, context.http,
                                   manager_distribution=context.manager_distribution)
    if lowered.startswith(("manager+http://", "manager+https://")):
        from .manager import ManagerRegistry

        return ManagerRegistry(text[len("manager+"):], context.http, context.manager_auth)
    if _is_url(text):
        if lowered.split("?", 1)[0].endswith(".json"):
            from .catalog import CatalogRegistry

            return CatalogRegistry(text, context.http)
        if lowered.startswith("http://"):
            raise RegistryError("registry-unreachable",
                                f"{text}: a manager over plain HTTP must be written manager+{text}",
                                hint="Use https://HOST, or manager+http://HOST to accept plain HTTP.")
        from .manager import ManagerRegistry

        return ManagerRegistry(text, context.http, context.manager_auth)
    path = os.path.abspath(text)
    if os.path.isfile(path):
        if lowered.endswith(".json"):
            from .catalog import CatalogRegistry

            return CatalogRegistry(path, context.http)
        if lowered.endswith(WAGON_SUFFIXES + BUNDLE_SUFFIXES):
            from .wagon import WagonRegistry

            return WagonRegistry(path)
        raise RegistryError("registry-bad-response",
                            f"{text}: not a registry (a folder, a .json catalog, a .wgn, .zip or .tgz)")
    if os.path.isdir(path):
        if _holds_wagons(path):
            from .wagon import WagonRegistry

            return WagonRegistry(path)
        return DirectoryRegistry(path, context.kept_chars)
    raise RegistryError("registry-not-found", f"{text}: no such file or folder, and not a URL or 'marketplace'")


def default_sources(context: SourceContext) -> list[Registry]:
    """The registries used when none is named: the cache's folder, then the marketplace.

    Offline, the marketplace answers only from what an earlier online run left in the cache.
    """
    out: list[Registry] = []
    if context.cache is not None:
        out.append(DirectoryRegistry(context.cache.registry_root, context.kept_chars))
    from .marketplace import MarketplaceRegistry

    out.append(MarketplaceRegistry(context.marketplace_url, context.http,
                                   manager_distribution=context.manager_distribution))
    return out


def open_sources(texts: Sequence[str], context: SourceContext) -> list[Registry]:
    return [open_source(text, context) for text in texts]
