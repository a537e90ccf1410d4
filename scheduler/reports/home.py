"""A person's own service hours on /me: this month and in all, by the one definition."""

from scheduler.reports.hours import hours_of
from scheduler.shifts.weeks import local_today, month_bounds


def my_hours(user) -> dict:
    return {"this_month": hours_of(user, month_bounds(local_today())), "in_all": hours_of(user)}
