"""Compile every app's .po catalogue to .mo with polib: no GNU gettext needed to set up.

Run as `python -m core.compile_messages`; `make run` and `make test` do.
"""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "config",
    "core",
    "accounts",
    "notifications",
    "points",
    "merchants",
    "cadres",
    "moderation",
    "rankings",
    "stalls",
    "opendata",
    "livestream",
    "desk",
    "privacy",
]


def compile_all() -> list[Path]:
    compiled = []
    for app in APPS:
        for po_path in sorted((ROOT / app / "locale").glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            compiled.append(mo_path)
    return compiled


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(ROOT)}")
