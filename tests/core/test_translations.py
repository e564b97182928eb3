"""Chinese is the default language and its translation is complete and compiled."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

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
