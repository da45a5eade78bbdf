"""DSL versions and the feature gates of SPEC §1.3."""
from __future__ import annotations

SUPPORTED = (
    "cloudify_dsl_1_0",
    "cloudify_dsl_1_1",
    "cloudify_dsl_1_2",
    "cloudify_dsl_1_3",
    "cloudify_dsl_1_4",
    "cloudify_dsl_1_5",
)
PREFIX = "cloudify_dsl_"


_RANKS = {version: position for position, version in enumerate(SUPPORTED)}


def rank(version: str) -> int:
    """Position of a supported version; ValueError for an unsupported one."""
    try:
        return _RANKS[version]
    except (KeyError, TypeError):
        raise ValueError(f"{version!r} is not a supported DSL version") from None


def short(version: str) -> str:
    """`cloudify_dsl_1_4` -> `1_4`, the form plugin YAML names and versioned imports use."""
    return version[len(PREFIX):]


def at_least(version: str, minimum: str) -> bool:
    return rank(version) >= rank(minimum)


# Types that only exist from a given version (used in property, input and parameter schemas).
OBJECT_TYPES_1_4 = ("blueprint_id", "deployment_id", "capability_value", "scaling_group", "node_id",
                    "node_type", "node_instance", "secret_key")
OBJECT_TYPES_1_5 = ("operation_name",)
OBJECT_TYPES = OBJECT_TYPES_1_4 + OBJECT_TYPES_1_5
PRIMITIVE_TYPES = ("string", "integer", "float", "boolean", "list", "dict", "regex", "textarea")
TYPE_NAMES = frozenset(PRIMITIVE_TYPES + OBJECT_TYPES)  # every type that is no data type


_TYPE_MINIMUMS = {**dict.fromkeys(OBJECT_TYPES_1_4, "cloudify_dsl_1_4"),
                  **dict.fromkeys(OBJECT_TYPES_1_5, "cloudify_dsl_1_5")}


def type_minimum(type_name: str) -> str | None:
    """The first version that has the type `type_name` (a string); None for one every version has."""
    return _TYPE_MINIMUMS.get(type_name)
