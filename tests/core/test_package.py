"""The artifact: the wheel holds every package (CI's wheel stage builds and installs it,
.ci/wheel.sh), the Dockerfile installs that wheel and names no app directory, and every
install runs from uv.lock."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = PYPROJECT["tool"]["importlinter"]["root_packages"]


def instructions(path: Path) -> list[str]:
    """The file's lines without comments, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    return [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def test_the_package_list_is_found_not_written():
    """No include list that a new app could miss; only tests and bench stay out."""
    find = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    assert "include" not in find
    assert find["exclude"] == ["tests*", "bench*"]
    # Without namespace packages a folder needs its __init__.py to ship (checked below),
    # and build/ or docs/ are never taken for packages.
    assert find["namespaces"] is False


def test_every_folder_with_python_in_a_package_is_a_package():
    """With namespaces off, a folder of .py files without __init__.py would be left out of
    the wheel silently: a management command or a migration folder, say."""
    missing = [
        str(folder.relative_to(ROOT))
        for package in PACKAGES
        for folder in [ROOT / package, *(ROOT / package).rglob("*")]
        if folder.is_dir()
        and "__pycache__" not in folder.parts
        and any(folder.glob("*.py"))
        and not (folder / "__init__.py").exists()
    ]
    assert missing == []


def test_templates_static_files_and_translations_ship():
    data = PYPROJECT["tool"]["setuptools"]["package-data"]["*"]
    assert set(data) == {"templates/**/*", "locale/**/*", "static/**/*"}


def test_the_dockerfile_installs_the_wheel_and_names_no_app_directory():
    lines = instructions(ROOT / "Dockerfile")
    named = [
        (package, line)
        for line in lines
        for package in PACKAGES
        if re.search(rf"(?<![\w.-]){package}/|\bCOPY\s+(\S+\s+)*\.?/?{package}\b", line)
    ]
    assert named == []
    copies = [line.split(None, 1)[1] for line in lines if line.startswith("COPY")]
    assert copies == [". .", "--from=build /dist /dist"]
    assert any("uv build --wheel" in line for line in lines)
    assert any(
        "pip install --no-cache-dir --require-hashes -r /dist/requirements.txt" in line
        for line in lines
    )
    assert any("uv export --frozen" in line for line in lines)


def test_nothing_runs_manage_py_where_only_the_wheel_is_installed():
    """manage.py is not in the wheel: the image and compose call django-admin."""
    for path in ("Dockerfile", "docker-compose.yml"):
        assert "manage.py" not in "\n".join(instructions(ROOT / path)), path


def test_make_installs_from_the_lock_and_nothing_else():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = re.findall(r"^\t.*(?:pip install|\) sync|uv pip).*$", makefile, re.MULTILINE)
    # pip installs only uv itself, at a pinned version; the project comes from uv.lock.
    assert installs == [
        "\t$(UV_DIR)/bin/python -m pip install --quiet uv==$(UV_VERSION)",
        "\t$(UV_ENV) $(UV) sync --frozen --inexact",
        "\t$(UV_ENV) $(UV) sync --frozen --extra test",
    ]
    assert "UV_PYTHON_DOWNLOADS=never" in makefile


def test_the_lock_pins_every_package_with_hashes():
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    registry = [p for p in lock["package"] if "registry" in p.get("source", {})]
    assert len(registry) > 30
    unhashed = [
        p["name"]
        for p in registry
        if not all(
            f.get("hash", "").startswith("sha256:")
            for f in p.get("wheels", []) + [p.get("sdist", {})]
            if f
        )
    ]
    assert unhashed == []
    names = {p["name"] for p in lock["package"]}
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")
        assert name in names, requirement
