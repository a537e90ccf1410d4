"""The report's 12-month trends: the same functions as its tables, over a run of months.

Each figure is one grouped query for all the months (``month_of``), so the trend costs a
few queries whatever the number of months, and the last month's point is the month's table.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from scheduler.reports.charts import Chart, Series, bar_chart, line_chart
from scheduler.reports.hours import ServiceHours
from scheduler.reports.monthly import (
    CareFigures,
    RequestFigures,
    care_figures,
    hours_by_month,
    request_figures,
    summed,
)
from scheduler.reports.months import month_label, months_up_to

TREND_MONTHS = 12
HIGHEST_RATING = 5


@dataclass(frozen=True)
class MonthPoint:
    month: date
    hours: ServiceHours
    care: CareFigures
    requests: RequestFigures


def monthly_trend(station_id: int, last: date, count: int = TREND_MONTHS) -> list[MonthPoint]:
    """The ``count`` months up to ``last``, oldest first."""
    months = months_up_to(last, count)
    hours = hours_by_month(station_id, months)
    care = care_figures(station_id, months)
    requests = request_figures(station_id, months)
    return [
        MonthPoint(
            month,
            hours[index],
            care[index],
            summed((row.figures for row in requests[index]), RequestFigures()),
        )
        for index, month in enumerate(months)
    ]


def trend_charts(points: list[MonthPoint]) -> list[Chart]:
    """The four charts of the report, each drawn from the trend's points (so from the tables' functions)."""
    # Twelve labels under a phone-wide chart: the month's number fits; the table names it in full.
    months = [str(point.month.month) for point in points]
    names = [month_label(point.month) for point in points]

    def series(label: str, css_class: str, figure, in_hours: bool = False) -> Series:
        return Series(label, css_class, [figure(point) for point in points], in_hours)

    return [
        bar_chart(
            "chart-hours",
            _("Hours of service by kind of work"),
            months,
            names,
            [
                series(_("On shifts and activities"), "chart-a", lambda point: point.hours.shift_hours, True),
                series(_("At residents’ homes"), "chart-b", lambda point: point.hours.task_hours, True),
            ],
        ),
        bar_chart(
            "chart-visits",
            _("Home visits: residents due a monthly visit, and visited"),
            months,
            names,
            [
                series(_("Due a visit"), "chart-a", lambda point: point.care.due),
                series(_("Visited"), "chart-b", lambda point: point.care.due_visited),
            ],
        ),
        bar_chart(
            "chart-requests",
            _("Residents’ requests: asked for and done"),
            months,
            names,
            [
                series(_("Asked for"), "chart-a", lambda point: point.requests.received),
                series(_("Done"), "chart-b", lambda point: point.requests.done),
            ],
        ),
        line_chart(
            "chart-rating",
            _("Average rating of requests done, out of 5"),
            months,
            names,
            series(_("Average rating"), "chart-a", lambda point: point.requests.average_rating),
            top=HIGHEST_RATING,
        ),
    ]
