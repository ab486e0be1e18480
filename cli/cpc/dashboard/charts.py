"""Charts as inline SVG, for pages that open offline: a line chart, stacked bars by day or month
(with an optional goal line) and horizontal bars that go left or right of zero. Each mark carries
a <title>, so hovering shows its value. The figures come from the marts as they are; these
functions only place them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

#: Series colours (colour-blind friendly, Okabe-Ito and Tableau), in order of use.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#6F4E7C", "#999999", "#1B9E77")
UP, DOWN = "#C0392B", "#1E8449"

Number = float | int
Format = Callable[[float], str]


def money(value: float | None) -> str:
    """1234.5 -> '1,234.50'."""
    return "" if value is None else f"{value:,.2f}"


def percent(value: float | None) -> str:
    """0.0512 -> '5.1 %'."""
    return "" if value is None else f"{value * 100:.1f} %"


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (zero included when the range spans it)."""
    if high == low:
        high, low = (high + 1, low - 1) if high == 0 else (max(high, 0) * 1.1 or 1, min(low, 0))
    step = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(step))
    step = next(factor * magnitude for factor in (1, 2, 2.5, 5, 10) if factor * magnitude >= step)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value < high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


class _Frame:
    """The plot area of a chart and its y scale."""

    def __init__(self, width: int, height: int, low: float, high: float, left: int = 84,
                 bottom: int = 46) -> None:
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, 16, 14, bottom
        self.ticks = _nice_ticks(min(low, 0.0), max(high, 0.0))
        self.low, self.high = self.ticks[0], self.ticks[-1]

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1
        return self.top + self.plot_height * (1 - (value - self.low) / span)

    def axes(self, fmt: Format, labels: Sequence[str], centers: Sequence[float]) -> list[str]:
        parts = []
        for tick in self.ticks:
            y = self.y(tick)
            parts.append(f'<line class="grid" x1="{self.left}" x2="{self.width - self.right}" '
                         f'y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
            parts.append(f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                         f'font-size="11" fill="#555">{escape(fmt(tick))}</text>')
        zero = self.y(0)
        parts.append(f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{zero:.1f}" '
                     f'y2="{zero:.1f}" stroke="#888"/>')
        every = max(1, math.ceil(len(labels) / 10))
        for index, (label, x) in enumerate(zip(labels, centers, strict=True)):
            if index % every == 0 or index == len(labels) - 1 and len(labels) <= 10:
                parts.append(f'<text x="{x:.1f}" y="{self.height - self.bottom + 16}" '
                             f'text-anchor="middle" font-size="11" fill="#555">'
                             f'{escape(label)}</text>')
        return parts


def _svg(width: int, height: int, label: str, parts: list[str], legend: list[tuple[str, str]]) -> str:
    keys = "".join(
        f'<span class="key"><span class="swatch" style="background:{colour}"></span>'
        f"{escape(name)}</span>" for name, colour in legend
    )
    return (
        f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        + "".join(parts) + "</svg>"
        + (f'<div class="legend">{keys}</div>' if legend else "")
    )


def line_chart(labels: Sequence[str], series: dict[str, Sequence[Number | None]], label: str,
               fmt: Format = money, width: int = 880, height: int = 260,
               marks: dict[str, int] | None = None) -> str:
    """One line per series over the labels (days or months); None leaves a gap. ``marks`` puts
    a dot on one point of a series (series name -> index), e.g. a spike."""
    values = [value for points in series.values() for value in points if value is not None]
    frame = _Frame(width, height, min(values, default=0.0), max(values, default=1.0))
    count = max(len(labels), 1)
    step = frame.plot_width / max(count - 1, 1)
    xs = [frame.left + index * step for index in range(len(labels))]
    parts = frame.axes(fmt, labels, xs)
    legend = []
    for position, (name, points) in enumerate(series.items()):
        colour = PALETTE[position % len(PALETTE)]
        legend.append((name, colour))
        path, pen_down = [], False
        for x, value in zip(xs, points, strict=True):
            if value is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{x:.1f},{frame.y(value):.1f}")
            pen_down = True
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, day, value in zip(xs, labels, points, strict=True):
            if value is not None:
                parts.append(f'<circle cx="{x:.1f}" cy="{frame.y(value):.1f}" r="{2.5 if count < 120 else 1.2}" '
                             f'fill="{colour}"><title>{escape(name)} {escape(day)}: '
                             f"{escape(fmt(value))}</title></circle>")
        if marks and name in marks and points[marks[name]] is not None:
            index = marks[name]
            parts.append(f'<circle cx="{xs[index]:.1f}" cy="{frame.y(points[index]):.1f}" r="6" '
                         f'fill="none" stroke="{UP}" stroke-width="2"/>')
    return _svg(width, height, label, parts, legend if len(series) > 1 else [])


def stacked_bars(labels: Sequence[str], series: dict[str, Sequence[Number]], label: str,
                 fmt: Format = money, goal: float | None = None, goal_label: str = "goal",
                 width: int = 880, height: int = 280) -> str:
    """Bars per label with one segment per series, positive parts stacked up from zero and
    negative ones (credits) down; ``goal`` draws a dashed line at that value."""
    ups = [sum(max(points[i], 0) for points in series.values()) for i in range(len(labels))]
    downs = [sum(min(points[i], 0) for points in series.values()) for i in range(len(labels))]
    frame = _Frame(width, height, min(downs, default=0.0),
                   max([*ups, goal or 0.0], default=1.0))
    slot = frame.plot_width / max(len(labels), 1)
    bar = max(slot * 0.7, 1)
    centers = [frame.left + slot * (index + 0.5) for index in range(len(labels))]
    parts = frame.axes(fmt, labels, centers)
    legend = []
    up_base = [0.0] * len(labels)
    down_base = [0.0] * len(labels)
    for position, (name, points) in enumerate(series.items()):
        colour = PALETTE[position % len(PALETTE)]
        legend.append((name, colour))
        for index, value in enumerate(points):
            if not value:
                continue
            base = up_base if value > 0 else down_base
            start, end = base[index], base[index] + value
            base[index] = end
            top, bottom = frame.y(max(start, end)), frame.y(min(start, end))
            parts.append(
                f'<rect x="{centers[index] - bar / 2:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}"><title>{escape(labels[index])} '
                f"{escape(name)}: {escape(fmt(value))}</title></rect>"
            )
    if goal is not None:
        y = frame.y(goal)
        parts.append(f'<line x1="{frame.left}" x2="{width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{UP}" stroke-width="2" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{width - frame.right - 4}" y="{y - 5:.1f}" text-anchor="end" '
                     f'font-size="12" fill="{UP}">{escape(goal_label)}</text>')
    return _svg(width, height, label, parts, legend)


def diverging_bars(labels: Sequence[str], values: Sequence[Number], label: str,
                   fmt: Format = money, width: int = 880, up_is_good: bool = False) -> str:
    """One horizontal bar per label from zero: increases to the right, decreases to the left;
    a cost going up is red and going down green (the other way round with ``up_is_good``)."""
    row, left_margin = 24, 190
    height = row * max(len(labels), 1) + 34
    extent = max((abs(value) for value in values), default=1.0) or 1.0
    middle = left_margin + (width - left_margin - 20) / 2
    half = (width - left_margin - 20) / 2 - 70
    parts = [f'<line x1="{middle:.1f}" x2="{middle:.1f}" y1="4" y2="{height - 26}" stroke="#888"/>']
    for index, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = 6 + index * row
        length = abs(value) / extent * half
        x = middle if value >= 0 else middle - length
        colour = UP if (value >= 0) != up_is_good else DOWN
        parts.append(f'<text x="{left_margin - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
                     f'fill="#222">{escape(name)}</text>')
        parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{max(length, 1):.1f}" height="{row - 6}" '
                     f'fill="{colour}"><title>{escape(name)}: {escape(fmt(value))}</title></rect>')
        text_x = middle + length + 6 if value >= 0 else middle - length - 6
        anchor = "start" if value >= 0 else "end"
        sign = "+" if value > 0 else ""
        parts.append(f'<text x="{text_x:.1f}" y="{y + 15}" text-anchor="{anchor}" font-size="11" '
                     f'fill="#333">{sign}{escape(fmt(value))}</text>')
    parts.append(f'<text x="{middle:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" '
                 f'fill="#555">0</text>')
    return _svg(width, height, label, parts, [])
