"""Report months: read from the address, named in the user's language, bounded in local time."""

import re
from datetime import MINYEAR, date, timedelta

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask_babel import get_locale

from scheduler.shifts.weeks import is_plannable, local_today, month_bounds

MONTH_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(text: str) -> date | None:
    """The first day of the month written YYYY-MM, or None for anything else."""
    match = MONTH_PATTERN.fullmatch(text)
    if match is None:
        return None
    year, month = (int(part) for part in match.groups())
    if not 1 <= month <= 12 or year < MINYEAR:
        return None
    first = date(year, month, 1)
    return first if is_plannable(first) else None


def this_month() -> date:
    return local_today().replace(day=1)


def previous_month(first: date) -> date | None:
    earlier = (first - timedelta(days=1)).replace(day=1)
    return earlier if is_plannable(earlier) else None


def next_month(first: date) -> date | None:
    """The following month, once it has begun: reports look back, plans live on the shift board."""
    later = (first + timedelta(days=32)).replace(day=1)
    return later if later <= this_month() else None


def month_key(first: date) -> str:
    """2026-03: the month as addresses and file names write it."""
    return first.strftime("%Y-%m")


def month_label(first: date) -> str:
    """2026年3月 / March 2026."""
    return format_skeleton("yMMMM", first, locale=get_locale())


def month_of(column, months: list[date]) -> sa.Case:
    """SQL: the index in ``months`` (consecutive, oldest first) of the local month ``column``
    falls in, NULL outside them, so that one grouped query gives a figure per month."""
    bounds = [month_bounds(first) for first in months]
    return sa.case(
        *((sa.and_(column >= since, column < until), index) for index, (since, until) in enumerate(bounds)),
        else_=None,
    )


def within_months(column, months: list[date]) -> sa.ColumnElement[bool]:
    """SQL: ``column`` falls in one of ``months`` (consecutive, oldest first)."""
    return sa.and_(column >= month_bounds(months[0])[0], column < month_bounds(months[-1])[1])


def months_up_to(last: date, count: int) -> list[date]:
    """The ``count`` months ending with ``last``, oldest first (fewer near the first plannable year)."""
    months = [last]
    while len(months) < count and (earlier := previous_month(months[0])) is not None:
        months.insert(0, earlier)
    return months
