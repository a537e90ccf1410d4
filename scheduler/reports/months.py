"""Report months: read from the address, named in the user's language, bounded in local time."""

import re
from datetime import MINYEAR, date, timedelta

from babel.dates import format_skeleton
from flask_babel import get_locale

from scheduler.shifts.weeks import is_plannable, local_today

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
