"""The public page of the livestream duty: per quarter, sessions, sales and where the
income went, per cadre, with a chart of monthly sales drawn on the server."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from . import charts, selectors


@require_GET
@cache_control(public=True, max_age=300)
def livestream_page(request):
    text = request.GET.get("quarter")
    quarter = selectors.parse_quarter(text) if text else selectors.current_quarter()
    if quarter is None:
        raise Http404(_("No such quarter."))
    summary = selectors.public_summary(quarter=quarter)
    months = selectors.monthly_sales()
    previous = (
        selectors.Quarter(quarter.year - 1, 4)
        if quarter.number == 1
        else (selectors.Quarter(quarter.year, quarter.number - 1))
    )
    context = {
        "quarter": quarter,
        "previous": previous,
        "next": quarter.next(),
        "summary": summary,
        "sessions": selectors.sessions_public(quarter=quarter)[:50],
        "chart": charts.bar_chart_svg(months, title=_("Sales per month (yuan)")),
    }
    return render(request, "livestream/page.html", context)
