"""resolver: Cloudify-style blueprints resolved offline into a lifecycle plan.

    from resolver import resolve
    result = resolve("blueprint.yaml", registries=["plugins/"])
    result.ok, result.problems, result.plan, result.graph
"""
from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "resolve": "api", "Resolver": "api", "Result": "api", "Options": "api",
    "Problem": "problems", "ResolverError": "problems",
    "DirectoryRegistry": "registry", "MemoryRegistry": "registry", "Registry": "registry",
    "CODES": "codes",
}


def __getattr__(name: str):
    # Imported on first use, so `python -m resolver --version` pays for none of it.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'resolver' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["__version__", *_LAZY]
