"""A small bar chart drawn on the server as SVG: no JavaScript, readable without CSS.

One row per month (its label, its bar, its value), so that at a phone's width (the SVG
drawn 1:1 or larger on a 390 px screen) every text is 12 px or more and none overlaps."""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 320
ROW = 24
TOP, BOTTOM = 4, 4
# The month label on the left, the value on the right of the longest bar.
LABEL, VALUE = 58, 70
FONT = 12


def bar_chart_svg(points: list[tuple[str, Decimal]], *, title: str) -> SafeString:
    """Bars of `points` ([(label, value)]), each with its label before it and its value
    after it."""
    highest = max((value for _label, value in points), default=Decimal(0)) or Decimal(1)
    usable = WIDTH - LABEL - VALUE
    height = TOP + BOTTOM + ROW * len(points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LABEL}" y1="{TOP}" x2="{LABEL}" y2="{height - BOTTOM}" '
        'stroke="#6b7280" stroke-width="1"/>',
    ]
    for index, (label, value) in enumerate(points):
        width = float(value / highest) * usable
        y = TOP + index * ROW
        baseline = y + ROW / 2 + FONT * 0.35
        parts.append(
            f'<text x="{LABEL - 6}" y="{baseline:.1f}" font-size="{FONT}" '
            f'text-anchor="end" fill="#1f2328">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" '
            f'fill="#c2410c"><title>{escape(label)}: {value:,.2f}</title></rect>'
        )
        parts.append(
            f'<text x="{LABEL + width + 4:.1f}" y="{baseline:.1f}" font-size="{FONT}" '
            f'fill="#1f2328">{value:,.0f}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
