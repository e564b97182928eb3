"""Check the published rankings of a Duoduo server from its open data, trusting nothing.

    python3 -m rankings.verify_chain https://duoduo.example.cn
    python3 -m cadres.verify_chain https://duoduo.example.cn   (the older name, an alias)
    python3 rankings/verify_chain.py https://duoduo.example.cn
    python3 verify_chain.py https://duoduo.example.cn/open/   (the file served at /open/verify_chain.py)

Standard library only: copy this one file anywhere and run `python3 verify_chain.py URL`,
from any folder (its own folder is taken off the import path first, so that a file there
named like a standard module, such as the app's own `selectors.py`, is never imported).
The URL is the site's root or its `/open/` address. It downloads `/open/index.json`, then every version of every published month as JSON
and as CSV, recomputes each digest from the downloaded figures exactly as the server
does (SHA-256 of canonical JSON of the previous digest, the month and the entries), and
checks the chain: the first publication follows nothing, a month's first version follows
a version of the month published before it, and a correction (version n > 1) follows
version n - 1 of the same month. Prints one line per check that fails; exit status 1 if
any did, 0 if everything matched.
"""

import os
import sys

# Run as a script, Python puts the script's folder first on sys.path, where a file named
# like a standard module would shadow it (rankings/selectors.py is `selectors`, which the
# socket module imports): take that folder off before importing anything else.
HERE = os.path.dirname(os.path.realpath(__file__))
if __name__ == "__main__" and sys.path and sys.path[0] and os.path.realpath(sys.path[0]) == HERE:
    del sys.path[0]

import csv  # noqa: E402 (after the path is cleaned)
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import urllib.request  # noqa: E402
from urllib.parse import urljoin  # noqa: E402

# The values the digest covers, in the order they are hashed (cadres.selectors.DIGEST_FIELDS).
FIELDS = (
    "scope",
    "scope_unit_id",
    "unit_id",
    "cadre_id",
    "name",
    "unit_name",
    "rank",
    "reviews",
    "satisfaction_rate",
    "response_rate",
    "rejection_rate",
    "score",
    "bottom",
)
# Covered too by the months compiled since reviews can be excluded and verified by a
# service ticket: each file names its own fields ("entry_fields" in the JSON, "fields"
# in the files published before; the CSV's header), in the hashed order.
KNOWN_FIELDS = (
    *FIELDS,
    "excluded_colleague",
    "excluded_appeal",
    "excluded_fraud",
    "verified_share",
)
_INTEGERS = {
    "scope_unit_id",
    "unit_id",
    "cadre_id",
    "rank",
    "reviews",
    "excluded_colleague",
    "excluded_appeal",
    "excluded_fraud",
}
TIMEOUT = 30


def digest(*, previous: str, month: str, rows: list[list]) -> str:
    """What the server computes (rankings.formulas.entries_digest)."""
    canonical = json.dumps(
        {"previous": previous, "month": month, "entries": rows},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def checked_fields(fields) -> tuple[str, ...]:
    """A file's fields: the base ones in order, then only known additions."""
    fields = tuple(fields or FIELDS)
    if fields[: len(FIELDS)] != FIELDS or not set(fields) <= set(KNOWN_FIELDS):
        raise ValueError(f"unexpected fields {list(fields)}")
    return fields


def rows_from_json(entries: list[dict], fields=None) -> list[list]:
    """The entries' values in the hashed order: `fields` as the file names them, or
    (without) the known fields the entries carry."""
    if fields is None:
        present = set(entries[0]) if entries else set()
        fields = [name for name in KNOWN_FIELDS if name in present]
    return [[entry[name] for name in checked_fields(fields)] for entry in entries]


def rows_from_csv(text: str) -> list[list]:
    """CSV cells back to the JSON types: integers, null for empty ids/ranks, booleans."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = checked_fields(reader.fieldnames)
    rows = []
    for record in reader:
        row = []
        for name in fields:
            value = record[name]
            if name in _INTEGERS:
                value = int(value) if value != "" else None
            elif name == "bottom":
                value = value == "true"
            row.append(value)
        rows.append(row)
    return rows


def fetch(url: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    headers = {"Accept": "*/*", "User-Agent": "verify_chain"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http/s, checked above)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        return response.read()


def open_root(base_url: str) -> str:
    """The `/open/` address of a site given by its root or by that address itself."""
    base = base_url.rstrip("/")
    return base + "/" if base.endswith("/open") else base + "/open/"


def verify(base_url: str, out=sys.stdout) -> list[str]:
    """Every failure found, as lines of text (empty when the whole chain checks)."""
    failures = []

    def fail(text):
        failures.append(text)
        print(f"FAIL {text}", file=out)

    root = open_root(base_url)
    try:
        index = json.loads(fetch(urljoin(root, "index.json")))
    except (OSError, ValueError) as error:
        fail(f"index.json: cannot read it ({error})")
        return failures

    checked = []  # (month, version, digest), in month then version order
    for month_item in sorted(index.get("months", []), key=lambda m: m["month"]):
        month = month_item["month"]
        for item in sorted(month_item.get("versions", []), key=lambda v: v["version"]):
            label = f"{month} v{item['version']}"
            try:
                document = json.loads(fetch(urljoin(root, item["json"])))
                table = fetch(urljoin(root, item["csv"])).decode("utf-8")
            except (OSError, ValueError, KeyError) as error:
                fail(f"{label}: cannot download it ({error})")
                continue
            stated = document.get("digest", "")
            previous = document.get("previous_digest", "")
            if stated != item.get("digest") or previous != item.get("previous_digest"):
                fail(f"{label}: the index and the JSON state different digests")
            if document.get("month") != month or document.get("version") != item["version"]:
                fail(f"{label}: the JSON is of {document.get('month')} v{document.get('version')}")
            try:
                names = document.get("entry_fields", document.get("fields"))
                rows = rows_from_json(document.get("entries", []), names)
            except (KeyError, ValueError) as error:
                fail(f"{label}: unreadable JSON ({error})")
                continue
            computed = digest(previous=previous, month=month, rows=rows)
            if computed != stated:
                fail(f"{label}: JSON figures give digest {computed}, published {stated}")
            try:
                from_csv = digest(previous=previous, month=month, rows=rows_from_csv(table))
            except (KeyError, ValueError) as error:
                fail(f"{label}: unreadable CSV ({error})")
            else:
                if from_csv != stated:
                    fail(f"{label}: CSV figures give digest {from_csv}, published {stated}")
            checked.append((month, item["version"], stated, previous))

    months = sorted({month for month, *_rest in checked})
    by_key = {(month, version): stated for month, version, stated, _p in checked}
    for month, version, _stated, previous in checked:
        label = f"{month} v{version}"
        if version > 1:
            expected = {by_key.get((month, version - 1))}
            where = f"{month} v{version - 1}"
        else:
            position = months.index(month)
            if position == 0:
                expected, where = {""}, "nothing (the first publication)"
            else:
                before = months[position - 1]
                expected = {d for (m, _v), d in by_key.items() if m == before}
                where = f"a version of {before}"
        if previous not in expected:
            fail(f"{label}: previous digest {previous or '(empty)'} does not follow {where}")
    if not checked and not failures:
        print("nothing published yet", file=out)
    elif not failures:
        print(f"OK {len(checked)} publications, chain intact", file=out)
    return failures


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 verify_chain.py <site URL or its /open/ URL>", file=sys.stderr)
        return 2
    return 1 if verify(argv[0]) else 0


if __name__ == "__main__":
    sys.exit(main())
