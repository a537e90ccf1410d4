"""How shift dates and times read in the user's language, in the community's time zone."""

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_skeleton
from flask_babel import get_locale

from scheduler.models import Shift
from scheduler.shifts.weeks import to_local


def day_label(day: date | datetime) -> str:
    """周一 3月2日 / Mon, Mar 2."""
    return _day_label(day.date() if isinstance(day, datetime) else day, get_locale())


@lru_cache(maxsize=4096)
def _day_label(day: date, locale) -> str:
    # A week board or /me names the same few days over and over; Babel's pattern matching is
    # most of what one costs.
    return format_skeleton("MMMEd", day, locale=locale)


def clock(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")


def moment(value: datetime) -> str:
    """3月2日周一 09:00: the one way a date and time reads on /me (shifts, tasks, deadlines)."""
    return f"{day_label(to_local(value))} {clock(value)}"


def time_span(starts_at: datetime, ends_at: datetime) -> str:
    """3月2日周一 09:00–11:30, with the end's day when the span runs past midnight."""
    same_day = to_local(starts_at).date() == to_local(ends_at).date()
    return f"{moment(starts_at)}–{clock(ends_at) if same_day else moment(ends_at)}"


def shift_time(shift: Shift) -> str:
    return time_span(shift.starts_at, shift.ends_at)


def shift_hours(shift: Shift) -> str:
    """09:00–11:30, for places where the day is already shown."""
    return f"{clock(shift.starts_at)}–{clock(shift.ends_at)}"


def hours(value: float) -> str:
    """Hours with at most one decimal: 2.5, 12."""
    return f"{value:.1f}".removesuffix(".0")


def local_month(moment: datetime) -> str:
    """2026-03: the local month a moment falls in, as month links name it."""
    return to_local(moment).strftime("%Y-%m")


def register_filters(state) -> None:
    state.app.jinja_env.filters.update(
        day_label=day_label,
        moment=moment,
        time_span=time_span,
        shift_time=shift_time,
        shift_hours=shift_hours,
        hours=hours,
        clock=clock,
        local_month=local_month,
    )
