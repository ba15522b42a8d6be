"""The Japanese catalog: Japanese is the default language, so every message needs a Japanese text,
and the compiled catalog (what Django reads) must match the one people edit."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

CATALOG = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"
ENTRY_LINE = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$')


def po_entries(path):
    """[(flags, {keyword: text})] for each entry of a .po file; enough of the format for Django's catalogs."""
    entries, flags, fields, keyword = [], "", {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if fields:
                entries.append((flags, fields))
            flags, fields, keyword = "", {}, None
        elif line.startswith("#,"):
            flags = line
        elif line.startswith('"') and keyword:
            fields[keyword] += ast.literal_eval(line)
        elif match := ENTRY_LINE.match(line):
            keyword = match[1]
            fields[keyword] = ast.literal_eval(match[2])
    return [(flags, fields) for flags, fields in entries if fields.get("msgid")]


def test_every_message_has_a_japanese_text_and_none_is_a_guess():
    entries = po_entries(CATALOG / "django.po")

    fuzzy = [fields["msgid"] for flags, fields in entries if "fuzzy" in flags]
    untranslated = [fields["msgid"] for _, fields in entries if not any(
        text for keyword, text in fields.items() if keyword.startswith("msgstr"))]
    assert (fuzzy, untranslated) == ([], []), "translate these in locale/ja/LC_MESSAGES/django.po"


def test_compiled_catalog_matches_the_po_file():
    with open(CATALOG / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = []
    for _, fields in po_entries(CATALOG / "django.po"):
        if "msgid_plural" in fields:
            continue  # plural forms are looked up differently; none in use yet
        if "msgctxt" in fields:
            text = compiled.pgettext(fields["msgctxt"], fields["msgid"])
        else:
            text = compiled.gettext(fields["msgid"])
        if text != fields["msgstr"]:
            stale.append(fields["msgid"])
    assert stale == [], "run: python manage.py compilemessages -l ja --ignore=.venv"
