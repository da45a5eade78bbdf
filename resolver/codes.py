"""The one table of problem codes.

Every problem `resolver` reports has a stable kebab-case code from this table, a default
severity, a short title (used by reporters that list rules, such as SARIF) and, where the
reference parser (cloudify-common 7.0.5) reports the same fault, its numeric error code.
Tests assert codes, never wording.
"""
from __future__ import annotations

from . import records

ERROR = "error"
WARNING = "warning"


@records.frozen
class Code:
    id: str
    severity: str
    ref_code: int | None
    title: str


def _table(*rows: tuple[str, str, int | None, str]) -> dict[str, Code]:
    return {row[0]: Code(*row) for row in rows}


CODES: dict[str, Code] = _table(
    # the safety net: a bug of ours, reported instead of a traceback
    ("internal-error", ERROR, None, "resolver failed on this input; please report it with the blueprint."),
    # loading
    ("yaml-syntax", ERROR, -1, "The file is not valid YAML."),
    ("yaml-duplicate-key", WARNING, None, "A mapping repeats a key; the last value is kept."),
    ("yaml-non-ascii", ERROR, 108, "A string holds a non-ASCII character."),
    ("yaml-timestamp-typed", ERROR, None, "A YAML timestamp (an unquoted date or time), or a !!set, where the reference takes a typed value."),
    ("yaml-too-complex", ERROR, None, "The document nests deeper than --max-depth levels."),
    ("yaml-alias-expansion", ERROR, None, "YAML aliases expand past --max-aliases values, or contain themselves."),
    ("file-unreadable", ERROR, 13, "A file could not be read."),
    # hostile input: confinement and bounded work (SECURITY.md)
    ("file-too-large", ERROR, None, "A file is larger than --max-file-size."),
    ("import-outside-root", ERROR, None, "An import resolves outside the allowed roots (the project root, "
                                         "registries, cache, search paths, rules and catalog); it is not read."),
    ("imports-too-many", ERROR, None, "The imports bring in more files than --max-files."),
    ("nodes-too-many", ERROR, None, "The blueprint defines more node templates than --max-nodes."),
    ("type-hierarchy-too-deep", ERROR, None, "A derived_from chain is longer than --max-type-depth."),
    ("url-refused", ERROR, None, "A URL is not fetched: not http(s), a host outside --allow-host, an address "
                                 "that is loopback, private or link-local, or a redirect to one of those."),
    # schema and versions
    ("schema-unknown-key", ERROR, 1, "A key is not part of the DSL schema here."),
    ("schema-wrong-type", ERROR, 1, "A value has the wrong YAML type."),
    ("schema-missing-key", ERROR, 1, "A required key is missing."),
    ("dsl-version-missing", ERROR, 27, "The main blueprint has no tosca_definitions_version."),
    ("dsl-version-unsupported", ERROR, 29, "The tosca_definitions_version is not a supported one."),
    ("dsl-version-import-newer", ERROR, 28, "An imported file declares a newer DSL version than the main blueprint."),
    ("feature-version", ERROR, 102, "A feature is used below the DSL version that introduced it."),
    # imports
    ("import-duplicate", ERROR, 2, "The same import is listed twice in one imports list."),
    ("import-not-mergeable", ERROR, 3, "A top-level section appears in more than one file but cannot be merged."),
    ("merge-conflict", ERROR, 4, "Two files define the same name."),
    ("import-not-found", ERROR, 13, "An import could not be answered from any place tried."),
    ("import-offline", ERROR, 13, "An import needs the network, which is off."),
    ("import-namespace-invalid", ERROR, 212, "An import namespace contains the namespace delimiter."),
    ("import-blueprint-needs-namespace", ERROR, 213, "A blueprint: import has no namespace."),
    ("import-namespace-basic-types", ERROR, 214, "Cloudify basic types are imported under a namespace."),
    ("import-blueprint-namespace-reused", ERROR, 214, "Two blueprint: imports use the same namespace."),
    ("import-properties-invalid", ERROR, 220, "Import properties have an invalid shape or type."),
    ("import-properties-mismatch", ERROR, 221, "Import properties do not match the plugin's property schema."),
    ("import-cycle", WARNING, None, "Imports form a cycle; each file is merged once."),
    ("plugin-spec-invalid", ERROR, None, "A plugin: import has an invalid parameter or version specifier."),
    ("plugin-not-found", ERROR, None, "No plugin in the registries matches a plugin: import."),
    ("plugin-yaml-missing", ERROR, None, "The chosen plugin version has no YAML file for this DSL version."),
    ("blueprint-not-found", ERROR, None, "A blueprint: import names an id the catalog does not hold."),
    # plugin sources (registries) and the lock
    ("registry-offline", ERROR, None, "A source needs the network, which is off, and the cache does not hold the answer."),
    ("registry-unreachable", ERROR, None, "A plugin source could not be reached (connection, DNS, time-out)."),
    ("registry-auth-failed", ERROR, None, "A plugin source refused the credentials (HTTP 401)."),
    ("registry-forbidden", ERROR, None, "A plugin source refused access (HTTP 403)."),
    ("registry-not-found", ERROR, None, "A plugin source has nothing at the address asked (HTTP 404)."),
    ("registry-server-error", ERROR, None, "A plugin source failed (HTTP 5xx) after retries."),
    ("registry-bad-response", ERROR, None, "A plugin source answered with something that is not what it should serve."),
    ("wagon-unreadable", ERROR, None, "A wagon archive cannot be read (not a zip or tar, corrupt, no valid package.json)."),
    ("wagon-unsafe", ERROR, None, "A wagon or bundle has a member outside the archive, a link, or exceeds a size bound."),
    ("wagon-bundle-invalid", ERROR, None, "An upload bundle is not what a manager accepts (one .wgn per zip; a caravan's METADATA)."),
    # the lock file (registry/lock.py)
    ("lock-unreadable", ERROR, None, "The lock file is missing, is not JSON, or is not a resolver-lock of a known version."),
    ("lock-missing-entry", ERROR, None, "An import or a file read is not in the lock file."),
    ("lock-mismatch", ERROR, None, "A file read differs from its sha256 in the lock, or an import resolves elsewhere."),
    ("lock-unavailable", ERROR, None, "No source gives the plugin version and YAML file the lock names."),
    # plugins
    ("plugin-executor-invalid", ERROR, 18, "A plugin's executor is neither central_deployment_agent nor host_agent."),
    ("plugin-source-missing", ERROR, 50, "A plugin to install declares neither source nor package_name."),
    ("host-agent-without-host", ERROR, 24, "A host_agent operation runs on a node that is not contained in a host."),
    # types, templates, properties
    ("node-type-unknown", ERROR, 7, "A node template's type is not defined."),
    ("type-parent-unknown", ERROR, 103, "derived_from names a type that is not defined."),
    ("type-name-illegal", ERROR, 103, "A property type is neither a primitive nor a defined data type."),
    ("primitive-redefined", ERROR, 104, "A data type is named like a primitive type."),
    ("property-type-mismatch", ERROR, 105, "A value does not match its declared type."),
    ("property-unknown", ERROR, 106, "A property is not part of the type's schema."),
    ("property-missing", ERROR, 107, "A mandatory property has no value."),
    ("operation-input-missing", ERROR, 107, "An operation input declared without a default has no value."),
    ("contained-in-multiple", ERROR, 112, "A node has more than one contained_in relationship."),
    ("relationship-self-target", ERROR, 23, "A relationship targets its own node."),
    ("relationship-target-unknown", ERROR, 25, "A relationship targets a node template that does not exist."),
    ("relationship-type-unknown", ERROR, 26, "A relationship's type is not defined."),
    ("external-resource-function", ERROR, 219, "use_external_resource is given as an intrinsic function."),
    ("cycle", ERROR, 100, "Definitions or relationships form a cycle."),
    ("input-constraint-violated", ERROR, None, "An input's default violates one of its constraints."),
    ("input-default-object-type", ERROR, None, "An input of an object-based type (node_id, deployment_id, ..., or a list of them) has a default, which the reference refuses when it parses."),
    ("input-constraint-type-invalid", ERROR, None, "An input with a default has a constraint that asks the manager (name_pattern, filter_id, labels, tenants, deployment_id) on a type it is not for."),
    ("function-scope-invalid", ERROR, None, "SELF, SOURCE or TARGET is used where it has no meaning."),
    ("property-reference-unknown", ERROR, None, "get_property names a property the node does not have."),
    ("function-arguments-invalid", ERROR, None, "An intrinsic function's arguments have the wrong shape or name nothing it knows."),
    ("input-function-with-constraints", ERROR, 213, "An input's default is an intrinsic function and the input has constraints."),
    ("schedule-invalid", ERROR, 1, "A default schedule has a time, recurrence, weekday or workflow parameter the manager refuses."),
    ("section-null", ERROR, None, "A top-level section is written with no value where the reference cannot take one."),
    ("label-value-invalid", ERROR, 1, "A label value is not what labels take (strings; for deployment labels, functions but get_attribute)."),
    ("workflow-availability-invalid", ERROR, 103, "availability_rules.node_instances_active has a value other than all, partial, none."),
    ("constraint-unknown", ERROR, 103, "A constraint names an operator that does not exist."),
    ("constraint-argument-invalid", ERROR, 212, "A constraint's argument has the wrong shape for its operator."),
    ("input-hidden-required", ERROR, 215, "An input is hidden and required but has no default."),
    ("input-display-invalid", ERROR, 216, "display hints are given for an input that is not a textarea."),
    ("input-unknown", ERROR, None, "get_input names an input that is not declared."),
    ("node-reference-unknown", ERROR, None, "An intrinsic function names a node template that does not exist."),
    ("type-shadowed", WARNING, None, "An import redefines a cloudify. type; the later definition wins."),
    ("item-type-invalid", ERROR, 217, "item_type names neither a primitive nor a defined data type."),
    ("item-type-not-list", ERROR, 218, "item_type is given on a schema whose type is not list."),
    ("instances-invalid", ERROR, 207, "Instance counts are negative or inconsistent (default, min, max)."),
    ("instances-deploy-negative", ERROR, 1, "instances.deploy is a negative number."),
    ("instances-literal-invalid", ERROR, 208, "max_instances is a string other than UNBOUNDED."),
    ("instances-and-scalable", ERROR, 209, "A node sets both instances.deploy and capabilities.scalable."),
    ("instances-not-a-function", ERROR, 210, "An instance count is a mapping that is not an intrinsic function."),
    ("lifecycle-dependency-without-operation", ERROR, 215,
     "depends_on_lifecycle_operation has no 'operation' property."),
    ("lifecycle-dependency-unknown-operation", ERROR, 216,
     "depends_on_lifecycle_operation names an operation the target template does not define."),
    # what a manager refuses when it creates a deployment (checks/deployment.py): the upload succeeds
    ("deployment-relationship-unsupported", WARNING, None,
     "A relationship's type derives from none of depends_on, connected_to and contained_in: a manager refuses to create a deployment."),
    ("deployment-connection-type-invalid", WARNING, None,
     "A relationship's connection_type is neither all_to_all nor all_to_one: a manager refuses to create a deployment."),
    ("deployment-all-to-one-in-group", WARNING, None,
     "An all_to_one relationship joins two nodes of one scaling group: a manager refuses to create a deployment."),
    # groups and policies
    ("group-member-unknown", ERROR, 40, "A group member is neither a node template nor a group."),
    ("policy-type-unknown", ERROR, 41, "A group policy's type is not defined."),
    ("policy-trigger-unknown", ERROR, 42, "A group policy trigger's type is not defined."),
    ("group-cycle", ERROR, 200, "Groups contain each other in a cycle."),
    ("group-member-shared", ERROR, 201, "A member belongs to more than one scaling group."),
    ("group-members-not-contained", ERROR, 202, "Two nodes of a scaling group are not contained in a shared node."),
    ("policy-unsupported", ERROR, 204, "A policy's type is not cloudify.policies.scaling."),
    ("policy-target-not-group", ERROR, 205, "A policy targets something that is not a group."),
    ("policy-without-targets", ERROR, 206, "A policy names no target group."),
    ("group-name-taken", ERROR, 211, "A group has the name of a node template."),
    # operations and workflows
    ("operation-unmapped", ERROR, 10, "A node operation maps to no declared plugin and no script file."),
    ("relationship-operation-unmapped", ERROR, 19, "A relationship operation maps to no declared plugin and no script file."),
    ("workflow-unmapped", ERROR, 21, "A workflow maps to no declared plugin and no script file."),
    ("operation-executor-invalid", ERROR, 28, "An operation's executor is neither central_deployment_agent nor host_agent."),
    ("operation-value-invalid", ERROR, None, "An operation's retries or timeout is out of range."),
    ("script-path-reserved", ERROR, 60, "A script operation also sets script_path or script_source in its inputs."),
    ("script-plugin-missing", ERROR, 61, "A script operation needs a plugin named *script, and none is declared."),
    ("operation-ambiguous", ERROR, 91, "An operation mapping matches more than one plugin name."),
)


def lookup(code: str) -> Code:
    """Return the table row for `code`; an unknown code is a bug, so KeyError propagates."""
    return CODES[code]
