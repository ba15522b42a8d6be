"""The Japanese catalog: Japanese is the default language, so every message needs a Japanese text,
and the compiled catalog (what Django reads) must match the one people edit."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

CATALOG = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES"
# The project's catalogue and the apps' own (judging keeps one); Django merges them all.
CATALOGS = [CATALOG, *sorted(Path(settings.BASE_DIR).glob("*/locale/ja/LC_MESSAGES"))]
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


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: str(path.relative_to(settings.BASE_DIR)))
def test_every_message_has_a_japanese_text_and_none_is_a_guess(catalog):
    entries = po_entries(catalog / "django.po")

    fuzzy = [fields["msgid"] for flags, fields in entries if "fuzzy" in flags]
    untranslated = [fields["msgid"] for _, fields in entries if not any(
        text for keyword, text in fields.items() if keyword.startswith("msgstr"))]
    assert (fuzzy, untranslated) == ([], []), "translate these in locale/ja/LC_MESSAGES/django.po"


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: str(path.relative_to(settings.BASE_DIR)))
def test_compiled_catalog_matches_the_po_file(catalog):
    with open(catalog / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = []
    for _, fields in po_entries(catalog / "django.po"):
        if "msgid_plural" in fields:
            continue  # plural forms are looked up differently; none in use yet
        if "msgctxt" in fields:
            text = compiled.pgettext(fields["msgctxt"], fields["msgid"])
        else:
            text = compiled.gettext(fields["msgid"])
        if text != fields["msgstr"]:
            stale.append(fields["msgid"])
    assert stale == [], "run: python manage.py compilemessages -l ja --ignore=.venv"


GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy", "ngettext",
                 "ngettext_lazy", "npgettext", "npgettext_lazy"}
SOURCE_FOLDERS = ("annotation", "judging", "exports", "hyoka")
TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\((u'(?:[^'\\]|\\.)*')(?:, (u'(?:[^'\\]|\\.)*'))?")


def python_messages(path):
    """(msgctxt or None, msgid) of every literal handed to a gettext function in a Python file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in GETTEXT_NAMES:
            continue
        literals = [arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        if name.startswith(("pgettext", "npgettext")) and len(literals) == 2:
            found.append((literals[0], literals[1]))
        elif literals and not name.startswith(("pgettext", "npgettext")):
            found.append((None, literals[0]))
    return found


def template_messages(path):
    """(msgctxt or None, msgid) of every {% translate %} and {% blocktranslate %} in a template, as makemessages
    reads them (Django's templatize turns them into gettext calls)."""
    from django.utils.translation.template import templatize

    found = []
    for function, first, second in TEMPLATE_CALL.findall(templatize(path.read_text(encoding="utf-8"))):
        first = ast.literal_eval(first[1:])
        if function.endswith("pgettext") and second:
            found.append((first, ast.literal_eval(second[1:])))
        else:
            found.append((None, first))
    return found


def test_every_message_in_the_code_and_templates_has_a_japanese_text():
    """A string marked for translation but missing from the catalogue shows in English on Japanese pages:
    run makemessages (see the catalogue's header) and translate it."""
    base = Path(settings.BASE_DIR)
    translated = {(fields.get("msgctxt"), fields["msgid"]) for catalog in CATALOGS
                  for _, fields in po_entries(catalog / "django.po") if fields.get("msgstr") or fields.get("msgstr[0]")}
    wanted = set()
    for folder in SOURCE_FOLDERS:
        for path in (base / folder).rglob("*.py"):
            if "migrations" not in path.parts and "testing" not in path.parts:
                wanted.update((ctx, msgid, path.relative_to(base)) for ctx, msgid in python_messages(path))
    for path in (base / "templates").rglob("*.html"):
        wanted.update((ctx, msgid, path.relative_to(base)) for ctx, msgid in template_messages(path))

    missing = sorted(f"{path}: {msgid!r}" for ctx, msgid, path in wanted if (ctx, msgid) not in translated)
    assert not missing, ("not in a catalogue (run makemessages, see the catalogue's header, and translate):\n"
                         + "\n".join(missing))
