"""Local dates and times of the community, and the UTC instants they stand for.

People plan in local time (Asia/Shanghai by default); the database stores UTC.
Every conversion between the two goes through here.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from scheduler.database import utcnow

# Dates outside these are typing mistakes (and would overflow date arithmetic at the edges).
FIRST_PLANNABLE_DAY = date(2000, 1, 1)
LAST_PLANNABLE_DAY = date(2099, 12, 31)


def is_plannable(day: date) -> bool:
    return FIRST_PLANNABLE_DAY <= day <= LAST_PLANNABLE_DAY


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def local_today() -> date:
    return to_local(utcnow()).date()


def local_to_utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=local_zone()).astimezone(UTC)


def local_span(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """UTC start and end of a shift on ``day``; an end at or before the start is the next day."""
    end_day = day + timedelta(days=1) if end <= start else day
    return local_to_utc(day, start), local_to_utc(end_day, end)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=offset) for offset in range(7)]


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """UTC instants of local Monday 00:00 and the next Monday 00:00."""
    return local_to_utc(monday, time()), local_to_utc(monday + timedelta(days=7), time())


def month_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC instants of the start of ``day``'s local month and of the next month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return local_to_utc(first, time()), local_to_utc(following, time())


def dates_between(first: date, last: date, weekdays: list[int]):
    """Every date from ``first`` to ``last`` whose ISO weekday (Monday = 1) is chosen."""
    day = first
    while day <= last:
        if day.isoweekday() in weekdays:
            yield day
        day += timedelta(days=1)
