"""Registrations are declared data (each app's registrations.py), not written out in
AppConfig.ready(): every ready() stays short, and what the apps declared is registered."""

import ast
from pathlib import Path

from accounts import roles
from accounts.roles import Role
from core import codes, uploads
from core.registrations import declared

ROOT = Path(__file__).resolve().parents[2]
MAX_READY_LINES = 15


def _project_modules():
    """The project's own modules: each app and config, tests, bench and migrations aside."""
    for path in sorted(ROOT.glob("*/**/*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "bench"} or "migrations" in parts:
            continue
        if (ROOT / parts[0] / "__init__.py").exists():
            yield path


def _ready_methods():
    """(path, class, lines) of the ready() of each class whose base is an app config."""
    for path in _project_modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            if not any(ast.unparse(base).endswith("Config") for base in node.bases):
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "ready":
                    yield path.relative_to(ROOT), node.name, item.end_lineno - item.lineno + 1


def test_every_app_config_ready_is_under_15_lines():
    found = list(_ready_methods())
    # The walk finds the apps' ready()s at all (core, accounts, rankings...).
    assert {str(path) for path, _name, _lines in found} >= {"core/apps.py", "rankings/apps.py"}
    long = [(str(path), name, lines) for path, name, lines in found if lines >= MAX_READY_LINES]
    assert long == [], f"ready() of {MAX_READY_LINES} lines or more: declare it instead"


def test_every_declared_code_kind_and_upload_is_registered():
    kinds = declared("CODE_KINDS")
    assert {kind.tag for kind in kinds} >= {"c", "s", "t", "v", "p"}
    for kind in kinds:
        assert codes.parse_token(codes.make_token(kind.tag, "1-1"))[0] is kind
    folders = declared("UPLOADS")
    assert {folder for folder, _upload in folders} >= {"cadres", "stalls/vendors", "moral_claims"}
    for folder, upload in folders:
        assert uploads.upload_kind(f"{folder}/0123abcd.png") is upload


def test_every_declared_role_permission_and_link_is_registered():
    declared_permissions = declared("ROLE_PERMISSIONS")
    assert {role for role, _permissions in declared_permissions} >= {
        Role.DISTRICT_ADMIN,
        Role.FINANCE,
        Role.URBAN_OFFICER,
        Role.LIVE_OPERATOR,
        Role.APPEAL_REVIEWER,
    }
    for role, permissions in declared_permissions:
        assert set(permissions) <= roles.role_permissions(role), role
    for option in ("unit", "cadre", "merchant"):
        assert roles.role_link(option) is not None, option
