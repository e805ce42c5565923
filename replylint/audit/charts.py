"""Chart geometry for the HTML report: pure functions from numbers to shapes
(rectangles, polylines, labels). The template draws them as inline SVG, so the
report needs no chart library, no script and no network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

AXIS_CHAR_PX = 6
AXIS_LABEL_GAP = 8
PALETTE = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#65a30d", "#db2777")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    label: str
    value: str
    css: str = "bar"
    title: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    css: str = "axis"


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    points: str  # "x,y x,y ..." for <polyline>
    dots: tuple[tuple[float, float, str], ...]  # (x, y, tooltip)


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...] = ()
    texts: tuple[Text, ...] = ()
    lines: tuple[Line, ...] = ()
    grid: tuple[tuple[float, float, float, float], ...] = ()
    legend: tuple[tuple[str, str], ...] = ()  # (name, colour)
    empty: bool = False
    description: str = ""
    extra: dict = field(default_factory=dict)


def label_width(labels: Sequence[str]) -> float:
    """Room an axis label needs, gap included: the axis font is 10 px, whose
    characters are at most ~6 px wide (digits ~5.6 px in the usual sans fonts)."""
    return max((len(lab) for lab in labels), default=0) * AXIS_CHAR_PX + AXIS_LABEL_GAP


def column_chart(title: str, items: Sequence[tuple[str, float]], *, width: int = 560, height: int = 240,
                 value_format: str = "{:g}", description: str = "") -> Chart:
    """Vertical bars, one per (label, value)."""
    left, right, top, bottom = 40, 10, 16, 34
    if not items:
        return Chart(title, width, height, empty=True, description=description)
    peak = max(v for _, v in items) or 1
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(items)
    bars, texts = [], []
    for i, (label, value) in enumerate(items):
        h = plot_h * value / peak
        x = left + i * step + step * 0.1
        bars.append(Bar(round(x, 1), round(top + plot_h - h, 1), round(step * 0.8, 1), round(h, 1), label,
                        value_format.format(value), title=f"{label}: {value_format.format(value)}"))
        texts.append(Text(round(x + step * 0.4, 1), height - bottom + 14, label))
        texts.append(Text(round(x + step * 0.4, 1), round(top + plot_h - h - 4, 1), value_format.format(value), css="value"))
    grid = tuple((left, round(top + plot_h * f, 1), width - right, round(top + plot_h * f, 1)) for f in (0, 0.5, 1))
    return Chart(title, width, height, tuple(bars), tuple(texts), grid=grid, description=description)


def bar_list_chart(title: str, items: Sequence[tuple[str, float]], *, maximum: float | None = None, width: int = 560,
                   row: int = 22, label_width: int = 250, value_format: str = "{:g}", css: Sequence[str] | None = None,
                   description: str = "") -> Chart:
    """Horizontal bars with labels on the left: rule frequency, compliance."""
    if not items:
        return Chart(title, width, 40, empty=True, description=description)
    peak = maximum or max(v for _, v in items) or 1
    plot_w = width - label_width - 60
    height = row * len(items) + 10
    bars, texts = [], []
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = max(1.0, plot_w * value / peak) if value else 0.0
        bars.append(Bar(label_width, y + 3, round(w, 1), row - 6, label, value_format.format(value),
                        css=(css[i] if css else "bar"), title=f"{label}: {value_format.format(value)}"))
        texts.append(Text(label_width - 6, y + row - 7, label, anchor="end", css="label"))
        texts.append(Text(round(label_width + w + 4, 1), y + row - 7, value_format.format(value), anchor="start", css="value"))
    return Chart(title, width, height, tuple(bars), tuple(texts), description=description)


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
               width: int = 560, height: int = 240, y_max: float = 100, description: str = "") -> Chart:
    """One polyline per series over shared x labels (weeks); None = no data."""
    left, right, top, bottom = 40, 34, 16, 40
    if not x_labels or not series:
        return Chart(title, width, height, empty=True, description=description)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(x_labels) - 1)
    lines = []
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        pts = []
        for i, v in enumerate(values):
            if v is None:
                continue
            x = left + (i * step if len(x_labels) > 1 else plot_w / 2)
            y = top + plot_h * (1 - min(v, y_max) / y_max)
            pts.append((round(x, 1), round(y, 1), f"{name}, {x_labels[i]}: {v:.0f}"))
        lines.append(Line(name, colour, " ".join(f"{x},{y}" for x, y, _ in pts), tuple(pts)))
    # Every n-th label, n chosen so neighbours never overlap however many weeks
    # there are (a quarter's 14 labels would sit ~37 px apart); each point's
    # tooltip still names its week.
    every = max(1, math.ceil(label_width(x_labels) / step)) if len(x_labels) > 1 else 1
    texts = [Text(round(left + (i * step if len(x_labels) > 1 else plot_w / 2), 1), height - bottom + 14, lab)
             for i, lab in enumerate(x_labels) if i % every == 0]
    texts += [Text(left - 4, round(top + plot_h * (1 - f) + 4, 1), f"{y_max * f:g}", anchor="end") for f in (0, 0.5, 1)]
    grid = tuple((left, round(top + plot_h * f, 1), width - right, round(top + plot_h * f, 1)) for f in (0, 0.5, 1))
    legend = tuple((line.name, line.colour) for line in lines)
    return Chart(title, width, height, texts=tuple(texts), lines=tuple(lines), grid=grid, legend=legend,
                 description=description)
