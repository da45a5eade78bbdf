"""An in-memory registry for tests and embedders: {package_name: {version: {yaml_file: text}}}."""
from __future__ import annotations

from typing import Sequence

from .base import PluginRecord


class MemoryRegistry:
    """Versions are listed in the mapping's order (the listing order that breaks ties)."""

    def __init__(self, packages: dict, name: str = "memory") -> None:
        self.name = name
        self._packages = packages

    def packages(self) -> Sequence[str]:
        return tuple(sorted(self._packages))

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
