"""Issue 7: a default schedule's `timezone`, judged as the reference judges it.

The reference reads `timezone` only to turn an absolute `since` or `until` into UTC, and then
refuses a name that is not in pytz's list of IANA zones (exactly as written). Each verdict below
is the reference's (cloudify-common 7.0.5), from running it on the same schedule.
"""
from __future__ import annotations

import zoneinfo

import pytest

from tests.conftest import blueprint, codes, places

SCHEDULE = """\
deployment_settings:
  default_schedules:
    nightly:
      workflow: install
      since: '{since}'
      timezone: '{timezone}'
"""

pytestmark = pytest.mark.skipif(not zoneinfo.available_timezones(),
                                reason="no time-zone database on this machine: the rule is not judged")


@pytest.mark.parametrize("since, timezone, ok", [
    ("2030-01-01 10:00", "UTC", True),
    ("2030-01-01 10:00", "Asia/Jerusalem", True),
    ("2030-01-01 10:00", "US/Pacific", True),   # a backward-compatible link is a key too
    ("2030-01-01 10:00", "Etc/GMT+2", True),
    ("2030-01-01 10:00", "", True),             # no timezone: the machine's own
    ("10:30", "Mars/Base", False),
    ("2030-01-01 10:00", "utc", False),          # case matters
    ("2030-01-01 10:00", "+02:00", False),
    ("2030-01-01 10:00", "GMT+2", False),
    ("2030-01-01 10:00", "localtime", False),    # a key of the database, not a zone
    ("+1h", "Mars/Base", True),                  # a relative time does not read the timezone
])
def test_timezone_of_an_absolute_time(bp, since, timezone, ok):
    result = bp({"blueprint.yaml": blueprint(SCHEDULE.format(since=since, timezone=timezone))})
    assert result.ok == ok, codes(result)
    if not ok:
        assert places(result, bp.root) == [("schedule-invalid", "blueprint.yaml", 9, 17)]


def test_until_absolute_reads_the_timezone_too(bp):
    text = SCHEDULE.format(since="+1h", timezone="Mars/Base") + "      until: '2031-01-01 00:00'\n"
    assert codes(bp({"blueprint.yaml": blueprint(text)})) == ["schedule-invalid"]
