"""Raw SQL readable as written (docs/conventions.md, "Raw SQL").

1. Snapshots: the final text of every statement, as PostgreSQL receives it, is committed
   in tests/sql_snapshots/<module>.<NAME>.sql; a change to a statement (or to a model's
   table or columns under it) fails here with the diff until the snapshot is rewritten:
       UPDATE_SQL_SNAPSHOTS=1 .venv/bin/python -m pytest tests/core/test_sql_statements.py
   and the new text is reviewed in the commit. CI never sets UPDATE_SQL_SNAPSHOTS.
2. Call sites: in the project's modules, what cursor.execute/executemany/copy, RawSQL and
   .raw() run is a `..._SQL` constant, or a call of a statement builder `..._sql(...)`
   listed in BUILDERS below, never text put together where it runs (f-string, +, %,
   .format(), .join()).
"""

import ast
import difflib
import importlib
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps

from cadres import hooks
from cadres.services import review_insert_sql
from core.rows import select_sql
from points.ledger import post_also_sql

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ROOT / "tests" / "sql_snapshots"
UPDATE = os.environ.get("UPDATE_SQL_SNAPSHOTS") == "1"
# A statement constant: an upper-case module-level name ending in _SQL.
CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9_]*_SQL$")
# A statement builder: a function whose name ends in _sql (cached, see BUILDERS).
BUILDER = re.compile(r"^_?[a-z][a-z0-9_]*_sql$")
# The calls that run SQL text, by the called attribute's (or function's) name.
RUNS_SQL = {"execute", "executemany", "copy", "raw", "RawSQL"}


@cache
def project_files() -> list[Path]:
    """The project's modules: every app package and config; tests, migrations (Django
    writes them) and bench/ (scripts that set up their own databases) aside."""
    packages = [path.parent for path in ROOT.glob("*/__init__.py") if path.parent.name != "tests"]
    return sorted(
        path
        for package in packages
        for path in package.rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@cache
def constants() -> list[tuple[str, str]]:
    """(module, NAME) of every module-level statement constant in the project."""
    found = []
    for path in project_files():
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            found += [
                (module_name(path), target.id)
                for target in targets
                if isinstance(target, ast.Name) and CONSTANT.match(target.id)
            ]
    return found


def _select_sql(model_path: str, related: str | None) -> Callable[[], str]:
    def build() -> str:
        return select_sql(apps.get_model(model_path), related)

    return build


def _review_insert_sql() -> str:
    return review_insert_sql(tuple(hooks.SUBMISSION_CHECKS))


def _post_also_sql(*ctes: str) -> Callable[[], str]:
    from core.idempotency import IDEMPOTENCY_ANSWER_CTE_SQL
    from merchants.notices import PAYMENT_RECEIVED_CTE_SQL

    names = {
        "answer": IDEMPOTENCY_ANSWER_CTE_SQL,
        "payment_received": PAYMENT_RECEIVED_CTE_SQL,
    }
    return lambda: post_also_sql(tuple(names[cte] for cte in ctes))


# Statement builders, each with the arguments the project calls it with: its snapshot
# name -> the call. core.rows.select_sql: one SELECT per model read by `by_pk` (the
# rotatable codes' rows, see BY_PK_CALLS); cadres.services.review_insert_sql: the review's
# statement with the submission checks registered in the apps' ready();
# points.ledger.post_also_sql: the posting with its callers' CTEs.
BUILDERS: dict[str, Callable[[], str]] = {
    "core.rows.select_sql.cadres.Cadre.unit": _select_sql("cadres.Cadre", "unit"),
    "core.rows.select_sql.stalls.Site": _select_sql("stalls.Site", None),
    "cadres.services.review_insert_sql": _review_insert_sql,
    # merchants.services: the payment (its staff's notices), the payment at a counter
    # (its stored answer too).
    "points.ledger.post_also_sql.payment": _post_also_sql("payment_received"),
    "points.ledger.post_also_sql.counter_payment": _post_also_sql("answer", "payment_received"),
}
# The calls that reach core.rows.select_sql, as (model, related) written at the call.
BY_PK_CALLS = {("Cadre", "unit"), ("Site", None)}


def text_of(value) -> str:
    """A constant's SQL text: a str, or psycopg's composed statement (config.embedded_db)
    as it is sent, or a tuple of them (one statement each)."""
    if isinstance(value, tuple):
        return ";\n\n".join(text_of(item).strip("\n") for item in value)
    if isinstance(value, str):
        return value
    return value.as_string(None)


def statements() -> dict[str, Callable[[], str]]:
    found: dict[str, Callable[[], str]] = {
        f"{module}.{name}": (
            lambda module=module, name=name: text_of(getattr(importlib.import_module(module), name))
        )
        for module, name in constants()
    }
    return found | BUILDERS


def _normal(text: str) -> str:
    return text.strip("\n") + "\n"


@pytest.mark.parametrize("name", sorted(statements()))
def test_statement_matches_its_snapshot(name):
    text = _normal(statements()[name]())
    snapshot = SNAPSHOTS / f"{name}.sql"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        if not snapshot.exists() or snapshot.read_text() != text:
            snapshot.write_text(text)
        return
    assert snapshot.exists(), (
        f"{name} has no snapshot: run UPDATE_SQL_SNAPSHOTS=1 .venv/bin/python -m pytest "
        f"{Path(__file__).relative_to(ROOT)} and commit tests/sql_snapshots/{name}.sql"
    )
    expected = snapshot.read_text()
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"tests/sql_snapshots/{name}.sql",
            f"{name} (now)",
        )
    )
    assert text == expected, (
        f"{name} differs from its snapshot:\n{diff}\nIf the change is meant, run "
        f"UPDATE_SQL_SNAPSHOTS=1 .venv/bin/python -m pytest "
        f"{Path(__file__).relative_to(ROOT)} and commit the snapshot with it."
    )


def test_every_snapshot_has_its_statement():
    stale = sorted(
        path for path in SNAPSHOTS.glob("*.sql") if path.name[: -len(".sql")] not in statements()
    )
    if UPDATE:
        for path in stale:
            path.unlink()
        return
    assert not stale, (
        f"snapshots of statements that are gone (UPDATE_SQL_SNAPSHOTS=1 removes them): "
        f"{[path.name for path in stale]}"
    )


# --- Call sites.


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _runs_sql(call: ast.Call) -> bool:
    name = _called_name(call.func)
    if name not in RUNS_SQL or not call.args:
        return False
    if name == "copy":
        # A cursor's COPY (cursor.copy, cursor.cursor.copy), not dict.copy or shutil.copy.
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        return _called_name(receiver) in {"cursor"} if receiver is not None else False
    return True


def _loop_statements(tree: ast.AST) -> set[str]:
    """Loop variables that go over a tuple of statement constants (`for s in _X_SQL:`)."""
    return {
        node.target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.For)
        and isinstance(node.target, ast.Name)
        and _called_name(node.iter) is not None
        and CONSTANT.match(_called_name(node.iter) or "")
    }


def _statement_refusal(argument: ast.expr, loop_names: set[str]) -> str | None:
    """Why `argument` is not a statement as the convention has it (None when it is)."""
    if isinstance(argument, ast.Name):
        if CONSTANT.match(argument.id) or argument.id in loop_names:
            return None
        return f"the name {argument.id!r} is not a ..._SQL constant"
    if isinstance(argument, ast.Attribute):
        if CONSTANT.match(argument.attr):
            return None
        return f"the attribute {argument.attr!r} is not a ..._SQL constant"
    if isinstance(argument, ast.Call):
        name = _called_name(argument.func)
        if name is not None and BUILDER.match(name) and name.lstrip("_") in BUILDER_NAMES:
            return None
        return f"a call of {name!r}, which is not a statement builder listed in BUILDERS"
    return f"a {type(argument).__name__} (text put together where it runs)"


BUILDER_NAMES = {name.split(".")[2] for name in BUILDERS}


def test_sql_runs_only_from_statement_constants():
    problems = []
    for path in project_files():
        tree = ast.parse(path.read_text())
        loop_names = _loop_statements(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _runs_sql(node):
                refusal = _statement_refusal(node.args[0], loop_names)
                if refusal:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {refusal}")
    assert not problems, "SQL run from something other than a statement constant:\n" + (
        "\n".join(problems)
    )


def test_statement_builders_are_cached_and_snapshotted():
    """A builder makes its text once (functools.cache), and has a snapshot above."""
    defined = {}
    for path in project_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and BUILDER.match(node.name):
                cached = any(_called_name(d) == "cache" for d in node.decorator_list)
                defined[f"{module_name(path)}.{node.name}"] = cached
    assert {name for name, cached in defined.items() if not cached} == set()
    assert set(defined) == {".".join(name.split(".")[:3]) for name in BUILDERS}


def test_every_by_pk_model_is_snapshotted():
    """Each (model, related) that reaches core.rows.select_sql has its SELECT above."""
    calls = set()
    for path in project_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and _called_name(node.func) in {"by_pk", "resolve_versioned"}
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id != "model"  # the generic pass-through in core
            ):
                related = next((k.value.value for k in node.keywords if k.arg == "related"), None)
                calls.add((node.args[0].id, related))
    assert calls == BY_PK_CALLS


def test_the_call_site_check_can_fail():
    """The refusals the call-site test reports, on code it must refuse."""
    source = (
        "cursor.execute(f'SELECT {x}')\n"
        "cursor.execute('SELECT ' + x)\n"
        "cursor.execute('SELECT {}'.format(x))\n"
        "cursor.execute(sql, [1])\n"
        "Model.objects.raw(query)\n"
        "cursor.cursor.copy(f'COPY {t} FROM STDIN')\n"
    )
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    refused = [_statement_refusal(call.args[0], set()) for call in calls if _runs_sql(call)]
    assert len(refused) == 6 and all(refused)
    ok = ast.parse("cursor.execute(_POST_SQL, params)\ncursor.execute(formulas.COMPILE_SQL)")
    assert all(
        _statement_refusal(call.args[0], set()) is None
        for call in ast.walk(ok)
        if isinstance(call, ast.Call) and _runs_sql(call)
    )
