"""`.env.example` names every variable of docs/settings.md, and nothing else."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_names_every_documented_variable():
    documented = set()
    for line in (ROOT / "docs" / "settings.md").read_text().splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            documented.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_column))
    example = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented - example == set(), "missing from .env.example"
    assert example - documented == set(), "in .env.example, not in docs/settings.md"
    assert len(documented) > 50
