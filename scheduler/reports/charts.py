"""Small server-side SVG charts: the geometry here, the markup in ``reports/_chart.html``.

Hand-made rather than pygal: four plain charts need bars, one line and an axis; a few
dozen lines of arithmetic keep the page free of a dependency, of inline styles (our CSP
forbids them; colours come from the stylesheet, so print and screen share them) and of
scripts. The viewBox is about as wide as a chart on a 360 px phone, so 11-unit text stays legible.
"""

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 300, 170
LEFT, RIGHT, TOP, BOTTOM = 28, 4, 8, 20
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 4


@dataclass(frozen=True)
class Series:
    label: str
    css_class: str  # chart-a, chart-b: the colour, from the stylesheet
    values: list[float | None]  # one per month; None: nothing to show (no rating that month)
    in_hours: bool = False  # written with the hours filter in the data table


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    ident: str
    title: str
    months: list[str]  # short labels under the axis
    month_names: list[str]  # in full, for the data table
    series: list[Series]
    ticks: list[Tick]
    bars: list[Bar]
    lines: list[tuple[str, str]]  # (css class, SVG points)
    dots: list[tuple[float, float, str]]
    label_xs: list[float]

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = TOP + PLOT_HEIGHT


def nice_top(largest: float) -> float:
    """The axis top: ``TICKS`` round steps (1, 2, 2.5, 3, 4 or 5 × a power of ten) reaching the largest."""
    if largest <= 0:
        return TICKS
    step = largest / TICKS
    power = 10 ** math.floor(math.log10(step))
    for factor in (1, 2, 2.5, 3, 4, 5, 10):
        if factor * power >= step:
            return factor * power * TICKS
    return largest  # unreachable: factor 10 always suffices


def _tick_label(value: float) -> str:
    return f"{value:g}"


def _y(value: float, top: float) -> float:
    return TOP + PLOT_HEIGHT * (1 - value / top)


def bar_chart(ident: str, title: str, months: list[str], names: list[str], series: list[Series]) -> Chart:
    """Bars side by side per month, one per series."""
    top = nice_top(max((value or 0 for each in series for value in each.values), default=0))
    slot = PLOT_WIDTH / len(months)
    width = slot * 0.8 / len(series)
    bars = [
        Bar(
            x=LEFT + slot * index + slot * 0.1 + width * place,
            y=_y(value or 0, top),
            width=width,
            height=PLOT_HEIGHT - (_y(value or 0, top) - TOP),
            css_class=each.css_class,
        )
        for place, each in enumerate(series)
        for index, value in enumerate(each.values)
    ]
    return _chart(ident, title, months, names, series, top, bars=bars)


def line_chart(
    ident: str, title: str, months: list[str], names: list[str], series: Series, top: float
) -> Chart:
    """A line through the months that have a value, on a fixed scale (ratings: 0 to 5)."""
    slot = PLOT_WIDTH / len(months)
    points = [
        (LEFT + slot * (index + 0.5), _y(value, top))
        for index, value in enumerate(series.values)
        if value is not None
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return _chart(
        ident,
        title,
        months,
        names,
        [series],
        top,
        lines=[(series.css_class, line)] if len(points) > 1 else [],
        dots=[(x, y, series.css_class) for x, y in points],
        steps=top,
    )


def _chart(ident, title, months, names, series, top, bars=(), lines=(), dots=(), steps=TICKS) -> Chart:
    slot = PLOT_WIDTH / len(months)
    ticks = [Tick(_y(top * step / steps, top), _tick_label(top * step / steps)) for step in range(steps + 1)]
    return Chart(
        ident=ident,
        title=title,
        months=months,
        month_names=names,
        series=series,
        ticks=ticks,
        bars=list(bars),
        lines=list(lines),
        dots=list(dots),
        label_xs=[LEFT + slot * (index + 0.5) for index in range(len(months))],
    )
