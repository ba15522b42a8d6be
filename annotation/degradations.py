"""Ways to degrade a response for an attention item (make_attention_items). No Django.

- ``splice`` (the default, WMT's "bad reference"): a phrase taken from another response replaces the span of the
  same length in the middle of this one. Its length grows with the response's: 1 unit for a response of 1, 2 up
  to 5, 3 up to 8, 4 up to 15, 5 up to 20, then a quarter of the response. A unit is a word in text written with
  spaces; in Japanese (written without spaces) a unit is two characters: the length is taken on half the
  characters and doubled.
- ``truncate``: the second half of the response is dropped (the answer stops mid-way).
- ``shuffle``: its sentences are put in a random order (the answer no longer reads as an argument).

Each works on one turn's text; a multi-turn response has each turn degraded.
"""

import random
import re
import unicodedata

DEGRADATIONS = ("splice", "truncate", "shuffle")
SENTENCE_END = re.compile(r"(?<=[。．！？!?.])\s*")


def phrase_length(units):
    """How many units of a response of ``units`` units the spliced phrase takes."""
    for limit, length in ((1, 1), (5, 2), (8, 3), (15, 4), (20, 5)):
        if units <= limit:
            return length if units else 0
    return units // 4


def is_unspaced(text):
    """True for text written without spaces between words (Japanese, Chinese): most letters are CJK or kana."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return False
    wide = sum(1 for char in letters if unicodedata.east_asian_width(char) in ("W", "F"))
    return wide * 2 > len(letters)


def splice(text, donor, rng):
    """``text`` with its middle span replaced by a phrase of ``donor`` of the same length (see the module)."""
    unspaced = is_unspaced(text)
    units, donor_units = (list(text), list(donor)) if unspaced else (text.split(), donor.split())
    length = 2 * phrase_length(len(units) // 2) if unspaced else phrase_length(len(units))
    length = min(length, len(units), len(donor_units))
    if length == 0:
        return text
    start = rng.randrange(len(donor_units) - length + 1)
    middle = (len(units) - length) // 2
    spliced = units[:middle] + donor_units[start:start + length] + units[middle + length:]
    return "".join(spliced) if unspaced else " ".join(spliced)


def truncate(text, donor, rng):
    return text[: len(text) // 2]


def shuffle(text, donor, rng):
    sentences = [part for part in SENTENCE_END.split(text) if part]
    if len(sentences) < 2:
        return truncate(text, donor, rng)
    original = list(sentences)
    while sentences == original:
        rng.shuffle(sentences)
    separator = "" if is_unspaced(text) else " "
    return separator.join(sentences)


def degrade(turns, donor_turns, how, seed):
    """The turns of a response degraded ``how`` (one of DEGRADATIONS), using ``donor_turns`` (another response's)
    for a splice; the same seed gives the same copy."""
    if how not in DEGRADATIONS:
        raise ValueError(f"unknown degradation {how!r}; choose one of {', '.join(DEGRADATIONS)}")
    rng = random.Random(seed)
    method = {"splice": splice, "truncate": truncate, "shuffle": shuffle}[how]
    donor = " ".join(donor_turns) if donor_turns else ""
    return [method(text, donor, rng) for text in turns]
