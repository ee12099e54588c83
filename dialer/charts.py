"""Charts drawn on the server as SVG: no script, readable at a glance, every figure also in the markup.

Each bar carries its figure (``data-count``) and a ``<title>`` (the browser's
tooltip, read by screen readers), so that tests compare the picture with the
call log. Every text given is escaped; colours read on the admin's light and
dark themes alike (text uses ``currentColor``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

COLOURS = {
    "answered": "#2e7d32",
    "no_answer": "#f9a825",
    "busy": "#ef6c00",
    "failed": "#c62828",
    "denied": "#6a1b9a",
    "other": "#78909c",
}
_FONT = 'font-family="sans-serif" font-size="12" fill="currentColor"'


@dataclass(frozen=True)
class Series:
    """One stacked series: its key (a colour of :data:`COLOURS`), its label, a value per column."""

    key: str
    label: str
    values: Sequence[int]


@dataclass(frozen=True)
class Column:
    """One column: its key (``data-column``), the label under it ("": none), its name in tooltips."""

    key: str
    label: str
    name: str


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, its value, the text written after it, its tooltip."""

    label: str
    value: float
    text: str
    tooltip: str


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 times 10^n that is at least ``value`` (an axis's top); 1 for nothing."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def stacked_columns(title: str, columns: Sequence[Column], series: Sequence[Series]) -> str:
    """Columns of stacked series; each part's tooltip reads "<column name>: <count> <series label>"."""
    width, height, left, top, bottom = 900, 300, 40, 10, 60
    plot_w, plot_h = width - left - 10, height - top - bottom
    totals = [sum(item.values[index] for item in series) for index in range(len(columns))]
    ceiling = nice_ceiling(max(totals, default=0))
    step = plot_w / max(len(columns), 1)
    body = _grid(left, top, plot_w, plot_h, ceiling)
    for index, column in enumerate(columns):
        x = left + index * step + step * 0.15
        y: float = top + plot_h
        for item in series:
            count = item.values[index]
            if not count:
                continue
            h = plot_h * count / ceiling
            y -= h
            tip = f"{column.name}: {count} {item.label}"
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[item.key]}" data-column="{escape(column.key)}" '
                f'data-series="{escape(item.key)}" data-count="{count}"><title>{escape(tip)}</title></rect>'
            )
        if column.label:
            body.append(
                f'<text x="{left + index * step + step / 2:.1f}" y="{top + plot_h + 16}" '
                f'text-anchor="middle" {_FONT}>{escape(column.label)}</text>'
            )
    body.extend(_legend(series, top + plot_h + 40, left))
    return _svg(width, height, title, body)


def _grid(left: int, top: int, plot_w: float, plot_h: float, ceiling: int) -> list[str]:
    lines = []
    for step in range(5):
        value = ceiling * step / 4
        y = top + plot_h - plot_h * step / 4
        lines.append(
            f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="currentColor" stroke-opacity="{0.5 if step == 0 else 0.15}"/>'
        )
        label = f"{value:g}" if value == int(value) else ""
        lines.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{label}</text>')
    return lines


def _legend(series: Sequence[Series], y: int, left: int) -> list[str]:
    items, x = [], left
    for item in series:
        items.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{COLOURS[item.key]}"/>')
        items.append(f'<text x="{x + 16}" y="{y}" {_FONT}>{escape(item.label)}</text>')
        x += 28 + 7 * len(item.label)
    return items


def horizontal_bars(title: str, bars: Sequence[Bar], colour: str, maximum: float | None = None) -> str:
    """One bar per row, longest for ``maximum`` (default: the largest value), its text after it."""
    row, label_w, width = 26, 260, 900
    height = max(row * len(bars) + 10, 40)
    top = max(maximum if maximum is not None else max((bar.value for bar in bars), default=0), 1e-9)
    plot_w = width - label_w - 180
    body = []
    for index, bar in enumerate(bars):
        y = 5 + index * row
        length = plot_w * bar.value / top
        label = escape(_cut(bar.label, 40))
        body.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" {_FONT}>{label}</text>')
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{colour}" '
            f'data-label="{escape(bar.label)}" data-value="{bar.value:g}">'
            f"<title>{escape(bar.tooltip)}</title></rect>"
        )
        body.append(f'<text x="{label_w + length + 6:.1f}" y="{y + 15}" {_FONT}>{escape(bar.text)}</text>')
    return _svg(width, height, title, body)


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
