"""The Simplified Chinese catalogue: complete, compiled, and shown to consumers.

Chinese is the default language, so an untranslated or stale catalogue shows English
to the people the service is for.
"""

import re
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils.translation import gettext, override

MESSAGES = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = MESSAGES / "django.po"
MO_PATH = MESSAGES / "django.mo"

# A printf-style conversion: %(name)s, %s, %d, %r, %% and the like.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def translations(catalogue) -> dict:
    """(context, msgid) -> the translation(s) of every entry but the header."""
    found = {}
    for entry in catalogue:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.msgid_plural:
            text = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            text = entry.msgstr
        found[entry.msgctxt, entry.msgid] = text
    return found


def placeholders(text: str) -> list[str]:
    return sorted(match.group() for match in PLACEHOLDER.finditer(text))


def test_it_translates_every_message(po):
    assert po.metadata["Language"] == "zh_Hans"
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert not po.metadata_is_fuzzy
    entries = [entry for entry in po if not entry.obsolete]
    assert entries
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
    for entry in entries:
        if entry.msgid_plural:
            assert list(entry.msgstr_plural) == [0], entry.msgid
            assert entry.msgstr_plural[0].strip(), entry.msgid
        else:
            assert entry.msgstr.strip(), entry.msgid


def test_it_compiles_the_catalogue_as_it_stands(po):
    assert MO_PATH.exists(), "compile with: msgfmt --check -o django.mo django.po"
    compiled = translations(polib.mofile(str(MO_PATH)))
    assert compiled == translations(po), "django.mo is stale: compile django.po again"


def test_it_keeps_every_placeholder(po):
    wrong = []
    for entry in po:
        if entry.obsolete or "python-format" not in entry.flags:
            continue
        if entry.msgid_plural:
            sources = [entry.msgid, entry.msgid_plural]
            texts = list(entry.msgstr_plural.values())
        else:
            sources = [entry.msgid]
            texts = [entry.msgstr]
        wanted = placeholders(entry.msgid_plural or entry.msgid)
        assert all(placeholders(source) == wanted for source in sources), entry.msgid
        wrong += [(entry.msgid, text) for text in texts if placeholders(text) != wanted]
    assert wrong == []


def test_it_shows_the_consumer_page_in_chinese(world):
    with override("zh-hans"):
        headline = gettext("Genuine product")
    assert headline != "Genuine product"

    path = f"/01/{world.product.gtin}/21/{world.code(index=0)}"
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-verdict="genuine"' in html
    assert f"<h1>{headline}</h1>" in html
    assert "Genuine product" not in html
