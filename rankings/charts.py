"""A cadre's scores over the last months as a small line chart drawn on the server (SVG):
no JavaScript, every text escaped, readable without CSS."""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Drawn 1:1 or larger on a 390 px phone (the card is 320 px wide or more): the labels'
# 12 px are 12 px on the screen.
WIDTH, HEIGHT = 320, 130
TOP, BOTTOM, LEFT, RIGHT = 14, 26, 30, 10
FONT = 12


def point_xy(index: int, count: int, score: Decimal) -> tuple[float, float]:
    """Where month `index` (0 = oldest) of `count` with `score` (0-100) is drawn."""
    step = (WIDTH - LEFT - RIGHT) / max(count - 1, 1)
    usable = HEIGHT - TOP - BOTTOM
    x = LEFT + index * step
    y = TOP + usable * (1 - float(score) / 100)
    return round(x, 1), round(y, 1)


def score_chart_svg(points: list[tuple[str, Decimal | None]], *, title: str) -> SafeString:
    """`points`: [(YYYY-MM, score or None)], oldest first; a month without a score is a
    gap in the line (its label stays)."""
    count = len(points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart" id="score-chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#999" stroke-width="1"/>',
        f'<text x="2" y="{TOP + 4}" font-size="{FONT}">100</text>',
        f'<text x="2" y="{HEIGHT - BOTTOM}" font-size="{FONT}">0</text>',
    ]
    segment: list[str] = []
    segments = [segment]
    for index, (label, score) in enumerate(points):
        if score is None:
            segment = []
            segments.append(segment)
            continue
        x, y = point_xy(index, count, score)
        segment.append(f"{x},{y}")
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="2.5" fill="#c2410c" data-month="{escape(label)}" '
            f'data-score="{score}"><title>{escape(label)}: {score}</title></circle>'
        )
    for line in segments:
        if len(line) > 1:
            parts.insert(
                5,
                f'<polyline points="{" ".join(line)}" fill="none" stroke="#c2410c" '
                'stroke-width="1.5"/>',
            )
    for index, (label, _score) in enumerate(points):
        # The first and the last month (all of them up to 3): the last one's label ends at
        # the right edge, so that it is not cut.
        if index in (0, count - 1) or count <= 3:
            x, _y = point_xy(index, count, Decimal(0))
            anchor = "middle"
            if index == 0:
                anchor, x = "start", LEFT - 12
            elif index == count - 1:
                anchor, x = "end", WIDTH - 2
            parts.append(
                f'<text x="{x}" y="{HEIGHT - 6}" font-size="{FONT}" text-anchor="{anchor}">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)
