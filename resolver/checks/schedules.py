"""deployment_settings.default_schedules: time expressions, recurrence, weekdays and workflow
parameters, as the reference checks them at upload (code 1; its time errors have no code).
The shapes of the fields are the schema's (schemas/blueprint.schema.json).

`timezone` is judged only where the reference uses it, to read an absolute `since` or `until`:
it must then name an IANA time zone, exactly as written. The reference asks pytz; we ask the
standard library's `zoneinfo` (the system's time-zone database, else the `tzdata` package), whose
keys are pytz's list plus two that are not zones. Without any database the rule is not judged
rather than guessed.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime

from ..load import value_mark_in
from ..merge import Blueprint
from ..nodes import Model
from ..problems import Problems
from ..shared import Shared

WEEKDAYS = ("su", "mo", "tu", "we", "th", "fr", "sa")
# one period: a number, an optional blank, a unit (singular or plural, long or short)
_DELTA = re.compile(r"^(\d+) ?(min(ute)?|h(our)?|d(ay)?|w(eek)?|mo(nth)?|y(ear)?)s?$")
# the relative parts of a '+' expression, as the reference finds them (anything else is ignored)
_RELATIVE_PART = re.compile(r"(\+\d+ ?[a-z]+ ?)")
_ABSOLUTE_FORMATS = ("%Y-%m-%d %H:%M", "%H:%M")
# keys of the database that name no zone: the machine's own setting, and the placeholder zone
_NOT_ZONES = frozenset(("localtime", "Factory"))


def check(blueprint: Blueprint, model: Model, problems: Problems, shared: Shared) -> None:
    settings = blueprint.scalars.get("deployment_settings")
    schedules = settings.get("default_schedules") if isinstance(settings, dict) else None
    if not isinstance(schedules, dict):
        return
    for name, schedule in schedules.items():
        if schedule is None:  # the reference reads its keys, and fails
            problems.add("schedule-invalid", f"default schedule {name!r} is null", value_mark_in(schedules, name),
                         hint="Give the schedule its workflow and times, or remove it.")
        if isinstance(schedule, dict):
            for fault, key in _faults(schedule):
                problems.add("schedule-invalid", f"default schedule {name!r}: {fault}",
                             value_mark_in(schedule, key) or value_mark_in(schedules, name))


def _faults(schedule: dict):
    recurrence = schedule.get("recurrence")
    if isinstance(recurrence, str) and recurrence and not _DELTA.match(recurrence):
        yield f"recurrence {recurrence!r} is not a time delta such as '1 day' or '2h'", "recurrence"
    absolute = False
    for key in ("since", "until"):
        value = schedule.get(key)
        if isinstance(value, str) and value:
            fault = _time_fault(value)
            if fault:
                yield f"{key}: {fault}", key
            absolute = absolute or (fault is None and not value.startswith("+"))
    timezone = schedule.get("timezone")
    if absolute and isinstance(timezone, str) and timezone and _zones() and timezone not in _zones():
        yield f"timezone {timezone!r} is not an IANA time zone (such as 'UTC' or 'Europe/Paris'; case matters)", \
            "timezone"
    weekdays = schedule.get("weekdays")
    for day in weekdays if isinstance(weekdays, list) else ():
        if isinstance(day, str) and day.lower()[-2:] not in WEEKDAYS:
            yield f"{day!r} is not a weekday ({', '.join(WEEKDAYS)}, optionally prefixed as in 2mo or l-fr)", \
                "weekdays"
    parameters = schedule.get("workflow_parameters")
    if isinstance(parameters, dict):
        runtime = "get_attribute" in parameters or any(
            isinstance(value, dict) and "get_attribute" in value for value in parameters.values())
        if runtime:
            yield "workflow_parameters cannot hold get_attribute (a runtime property)", "workflow_parameters"


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset:
    import zoneinfo  # with sysconfig behind it: only for a blueprint that names a time zone

    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def _time_fault(expression: str) -> str | None:
    if expression.startswith("+"):
        for part in _RELATIVE_PART.findall(expression):
            if not _DELTA.match(part[1:]):
                return f"{part.strip()!r} is not a time delta"
        return None
    for pattern in _ABSOLUTE_FORMATS:
        try:
            datetime.strptime(expression, pattern)
            return None
        except ValueError:
            continue
    return f"{expression!r} is neither 'YYYY-MM-DD HH:MM', 'HH:MM' nor '+N units'"
