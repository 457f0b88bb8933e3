"""Questions in plain English → the query object (:class:`~bizsight.metrics.query.Query`).

Offline and deterministic: the question's words are corrected against the vocabulary (catalogue
names, labels, synonyms and the warehouse's members), then read in passes — a comparison with an
earlier period, the period, the time grain, a ranking, and last the names. A question that names
no metric, names something the catalogue does not have, asks about the future or why, or would
change data is declined: no query, and the closest questions that can be answered.

>>> import datetime as dt
>>> from bizsight.metrics.definitions import builtin
>>> from bizsight.metrics.question_words import vocabulary
>>> cat = builtin()
>>> vocab = vocabulary(cat, {"region": ["Europe", "North America"]})
>>> reading = read_question("revnue by reigon last quarter", cat, vocab, dt.date(2026, 8, 15))
>>> reading.query.metrics, reading.query.dimensions, reading.query.start, reading.query.end
(('revenue',), ('region',), datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
>>> reading.interpretation
'I read this as: revenue, by region, 1 Apr – 30 Jun 2026.'
>>> read_question("what's the weather tomorrow", cat, vocab, dt.date(2026, 8, 15)).query is None
True
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from functools import cache

from bizsight.metrics.definitions import Catalogue, Compare
from bizsight.metrics.query import Filter, Grain, Query
from bizsight.metrics.question_periods import MONTHS, ORDINALS, Period, find_period
from bizsight.metrics.question_phrases import (
    FUTURE,
    GRAINS,
    WHY,
    WRITES,
    find_compare,
    find_grain,
    find_ranking,
)
from bizsight.metrics.question_replies import closest_questions, incompatible, interpretation
from bizsight.metrics.question_words import NUMBERS, STOPWORDS, Term, Vocabulary, correction, tokens

NEGATIONS = frozenset({"excluding", "except", "without", "not", "outside", "exclude", "minus", "ex"})
VERSUS = frozenset({"vs", "versus", "compared", "against", "compare"})
# An unknown word after these names a dimension we lack ("by employee")...
GROUPING = frozenset({"by", "per", "across", "each", "every"})
# ... and after these a member we lack ("in Narnia").
PLACE = frozenset({"in", "for", "from", "at"})
OTHER_WORDS = frozenset({
    "last", "past", "previous", "prior", "trailing", "recent", "since", "between", "until", "till",
    "thru", "starting", "vs", "versus", "compared", "compare", "against", "same", "before", "half",
    "quarter", "today", "yesterday", "top", "bottom", "best", "worst", "highest", "lowest", "most",
    "least", "largest", "biggest", "smallest", "fewest", "leading", "trend", "trends", "trending",
    "time", "period", "ytd", "qtd", "mtd", "excluding", "except", "without", "outside", "exclude",
    "minus", "h1", "h2", "q1", "q2", "q3", "q4", "select", "from",
})  # fmt: skip

CONFIDENT = 0.9  # below this, the reading comes with "did you mean" suggestions


@dataclass(frozen=True)
class Reading:
    """What a question was read as: the query (None when declined), that query in words, how sure
    the reading is (0–1), questions to try instead, and why it was declined."""

    query: Query | None
    interpretation: str
    confidence: float
    suggestions: tuple[str, ...] = ()
    read_as: str = ""  # the question's words after typo correction
    reason: str | None = None


@dataclass
class _Item:
    term: Term
    start: int
    end: int
    negated: bool = False
    attached: bool = False  # a dimension's word beside one of its members ("the Europe region")


@dataclass
class _Words:
    items: list[_Item] = field(default_factory=list)
    unknown: list[tuple[int, str]] = field(default_factory=list)
    toks: list[str] = field(default_factory=list)


# Words of the grammar rather than of the vocabulary: never unknown, never "corrected" away.
GRAMMAR = frozenset(
    STOPWORDS
    | set(MONTHS)
    | set(ORDINALS)
    | set(NUMBERS)
    | FUTURE
    | WHY
    | WRITES
    | NEGATIONS
    | OTHER_WORDS
    | {w for forms in GRAINS.values() for w in forms}
)


@cache
def _known(vocab_id: int, words: frozenset[str]) -> frozenset[str]:
    return words | GRAMMAR


def known_words(vocab: Vocabulary) -> frozenset[str]:
    """Every word a question may use: the vocabulary's and the grammar's (for typo correction)."""
    return _known(id(vocab), frozenset(vocab.words))


def read_question(
    question: str,
    catalogue: Catalogue,
    vocab: Vocabulary,
    today: dt.date,
    fiscal_year_start: int = 1,
) -> Reading:
    """Read ``question`` as a query on ``catalogue``, periods resolved against ``today``."""
    raw = tokens(question)
    known = known_words(vocab)
    corrected = [correction(w, known) or w for w in raw]
    fixes = sum(a != b for a, b in zip(raw, corrected, strict=True))
    read_as = " ".join(corrected)
    decline = _Decliner(catalogue, read_as)
    if not raw:
        return decline("there is no question to read")
    if ";" in question or WRITES & set(corrected) or {"select", "from"} <= set(corrected):
        return decline("I only read the metrics; I don't run commands or change data")
    if FUTURE & set(corrected):
        return decline(
            "I answer from the data so far; forecasts are on the Forecasts page and `bizsight forecast`",
            _metrics_in(corrected, vocab),
        )
    if WHY & set(corrected):
        return decline(
            "I can't say why; I can show the numbers by period and dimension", _metrics_in(corrected, vocab)
        )

    try:
        return _read(read_as, catalogue, vocab, today, fiscal_year_start, fixes, decline)
    except (ValueError, OverflowError):  # a Query refused (start after end, top 0), a 30 February
        return decline(
            "its dates or numbers do not make a query (a period that ends before it starts, "
            "a day that does not exist, top 0)",
            _metrics_in(corrected, vocab),
        )


def _read(
    read_as: str,
    catalogue: Catalogue,
    vocab: Vocabulary,
    today: dt.date,
    fiscal_year_start: int,
    fixes: int,
    decline: _Decliner,
) -> Reading:
    """The passes over the corrected words: comparison, period, grain, ranking, then names."""
    compared, text = find_compare(read_as)
    period, text = find_period(text, today, fiscal_year_start)
    grain, text = find_grain(text)
    ranking, text = find_ranking(text)
    words = _match(text.split(), vocab)
    metrics = _metrics(words)
    if not metrics:
        return decline("I found no metric in the question", [])
    for position, word in words.unknown:
        before = words.toks[position - 1] if position else ""
        if before in GROUPING:
            return decline(f"I don't know a dimension called '{word}'", metrics)
        if before in PLACE:
            return decline(
                f"I don't know '{word}' (no region, category, channel, ... is called that)", metrics
            )
    if words.unknown:
        # Answering without a word the question used would answer another question.
        unknown = [w for _, w in words.unknown]
        plural = "s" if len(unknown) > 1 else ""
        return decline(
            f"I don't know the word{plural} {', '.join(repr(w) for w in unknown)}",
            metrics,
            first=_rebuilt(read_as, unknown),
        )

    filters = _filters(words)
    dimensions = _dimensions(words)
    if period is None and compared and compared[1] in ("week", "month", "quarter", "year"):
        found, _ = find_period(f"this {compared[1]}", today, fiscal_year_start)
        period = found
    compare = _compare(compared, period)
    metrics, compare = _growth(catalogue, metrics, compare)
    order_by: tuple[str, ...] = ()
    limit = None
    if ranking and (dimensions or grain):
        order_by = (("-" if ranking.descending else "") + _ranked_metric(words, metrics),)
        limit = ranking.limit
    problem = incompatible(catalogue, metrics, [*dimensions, *(f.dimension for f in filters)])
    if problem:
        return decline(problem, metrics)
    query = Query(
        metrics=tuple(metrics),
        dimensions=tuple(dimensions),
        grain=Grain(grain) if grain else None,
        start=period.start if period else None,
        end=period.end if period else None,
        filters=tuple(filters),
        compare=compare,
        order_by=order_by,
        limit=limit,
    )
    confidence = max(0.1, 1.0 - 0.1 * fixes)
    suggestions: tuple[str, ...] = ()
    if confidence < CONFIDENT and fixes:
        suggestions = (read_as,)
    return Reading(query, interpretation(catalogue, query), round(confidence, 2), suggestions, read_as)


def _match(toks: list[str], vocab: Vocabulary) -> _Words:
    """The longest phrases of the vocabulary, left to right; other words that are not stopwords
    are unknown."""
    found = _Words(toks=toks)
    i = 0
    while i < len(toks):
        for length in range(min(vocab.longest, len(toks) - i), 0, -1):
            term = vocab.phrases.get(tuple(toks[i : i + length]))
            if term is not None:
                found.items.append(_Item(term, i, i + length))
                i += length
                break
        else:
            if toks[i] not in GRAMMAR and not toks[i].isdigit():
                found.unknown.append((i, toks[i]))
            i += 1
    _attach(found)
    return found


def _attach(found: _Words) -> None:
    """Mark negated members, dimension words beside their members ("the marketplace channel"),
    and metric words that only describe a member ("online orders", "enterprise customers") when
    the question has another metric."""
    items = found.items
    for index, item in enumerate(items):
        if item.term.kind == "member" and item.start and found.toks[item.start - 1] in NEGATIONS:
            item.negated = True
        if item.term.kind != "dimension":
            continue
        for other in items[max(0, index - 1) : index + 2]:
            beside = other.end == item.start or item.end == other.start
            if other.term.kind == "member" and beside and _related(item.term.name, other.term.name):
                item.attached = True
    metrics = [i for i in items if i.term.kind == "metric"]
    if len({i.term.name for i in metrics}) < 2:
        return
    for index, item in enumerate(items):
        previous = items[index - 1] if index else None
        if (
            item.term.kind == "metric"
            and previous is not None
            and previous.end == item.start
            and (previous.term.kind == "member" or previous.attached)
        ):
            item.attached = True


def _related(word_dimension: str, member_dimension: str) -> bool:
    """A dimension's word beside a member of it, or of a dimension whose name holds the word:
    "channel" said beside a sales channel's member means the sales channel."""
    return set(word_dimension.split("_")) <= set(member_dimension.split("_"))


def _metrics(words: _Words) -> list[str]:
    names: list[str] = []
    for item in words.items:
        if item.term.kind == "metric" and not item.attached and item.term.name not in names:
            names.append(item.term.name)
    return names


def _metrics_in(toks: list[str], vocab: Vocabulary) -> list[str]:
    return _metrics(_match(toks, vocab))


def _dimensions(words: _Words) -> list[str]:
    names: list[str] = []
    for item in words.items:
        if item.term.kind == "dimension" and not item.attached and item.term.name not in names:
            names.append(item.term.name)
    members = [i for i in words.items if i.term.kind == "member"]
    for a, b in itertools.pairwise(members):
        between = set(words.toks[a.end : b.start])
        if a.term.name == b.term.name and between & VERSUS and a.term.name not in names:
            names.append(a.term.name)
    return names


def _filters(words: _Words) -> list[Filter]:
    chosen: dict[tuple[str, bool], list[str]] = {}
    for item in words.items:
        if item.term.kind == "member" and item.term.value is not None:
            values = chosen.setdefault((item.term.name, item.negated), [])
            if item.term.value not in values:
                values.append(item.term.value)
    filters = []
    for (dimension, negated), values in chosen.items():
        if len(values) == 1:
            filters.append(Filter(dimension=dimension, op="!=" if negated else "=", values=tuple(values)))
        else:
            filters.append(
                Filter(dimension=dimension, op="not_in" if negated else "in", values=tuple(values))
            )
    return filters


def _compare(compared: tuple[str, str | None] | None, period: Period | None) -> Compare | None:
    """ "vs last year" is a year earlier unless the period is itself a year; "vs last", "vs the
    previous quarter", "vs the month before" are the period before."""
    if compared is None:
        return None
    kind, unit = compared
    if kind == "year" or (unit == "year" and (period is None or period.unit != "year")):
        return Compare.PREVIOUS_YEAR
    return Compare.PREVIOUS_PERIOD


def _growth(
    catalogue: Catalogue, metrics: list[str], compare: Compare | None
) -> tuple[list[str], Compare | None]:
    """ "YoY revenue growth": the growth metric measured against that comparison, if there is one."""
    if compare is None:
        return metrics, compare
    swapped = []
    for name in metrics:
        metric = catalogue.metrics[name]
        twin = next(
            (
                n
                for n, m in catalogue.metrics.items()
                if metric.growth and m.growth == metric.growth and m.compare == compare
            ),
            None,
        )
        swapped.append(twin or name)
    return swapped, (None if swapped != metrics else compare)


def _ranked_metric(words: _Words, metrics: list[str]) -> str:
    """The metric after "by" ("top 5 products by units"), else the first."""
    for item in words.items:
        after_by = item.start and words.toks[item.start - 1] == "by"
        if item.term.kind == "metric" and after_by and item.term.name in metrics:
            return item.term.name
    return metrics[0]


@dataclass(frozen=True)
class _Decliner:
    catalogue: Catalogue
    read_as: str

    def __call__(self, reason: str, metrics: list[str] | None = None, first: str | None = None) -> Reading:
        suggestions = closest_questions(self.catalogue, metrics or [])
        if first:
            suggestions = tuple(dict.fromkeys([first, *suggestions]))[:5]
        return Reading(None, f"I can't answer that: {reason}.", 0.0, suggestions, self.read_as, reason)


def _rebuilt(read_as: str, unknown: list[str]) -> str:
    """The question without the words that were not understood."""
    return " ".join(w for w in read_as.split() if w not in unknown)
