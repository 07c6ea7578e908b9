"""Chinese text as search terms (docs/search.md).

Text is normalised first, the same way on both sides (indexed records and queries): NFKC
folds full-width letters and digits, Latin letters go to lower case, traditional characters
become simplified ones (OpenCC t2s). Then it is cut two ways:

- **words**: jieba in search mode with the telecom user dictionary (the one the category
  suggestion uses), for ranking: a query word that is a dictionary word scores higher where
  it stands as a word;
- **grams**: every Chinese run as overlapping character bigrams followed by its last
  character alone, and every Latin/digit run as one token. A Chinese query run of two or
  more characters is the phrase of its bigrams (found exactly where the run is a substring),
  a single character is a prefix of a gram (every character starts one), a Latin/digit run
  is a prefix of a token. So what a `LIKE '%…%'` scan finds, grams find, whichever way jieba
  would cut the phrase in context.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Bumped when the cutting below changes; with the dictionary's digest it makes the
# segmentation version stored with every indexed record (a change means `sqm search reindex`).
CUTTING = 1

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_lock = threading.Lock()
_converter = None


def _t2s(text: str) -> str:
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return _converter.convert(text)


def normalise(text: str) -> str:
    """TEXT as it is indexed and searched: full-width folded, lower case, simplified."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    return _t2s(text) if _CJK.search(text) else text


@lru_cache(maxsize=1)
def version() -> str:
    """The segmentation's version: the cutting and the user dictionary's digest."""
    from sqm.complaints.textmining import USER_DICTIONARY

    digest = hashlib.sha256(USER_DICTIONARY.read_bytes()).hexdigest()[:12]
    return f"{CUTTING}-{digest}"


def grams(text: str) -> list[str]:
    """The gram tokens of normalised TEXT, in order."""
    out: list[str] = []
    for run in _RUN.findall(text):
        if run[0] <= "z":  # Latin letters and digits: the run is a token
            out.append(run)
            continue
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
        out.append(run[-1])
    return out


def words(text: str) -> list[str]:
    """The dictionary words of normalised TEXT (jieba, search mode), in order."""
    from sqm.complaints.textmining import _get_segmenter

    tokenizer = _get_segmenter().tokenizer
    # Punctuation and spaces are no words; a word mixing Latin and Chinese (pon口) is one.
    return [w for w in tokenizer.cut_for_search(text, HMM=True) if w and _only_runs(w)]


def _only_runs(word: str) -> bool:
    return "".join(_RUN.findall(word)) == word


@dataclass(frozen=True)
class Term:
    """One whitespace-separated part of a query: every part must be found (AND)."""

    text: str  # normalised
    runs: tuple[str, ...]  # its Chinese and Latin/digit runs
    word: str | None  # the term itself when jieba keeps it as one word

    @property
    def is_number(self) -> bool:
        return self.text.isdigit()


# A query is cut to this many terms of at most this many characters per run: longer input
# is no search a person types (PostgreSQL refuses a tsquery word over 2 KB).
MAX_TERMS, MAX_RUN = 16, 64


def terms(query: str) -> list[Term]:
    """The terms of QUERY (normalised, split at whitespace and punctuation); a term without
    any letter, digit or Chinese character is dropped."""
    out = []
    for part in normalise(query).split()[:MAX_TERMS]:
        runs = tuple(run[:MAX_RUN] for run in _RUN.findall(part))
        if not runs:
            continue
        text = "".join(runs)
        out.append(Term(text=text, runs=runs, word=text if text in words(text) else None))
    return out
