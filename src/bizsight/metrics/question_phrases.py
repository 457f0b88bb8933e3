"""The phrases of a question that are not names: comparisons with an earlier period, time grains,
ranking ("top 5"), and the words that make a question one bizsight must decline.

>>> find_compare("revenue this quarter compared with last")
(('previous', None), 'revenue this quarter')
>>> find_grain("monthly revenue")
('month', 'revenue')
>>> find_ranking("top 5 products by units")
(Ranking(descending=True, limit=5), 'products by units')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bizsight.metrics.question_words import NUMBERS

_VS = r"(?:vs|versus|compared (?:to|with)|compare to|against|relative to)"
_UNIT = r"(?P<unit>day|week|month|quarter|year|period|one)"
# (kind, pattern): kind "year" is the same period a year earlier; "previous" the period before,
# its unit (when said) decides between the two (see questions.resolve_compare).
COMPARES = (
    ("year", re.compile(rf"\b{_VS} (?:the )?same (?:period|day|week|month|quarter|time) (?:of )?(?:last|a|the previous|previous) year\b")),
    ("year", re.compile(r"\b(?:year over year|year on year|yoy|y o y)\b")),
    ("previous", re.compile(rf"\b{_VS} (?:the )?(?:(?:last|previous|prior|preceding) )?{_UNIT} before\b")),
    ("previous", re.compile(rf"\b{_VS} (?:the )?(?:last|previous|prior|preceding)(?: {_UNIT})?\b")),
    ("previous", re.compile(r"\b(?:period over period|pop)\b")),
)  # fmt: skip

GRAINS = {
    "day": ("day", "days", "daily"),
    "week": ("week", "weeks", "weekly"),
    "month": ("month", "months", "monthly"),
    "quarter": ("quarter", "quarters", "quarterly"),
    "year": ("year", "years", "yearly", "annual", "annually"),
}
_GRAIN_WORD = {word: grain for grain, words in GRAINS.items() for word in words}
_GRAIN_PATTERNS = (
    re.compile(r"\b(?:(?:per|by|each|every|a|for each|for every) )(?P<g>day|week|month|quarter|year)s?\b"),
    re.compile(r"\b(?P<g>day|week|month|quarter|year) (?:over|by|on|to) (?P=g)\b"),
    re.compile(r"\b(?P<g>daily|weekly|monthly|quarterly|yearly|annually|annual)\b"),
    re.compile(r"\b(?P<g>days|weeks|months|quarters|years)\b"),
)
_TREND = re.compile(r"\b(?:trend|trends|trending|over time|evolution|history|timeline)\b")

_UP = ("top", "best", "highest", "most", "largest", "biggest", "leading", "greatest", "max")
_DOWN = ("bottom", "worst", "lowest", "least", "smallest", "fewest", "weakest", "min")
_RANK = re.compile(
    r"\b(?P<w>" + "|".join(_UP + _DOWN) + r")(?: (?P<n>\d{1,4}|" + "|".join(NUMBERS) + r"))?\b"
)
DEFAULT_TOP = 10  # "top products" without a number

# Questions bizsight does not answer from the metrics layer: what will happen (forecasts have
# their own page and command), why something happened (insights), and anything that would
# change data. A query is never made for them.
FUTURE = frozenset(
    {
        "forecast",
        "forecasts",
        "predict",
        "prediction",
        "predicted",
        "will",
        "tomorrow",
        "next",
        "projected",
        "projection",
    }
)
WHY = frozenset({"why", "explain", "reason", "cause", "caused"})
WRITES = frozenset({"delete", "drop", "insert", "update", "truncate", "alter", "grant", "erase", "rename", "merge"})  # fmt: skip


@dataclass(frozen=True)
class Ranking:
    descending: bool
    limit: int | None


def _cut(text: str, match: re.Match[str]) -> str:
    return " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def find_compare(text: str) -> tuple[tuple[str, str | None] | None, str]:
    """The comparison asked for (kind, unit said or None) and the text without it."""
    for kind, pattern in COMPARES:
        match = pattern.search(text)
        if match:
            unit = match.groupdict().get("unit")
            return (kind, None if unit in (None, "period", "one") else unit), _cut(text, match)
    return None, text


def find_grain(text: str) -> tuple[str | None, str]:
    """The time grain asked for ("per week", "monthly", "by quarter", "trend" → month)."""
    for pattern in _GRAIN_PATTERNS:
        match = pattern.search(text)
        if match:
            return _GRAIN_WORD[match["g"]], _cut(text, match)
    match = _TREND.search(text)
    if match:
        return "month", _cut(text, match)
    return None, text


def find_ranking(text: str) -> tuple[Ranking | None, str]:
    """ "top 5", "worst 3", "highest", "most": order (largest first or last) and a limit."""
    match = _RANK.search(text)
    if not match:
        return None, text
    word, n = match["w"], match["n"]
    limit = (
        (int(n) if n.isdigit() else NUMBERS[n]) if n else (DEFAULT_TOP if word in ("top", "bottom") else None)
    )
    return Ranking(word in _UP, limit), _cut(text, match)
