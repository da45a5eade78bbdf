"""Stage 5, mapping: an operation's implementation string -> plugin function, script or no-op.

Implements SPEC §5.1-§5.4: normalising operation definitions, merging a template's
operation with its type's, and resolving the implementation string against the declared
plugins (the reference's precedence: URL, local file, inline script, then plugin prefix).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit


from . import records
from .load import Map
from .problems import Mark, Problems

OP_KEYS = ("implementation", "inputs", "executor", "max_retries", "retry_interval", "timeout",
           "timeout_recoverable")
EXECUTORS = ("central_deployment_agent", "host_agent")
SCRIPT_RUN = "script_runner.tasks.run"
SCRIPT_WORKFLOW = "script_runner.tasks.execute_workflow"


@records.mutable
class OpDef:
    """An operation definition normalised to the seven keys (None = not given).

    Never changed once made, yet a mutable record: a frozen record stores each field through a
    call to its slot (some 600 instructions, ten times a plain store), and a batch makes an
    OpDef and an `Operation` for most operations of every blueprint (a frozen pair cost ~0.7%
    of the corpus batch)."""

    implementation: str = ""
    inputs: dict = records.field(factory=dict)
    executor: str | None = None
    max_retries: int | None = None
    retry_interval: float | None = None
    timeout: float | None = None
    timeout_recoverable: bool | None = None
    mark: Mark | None = records.field(default=None, compare=False)

    @property
    def is_empty(self) -> bool:
        return (not self.implementation and not self.inputs and self.executor is None
                and self.max_retries is None and self.retry_interval is None and self.timeout is None
                and self.timeout_recoverable is None)


NOOP = OpDef()


def normalise(raw, mark: Mark | None, problems: Problems, where: str) -> OpDef:
    """String or mapping -> OpDef; shape faults are reported and the operation made a no-op."""
    if raw is None or raw == "":
        return OpDef(mark=mark)
    if isinstance(raw, str):
        return OpDef(implementation=raw, mark=mark)
    if not isinstance(raw, dict):  # the schema check reports it, at the value
        return OpDef(mark=mark)
    for key in raw:
        if key not in OP_KEYS:
            problems.add("schema-unknown-key", f"{key!r} is not a key of an operation ({where})",
                         raw.key_mark(key) if isinstance(raw, Map) else mark,
                         hint="Valid keys: " + ", ".join(OP_KEYS))
    implementation = raw.get("implementation") or ""
    if not isinstance(implementation, str):
        problems.add("schema-wrong-type", f"implementation of {where} must be a string",
                     _vmark(raw, "implementation", mark))
        implementation = ""
    inputs = raw.get("inputs") or {}
    if not isinstance(inputs, dict):
        problems.add("schema-wrong-type", f"inputs of {where} must be a mapping", _vmark(raw, "inputs", mark))
        inputs = {}
    executor = raw.get("executor")
    if executor is not None and executor not in EXECUTORS:
        problems.add("operation-executor-invalid",
                     f"operation {where} has executor {executor!r}; use central_deployment_agent or host_agent",
                     _vmark(raw, "executor", mark))
        executor = None
    values = {}  # the numbers given and sound (most operations give none)
    for key, minimum in NUMBERS:
        value = raw.get(key)
        if value is None:
            continue
        # booleans are ints to the reference, so `max_retries: true` is accepted as 1
        if not isinstance(value, (int, float)) or (key == "max_retries" and not isinstance(value, int)):
            problems.add("schema-wrong-type", f"{key} of {where} must be a number, not {value!r}",
                         _vmark(raw, key, mark))
        elif value < minimum:
            problems.add("operation-value-invalid", f"{key} of {where} must be at least {minimum}, not {value}",
                         _vmark(raw, key, mark))
        else:
            values[key] = value
    recoverable = raw.get("timeout_recoverable")
    if recoverable is not None and not isinstance(recoverable, bool):
        problems.add("schema-wrong-type", f"timeout_recoverable of {where} must be a boolean",
                     _vmark(raw, "timeout_recoverable", mark))
        recoverable = None
    # positional (the fields' order): a call by keywords costs half as much again, for every
    # operation a template writes
    return OpDef(implementation, inputs, executor, values.get("max_retries"), values.get("retry_interval"),
                 values.get("timeout"), recoverable, mark)


# the numeric settings of an operation, each with its least value
NUMBERS = (("max_retries", -1), ("retry_interval", 0), ("timeout", 0))  # an operation setting -> its least value


def _vmark(raw, key, fallback):
    return raw.value_mark(key) if isinstance(raw, Map) else fallback


def schema_defaults(schema: dict, missing: list) -> dict:
    """Operation input schema -> values from defaults; names without one go to `missing`."""
    values = {}
    for name, definition in schema.items():
        if definition is None:
            missing.append(name)  # an empty schema, as the reference reads it: no default
        elif isinstance(definition, dict):
            if "default" in definition:
                values[name] = definition["default"]
            else:
                missing.append(name)
        else:
            values[name] = definition
    return values


def merge_with_type(type_op: OpDef | None, template_op: OpDef | None, missing: list) -> OpDef:
    """The template's operation over the type's (SPEC §5.4); unset inputs go to `missing`."""
    if type_op is None:
        return template_op or NOOP
    if template_op is None:
        if not type_op.inputs:
            return type_op  # what `_with` would make of it: an equal record (most operations)
        return _with(type_op, type_op.implementation, schema_defaults(type_op.inputs, missing))
    if template_op.is_empty:
        return OpDef(mark=template_op.mark)
    if type_op.is_empty:
        return template_op
    implementation = template_op.implementation or type_op.implementation
    if implementation != type_op.implementation:
        return _with(template_op, implementation, template_op.inputs)
    inputs = schema_defaults(type_op.inputs, missing)
    missing[:] = [name for name in missing if name not in template_op.inputs]
    inputs.update(template_op.inputs)

    def pick(field):
        value = getattr(template_op, field)
        return value if value is not None else getattr(type_op, field)

    return OpDef(implementation, inputs, pick("executor"), pick("max_retries"), pick("retry_interval"),
                 pick("timeout"), pick("timeout_recoverable"), template_op.mark or type_op.mark)


def _with(op: OpDef, implementation: str, inputs: dict) -> OpDef:
    # records.replace, written out and positional: it is called for most operations of every node
    return OpDef(implementation, inputs, op.executor, op.max_retries, op.retry_interval, op.timeout,
                 op.timeout_recoverable, op.mark)


@records.mutable
class Operation:
    """One mapped operation (`Mapper.map`), with its definition's settings. Records are shared:
    between an operation's full and short names, and between the nodes (or relationships) that
    take it from their type unchanged, so nothing may set a field once it is made (mutable for
    speed alone, as `OpDef`)."""

    plugin: str
    operation: str
    executor: str | None
    inputs: dict
    max_retries: Any = None
    retry_interval: Any = None
    timeout: Any = None
    timeout_recoverable: Any = None

    def as_dict(self) -> dict:
        return {"plugin": self.plugin, "operation": self.operation, "executor": self.executor,
                "inputs": self.inputs, "max_retries": self.max_retries, "retry_interval": self.retry_interval,
                "timeout": self.timeout, "timeout_recoverable": self.timeout_recoverable}


NO_OPERATION = Operation(plugin="", operation="", executor=None, inputs={})


def _no_file(relative: str) -> bool:
    return False


class Mapper:
    """Resolves implementation strings against one blueprint's plugins."""

    def __init__(self, plugins: dict, script_exists: Callable[[str], bool], blueprint_namespaces,
                 problems: Problems) -> None:
        self.plugins = plugins
        self.names = [name for name in plugins if isinstance(name, str)]
        self._order = {name: index for index, name in enumerate(self.names)}  # name -> its place in names
        self.script_plugin = next((name for name in self.names if name.endswith("script")), None)
        self.script_exists = script_exists
        self.blueprint_namespaces = set(blueprint_namespaces)
        self.problems = problems
        # mapping string -> how it runs (`route`); script path -> whether it exists: one file
        # probe per string per blueprint
        self._routes: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        self._probes: dict[str, bool] = {}
        self._outcomes: dict[str, tuple] = {}  # mapping string -> `outcome`, asked once per type that maps it

    def _default_executor(self, plugin: str):
        """The executor the declared plugin `plugin` gives an operation that names none."""
        plugin_def = self.plugins.get(plugin)
        default = plugin_def.get("executor") if isinstance(plugin_def, dict) else None
        if isinstance(default, (dict, list)):
            return None  # a plugin's executor of the wrong shape: the schema check reports it
        return default

    def __getstate__(self) -> dict:
        # A result sent from a worker process (batch.py) carries the model and so this mapper; the
        # file probe is the loader's closure and means nothing in another process: what it
        # answered stays in `_routes`, and a new probe answers "no such file".
        return dict(self.__dict__, script_exists=_no_file)

    def sharing_probes(self, problems: Problems) -> "Mapper":
        """A mapper over the same plugins that reports into `problems`, sharing this one's file
        probes (one probe per mapping string per blueprint)."""
        other = Mapper(self.plugins, self.script_exists, self.blueprint_namespaces, problems)
        other._routes, other._probes = self._routes, self._probes
        return other

    def candidates(self, mapping: str) -> tuple[str, ...]:
        """The declared plugins whose names prefix `mapping` (as `name.`), in declaration order."""
        return self._declared(_reading(mapping).heads)

    def _declared(self, heads: tuple[str, ...]) -> tuple[str, ...]:
        """The declared plugins among `heads` (a mapping's `_Reading.heads`), in declaration order."""
        # a name prefixing a mapping is the text before one of its dots: a look-up per dot rather
        # than a comparison per declared plugin
        order = self._order
        found = [head for head in heads if head in order]
        if len(found) > 1:
            found.sort(key=order.__getitem__)
        return tuple(found)

    def route(self, mapping: str) -> tuple[str | None, tuple[str, ...]]:
        """How `mapping` runs, in the reference's precedence: (the script input it fills, ()) for a
        URL, a local file, an inline script or another blueprint's namespace; else (None, the
        declared plugins whose names prefix it)."""
        route = self._routes.get(mapping)
        if route is None:
            reading = _reading(mapping)
            candidates = self._declared(reading.heads)
            is_url = reading.is_url
            exists = not is_url and self._exists(reading.relative)
            inline = not is_url and not exists and reading.multiline
            remote_ns = not candidates and reading.namespace in self.blueprint_namespaces
            if is_url or exists or inline or remote_ns:
                route = ("script_source" if inline else "script_path", ())
            else:
                route = (None, candidates)
            self._routes[mapping] = route
        return route

    def _exists(self, relative: str) -> bool:
        """Whether the script `relative` exists beside the main blueprint, probed once."""
        exists = self._probes.get(relative)
        if exists is None:
            exists = self._probes[relative] = self.script_exists(relative)
        return exists

    def view(self, strings: "MappingStrings") -> tuple | None:
        """What this mapper reads of its blueprint to route each of `strings` and give it its
        `outcome`, as one key: the declared plugins whose names may prefix one of them (each with
        its default executor, in declaration order), the script plugin, the blueprint namespaces
        one may name, and whether each is a script beside the main blueprint. Mappers with equal
        views give every one of `strings` equal outcomes; worked out with one look at each
        declared plugin and one probe per string instead of an outcome per string. None when it
        cannot be a key (a plugin's default executor of an unhashable shape)."""
        heads = strings.heads
        declared = tuple([(name, self._default_executor(name)) for name in self.names if name in heads])
        scripts = tuple(map(self._exists, strings.probed))
        return hashable((declared, self.script_plugin, strings.namespaces.intersection(self.blueprint_namespaces),
                          scripts))

    def outcome(self, mapping: str) -> tuple:
        """Everything `map` reads of this blueprint to map an operation whose implementation is
        `mapping`: its `route`, and the script plugin or the one candidate plugin's default
        executor that goes with it. Two mappers (of two blueprints) with equal outcomes for a
        mapping map its operations alike where mapping them reports nothing (a report may name
        the blueprint's other plugins)."""
        outcome = self._outcomes.get(mapping)
        if outcome is None:
            key, candidates = route = self.route(mapping)
            if key is not None:
                outcome = route, self.script_plugin
            else:
                outcome = route, self._default_executor(candidates[0]) if len(candidates) == 1 else None
            self._outcomes[mapping] = outcome
        return outcome

    def map(self, op: OpDef, *, op_name: str, code: str, context: str, workflow: bool = False) -> Operation | None:
        """Map one operation; None (with a problem added) when it cannot be mapped. One that names
        nothing is `NO_OPERATION`: a no-op carries no settings, whatever its definition wrote (as
        the reference)."""
        mapping = op.implementation
        if not mapping:
            return NO_OPERATION
        key, candidates = self.route(mapping)
        if key is not None:
            if "script_path" in op.inputs or "script_source" in op.inputs:
                self.problems.add("script-path-reserved",
                                  f"{context}: operation {op_name!r} runs the script {mapping[:60]!r} and also sets "
                                  "script_path/script_source in its inputs", op.mark,
                                  hint="Remove script_path/script_source from the inputs.")
                return None
            if self.script_plugin is None:
                self.problems.add("script-plugin-missing",
                                  f"{context}: operation {op_name!r} is a script, but no plugin named '*script' "
                                  "is declared", op.mark, hint="Import Cloudify's types.yaml, which declares 'script'.",
                                  subject="script")
                return None
            if workflow:
                inputs = dict(op.inputs)
                inputs[key] = {"default": mapping, "description": "Workflow script executed by the script plugin"}
                return Operation(self.script_plugin, SCRIPT_WORKFLOW, None, inputs)
            inputs = dict(op.inputs)
            inputs[key] = mapping
            return Operation(self.script_plugin, SCRIPT_RUN, op.executor or "auto", inputs, op.max_retries,
                             op.retry_interval, op.timeout, op.timeout_recoverable)
        if len(candidates) == 1:
            plugin = candidates[0]
            return Operation(plugin, mapping[len(plugin) + 1:], op.executor or self._default_executor(plugin),
                             dict(op.inputs), op.max_retries, op.retry_interval, op.timeout, op.timeout_recoverable)
        if len(candidates) > 1:
            self.problems.add("operation-ambiguous",
                              f"{context}: operation {op_name!r} mapping {mapping!r} matches plugins "
                              f"{sorted(candidates)}", op.mark, hint="Rename one of the plugins.")
            return None
        self.problems.add(code,
                          f"{context}: operation {op_name!r} maps to {mapping!r}, which names no declared plugin "
                          "and no script file beside the main blueprint", op.mark,
                          hint=_unmapped_hint(mapping, self.names), subject=mapping.split(".", 1)[0])
        return None


@records.frozen
class _Reading:
    """What `Mapper.route` reads of a mapping string's text alone, whatever the blueprint. (A
    record, not a NamedTuple: typing compiles a NamedTuple's every annotation when the module is
    imported, a run's start.)"""

    heads: tuple[str, ...]  # the text before each of its dots, the names a plugin prefixing it may have
    is_url: bool
    relative: str  # the script path it names below the main blueprint's folder
    multiline: bool  # an inline script, unless it is a URL or a file
    namespace: str  # the blueprint namespace it may name (the text before "--")


class MappingStrings:
    """What `Mapper.route` reads of the text of some mapping strings (the mappings of a kept
    document's definitions: read once per session), gathered for `Mapper.view`."""

    __slots__ = ("heads", "namespaces", "probed")

    def __init__(self, mappings: Iterable[str]) -> None:
        readings = [_reading(mapping) for mapping in dict.fromkeys(mappings)]
        self.heads = frozenset(head for reading in readings for head in reading.heads)
        self.namespaces = frozenset(reading.namespace for reading in readings)
        self.probed = tuple(reading.relative for reading in readings if not reading.is_url)  # each probed as a script


def hashable(key: tuple) -> tuple | None:
    """`key`, when it can be a key (a plugin's default executor may be of any shape); None
    otherwise."""
    try:
        hash(key)
    except TypeError:
        return None
    return key


def heads(mapping: str) -> tuple[str, ...]:
    """The text before each dot of `mapping`: a declared plugin is one of the mapping's candidates
    when its name is one of them (`Mapper.candidates`)."""
    return _reading(mapping).heads


@functools.lru_cache(maxsize=4096)
def _reading(mapping: str) -> _Reading:
    """The `_Reading` of `mapping`. Remembered: a batch's blueprints map the same strings, and each
    routes every one of its own."""
    heads = []
    dot = mapping.find(".")
    while dot >= 0:
        heads.append(mapping[:dot])
        dot = mapping.find(".", dot + 1)
    # a namespaced script ("ns--scripts/x.sh") is looked up without its namespace
    separator = mapping.find("--")
    relative = mapping[separator + 2:] if separator >= 0 else mapping
    # the namespace as the reference slices it: all but the last character of a mapping without "--"
    return _Reading(heads=tuple(heads), is_url=bool(_scheme(mapping)), relative=relative,
                    multiline="\n" in mapping.strip(), namespace=mapping[:separator])


def _scheme(text: str) -> str:
    if ":" not in text:  # no scheme without its colon, and most mappings are plugin functions
        return ""
    try:
        return urlsplit(text).scheme
    except ValueError:
        return ""


def _unmapped_hint(mapping: str, plugins) -> str:
    head = mapping.split(".", 1)[0]
    if "/" in mapping or mapping.endswith((".sh", ".py", ".ps1")):
        return "Scripts are looked up relative to the main blueprint's folder; check the path."
    return (f"No plugin named {head!r} is declared; import the plugin that provides it "
            f"(declared: {', '.join(sorted(plugins)) or 'none'}).")
