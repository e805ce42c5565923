"""Time handling for thread checks: export timestamps, business days, ETA
phrases to deadlines (no clock is read anywhere)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from replylint.audit.timeutil import (
    BusinessCalendar,
    TimeError,
    eta_deadline,
    parse_timestamp,
    zone,
)

MONDAY_9 = datetime(2024, 6, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("value,expected", [
    ("2024-06-10T09:00:00Z", MONDAY_9),
    ("2024-06-10T14:30:00+05:30", MONDAY_9),
    ("2024-06-10 09:00:00", MONDAY_9),  # naive: the team's zone (UTC here)
    ("Mon, 10 Jun 2024 09:00:00 +0000", MONDAY_9),
    (1718010000, MONDAY_9),
    ("1718010000000", MONDAY_9),
])
def test_audit_time_parse_timestamp(value, expected):
    assert parse_timestamp(value, UTC) == expected


def test_audit_time_naive_timestamp_uses_team_zone():
    assert parse_timestamp("2024-06-10 14:30", zone("Asia/Kolkata")) == MONDAY_9


@pytest.mark.parametrize("bad", ["yesterday", "", "2024-13-45", None, True])
def test_audit_time_bad_timestamp_says_why(bad):
    with pytest.raises(TimeError):
        parse_timestamp(bad, UTC)


@pytest.mark.parametrize("value,expected", [
    ("Jun 10, 2024 9:00 PM", datetime(2024, 6, 10, 21, 0, tzinfo=UTC)),
    ("Jun 10, 2024 9:00 AM", MONDAY_9),
    ("Jun 10, 2024 12:30 AM", datetime(2024, 6, 10, 0, 30, tzinfo=UTC)),
    ("10 Jun 2024 12:30 p.m. GMT", datetime(2024, 6, 10, 12, 30, tzinfo=UTC)),
    ("Mon, 10 Jun 2024 11:00:00 +0200 (CEST)", MONDAY_9),  # a zone name in a comment, after the offset
])
def test_audit_time_twelve_hour_clock_and_zone_comments(value, expected):
    assert parse_timestamp(value, UTC) == expected


@pytest.mark.parametrize("bad,why", [
    (99999999999999, "the year 5138"),
    (0, "the year 1970"),
    (-5, "the year 1969"),
    ("1e300", "cannot read"),
    (1e300, "not a plausible date"),
    ("Mon, 10 Jun 2024 11:00:00 CEST", "unknown time zone name 'CEST'"),
    ("Jun 10, 2024 13:00 PM", "cannot read"),
])
def test_audit_time_implausible_dates_and_unknown_zone_names_are_refused(bad, why):
    with pytest.raises(TimeError, match=why):
        parse_timestamp(bad, UTC)


SEVEN_UTC = datetime(2025, 7, 8, 7, 0, tzinfo=UTC)
NINE_UTC = datetime(2025, 7, 8, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("value,expected", [
    # JavaScript's Date.toString (exports built in the browser): the offset, not the team's zone
    ("Tue Jul 08 2025 09:00:00 GMT+0200 (Central European Summer Time)", SEVEN_UTC),
    ("Tue Jul 08 2025 03:00:00 GMT-0400 (Eastern Daylight Time)", SEVEN_UTC),
    ("2025-07-08 09:00:00 UTC", NINE_UTC),  # Ruby/Rails Time#to_s (Zendesk, Intercom CSV)
    ("2025-07-08 09:00:00 +0200", SEVEN_UTC),
    ("2025-07-08 09:00 GMT", NINE_UTC),
    ("2025-07-08 09:00:00 Z", NINE_UTC),
    ("2025-07-08 09:00:00 GMT+2", SEVEN_UTC),
    ("2025-07-08 12:30:00 UTC+05:30", SEVEN_UTC),
    ("2025-07-08 09:00:00.123456789 +0200 CEST", SEVEN_UTC.replace(microsecond=123456)),  # Go's time.String
    ("2025-07-08T09:00:00+02:00[Europe/Berlin]", SEVEN_UTC),  # Java's ZonedDateTime
    ("2025-07-08 09:00:00 Europe/Berlin", SEVEN_UTC),
    ("Tue Jul  8 09:00:00 UTC 2025", NINE_UTC),  # Unix date
    ("July 8, 2025 at 9:00 AM GMT+2", SEVEN_UTC),
    ("Tuesday, July 8, 2025 9:00:00 AM GMT+02:00", SEVEN_UTC),
    ("2025-07-08T09:00:00\u221202:00", datetime(2025, 7, 8, 11, 0, tzinfo=UTC)),  # a typographic minus
    ("Tue, 08 Jul 2025 09:00:00 -0000", NINE_UTC),
])
def test_audit_time_offsets_written_in_helpdesk_stamps_are_read(value, expected):
    """User review: the JavaScript form was read in the team's zone (its offset
    dropped without a word) and the Rails form was refused."""
    assert parse_timestamp(value, zone("America/New_York")) == expected


@pytest.mark.parametrize("value,expected", [
    ("08/Jul/25 9:00 AM", datetime(2025, 7, 8, 13, 0, tzinfo=UTC)),  # Jira's CSV: no zone, the team's
    ("Tue Jul  8 09:00:00 2025", datetime(2025, 7, 8, 13, 0, tzinfo=UTC)),
    ("2025-07-08", datetime(2025, 7, 8, 4, 0, tzinfo=UTC)),
])
def test_audit_time_stamps_without_a_zone_are_the_teams(value, expected):
    assert parse_timestamp(value, zone("America/New_York")) == expected


@pytest.mark.parametrize("bad,why", [
    ("Tue Jul 08 09:00:00 CEST 2025", "unknown time zone name 'CEST'"),  # Java's Date.toString
    ("2025-07-08 09:00:00 (CEST)", "unknown time zone name 'CEST'"),
    ("Tue Jul 08 2025 09:00:00 (Central European Summer Time)", "unknown time zone name 'Central European"),
    ("2025-07-08 09:00:00 GMT+25", "not a time zone offset"),
    ("2025-07-08T09:00:00+02:75", "not a time zone offset"),
    ("2025-07-08T09:00:00+14:30", "not a time zone offset"),  # past +14:00 (review)
    ("2025-07-08T09:00:00-12:45", "not a time zone offset"),
    ("2025-07-08 09:00:00 UTC+", "cannot read the time zone 'UTC\\+'"),
    ("2025-07-08 09:00:00 GMT+0200 (CEST", "cannot read the time zone"),
    ("2025-07-08 09:00:00 Mars/Olympus", "unknown time zone name 'Mars/Olympus'"),
])
def test_audit_time_an_unreadable_zone_is_an_error_not_the_teams_time(bad, why):
    with pytest.raises(TimeError, match=why):
        parse_timestamp(bad, zone("America/New_York"))


@pytest.mark.parametrize("phrase,expected", [
    ("by Friday", datetime(2024, 6, 14, 23, 59, 59, tzinfo=UTC)),
    ("tomorrow EOD", datetime(2024, 6, 11, 23, 59, 59, tzinfo=UTC)),
    ("within two business days", datetime(2024, 6, 12, 9, 0, tzinfo=UTC)),
    ("in the next 4 hours", datetime(2024, 6, 10, 13, 0, tzinfo=UTC)),
    ("next week", datetime(2024, 6, 23, 23, 59, 59, tzinfo=UTC)),
    ("June 14", datetime(2024, 6, 14, 23, 59, 59, tzinfo=UTC)),
    ("2024-06-20", datetime(2024, 6, 20, 23, 59, 59, tzinfo=UTC)),
    ("in a day or two", datetime(2024, 6, 12, 9, 0, tzinfo=UTC)),
    # Written on a Monday, "Monday" is a week on (user review: eta-missed fired
    # at the end of the day the promise was made); "this Monday" is today.
    ("next Monday", datetime(2024, 6, 17, 23, 59, 59, tzinfo=UTC)),
    ("by Monday", datetime(2024, 6, 17, 23, 59, 59, tzinfo=UTC)),
    ("this Monday", datetime(2024, 6, 10, 23, 59, 59, tzinfo=UTC)),
])
def test_audit_time_eta_deadline(phrase, expected):
    assert eta_deadline([phrase], MONDAY_9, BusinessCalendar(UTC)) == expected


def test_audit_time_unpinned_eta_has_no_deadline():
    assert eta_deadline(["in an upcoming release"], MONDAY_9, BusinessCalendar(UTC)) is None


def test_audit_time_business_days_skip_weekends_and_holidays():
    cal = BusinessCalendar(UTC, holidays=frozenset({date(2024, 6, 17)}))
    friday = datetime(2024, 6, 14, 16, 0, tzinfo=UTC)
    assert cal.add_business_days(friday, 1) == datetime(2024, 6, 18, 16, 0, tzinfo=UTC)
    assert cal.business_days_between(friday, datetime(2024, 6, 18, 16, 0, tzinfo=UTC)) == pytest.approx(1.0)
    sunday_only = BusinessCalendar(UTC, workdays=frozenset({6}))
    assert sunday_only.add_business_days(friday, 1).date() == date(2024, 6, 23)
