"""The zh-hans catalogue: complete, not fuzzy, placeholders intact, and compiled.

The .po file is read with a small parser here (no dependency on polib or GNU gettext), and
the committed .mo is loaded with the standard library's `gettext`: CI machines may have no
msgfmt, so the .mo in the repository must already match the .po.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

# printf-style conversions as Python's % operator reads them; "%%" is a literal percent.
PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa%]")
# Named conversions only, for entries not flagged python-format ("100% off" is plain text).
NAMED = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACES = re.compile(r"\{[^{}]*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def translation(self) -> str:
        return self.msgstr.get(0, "")

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""); obsolete `#~` entries are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    seen_keyword = False

    def finish() -> None:
        nonlocal entry, seen_keyword
        if entry is not None and seen_keyword:
            entries.append(entry)
        entry, seen_keyword = None, False

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if entry is None or (seen_keyword and line.startswith("#")):
            finish()
            entry = Entry(line=number)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert target is not None, f"line {number}: a string outside any keyword"
            keyword, rest = None, line
        else:
            seen_keyword = True
            if keyword.startswith("msgstr["):
                target = ("msgstr", int(keyword[len("msgstr[") : -1]))
            elif keyword in {"msgid", "msgid_plural", "msgctxt", "msgstr"}:
                target = (keyword, 0)
            else:
                raise AssertionError(f"line {number}: unknown keyword {keyword!r}")
        value = ast.literal_eval(rest)
        name, index = target
        if name == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + value
        else:
            setattr(entry, name, (getattr(entry, name) or "") + value)
    finish()
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(catalogue) -> list[Entry]:
    return [entry for entry in catalogue if entry.msgid]


def placeholders(text: str, entry: Entry) -> list[str]:
    if "python-format" in entry.flags:
        found = [token for token in PRINTF.findall(text) if token != "%%"]
    else:
        found = NAMED.findall(text)
    if "python-brace-format" in entry.flags:
        found += BRACES.findall(text)
    return sorted(found)


def test_the_parser_reads_continuation_lines_plurals_and_flags():
    entries = parse_po(
        '# comment\nmsgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        "#: a.py:1\n#, fuzzy, python-format\n"
        'msgid ""\n"%(n)s row "\n"read"\nmsgid_plural "%(n)s rows read"\n'
        'msgstr[0] "已读取 %(n)s 行"\n\n'
        '#~ msgid "gone"\n#~ msgstr "旧"\n'
    )
    assert [e.msgid for e in entries] == ["", "%(n)s row read"]
    assert entries[0].translation == "Language: zh_Hans\n"
    assert entries[1].msgid_plural == "%(n)s rows read"
    assert entries[1].flags == {"fuzzy", "python-format"}
    assert entries[1].translation == "已读取 %(n)s 行"


def test_the_header_declares_simplified_chinese_without_plurals(catalogue):
    header = catalogue[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Language: zh_Hans\n" in header.translation
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.translation
    assert "charset=UTF-8" in header.translation


def test_every_message_is_translated(messages):
    assert len(messages) > 300
    untranslated = [str(entry) for entry in messages if not entry.translation.strip()]
    assert untranslated == []


def test_no_message_is_fuzzy(catalogue):
    assert [str(entry) for entry in catalogue if "fuzzy" in entry.flags] == []


def test_plural_messages_have_exactly_one_form(messages):
    plurals = [entry for entry in messages if entry.msgid_plural is not None]
    assert plurals, "the catalogue is expected to hold at least one plural message"
    assert [str(entry) for entry in plurals if sorted(entry.msgstr) != [0]] == []


def test_placeholders_are_kept(messages):
    wrong = []
    for entry in messages:
        expected = placeholders(entry.msgid_plural or entry.msgid, entry)
        if placeholders(entry.translation, entry) != expected:
            wrong.append(f"{entry}: {expected} → {entry.translation!r}")
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file(messages):
    """The committed .mo says what the .po says: run `make messages` after editing the .po."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages:
        if entry.msgid_plural is not None:
            got = {
                compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt is None
                else compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            }
            if got != {entry.translation}:
                stale.append(str(entry))
        else:
            got = (
                compiled.gettext(entry.msgid)
                if entry.msgctxt is None
                else compiled.pgettext(entry.msgctxt, entry.msgid)
            )
            if got != entry.translation:
                stale.append(str(entry))
    assert stale == []


def test_the_login_page_speaks_chinese_by_default(client, db):
    response = client.get(reverse("login"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "登录" in page
    assert "用户名" in page
    assert "Log in" not in page


def test_the_login_page_speaks_english_when_chosen(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("login"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Log in" in page
    assert "登录" not in page
