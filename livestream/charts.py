"""A small bar chart drawn on the server as SVG: no JavaScript, readable without CSS."""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 600, 220
TOP, BOTTOM, LEFT, RIGHT = 20, 40, 10, 10


def bar_chart_svg(points: list[tuple[str, Decimal]], *, title: str) -> SafeString:
    """Bars of `points` ([(label, value)]), each with its value on top and its label under."""
    highest = max((value for _label, value in points), default=Decimal(0)) or Decimal(1)
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    usable = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#999" stroke-width="1"/>',
    ]
    for index, (label, value) in enumerate(points):
        height = float(value / highest) * usable
        x = LEFT + index * slot + slot * 0.15
        y = HEIGHT - BOTTOM - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'fill="#c2410c"><title>{escape(label)}: {value:,.2f}</title></rect>'
        )
        if value:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" font-size="9" '
                f'text-anchor="middle">{value:,.0f}</text>'
            )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="10" '
            f'text-anchor="middle">{escape(label[2:])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
