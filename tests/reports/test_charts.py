"""The report's 12-month charts: drawn from the same functions as its tables, one SVG per
trend with an accessible name and a data table, at a constant number of queries."""

import re
from datetime import date

from scheduler.reports.charts import Series, bar_chart, nice_top
from scheduler.reports.monthly import monthly_report
from scheduler.reports.trend import TREND_MONTHS, monthly_trend
from tests.reports.conftest import MARCH, MARCH_URL, section

FEBRUARY = date(2025, 2, 1)


def figures_of_report(report) -> tuple:
    requests = report.request_total
    return (
        report.hours,
        report.care.due,
        report.care.due_visited,
        requests.received,
        requests.done,
        requests.average_rating,
    )


def figures_of_point(point) -> tuple:
    requests = point.requests
    return (
        point.hours,
        point.care.due,
        point.care.due_visited,
        requests.received,
        requests.done,
        requests.average_rating,
    )


def test_each_months_point_is_that_months_tables(app, station, march):
    """Catches a month put in its neighbour's place (the CASE's index) or a request counted in
    the month it arrived rather than the month it was done."""
    with app.app_context():
        trend = monthly_trend(station.id, MARCH)
        assert [point.month for point in trend][-2:] == [FEBRUARY, MARCH]
        assert len(trend) == TREND_MONTHS
        for point in trend:
            assert figures_of_point(point) == figures_of_report(monthly_report(station.id, point.month)), (
                point.month
            )
        march_point = trend[-1]
    # By hand (tests/reports/conftest.py): 11.5 h on shifts, 140 minutes at homes; 3 due, 2 visited;
    # 4 asked for, 3 done (one arrived in February), rated 5, 4 and 3.
    assert (march_point.hours.shift_hours, march_point.hours.task_minutes) == (11.5, 140)
    assert (march_point.care.due, march_point.care.due_visited) == (3, 2)
    assert (march_point.requests.received, march_point.requests.done) == (4, 3)
    assert march_point.requests.average_rating == 4.0


def test_chart_tables_read_out_the_same_figures_as_the_report(admin_client, march):
    """Catches a data table whose columns or months drift from its chart's series."""
    charts = section(admin_client.get(MARCH_URL).get_data(as_text=True), "trends-title")
    assert "按服务类别的服务时长 月份 值班和活动 上门服务 2024年4月 0 0" in charts
    assert "2025年2月 2.5 0.7 2025年3月 11.5 2.3" in charts
    assert "2025年2月 3 1 2025年3月 3 2" in charts  # due a visit, visited
    assert "居民点单：收到与办结 月份 点单 已完成 2024年4月 0 0" in charts
    assert "2025年2月 1 0 2025年3月 4 3" in charts
    assert "2025年2月 – 2025年3月 4.0" in charts  # no rating in February: a dash, not a zero


def test_each_chart_is_an_svg_named_by_its_title_with_neither_script_nor_style(admin_client, march):
    html = admin_client.get(MARCH_URL).get_data(as_text=True)
    svgs = re.findall(r"<svg class=\"chart-svg\"[^>]*>", html)
    assert len(svgs) == 4
    for svg in svgs:
        assert 'role="img"' in svg
        title_id = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
        assert re.search(rf'id="{title_id}"[^>]*>[^<]+<', html), title_id
    trends = html[html.index('id="trends-title"') :]
    trends = trends[: trends.index("</section>")]
    assert "<script" not in trends and "style=" not in trends
    assert trends.count('<table class="visually-hidden">') == 4


def test_bars_stand_on_the_baseline_in_proportion_to_their_values():
    """Catches bars drawn from the top, or on a scale the largest value overflows."""
    chart = bar_chart(
        "c",
        "t",
        ["1", "2"],
        ["一", "二"],
        [Series("s", "chart-a", [0, 10.0]), Series("s", "chart-b", [5, None])],
    )
    empty, full, half, missing = chart.bars[0], chart.bars[1], chart.bars[2], chart.bars[3]
    assert empty.height == 0 and missing.height == 0
    assert full.y + full.height == chart.baseline == half.y + half.height
    assert full.height == 2 * half.height
    assert nice_top(10) >= 10 and nice_top(11.5) >= 11.5 and nice_top(0.3) >= 0.3
