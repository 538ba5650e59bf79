"""Charts drawn on the server as inline SVG: no JavaScript, no chart library.

Each :class:`Chart` is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (read by
screen readers), a legend in text, and the same figures as a table (``columns``/``rows``)
that the page shows under the chart. The SVG scales to its container (``viewBox``), so
it fits its card; below 420 px wide it scrolls inside its card (like a wide table) so its
text stays readable on a phone. Colours come from a palette whose every colour has a contrast of
at least 3:1 on white (WCAG 1.4.11, graphical objects); series are also told apart by
the legend's text and the table, never by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from math import log10

from markupsafe import Markup

PALETTE = (
    "#0b5cad",
    "#b45309",
    "#047857",
    "#7c3aed",
    "#be123c",
    "#0e7490",
    "#4d7c0f",
    "#9d174d",
    "#475569",
    "#a16207",
    "#1d4ed8",
    "#15803d",
)
INK = "#1f2328"
MUTED = "#57606a"
GRID = "#d0d7de"
WIDTH = 520
FONT = 'font-family="-apple-system, PingFang SC, Noto Sans CJK SC, sans-serif"'


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    description: str
    svg: Markup
    legend: tuple[tuple[str, str], ...] = ()
    """(colour, label) of each series."""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    power = 10 ** int(log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _open(chart_id: str, title: str, description: str, height: int) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg" {FONT}>',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
    ]


def _y_axis(left: int, top: int, width: int, height: int, top_value: float) -> list[str]:
    parts = []
    for i in range(5):
        value = top_value * i / 4
        y = top + height - height * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="13" fill="{MUTED}" '
            f'text-anchor="end">{_number(value)}</text>'
        )
    return parts


def stacked_bars(
    chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str
) -> Chart:
    """Bars per label (e.g. per week), stacked by series (e.g. request kind)."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    left, top, plot_w, plot_h = 44, 12, WIDTH - 56, 200
    height = top + plot_h + 28
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.6
    description = (
        f"{title}：共{_number(sum(totals))}{unit}，按{len(labels)}个周期、{len(series)}个类别堆叠。"
    )
    parts = _open(chart_id, title, description, height)
    parts += _y_axis(left, top, plot_w, plot_h, top_value)
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        y = float(top + plot_h)
        for n, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = plot_h * value / top_value
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(label)} '
                f"{escape(s.label)}：{_number(value)}{escape(unit)}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 18}" font-size="13" '
            f'fill="{INK}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    legend = tuple((PALETTE[n % len(PALETTE)], s.label) for n, s in enumerate(series))
    rows = tuple((s.label, *(_number(v) for v in s.values), _number(sum(s.values))) for s in series)
    return Chart(
        chart_id,
        title,
        description,
        Markup("".join(parts)),
        legend,
        ("类别", *labels, "合计"),
        (*rows, ("合计", *(_number(t) for t in totals), _number(sum(totals)))),
    )


def line(
    chart_id: str, title: str, labels: Sequence[str], values: Sequence[float | None], *, unit: str
) -> Chart:
    """A line through the values (a gap where a value is None), with a dot per value."""
    known = [v for v in values if v is not None]
    top_value = _nice_max(max(known, default=0))
    left, top, plot_w, plot_h = 44, 12, WIDTH - 56, 160
    height = top + plot_h + 28
    slot = plot_w / max(len(labels), 1)
    description = f"{title}：" + "，".join(
        f"{label} {'无数据' if v is None else _number(v) + unit}"
        for label, v in zip(labels, values, strict=True)
    )
    parts = _open(chart_id, title, description, height)
    parts += _y_axis(left, top, plot_w, plot_h, top_value)
    points: list[list[tuple[float, float]]] = [[]]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + slot * i + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" font-size="13" fill="{INK}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
        if value is None:
            points.append([])
            continue
        y = top + plot_h - plot_h * value / top_value
        points[-1].append((x, y))
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}：{_number(value)}{escape(unit)}</title></circle>"
        )
    for run in points:
        if len(run) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
            )
    parts.append("</svg>")
    rows = tuple(
        (label, "—" if v is None else _number(v)) for label, v in zip(labels, values, strict=True)
    )
    return Chart(
        chart_id,
        title,
        description,
        Markup("".join(parts)),
        (),
        ("周期", f"中位数（{unit}）"),
        rows,
    )


def rate_bars(
    chart_id: str, title: str, labels: Sequence[str], rates: Sequence[float], *, basis: str
) -> Chart:
    """Horizontal bars of rates between 0 and 1, labelled in percent."""
    row_h, label_w, top = 26, 190, 8
    plot_w = WIDTH - label_w - 56
    height = top + row_h * max(len(labels), 1) + 8
    description = f"{title}（{basis}），共{len(labels)}项。"
    parts = _open(chart_id, title, description, height)
    for i, (label, rate) in enumerate(zip(labels, rates, strict=True)):
        y = top + row_h * i
        w = plot_w * max(0.0, min(rate, 1.0))
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" font-size="13" fill="{INK}" '
            f'text-anchor="end">{escape(short)}<title>{escape(label)}</title></text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 5}" width="{plot_w}" height="16" fill="#eef1f4"/>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="16" fill="{PALETTE[2]}">'
            f"<title>{escape(label)}：{rate:.0%}</title></rect>"
        )
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + 17}" font-size="13" '
            f'fill="{INK}">{rate:.0%}</text>'
        )
    parts.append("</svg>")
    rows = tuple((label, f"{rate:.1%}") for label, rate in zip(labels, rates, strict=True))
    return Chart(
        chart_id, title, description, Markup("".join(parts)), (), ("处理目的", "同意率"), rows
    )
