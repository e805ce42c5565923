"""Time: parsing export timestamps, a business-day calendar, and turning the
time phrases of an ETA ("by Friday", "within two business days") into a deadline.

Everything here is pure: no clock is read; the moment a reply was sent is always
passed in, so results do not depend on when the audit runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_ABBREV = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Outside these, a timestamp is a placeholder or an encoding slip (0, -5, an
# epoch in microseconds read as milliseconds), not a support message; taken as
# it is, it would become the newest message and so everyone's "now".
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_PLAUSIBLE = datetime(2100, 1, 1, tzinfo=UTC)
# Zone names with one meaning, read where a stamp writes one; the US ones as
# email.utils reads them. Other abbreviations (CEST, IST) are refused: ambiguous.
_UTC_NAMES = {"UT", "UTC", "GMT", "Z", "ZULU"}
_US_ZONE_NAMES = {"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
                  "AST": -4, "ADT": -3}
# The time of day; what follows it in a stamp is its zone.
_TIME_OF_DAY = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?\s?[Mm]\b\.?)?")
# "+0200", "+02:00", "-5", "GMT+0200", "UTC+05:30", "GMT-4", and Go's "+0200 CEST"
# (the offset says it; the name after it is a note).
_OFFSET = re.compile(r"(?:(?:UTC|GMT|UT)\s*)?(?P<sign>[+-])\s*(?:(?P<hh>\d{2}):?(?P<mm>\d{2})|(?P<h>\d{1,2})(?::(?P<m>\d{2}))?)"
                     r"(?:\s+[A-Za-z]{1,6})?", re.IGNORECASE)
# A zone's name in brackets after the zone: JavaScript's "(Central European Summer Time)", Java's "[Europe/Berlin]".
_ZONE_COMMENT = re.compile(r"\s*(?:\(([^()]*)\)|\[([^\[\]]*)\])\s*$")
_TWELVE_HOUR = re.compile(r"\b(\d{1,2}):(\d{2})(:\d{2})?\s*([ap])\.?m\b\.?", re.IGNORECASE)


class TimeError(ValueError):
    """A timestamp or time zone that cannot be read; the message says which."""


def zone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeError(f"unknown time zone {name!r} (use an IANA name such as 'Europe/Berlin' or 'UTC')") from None


def parse_timestamp(value: object, default_zone: tzinfo) -> datetime:
    """An export timestamp as an aware datetime. Accepts ISO 8601, RFC 2822 mail
    dates, the forms helpdesk exports and their tools write (Ruby/Rails
    "2025-07-08 09:00:00 UTC", JavaScript "Tue Jul 08 2025 09:00:00 GMT+0200
    (Central European Summer Time)", Unix date "Tue Jul  8 09:00:00 UTC 2025",
    Java "...+02:00[Europe/Berlin]", Jira "08/Jul/25 9:00 AM", "Jul 8, 2025 at
    9:00 AM GMT+2") and Unix epoch seconds or milliseconds. A zone written in
    the stamp (an offset, UTC/GMT/Z, a US zone name, an IANA name) is always
    used; only a stamp with none is read in ``default_zone`` (the team's zone).
    A zone part that cannot be read is an error, never dropped."""
    if isinstance(value, bool) or value is None:
        raise TimeError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return _plausible(_from_epoch(float(value), value), value)
    text = " ".join(str(value).replace("\u2212", "-").split())  # U+2212: a typographic minus in an offset
    if not text:
        raise TimeError("empty timestamp")
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _plausible(_from_epoch(float(text), value), value)
    clock, written_zone = _split_zone(text)
    parsed = _parse_clock(clock, text)
    if written_zone is not None:
        parsed = parsed.replace(tzinfo=written_zone)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_zone)
    return _plausible(parsed, value)


def _split_zone(text: str) -> tuple[str, tzinfo | None]:
    """The date-and-time part of ``text`` and the zone written after its time
    (None when there is none). Whatever follows the time must be a zone."""
    time_of_day = _TIME_OF_DAY.search(text)
    if time_of_day is None:
        return text, None
    clock, rest = text[:time_of_day.end()], text[time_of_day.end():].strip()
    year_last = re.fullmatch(r"(?:(.*?)\s+)?((?:19|20)\d\d)", rest)
    if year_last:  # Unix date and Java: "Tue Jul  8 09:00:00 UTC 2025"
        clock, rest = f"{text[:time_of_day.start()]}{year_last.group(2)} {time_of_day.group()}", year_last.group(1) or ""
    comment = _ZONE_COMMENT.search(rest)
    note = None
    if comment:  # "(Central European Summer Time)", "[Europe/Berlin]": says the zone; the offset, if any, says it better
        rest, note = rest[:comment.start()].strip(), (comment.group(1) or comment.group(2)).strip()
    if not rest:
        return clock, None if note is None else _named_zone(note, text)
    return clock, _written_zone(rest, text)


def _written_zone(part: str, text: str) -> tzinfo:
    offset = _OFFSET.fullmatch(part)
    if offset:
        hours, minutes = int(offset.group("h") or offset.group("hh")), int(offset.group("m") or offset.group("mm") or 0)
        sign = -1 if offset.group("sign") == "-" else 1
        shift = sign * timedelta(hours=hours, minutes=minutes)
        if minutes > 59 or not -timedelta(hours=12) <= shift <= timedelta(hours=14):
            raise TimeError(f"the offset {part!r} in {text!r} is not a time zone offset (they run from -12:00 to "
                            "+14:00); fix it in the export")
        return timezone(shift)
    if re.fullmatch(r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*", part):
        return _named_zone(part, text)
    raise TimeError(f"cannot read the time zone {part!r} in {text!r} (write an offset after the time, e.g. "
                    "2024-06-03T09:00:00+02:00, or UTC); it is not read as the team's time")


def _named_zone(name: str, text: str) -> tzinfo:
    upper = name.upper()
    if upper in _UTC_NAMES:
        return UTC
    if upper in _US_ZONE_NAMES:
        return timezone(timedelta(hours=_US_ZONE_NAMES[upper]))
    if "/" in name:  # an IANA name: Europe/Berlin, America/New_York
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    # Other abbreviations (CEST, IST, AEST) are ambiguous (IST: India, Israel,
    # Ireland) and so are long names ("Central European Summer Time") without an offset.
    raise TimeError(f"unknown time zone name {name!r} in {text!r} (write the offset instead, e.g. "
                    "2024-06-03T09:00:00+02:00)")


def _parse_clock(clock: str, text: str) -> datetime:
    """The date and time without a zone: ISO 8601, Jira's "08/Jul/25 9:00 AM",
    and RFC 2822 dates with their looser relatives ("Jun 3, 2024 9:00 PM")."""
    try:
        clock = _TWELVE_HOUR.sub(_to_24_hour, re.sub(r",?\s+at\s+(?=\d)", " ", clock))
    except ValueError:
        raise TimeError(f"cannot read the timestamp {text!r} (an hour over 12 with AM/PM)") from None
    try:
        return datetime.fromisoformat(clock)
    except ValueError:
        pass
    for form in ("%d/%b/%y %H:%M", "%d/%b/%Y %H:%M", "%d/%b/%y %H:%M:%S", "%d/%b/%Y %H:%M:%S"):
        try:
            return datetime.strptime(clock, form)
        except ValueError:
            continue
    try:
        parsed = parsedate_to_datetime(clock)
    except (TypeError, ValueError, IndexError):
        raise TimeError(f"cannot read the timestamp {text!r} (use ISO 8601, e.g. 2024-06-11T14:05:00+05:30)") from None
    return parsed


def _to_24_hour(m: re.Match[str]) -> str:
    hour = int(m.group(1))
    if not 1 <= hour <= 12:
        raise ValueError(f"hour {hour} with AM/PM")
    hour = hour % 12 + (12 if m.group(4).lower() == "p" else 0)
    return f"{hour:02d}:{m.group(2)}{m.group(3) or ''}"


def _plausible(moment: datetime, value: object) -> datetime:
    if not EARLIEST_PLAUSIBLE <= moment < LATEST_PLAUSIBLE:
        raise TimeError(f"the timestamp {value!r} is the year {moment.year}, not a plausible date for a message "
                        f"(before {EARLIEST_PLAUSIBLE.year} or after {LATEST_PLAUSIBLE.year - 1}); fix it in the export")
    return moment


def _from_epoch(seconds: float, value: object) -> datetime:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise TimeError(f"the timestamp {value!r} is not a plausible date for a message; fix it in the export") from None


def to_utc_text(moment: datetime) -> str:
    """The form stored in the database: sortable as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_utc_text(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are working days, in which time zone."""

    zone: tzinfo
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    holidays: frozenset[date] = frozenset()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """``days`` business days after ``start``: a message on a weekend starts
        the clock at the beginning of the next business day."""
        local = self.local(start)
        if not self.is_business_day(local.date()):
            local = datetime.combine(self._next_business_day(local.date()), time(0), tzinfo=self.zone)
        day = local.date()
        for _ in range(days):
            day = self._next_business_day(day)
        return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=self.zone)

    def business_days_between(self, start: datetime, end: datetime) -> float:
        """Business time from ``start`` to ``end``, in days (weekends and holidays
        do not count)."""
        if end <= start:
            return 0.0
        a, b = self.local(start), self.local(end)
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_business_day(day):
                lo = max(a, datetime.combine(day, time(0), tzinfo=self.zone))
                hi = min(b, datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone))
                if hi > lo:
                    total += (hi - lo).total_seconds() / 86400.0
            day += timedelta(days=1)
        return total

    def _next_business_day(self, day: date) -> date:
        day += timedelta(days=1)
        for _ in range(400):
            if self.is_business_day(day):
                return day
            day += timedelta(days=1)
        raise TimeError("the business calendar has no working day in a year (check audit.business-days)")


# -- ETA phrases -> deadlines ---------------------------------------------------

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "a few": 3, "few": 3, "a couple": 2, "a couple of": 2, "couple of": 2,
}
_DURATION = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|a\s+couple(?:\s+of)?|couple\s+of|a\s+few|few|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
    r"\s*(?:(?:-|to|or)\s*(?P<upper>\d+|two|three|four|five))?\s*(?:more\s+)?"
    r"(?P<business>business\s+|working\s+)?(?:calendar\s+)?"
    r"(?P<unit>minutes?|mins?|hours?|hrs?|h|days?|weeks?|wks?|months?)\b", re.IGNORECASE)
_DAY_OR_TWO = re.compile(r"\ba\s+(?P<unit>day|week)\s+or\s+(?:two|so)\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_MONTH_DAY = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE)
_QUARTER = re.compile(r"\bq([1-4])\b", re.IGNORECASE)


def eta_deadline(phrases: list[str] | tuple[str, ...], sent: datetime, calendar: BusinessCalendar) -> datetime | None:
    """The latest moment an ETA given at ``sent`` allows, or None when none of
    its time phrases can be pinned to a moment. Generous on purpose: "by
    Friday" means the end of Friday, so ``eta-missed`` does not fire early."""
    deadlines = [d for d in (_phrase_deadline(p, calendar.local(sent), calendar) for p in phrases) if d is not None]
    return max(deadlines) if deadlines else None


def _end_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


def _phrase_deadline(phrase: str, sent: datetime, cal: BusinessCalendar) -> datetime | None:
    p = " ".join(phrase.lower().split())
    today = sent.date()
    zone_ = sent.tzinfo or cal.zone
    if "day after tomorrow" in p:
        return _end_of(today + timedelta(days=2), zone_)
    if re.search(r"\b(tomorrow|tmrw|tmr|tomorow)", p):
        return _end_of(today + timedelta(days=1), zone_)
    if re.search(r"\b(today|tonight|eod|cob|eob)\b|end of (the |this )?(day|today|business|shift)", p):
        return _end_of(today, zone_)
    if re.search(r"\bnext (business|working) day\b", p):
        return _end_of(cal.add_business_days(sent, 1).date(), zone_)
    if re.search(r"\b(next|following|coming) week\b", p):
        return _end_of(today + timedelta(days=13 - today.weekday()), zone_)
    if re.search(r"\b(this week|eow|end of (the |this )?week|this weekend|weekend)\b", p):
        return _end_of(today + timedelta(days=6 - today.weekday()), zone_)
    if re.search(r"\b(next|following|coming) month\b|end of next month", p):
        return _end_of(_month_end(_month_end(today) + timedelta(days=1)), zone_)
    if re.search(r"\b(this month|eom|end of (the |this )?month)\b", p):
        return _end_of(_month_end(today), zone_)
    m = _DAY_OR_TWO.search(p)
    if m:
        return sent + (timedelta(days=2) if m.group("unit") == "day" else timedelta(weeks=2))
    m = _DURATION.search(p)
    if m:
        return _duration_deadline(m, sent, cal)
    for name, index in [*((w, i) for i, w in enumerate(WEEKDAYS)), *_DAY_ABBREV.items()]:
        if re.search(rf"\b{name}\b", p):
            # "by Monday" or "next Monday" written on a Monday means a week on;
            # only "this Monday" is the same day.
            days = (index - today.weekday()) % 7 or (0 if re.search(rf"\bthis {name}\b", p) else 7)
            return _end_of(today + timedelta(days=days), zone_)
    m = _ISO_DATE.search(p)
    if m:
        try:
            return _end_of(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), zone_)
        except ValueError:
            return None
    m = _MONTH_DAY.search(p) or _DAY_MONTH.search(p)
    if m:
        month_name, day_text = (m.group(1), m.group(2)) if m.re is _MONTH_DAY else (m.group(2), m.group(1))
        return _next_date(MONTHS.index(month_name[:3].lower()) + 1, int(day_text), today, zone_)
    m = _QUARTER.search(p)
    if m:
        quarter_end = date(today.year, int(m.group(1)) * 3, 1)
        end = _month_end(quarter_end)
        if end < today:
            end = _month_end(date(today.year + 1, int(m.group(1)) * 3, 1))
        return _end_of(end, zone_)
    return None


def _duration_deadline(m: re.Match[str], sent: datetime, cal: BusinessCalendar) -> datetime:
    raw = " ".join((m.group("upper") or m.group("num")).lower().split())
    amount = float(raw) if re.fullmatch(r"\d+(\.\d+)?", raw) else float(_NUMBER_WORDS.get(raw, 1))
    unit = m.group("unit").lower()
    if unit.startswith(("min",)):
        return sent + timedelta(minutes=amount)
    if unit.startswith("h"):
        return sent + timedelta(hours=amount)
    if unit.startswith("d"):
        if m.group("business"):
            return cal.add_business_days(sent, max(1, round(amount)))
        return sent + timedelta(days=amount)
    if unit.startswith("w"):
        return sent + timedelta(weeks=amount)
    return sent + timedelta(days=31 * amount)


def _month_end(day: date) -> date:
    first_next = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _next_date(month: int, day: int, today: date, zone_: tzinfo) -> datetime | None:
    try:
        target = date(today.year, month, day)
    except ValueError:
        return None
    if (today - target).days > 180:  # "January 5" written in December means next year
        try:
            target = date(today.year + 1, month, day)
        except ValueError:
            return None
    return _end_of(target, zone_)
