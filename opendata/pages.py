"""The open data: /open/ (a page), index.json, each month's versions as JSON and CSV,
the Atom feed, and the stall counts. Public, cacheable (ETag, Last-Modified) and open to
every origin for GET."""

import csv
import datetime as dt
import functools
import io
import json
import pathlib

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition, require_safe

from core.months import local_today
from rankings import diffs as rankings_diffs
from rankings import formulas, verify_chain
from rankings import pages as rankings_pages
from rankings import selectors as rankings_selectors

from . import selectors

CACHE_CONTROL = "public, max-age=300"


def open_for_all(view):
    """CORS for reading: any origin may GET (and HEAD) these; nothing else is allowed
    (405: nothing here reads a cookie or writes, so no CSRF check answers 403 first)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
        response.setdefault("Cache-Control", CACHE_CONTROL)
        return response

    return csrf_exempt(wrapped)


def _json_response(body: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=1), content_type="application/json"
    )


def _all_etag(request, **kwargs) -> str:
    return selectors.versions_etag(selectors.published_versions())


def _all_modified(request, **kwargs) -> dt.datetime | None:
    return selectors.versions_last_modified(selectors.published_versions())


def _version(month: str, version: int):
    found = selectors.version_get(month=month, number=int(version))
    if found is None:
        raise Http404(_("This month has not been published."))
    return found


def _version_etag(request, month: str, version: str, fmt: str) -> str | None:
    found = selectors.version_get(month=month, number=int(version))
    return f"{found.digest}-{fmt}" if found else None


def _version_modified(request, month: str, version: str, fmt: str) -> dt.datetime | None:
    found = selectors.version_get(month=month, number=int(version))
    return found.published_at if found else None


@require_safe
@open_for_all
def open_page(request) -> HttpResponse:
    versions = selectors.published_versions()
    months: dict[str, list] = {}
    for v in reversed(versions):
        months.setdefault(v.month, []).append(v)
    stall_month = selectors.stall_month_parse(request.GET.get("stalls", "")) or (
        local_today().replace(day=1)
    )
    context = {
        "months": sorted(months.items(), reverse=True),
        "licence": selectors.LICENCE,
        "licence_url": selectors.LICENCE_URL,
        "fields": rankings_selectors.VERIFIED_DIGEST_FIELDS,
        "stall_month": stall_month.strftime("%Y-%m"),
        "stall_rows": selectors.stall_counts(month=stall_month),
        "stall_months": selectors.stall_months(),
        "min_reviews": formulas.MIN_REVIEWS,
    }
    return render(request, "opendata/open.html", context)


@require_safe
@open_for_all
@condition(etag_func=_all_etag, last_modified_func=_all_modified)
def index_json(request):
    return _json_response(selectors.index_body(selectors.published_versions()))


def version_body(version) -> dict:
    return {
        "month": version.month,
        "version": version.number,
        "published_at": selectors.local_iso(version.published_at),
        "digest": version.digest,
        "previous_digest": version.previous_digest,
        "licence": selectors.LICENCE,
        # The names of an entry's values in the digest's order (not `fields`: a bare
        # top-level `fields` reads as a Table Schema); datapackage.json types them.
        "entry_fields": list(rankings_selectors.digest_fields(ranking=version.ranking)),
        "entries": selectors.version_entries(version=version),
        # Not sealed by the digest: both versions are, and the changes are theirs.
        "excluded_by_ground": selectors.version_excluded_by_ground(version=version),
        "changes": selectors.version_changes(version=version),
    }


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def version_csv(version) -> bytes:
    """A version's entries as CSV (UTF-8 with a BOM, for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out)
    fields = rankings_selectors.digest_fields(ranking=version.ranking)
    writer.writerow(fields)
    for entry in selectors.version_entries(version=version):
        writer.writerow([_csv_cell(entry[name]) for name in fields])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@require_safe
@open_for_all
@condition(etag_func=_version_etag, last_modified_func=_version_modified)
def version_file(request, month: str, version: str, fmt: str):
    found = _version(month, int(version))
    if fmt == "json":
        return _json_response(version_body(found))
    response = HttpResponse(version_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="rankings-{month}-v{found.number}.csv"'
    return response


@require_safe
@open_for_all
@condition(etag_func=_all_etag, last_modified_func=_all_modified)
def feed_atom(request):
    """Each publication and each correction is an entry, newest first."""
    versions = selectors.published_versions()
    open_url = request.build_absolute_uri(reverse("open"))
    feed = feedgenerator.Atom1Feed(
        title=_("Duoduo open data: monthly service rankings"),
        link=open_url,
        description=_("Every published month and every correction, with its SHA-256 digest."),
        language="zh-hans",
        feed_url=request.build_absolute_uri(reverse("open-feed")),
        feed_guid=open_url,
        feed_copyright=selectors.LICENCE,
        # RFC 4287: a feed without an author in every entry names one.
        author_name=_("Kangbashi District, Duoduo"),
        author_link=open_url,
    )
    for v in reversed(versions):
        if v.number == 1:
            title = _("Rankings of %(month)s published") % {"month": v.month}
        else:
            title = _("Rankings of %(month)s corrected (version %(version)s)") % {
                "month": v.month,
                "version": v.number,
            }
        description = _("Digest %(digest)s, following %(previous)s.") % {
            "digest": v.digest,
            "previous": v.previous_digest or "-",
        }
        if v.number > 1:
            description = f"{description}\n{_correction_summary(v)}"
        feed.add_item(
            title=title,
            link=open_url + v.json_path,
            description=description,
            unique_id=open_url + v.json_path,
            unique_id_is_permalink=True,
            pubdate=v.published_at,
            updateddate=v.published_at,
            # The CSV's size in bytes, as served.
            enclosures=[
                feedgenerator.Enclosure(
                    open_url + v.csv_path, str(len(version_csv(v))), "text/csv"
                ),
            ],
        )
    return HttpResponse(
        feed.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8"
    )


def _correction_summary(version) -> str:
    """A correction's changes in words, for its Atom entry: the reviews excluded by
    ground, each entry whose figures changed (old -> new), and how many moved only."""
    changes = rankings_diffs.stored(version.ranking)
    excluded = rankings_diffs.excluded_by_ground(changes)
    lines = [
        _(
            "Reviews excluded since version %(version)s: appeal %(appeal)s, fraud %(fraud)s, "
            "colleague %(colleague)s."
        )
        % {"version": version.number - 1, **excluded}
    ]
    changed = [c for c in changes if c.kind == rankings_diffs.CHANGED]
    for line in rankings_pages.change_lines(changed):
        items = "; ".join(f"{label} {old} → {new}" for label, old, new in line["items"])
        lines.append(f"{line['scope']} · {line['change'].name}: {items}")
    moved = len(changes) - len(changed)
    if moved:
        lines.append(
            ngettext(
                "%(count)d entry changed only its rank, because others moved.",
                "%(count)d entries changed only their rank, because others moved.",
                moved,
            )
            % {"count": moved}
        )
    return "\n".join(lines)


def _stall_month(month: str) -> dt.date:
    first_day = selectors.stall_month_parse(month)
    if first_day is None:
        raise Http404(_("No such month."))
    return first_day


@require_safe
@open_for_all
def stalls_file(request, month: str, fmt: str):
    rows = selectors.stall_counts(month=_stall_month(month))
    if fmt == "json":
        return _json_response({"month": month, "licence": selectors.LICENCE, "sites": rows})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(selectors.STALL_COLUMNS)
    for row in rows:
        writer.writerow([row[name] for name in selectors.STALL_COLUMNS])
    return HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )


# --- The data package (Frictionless Data) and the verifier -------------------------------

# Table Schema types of the ranking entries' values (rankings.selectors.VERIFIED_DIGEST_FIELDS):
# rates and the score are written as text with fixed decimals, read as numbers.
RANKING_FIELD_TYPES = {
    "scope": "string",
    "scope_unit_id": "integer",
    "unit_id": "integer",
    "cadre_id": "integer",
    "name": "string",
    "unit_name": "string",
    "rank": "integer",
    "reviews": "integer",
    "satisfaction_rate": "number",
    "response_rate": "number",
    "rejection_rate": "number",
    "score": "number",
    "bottom": "boolean",
    "excluded_colleague": "integer",
    "excluded_appeal": "integer",
    "excluded_fraud": "integer",
    "verified_share": "number",
}
STALL_FIELD_TYPES = {
    "month": "yearmonth",
    "site_id": "integer",
    "site_name": "string",
} | dict.fromkeys(selectors.STALL_COUNTS, "integer")


def _table_schema(names, types: dict[str, str]) -> dict:
    return {"fields": [{"name": name, "type": types[name]} for name in names]}


def _table_resources(name: str, path: str, schema: dict, rows_property: str) -> list[dict]:
    """One file's CSV and JSON forms: the CSV's rows, the JSON's `rows_property` list of
    records, both described by `schema`."""
    return [
        {
            "name": name,
            "type": "table",
            "path": f"{path}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            # Written with a byte order mark, for spreadsheets.
            "encoding": "utf-8-sig",
            "schema": schema,
        },
        {
            "name": f"{name}-json",
            "type": "table",
            "path": f"{path}.json",
            "format": "json",
            "mediatype": "application/json",
            "encoding": "utf-8",
            "dialect": {"json": {"property": rows_property, "keyed": True}},
            "schema": schema,
        },
    ]


def datapackage_body(versions) -> dict:
    """/open/datapackage.json: every open-data file, with a Table Schema of typed fields
    for each table. Paths are relative to /open/."""
    resources: list[dict] = [
        {
            "name": "index",
            "path": "index.json",
            "format": "json",
            "mediatype": "application/json",
            "encoding": "utf-8",
            "description": "The published months and their versions, with their digests.",
        },
    ]
    for v in versions:
        fields = rankings_selectors.digest_fields(ranking=v.ranking)
        resources += _table_resources(
            f"rankings-{v.month}-v{v.number}",
            v.csv_path.removesuffix(".csv"),
            _table_schema(fields, RANKING_FIELD_TYPES),
            "entries",
        )
    for month in sorted(selectors.stall_months()):
        resources += _table_resources(
            f"stalls-{month}",
            f"stalls/{month}",
            _table_schema(selectors.STALL_COLUMNS, STALL_FIELD_TYPES),
            "sites",
        )
    return {
        "name": "duoduo-open-data",
        "title": "Duoduo open data: monthly service rankings and market stall supervision",
        "homepage": "index.json",
        "licenses": [
            {"name": "CC-BY-4.0", "path": selectors.LICENCE_URL, "title": selectors.LICENCE}
        ],
        "resources": resources,
    }


@require_safe
@open_for_all
def datapackage_json(request):
    body = datapackage_body(selectors.published_versions())
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 1})


VERIFIER_PATH = pathlib.Path(verify_chain.__file__)


@require_safe
@open_for_all
def verifier_file(request):
    """The verifier itself (rankings/verify_chain.py, standard library only), to download
    and run: `python3 verify_chain.py https://<host>/open/`."""
    response = HttpResponse(VERIFIER_PATH.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="verify_chain.py"'
    return response
