"""Remote answers kept for offline runs: a plugin version that a network source (marketplace,
catalog, manager) answered an import with is copied into the cache's registry folder.

That folder is the first default registry of every run, so after one `--online` run the same
blueprint resolves offline with no options at all, whatever marketplace URL or manager the
online run named. The copy is the one `registry sync` makes of a version (sync.sync_version:
every YAML file of the version and the wagon's `package.json`, written atomically), so a kept
version is indistinguishable from a synced one. Keeping is a courtesy: when the copy cannot be
made (a file the cache lacks offline, a read-only cache) the run's answer is unchanged.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from .registry.base import PluginRecord, Registry


def is_remote(registry: Registry) -> bool:
    """A source that reads over HTTP (it carries the session's `http`): its answers are worth keeping."""
    return getattr(registry, "http", None) is not None


class KeepingRegistry:
    """`inner` as it is, except that each version it is read from is also kept under `target`.

    Every other attribute (`name`, `explain`, ...) is the inner registry's.
    """

    def __init__(self, inner: Registry, target: str) -> None:
        self.inner = inner
        self.target = target
        self._kept: set[PluginRecord] = set()

    def __getattr__(self, attribute):
        return getattr(self.inner, attribute)

    def packages(self) -> Sequence[str]:
        return self.inner.packages()

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        return self.inner.versions(package_name)

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        text = self.inner.read(record, yaml_file)
        if record not in self._kept:
            self._kept.add(record)
            self._keep(record)
        return text

    def _keep(self, record: PluginRecord) -> None:
        from . import sync

        try:
            sync.sync_version(self.inner, record, self.target)
        except (sync.TargetError, sync._VersionFailed):
            pass  # see the module doc: the answer already read stands without the copy


def keeping(registries: Iterable[Registry], target: str) -> list[Registry]:
    """`registries` with each remote one (see `is_remote`) keeping what it answers under `target`."""
    return [KeepingRegistry(registry, target) if is_remote(registry) else registry for registry in registries]
