"""Chinese is the default language and its translation is complete and compiled."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

from tests.workers import database_url

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_every_app_with_strings_has_a_catalogue():
    apps_with_catalogue = {path.parts[-5] for path in CATALOGUES}
    assert {"config", "core", "accounts"} <= apps_with_catalogue


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_the_catalogue_is_complete_and_compiled(path):
    catalogue = polib.pofile(str(path))
    assert not catalogue.untranslated_entries(), [e.msgid for e in catalogue.untranslated_entries()]
    assert not catalogue.fuzzy_entries(), [e.msgid for e in catalogue.fuzzy_entries()]
    assert path.with_suffix(".mo").exists(), "run python -m core.compile_messages"


def test_the_default_language_is_chinese(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("Invalid input.") != "Invalid input."


def test_re_extracting_the_messages_finds_nothing_missing(tmp_path):
    """`make messages` (Django's makemessages, i.e. xgettext) run on a copy of the project
    finds no msgid that a zh_Hans catalogue lacks or has only fuzzily: every string a
    person reads is in the catalogue, not only the ones already extracted."""
    if shutil.which("xgettext") is None:
        pytest.skip("needs GNU gettext's xgettext (apt-get install gettext)")
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    copy.mkdir()
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    apps = [path.parts[-5] for path in CATALOGUES]
    for app in {*apps, "config"}:
        shutil.copytree(ROOT / app, copy / app, ignore=ignore)
    # A DATABASE_URL (makemessages connects to nothing): no embedded server in the copy.
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url()}
    env.pop("REDIS_URL", None)
    missing = {}
    for app in apps:
        subprocess.run(
            [sys.executable, "../manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
            cwd=copy / app,
            env=env,
            check=True,
            capture_output=True,
        )
        catalogue = polib.pofile(str(copy / app / "locale/zh_Hans/LC_MESSAGES/django.po"))
        entries = catalogue.untranslated_entries() + catalogue.fuzzy_entries()
        if entries:
            missing[app] = [entry.msgid for entry in entries]
    assert not missing, f"run `make messages` and translate: {missing}"
