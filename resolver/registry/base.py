"""The registry protocol and the records every plugin source returns.

A registry answers three questions: which packages it holds (`packages`), which versions of one
package (`versions`, in the source's listing order, which breaks ties as a manager's upload order
does), and the text of one YAML file of a version (`read`). How a version is *chosen* is not a
registry's business: `choice.py` does that the manager's way for every source.
"""
from __future__ import annotations

from typing import Protocol, Sequence

from packaging.version import InvalidVersion, Version

from .. import records


@records.frozen
class PluginRecord:
    """One stored plugin version: where it lives and which YAML files it has.

    `location` is what a person would open (a folder, an archive, a URL); `source` names the
    registry. `distribution` is the wagon's `build_server_os_properties.distribution`
    (lowercase), what `?distribution=` matches. `checksums` holds `(yaml file, sha256)` pairs
    where the source publishes them; `wagons` the wagon builds a catalog or marketplace offers
    (their release names, e.g. `manylinux`, `Centos Core`).
    """

    package_name: str
    version: str
    yaml_files: tuple[str, ...]
    location: str
    distribution: str | None = None
    source: str = ""
    distribution_release: str | None = None
    supported_platform: str | None = None
    archive_name: str | None = None
    checksums: tuple[tuple[str, str], ...] = ()
    wagons: tuple[str, ...] = ()

    @property
    def parsed_version(self) -> Version | None:
        try:
            return Version(self.version)
        except InvalidVersion:
            return None

    def checksum(self, yaml_file: str) -> str | None:
        for name, digest in self.checksums:
            if name == yaml_file:
                return digest
        return None


class RegistryError(Exception):
    """A source could not answer (unreachable, refused, malformed). Carries a problem code.

    `code` is one of the `registry-*` codes in codes.py; `hint` says what the user can do.
    """

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


class Registry(Protocol):
    name: str

    def packages(self) -> Sequence[str]:
        """Every package name held, sorted. May raise RegistryError."""

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        """Every stored version of `package_name`, in upload (listing) order. May raise RegistryError."""

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        """The text of one YAML file of `record`. Raises OSError or RegistryError when it cannot."""
