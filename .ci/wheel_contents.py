"""The wheel holds every package of the project (pyproject's import-linter root packages,
which tests/core/test_layers.py keeps equal to the project's apps), with each one's
compiled translations, migrations, templates and static files, and neither tests nor
benchmarks. Usage: wheel_contents.py WHEEL"""

import sys
import tomllib
import zipfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
# A folder of the checkout's package -> what the wheel must then hold under it.
MUST_SHIP = {
    "locale": "/LC_MESSAGES/django.mo",
    "migrations": "/migrations/__init__.py",
    "templates": "/templates/",
    "static": "/static/",
}

names = zipfile.ZipFile(sys.argv[1]).namelist()
pyproject = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
packages = set(pyproject["tool"]["importlinter"]["root_packages"])
shipped = {name.split("/")[0] for name in names} - {
    n.split("/")[0] for n in names if ".dist-info/" in n
}
problems = []
if shipped != packages:
    problems.append(f"top-level packages {sorted(shipped)}, the project's are {sorted(packages)}")
for package in sorted(packages):
    for folder, marker in MUST_SHIP.items():
        if (CHECKOUT / package / folder).is_dir() and not any(
            name.startswith(f"{package}/") and marker in name for name in names
        ):
            problems.append(f"{package}/{folder}: nothing like *{marker} in the wheel")
if problems:
    sys.exit("the wheel is incomplete:\n  " + "\n  ".join(problems))
print(
    f"wheel: {len(packages)} packages, with their translations, migrations, templates and static files"
)
