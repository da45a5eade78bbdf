"""A folder registry: `<package_name>/<version>/<plugin YAML files>`, the layout `registry sync` writes.

A version folder may also hold the wagon's `package.json`; its
`build_server_os_properties.distribution` is what `?distribution=` matches. Cloudify's global
types are held the same way under the reserved package name `cloudify-types`
(`cloudify-types/<manager version>/types.yaml`, with any `types_1_x.yaml` variants beside it).
"""
from __future__ import annotations

import json
import os
from typing import Sequence

from ..recent import DEFAULT_KEPT_CHARS, FileTexts
from .base import PluginRecord

SAFE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+!~=")


def safe_name(name: str) -> bool:
    """A package name or version usable as one folder name: no separators, no `.`/`..`."""
    return bool(name) and name not in (".", "..") and all(c in SAFE_NAME_CHARS for c in name)


class DirectoryRegistry:
    """Plugins laid out `<package_name>/<version>/*.yaml` under one folder (see the module doc).

    Each package is listed once while it lives (a version added later is not seen), and the
    texts read are kept for the next blueprints, the most recently used up to `kept_chars`
    characters (a batch's blueprints import the same plugins), each given again only while its
    file is unchanged, as a session's loader keeps them (recent.FileTexts).
    """

    def __init__(self, root: str | os.PathLike, kept_chars: int = DEFAULT_KEPT_CHARS) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.name = self.root
        self._versions: dict[str, tuple[PluginRecord, ...]] = {}
        self._texts = FileTexts(kept_chars)  # path -> text, while the file is unchanged

    def packages(self) -> Sequence[str]:
        if not os.path.isdir(self.root):
            return ()
        return tuple(sorted(name for name in os.listdir(self.root)
                            if safe_name(name) and os.path.isdir(os.path.join(self.root, name))))

    def versions(self, package_name: str) -> Sequence[PluginRecord]:
        cached = self._versions.get(package_name)
        if cached is not None:
            return cached
        folder = os.path.join(self.root, package_name)
        records = []
        if safe_name(package_name) and os.path.isdir(folder):
            for version in sorted(os.listdir(folder)):
                vdir = os.path.join(folder, version)
                if not safe_name(version) or not os.path.isdir(vdir):
                    continue
                files = tuple(sorted(f for f in os.listdir(vdir) if f.endswith(".yaml")))
                meta = _wagon_metadata(vdir)
                records.append(PluginRecord(
                    package_name=package_name, version=version, yaml_files=files, location=vdir,
                    source=self.root, distribution=_lower(meta, "distribution"),
                    distribution_release=_lower(meta, "distribution_release"),
                    supported_platform=meta.get("supported_platform") if isinstance(
                        meta.get("supported_platform"), str) else None,
                    archive_name=meta.get("archive_name") if isinstance(meta.get("archive_name"), str) else None))
        result = tuple(records)
        self._versions[package_name] = result
        return result

    def read(self, record: PluginRecord, yaml_file: str) -> str:
        if os.sep in yaml_file or (os.altsep and os.altsep in yaml_file) or yaml_file in ("", ".", ".."):
            raise OSError(f"{yaml_file!r} is not a file name")
        path = os.path.join(record.location, yaml_file)
        text = self._texts.get(path)
        if text is None:
            with open(path, encoding="utf-8") as handle:
                status = os.fstat(handle.fileno())
                text = handle.read()
            self._texts.keep(path, text, status)
        return text


def _wagon_metadata(folder: str) -> dict:
    """The wagon's `package.json` kept beside the YAML files, or {} when there is none."""
    path = os.path.join(folder, "package.json")
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _lower(meta: dict, key: str) -> str | None:
    props = meta.get("build_server_os_properties")
    value = props.get(key) if isinstance(props, dict) else None
    return value.lower() if isinstance(value, str) else None
