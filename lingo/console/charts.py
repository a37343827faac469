"""Server-side SVG charts for the console's dashboard (no script, no chart library).

:func:`bars` draws one series per day as bars, :func:`lines` several series
as lines with a legend. Both return markup safe to put in a page: every text
in them is escaped. The numbers themselves are also shown in tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 28
#: Series colours, in order (distinguishable, also in grey).
COLORS = ("#1559b7", "#c2571a", "#2e7d32", "#8e24aa", "#b3261e", "#00838f", "#6d4c41", "#5b6775")


def _nice_top(highest: int) -> int:
    """The top of the y axis: ``highest`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if highest <= step * factor:
                return step * factor
        step *= 10


def _frame(days: Sequence[date], top: int, title: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" font-size="11" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        value = top * fraction
        label = f"{value:g}"
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#dde2e8"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6775">{label}</text>'
        )
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    for n, day in enumerate(days):
        if n % 5 == 0 or n == len(days) - 1:
            x = LEFT + slot * (n + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" fill="#5b6775">{day:%m-%d}</text>')
    return parts


def bars(days: Sequence[date], values: Sequence[int], title: str) -> Markup:
    """One bar a day."""
    top = _nice_top(max(values, default=0))
    parts = _frame(days, top, title)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    for n, (day, value) in enumerate(zip(days, values, strict=True)):
        h = plot_h * value / top
        parts.append(
            f'<rect x="{LEFT + slot * n + slot * 0.15:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{COLORS[0]}">'
            f"<title>{day:%Y-%m-%d}: {value}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # every text above is escaped or a number


def lines(days: Sequence[date], series: Mapping[str, Sequence[int]], title: str) -> Markup:
    """One line per series, with a legend under the title."""
    top = _nice_top(max((max(v, default=0) for v in series.values()), default=0))
    parts = _frame(days, top, title)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    for k, (name, values) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        points = " ".join(
            f"{LEFT + slot * (n + 0.5):.1f},{TOP + plot_h * (1 - value / top):.1f}" for n, value in enumerate(values)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2">'
            f"<title>{escape(name)}: {sum(values)}</title></polyline>"
        )
        x = LEFT + 8 + 120 * (k % 5)
        y = TOP + 4 + 14 * (k // 5)
        parts.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y + 9}" fill="#1d2530">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # every text above is escaped or a number
