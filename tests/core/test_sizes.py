"""No app over 4,500 lines and no module over 800 (issue 20), migrations and tests aside.

A size is the number of physical lines of .py files, as `wc -l` counts them: blank
lines, comments and docstrings included; templates, static files and catalogues not.
An app is a top-level package of the checkout (tests/ aside), its subpackages
included (`cadres/api/views.py` counts for cadres). A module is any .py file of the
checkout outside tests/ and migrations/ folders (bench/ and manage.py included).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_LIMIT = 4_500
MODULE_LIMIT = 800
SKIPPED_FOLDERS = {"tests", "migrations", "node_modules", "staticfiles", "media"}


def counted_modules() -> list[Path]:
    modules = []
    for path in sorted(ROOT.rglob("*.py")):
        folders = path.relative_to(ROOT).parts[:-1]
        if not any(part in SKIPPED_FOLDERS or part.startswith(".") for part in folders):
            modules.append(path)
    return modules


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def app_sizes() -> dict[str, int]:
    apps = {
        path.parent.name: 0
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in SKIPPED_FOLDERS
    }
    for path in counted_modules():
        top = path.relative_to(ROOT).parts[0]
        if top in apps:
            apps[top] += lines(path)
    return apps


def test_it_counts_every_app_and_skips_migrations_and_tests():
    sizes = app_sizes()
    assert {"core", "points", "stalls", "cadres", "config"} <= set(sizes)
    assert "tests" not in sizes
    walked = {str(path.relative_to(ROOT)) for path in counted_modules()}
    assert "points/services.py" in walked and "bench/common.py" in walked
    assert not any("/migrations/" in name or name.startswith("tests/") for name in walked)
    # points/api/ counts for points, points/migrations/ does not.
    top_level = sum(lines(path) for path in (ROOT / "points").glob("*.py"))
    everything = sum(lines(path) for path in (ROOT / "points").rglob("*.py"))
    assert top_level < sizes["points"] < everything


def test_no_app_is_over_4500_lines():
    over = {app: size for app, size in app_sizes().items() if size > APP_LIMIT}
    assert not over, f"apps over {APP_LIMIT} lines (split along their seams): {over}"


def test_no_module_is_over_800_lines():
    over = {
        str(path.relative_to(ROOT)): size
        for path in counted_modules()
        if (size := lines(path)) > MODULE_LIMIT
    }
    assert not over, f"modules over {MODULE_LIMIT} lines: {over}"
