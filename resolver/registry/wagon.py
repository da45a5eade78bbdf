"""Wagon archives and the upload bundles a manager accepts, read as a registry (REGISTRY.md §3, §5.1-5.2).

`WagonRegistry(path)` takes what `cfy plugins upload` and `cfy plugins bundle-upload` take:

| path | uploads |
|---|---|
| a `.wgn` (bare wagon) | one version with no YAML: a manager accepts it, but it answers no `plugin:` import |
| a `.zip` bundle | exactly one `.wgn` plus every `*.yaml` at the zip's root (an `icon.png` may be beside) |
| a `.tgz`/`.tar.gz` caravan | a root folder with `METADATA` (`{wagon relpath: yaml relpath}`), a version per entry |
| a folder | each `.wgn` in it (with the folder's `*.yaml`), each `.zip`/`.tgz` in it; the same one level down |

A folder's `.wgn` files all get that folder's YAML files: the layout of one plugin version built for
several platforms or distributions, uploaded once per wagon with the same `-y` files.

What an archive is comes from its content (zipfile/tarfile), never its suffix, in the manager's
order: a tar whose root folder holds `METADATA` is a caravan, an archive with `<top>/package.json`
is a wagon, a zip holding `.wgn` members is a bundle. A record's package name, version,
platform and `build_server_os_properties` come from the wagon's `package.json`, read in memory.

Listing order stands for upload order (it breaks ties between equal versions, as a manager's
earliest upload wins): uploads sorted by their path under the registry folder, caravan entries
by their wagon path.

Nothing is extracted or written. Hostile archives are bounded: a member with an absolute path,
`..` or a link, more than MAX_MEMBERS members, a `package.json` over MAX_PACKAGE_JSON bytes, a
YAML file over MAX_YAML bytes, or tar members over MAX_TAR_BYTES in all refuse that archive.

Faults are per upload: an unreadable or refused archive is left out with a `WagonFault` (its
file, a problem code, a message), listed in `faults`, and the other uploads still answer. Only
when nothing usable is left (a single bad archive, or a folder of bad ones) do `packages()` and
`versions()` raise the first fault as a RegistryError. Codes: `wagon-unreadable` (not an archive,
corrupt, no or bad `package.json`), `wagon-unsafe` (a member escaping the archive, a link, or
past a bound), `wagon-bundle-invalid` (a zip without exactly one `.wgn`, a caravan whose
`METADATA` is missing, malformed or names members that are not there).
"""
from __future__ import annotations

import io
import json
import os
import posixpath
import stat
import tarfile
import zipfile
import zlib
from typing import IO, Sequence

from .. import records
from .base import PluginRecord, RegistryError

MAX_MEMBERS = 20_000
# Walking a tar.gz decompresses every member it passes: stop before a highly compressible member
# makes that gigabytes of work. Large enough for a caravan of every official plugin and distro.
MAX_TAR_BYTES = 16 << 30
MAX_PACKAGE_JSON = 1 << 20
MAX_YAML = 16 << 20
MAX_METADATA = 4 << 20
# A wagon inside a caravan is read into memory (a gzip stream cannot seek back to a zip's
# central directory); wagons with every wheel of a large plugin stay well below this.
MAX_NESTED_WAGON = 512 << 20

WAGON_SUFFIX = ".wgn"
ZIP_SUFFIX = ".zip"
TAR_SUFFIXES = (".tgz", ".tar.gz")
UPLOAD_SUFFIXES = (WAGON_SUFFIX, ZIP_SUFFIX) + TAR_SUFFIXES


@records.frozen
class WagonFault:
    """One upload left out of the registry: `path` the file as found, `code` a problem code."""

    path: str
    code: str
    message: str

    def error(self) -> RegistryError:
        return RegistryError(self.code, self.message,
                             hint="Rebuild the archive with `wagon create` or bundle it as `cfy plugins upload` "
                                  "does (one .wgn plus its plugin YAML files).")


class _Fault(Exception):
    """Raised inside the scan of one archive; becomes a WagonFault for that archive."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@records.frozen
class _Where:
    """Where the YAML files of one record are: a folder, or a prefix inside a zip or tar."""

    kind: str  # "folder", "zip" or "tar"
    container: str
    prefix: str = ""


@records.frozen
class _WagonInfo:
    package_name: str
    version: str
    distribution: str | None
    distribution_release: str | None
    supported_platform: str | None
    archive_name: str | None


class WagonRegistry:
    """Wagons, zip bundles and caravans under `path` (a folder or one archive); see the module doc.

    The scan runs once per object, on first use, and is kept: a resolution asks per import.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.root = os.path.abspath(os.fspath(path))
        self.name = self.root
        self._scan: tuple[dict[str, tuple[PluginRecord, ...]], tuple[WagonFault, ...]] | None = None
        self._where: dict[PluginRecord, _Where] = {}

    # -- the protocol ------------------------------------------------------------------
    def packages(self) -> Sequence[str]:
        return tuple(sorted(self._scanned()))

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        return self._scanned().get(package_name, ())

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        """The text of `yaml_file` of `record`. Raises OSError when it is not there or not readable."""
        where = self._where.get(record)
        if where is None or yaml_file not in record.yaml_files:
            raise OSError(f"{yaml_file!r} is not a YAML file of {record.package_name} {record.version} "
                          f"in {_shown(self.root)}")
        try:
            if where.kind == "folder":
                data = _read_file(os.path.join(where.container, yaml_file), MAX_YAML)
            elif where.kind == "zip":
                with zipfile.ZipFile(where.container) as archive:
                    data = _zip_member(archive, where.prefix + yaml_file, MAX_YAML)
            else:
                data = _tar_member(where.container, where.prefix + yaml_file, MAX_YAML)
            # newlines as a text-mode open gives them, so every source yields the same text
            return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except _Fault as exc:
            raise OSError(exc.message) from None
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
            raise OSError(f"{_shown(record.location)}/{yaml_file}: cannot be read ({exc})") from None

    # -- faults ------------------------------------------------------------------------
    @property
    def faults(self) -> tuple[WagonFault, ...]:
        """Every upload left out, in listing order. Scans when not yet scanned; never raises."""
        if self._scan is None:
            self._scan = self._build()
        return self._scan[1]

    def _scanned(self) -> dict[str, tuple[PluginRecord, ...]]:
        if self._scan is None:
            self._scan = self._build()
        by_name, faults = self._scan
        if not by_name and faults:
            error = faults[0].error()
            if len(faults) > 1:
                error.hint = f"{len(faults) - 1} more archive(s) refused as well. {error.hint}"
            raise error
        return by_name

    # -- the scan ----------------------------------------------------------------------
    def _build(self):
        records: list[PluginRecord] = []
        faults: list[WagonFault] = []
        if os.path.isdir(self.root):
            self._scan_folder(self.root, records, faults, depth=0)
        elif os.path.isfile(self.root):
            self._scan_upload(self.root, [], records, faults)
        else:
            faults.append(WagonFault(self.root, "registry-not-found", f"{_shown(self.root)}: no such file or folder"))
        by_name: dict[str, list[PluginRecord]] = {}
        for record in records:
            by_name.setdefault(record.package_name, []).append(record)
        return {name: tuple(found) for name, found in by_name.items()}, tuple(faults)

    def _scan_folder(self, folder: str, records: list, faults: list, depth: int) -> None:
        try:
            entries = sorted(name for name in os.listdir(folder) if not name.startswith("."))
        except OSError as exc:
            faults.append(WagonFault(folder, "wagon-unreadable",
                                     f"{_shown(folder)}: cannot be listed ({exc.strerror})"))
            return
        yamls = [name for name in entries if name.endswith(".yaml") and os.path.isfile(os.path.join(folder, name))]
        for name in entries:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and name.lower().endswith(UPLOAD_SUFFIXES):
                beside = yamls if name.lower().endswith(WAGON_SUFFIX) else []
                self._scan_upload(path, beside, records, faults)
            elif depth == 0 and os.path.isdir(path):
                self._scan_folder(path, records, faults, depth=1)

    def _scan_upload(self, path: str, beside: list[str], records: list, faults: list) -> None:
        """One uploaded file: a wagon (with the YAML files `beside` it), a zip bundle or a caravan."""
        try:
            with open(path, "rb") as handle:
                if zipfile.is_zipfile(handle):
                    found = self._zip_upload(path, handle, beside)
                else:
                    handle.seek(0)
                    found = self._tar_upload(path, handle, beside)
        except _Fault as exc:
            faults.append(WagonFault(path, exc.code, f"{_shown(path)}: {exc.message}"))
            return
        except OSError as exc:
            faults.append(WagonFault(path, "wagon-unreadable",
                                     f"{_shown(path)}: cannot be read ({exc.strerror or exc})"))
            return
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, ValueError) as exc:
            faults.append(WagonFault(path, "wagon-unreadable", f"{_shown(path)}: corrupt archive ({exc})"))
            return
        for record, where in found:
            self._where[record] = where
            records.append(record)

    def _record(self, info: _WagonInfo, yaml_files, location: str) -> PluginRecord:
        return PluginRecord(package_name=info.package_name, version=info.version,
                            yaml_files=tuple(sorted(yaml_files)), location=location, source=self.name,
                            distribution=info.distribution, distribution_release=info.distribution_release,
                            supported_platform=info.supported_platform, archive_name=info.archive_name)

    def _zip_upload(self, path: str, handle: IO[bytes], beside: list[str]):
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, ValueError) as exc:
            raise _Fault("wagon-unreadable", f"not a readable zip archive ({exc})") from None
        with archive:
            members = _zip_members(archive)
            # one top folder is a wagon's layout (a bundle keeps its files at the root): say what
            # the wagon lacks rather than that it is a bundle without a .wgn
            if _single_top(members) is not None:
                info = _wagon_from_zip(archive, members)
                return [self._wagon_entry(path, info, beside)]
            wagons = [name for name in members if "/" not in name and name.lower().endswith(WAGON_SUFFIX)]
            if len(wagons) != 1:
                raise _Fault("wagon-bundle-invalid",
                             f"Archive must include one wgn file (it holds {len(wagons)}"
                             + (f": {', '.join(sorted(wagons))})" if wagons else ")"))
            yaml_files = [name for name in members if "/" not in name and name.endswith(".yaml")]
            with archive.open(members[wagons[0]]) as inner:
                info = _wagon_info(inner, f"{wagons[0]} in the bundle")
            record = self._record(info, yaml_files, path)
            return [(record, _Where("zip", path))]

    def _wagon_entry(self, path: str, info: _WagonInfo, beside: list[str]):
        folder = os.path.dirname(path)
        if beside:
            return self._record(info, beside, folder), _Where("folder", folder)
        # a bare wagon: listed, with no YAML to answer an import from
        return self._record(info, (), path), _Where("folder", folder)

    def _tar_upload(self, path: str, handle: IO[bytes], beside: list[str]):
        try:
            archive = tarfile.open(fileobj=handle, mode="r:*")
        except (tarfile.TarError, EOFError, OSError) as exc:
            # tarfile's reason lists every compression it tried: it says nothing more useful
            raise _Fault("wagon-unreadable", "The provided wagon archive can not be read: "
                                             "neither a zip nor a tar archive") from None
        with archive:
            members = _tar_members(archive)
            top = _single_top(members)
            if top is not None and f"{top}/METADATA" in members:
                return self._caravan(path, archive, members, top)
            info = _wagon_from_tar(archive, members)
            return [self._wagon_entry(path, info, beside)]

    def _caravan(self, path: str, archive: tarfile.TarFile, members: dict, top: str):
        raw = _read_limited(archive.extractfile(members[f"{top}/METADATA"]), MAX_METADATA, "METADATA")
        try:
            mapping = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise _Fault("wagon-bundle-invalid", f"METADATA is not JSON ({exc})") from None
        if not isinstance(mapping, dict) or not mapping or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise _Fault("wagon-bundle-invalid",
                         "METADATA must be a non-empty JSON object of {wagon path: plugin YAML path}")
        found = []
        for wagon_rel in sorted(mapping):
            yaml_rel = mapping[wagon_rel]
            wagon_member = members.get(_join(top, wagon_rel))
            yaml_member = members.get(_join(top, yaml_rel))
            if wagon_member is None or yaml_member is None or not yaml_rel.endswith(".yaml"):
                raise _Fault("wagon-bundle-invalid",
                             f"METADATA names {wagon_rel!r} -> {yaml_rel!r}, which the bundle does not hold")
            if wagon_member.size > MAX_NESTED_WAGON:
                raise _Fault("wagon-unsafe", f"{wagon_rel} is {wagon_member.size} bytes, over the "
                                             f"{MAX_NESTED_WAGON}-byte bound for a wagon inside a bundle")
            data = _read_limited(archive.extractfile(wagon_member), MAX_NESTED_WAGON, wagon_rel)
            info = _wagon_info(io.BytesIO(data), f"{wagon_rel} in the bundle")
            yaml_dir, yaml_name = posixpath.split(_join(top, yaml_rel))
            prefix = yaml_dir + "/" if yaml_dir else ""
            record = self._record(info, (yaml_name,), f"{path}/{yaml_dir}" if yaml_dir else path)
            found.append((record, _Where("tar", path, prefix)))
        return found


# -- reading archives safely ----------------------------------------------------------

def _unsafe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in name.replace("\\", "/").split("/")


def _zip_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Members by name (directories left out). Raises _Fault for an unsafe or oversized archive."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _Fault("wagon-unsafe", f"holds {len(infos)} members, over the bound of {MAX_MEMBERS}")
    out = {}
    for info in infos:
        if _unsafe_name(info.filename):
            raise _Fault("wagon-unsafe", f"member {info.filename!r} points outside the archive")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _Fault("wagon-unsafe", f"member {info.filename!r} is a link")
        if not info.is_dir():
            out[info.filename] = info
    return out


def _tar_members(archive: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Members by name (regular files only), reading headers, not contents; same refusals as zip."""
    out = {}
    count = total = 0
    try:
        for member in archive:
            count += 1
            total += member.size
            if count > MAX_MEMBERS:
                raise _Fault("wagon-unsafe", f"holds more than {MAX_MEMBERS} members")
            if total > MAX_TAR_BYTES:
                raise _Fault("wagon-unsafe", f"its members hold more than {MAX_TAR_BYTES} bytes")
            name = _member_name(member)
            if _unsafe_name(name):
                raise _Fault("wagon-unsafe", f"member {member.name!r} points outside the archive")
            if member.issym() or member.islnk():
                raise _Fault("wagon-unsafe", f"member {member.name!r} is a link")
            if member.isfile():
                out[name] = member
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise _Fault("wagon-unreadable", f"corrupt tar archive ({exc})") from None
    return out


def _member_name(member: tarfile.TarInfo) -> str:
    return member.name[2:] if member.name.startswith("./") else member.name


def _single_top(names) -> str | None:
    """The one top folder every member sits in, or None when there is not exactly one."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) != 1 or any("/" not in name for name in names):
        return None
    return tops.pop()


def _wagon_top(members) -> str | None:
    """The wagon's top folder when the archive is laid out as one (`<top>/package.json`)."""
    top = _single_top(members)
    return top if top is not None and f"{top}/package.json" in members else None


def _wagon_info(handle: IO[bytes], label: str) -> _WagonInfo:
    """The metadata of the wagon in `handle` (seekable), zip or tar.gz told apart by content."""
    try:
        if zipfile.is_zipfile(handle):
            with zipfile.ZipFile(handle) as archive:
                return _wagon_from_zip(archive, _zip_members(archive))
        handle.seek(0)
        with tarfile.open(fileobj=handle, mode="r:*") as archive:
            return _wagon_from_tar(archive, _tar_members(archive))
    except _Fault as exc:
        raise _Fault(exc.code, f"{label}: {exc.message}") from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as exc:
        raise _Fault("wagon-unreadable", f"{label}: The provided wagon archive can not be read ({exc})") from None


def _wagon_from_zip(archive: zipfile.ZipFile, members: dict) -> _WagonInfo:
    top = _wagon_top(members)
    if top is None:
        raise _Fault("wagon-unreadable", "not a wagon: no single top folder holding package.json")
    return _metadata(_zip_member(archive, f"{top}/package.json", MAX_PACKAGE_JSON))


def _wagon_from_tar(archive: tarfile.TarFile, members: dict) -> _WagonInfo:
    top = _wagon_top(members)
    if top is None:
        raise _Fault("wagon-unreadable", "not a wagon: no single top folder holding package.json")
    member = members[f"{top}/package.json"]
    if member.size > MAX_PACKAGE_JSON:
        raise _Fault("wagon-unsafe", f"package.json is {member.size} bytes, over the bound of {MAX_PACKAGE_JSON}")
    return _metadata(_read_limited(archive.extractfile(member), MAX_PACKAGE_JSON, "package.json"))


def _zip_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise _Fault("wagon-unreadable", f"{name} is not in the archive") from None
    if info.file_size > limit:
        raise _Fault("wagon-unsafe", f"{name} declares {info.file_size} bytes, over the bound of {limit}")
    with archive.open(info) as handle:
        # the declared size may lie: never read past the bound whatever it says
        return _read_limited(handle, limit, name)


def _tar_member(path: str, name: str, limit: int) -> bytes:
    with tarfile.open(path, mode="r:*") as archive:
        for member in archive:
            if _member_name(member) == name and member.isfile():
                return _read_limited(archive.extractfile(member), limit, name)
    raise _Fault("wagon-unreadable", f"{_shown(path)}: {name} is not in the archive")


def _read_limited(handle: IO[bytes] | None, limit: int, label: str) -> bytes:
    if handle is None:
        raise _Fault("wagon-unreadable", f"{label} is not a regular file")
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise _Fault("wagon-unsafe", f"{label} is over the bound of {limit} bytes")
    return data


def _read_file(path: str, limit: int) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _Fault("wagon-unsafe", f"{_shown(path)} is over the bound of {limit} bytes")
    return data


def _metadata(raw: bytes) -> _WagonInfo:
    """The fields the manager takes from `package.json` (REGISTRY.md §2.1); the rest is optional."""
    try:
        meta = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise _Fault("wagon-unreadable", f"package.json is not JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise _Fault("wagon-unreadable", "package.json is not a JSON object")
    name, version = meta.get("package_name"), meta.get("package_version")
    if not isinstance(name, str) or not name.strip() or not isinstance(version, str) or not version.strip():
        raise _Fault("wagon-unreadable", "package.json lacks package_name or package_version")
    props = meta.get("build_server_os_properties")
    props = props if isinstance(props, dict) else {}
    return _WagonInfo(package_name=name, version=version,
                      distribution=_lower(props.get("distribution")),
                      distribution_release=_lower(props.get("distribution_release")),
                      supported_platform=_text(meta.get("supported_platform")),
                      archive_name=_text(meta.get("archive_name")))


def _shown(path: str) -> str:
    """A path as messages show it: relative to the working folder when inside it, as files are."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return path if relative.startswith("..") else relative.replace(os.sep, "/")


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _lower(value) -> str | None:
    return value.lower() if isinstance(value, str) else None


def _join(top: str, relpath: str) -> str:
    """A METADATA path inside the caravan's root folder; unsafe paths never match a member."""
    return "" if _unsafe_name(relpath) else posixpath.normpath(f"{top}/{relpath}")
