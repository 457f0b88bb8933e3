"""The words of a question: how text becomes tokens, the vocabulary the catalogue and the
warehouse's members give, and the correction of typos against it.

>>> tokens("What's the AOV for Home & Kitchen, in Q3-2025?")
['whats', 'the', 'aov', 'for', 'home', 'and', 'kitchen', 'in', 'q3', '2025']
>>> osa("reigon", "region"), osa("revnue", "revenue"), osa("abc", "xyz")
(1, 1, 3)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from bizsight.metrics.definitions import Catalogue

_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}|[a-z0-9]+")

# Words that carry no meaning of their own in a question (they are never corrected, never
# "unknown"). Filter positions ("in", "for", ...) still matter: the parser reads their neighbours.
STOPWORDS = frozenset(
    """
    a about across acquire acquired all also am an and any are as at be been broken bought buy
    by can change changed could current data day did do does done down during each every far
    figure figures for from get give given go going got had has have how i id im in into is it
    its just kindly know latest let lets like list look looking many me much my need new no now
    number numbers of on or our out over overall per please plot put ratio report see show
    showing so some split tell than that the their them then there these they this those through
    to total totals us value values via want was we were what whats when where which who whom
    with within would you your came come made make across broken breakdown been being amount
    amounts
    """.split()  # noqa: SIM905
)
NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
}  # fmt: skip


def tokens(text: str) -> list[str]:
    """Lower-case words and numbers; ``&`` reads as "and", apostrophes vanish (what's → whats)."""
    text = text.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class Term:
    """What a phrase means: a metric, a dimension, or a member of a dimension (a filter value)."""

    kind: Literal["metric", "dimension", "member"]
    name: str  # the metric's or the dimension's name
    value: str | None = None  # a member as the warehouse holds it ("Home & Kitchen", "mobile_app")


@dataclass
class Vocabulary:
    """Phrase (a tuple of tokens) → term, and every word a question may use (for typos)."""

    phrases: dict[tuple[str, ...], Term] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    longest: int = 1

    def add(self, phrase: Iterable[str], term: Term) -> None:
        key = tuple(phrase)
        if not key or key in self.phrases:
            return  # the first meaning given wins: synonyms before names before labels
        self.phrases[key] = term
        self.words.update(key)
        self.longest = max(self.longest, len(key))


def plural(word: str) -> str:
    """The plural people type for a name's last word.

    >>> plural("category"), plural("region"), plural("sales")
    ('categories', 'regions', 'sales')
    """
    if word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("x", "ch", "sh")):
        return word + "es"
    return word + "s"


def _forms(text: str) -> list[tuple[str, ...]]:
    """A name or label as phrases: as written, without a bracketed part, the bracketed part
    alone, and each with its last word in the plural."""
    found = []
    plain = re.sub(r"\(([^)]*)\)", " ", text)
    inner = re.findall(r"\(([^)]*)\)", text)
    for variant in (text.replace("_", " "), plain.replace("_", " "), *inner):
        words = tuple(tokens(variant))
        if words:
            found += [words, (*words[:-1], plural(words[-1]))]
    return found


def vocabulary(catalogue: Catalogue, members: Mapping[str, Iterable[str]]) -> Vocabulary:
    """The vocabulary of a catalogue and the members of its dimensions (dimension → values).

    A member named in two dimensions ("Referral": a marketing channel and a deal source) means
    the dimension more models have, then the one with the shorter name.
    """
    vocab = Vocabulary()
    for kind, entries in (("metric", catalogue.metrics), ("dimension", catalogue.dimensions)):
        for name, entry in entries.items():
            for synonym in entry.synonyms:
                vocab.add(tokens(synonym), Term(kind, name))  # type: ignore[arg-type]
    for kind, entries in (("metric", catalogue.metrics), ("dimension", catalogue.dimensions)):
        for name, entry in entries.items():
            for phrase in [*_forms(name), *_forms(entry.label)]:
                vocab.add(phrase, Term(kind, name))  # type: ignore[arg-type]

    def preference(dimension: str) -> tuple[int, int]:
        return -len(catalogue.dimensions[dimension].sql), len(dimension)

    for dimension in sorted(members, key=preference):
        for value in members[dimension]:
            words = tokens(value.replace("_", " "))
            vocab.add(words, Term("member", dimension, value))
            if "and" in words:  # "Home & Kitchen" also as "home kitchen"
                vocab.add([w for w in words if w != "and"], Term("member", dimension, value))
    return vocab


def osa(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
    neighbouring letters (the commonest typo: "reigon") each cost 1."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def correction(word: str, known: frozenset[str]) -> str | None:
    """The known word ``word`` is most likely a typo of, or None. Short words, numbers and words
    whose first letter differs (typos rarely touch it) are left alone; one edit is allowed up to
    six letters, two beyond; a tie between candidates is no correction."""
    return _correction(word, known)


@lru_cache(maxsize=4096)
def _correction(word: str, known: frozenset[str]) -> str | None:
    if len(word) < 4 or word.isdigit() or word in known:
        return None
    allowed = 1 if len(word) <= 6 else 2
    best: list[tuple[int, str]] = []
    for candidate in known:
        if abs(len(candidate) - len(word)) > allowed or len(candidate) < 4:
            continue
        if candidate[0] != word[0] and candidate[:2] != word[1::-1]:
            continue
        distance = osa(word, candidate)
        if distance <= allowed:
            best.append((distance, candidate))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[0][0] == best[1][0]:
        return None
    return best[0][1]
