"""Plugin registries: where `plugin:` imports, legacy plugin-YAML URLs and Cloudify's types are answered.

One module per source behind the `Registry` protocol (base.py): a folder (directory.py), wagon
folders and upload bundles (wagon.py), catalog files (catalog.py), the marketplace API
(marketplace.py), a manager's REST API (manager.py), in memory (memory.py); `open_source`
(sources.py) turns what a user writes after `-r` into one of them. Which version and which YAML
file an import gets is decided in one place for all of them (choice.py), the manager's way.
"""
from __future__ import annotations

from .base import PluginRecord, Registry, RegistryError
from .choice import (PLUGIN_PREFIX, Candidate, LegacyPluginUrl, PluginRequest, PluginSpecError, Selection,
                     choose_yaml, explain, find_exact, parse_legacy_plugin_url, parse_plugin_import, select)
from .directory import DirectoryRegistry
from .memory import MemoryRegistry

__all__ = [
    "PLUGIN_PREFIX", "Candidate", "DirectoryRegistry", "LegacyPluginUrl", "MemoryRegistry", "PluginRecord",
    "PluginRequest", "PluginSpecError", "Registry", "RegistryError", "Selection", "choose_yaml", "explain",
    "find_exact", "parse_legacy_plugin_url", "parse_plugin_import", "select",
]
