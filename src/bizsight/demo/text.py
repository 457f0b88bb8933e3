"""Review texts whose sentiment agrees with the rating.

Texts are composed from phrase banks: 4-5 stars from positive phrases, 3 stars from neutral ones,
1-2 stars from negative ones. The positive and negative phrases carry words that a sentiment
lexicon such as VADER scores clearly (great, love, excellent / terrible, broken, disappointed);
the neutral phrases avoid them. ``POSITIVE_WORDS`` and ``NEGATIVE_WORDS`` list those words, so a
test can check the agreement without a sentiment library.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from bizsight.demo import fmt

POSITIVE_WORDS = frozenset(
    ("great", "love", "loved", "loves", "excellent", "fantastic", "happy", "amazing", "perfect",
     "perfectly", "recommend", "best", "good", "nice", "wonderful")
)  # fmt: skip
NEGATIVE_WORDS = frozenset(
    ("terrible", "broken", "broke", "disappointed", "disappointing", "poor", "bad", "awful",
     "waste", "worst", "horrible", "damaged", "useless")
)  # fmt: skip

# Five and four stars.
POSITIVE_OPEN = (
    "Great product!", "Absolutely love it.", "Excellent quality.", "Fantastic purchase.",
    "Really happy with this.", "Amazing value for money.", "Perfect, exactly what I needed.",
    "Wonderful item.",
)  # fmt: skip
POSITIVE_DETAIL = (
    "Works perfectly and looks great.", "Excellent build quality, I love the design.",
    "Arrived quickly and works great.", "The quality is excellent.", "Best purchase this year.",
    "My family loves it, great quality.",
)  # fmt: skip
POSITIVE_CLOSE = (
    "Highly recommend!", "Would buy again, love it.", "Great value, very happy.",
    "I recommend it to everyone.",
)  # fmt: skip
GOOD_OPEN = ("Good product.", "Very good overall.", "Nice quality, happy with it.", "Good value.")
GOOD_DETAIL = (
    "Works well, delivery took a few days.", "Good quality for the price.",
    "Happy with it, the box had a small dent.", "Nice design, does what it should.",
)  # fmt: skip
# Three stars: neutral or mixed, none of the strong words.
NEUTRAL_OPEN = ("It is okay.", "Average product.", "Decent, nothing special.", "It does the job.")
NEUTRAL_DETAIL = (
    "Quality is as described.", "Delivery took about a week.", "It looks like the photos.",
    "Average quality for the price.", "Some parts feel solid, others less so.",
)  # fmt: skip
# One and two stars.
NEGATIVE_OPEN = (
    "Disappointed with this product.", "Poor quality.", "Pretty bad experience.",
    "Disappointing purchase.",
)  # fmt: skip
NEGATIVE_DETAIL = (
    "It arrived broken.", "Stopped working after a week, very disappointed.",
    "Terrible quality, it broke quickly.", "Poor packaging and the item was damaged.",
    "Bad fit and poor finish.",
)  # fmt: skip
TERRIBLE_OPEN = (
    "Terrible product!", "Awful, a complete waste of money.", "Worst purchase ever.",
    "Horrible quality.", "Useless and broken.",
)  # fmt: skip
NEGATIVE_CLOSE = ("Do not buy.", "Very disappointed, returning it.", "Total waste of money.")

BANKS: dict[int, tuple[tuple[str, ...], ...]] = {
    5: (POSITIVE_OPEN, POSITIVE_DETAIL, POSITIVE_CLOSE),
    4: (GOOD_OPEN, GOOD_DETAIL),
    3: (NEUTRAL_OPEN, NEUTRAL_DETAIL),
    2: (NEGATIVE_OPEN, NEGATIVE_DETAIL),
    1: (TERRIBLE_OPEN, NEGATIVE_DETAIL, NEGATIVE_CLOSE),
}


def review_texts(rng: np.random.Generator, rating: np.ndarray) -> pa.Array:
    """One text per rating, composed from the rating's phrase banks.

    >>> texts = review_texts(np.random.default_rng(0), np.array([5, 1])).to_pylist()
    >>> [any(w.strip(".,!").lower() in POSITIVE_WORDS for w in t.split()) for t in texts]
    [True, False]
    """
    rating = np.asarray(rating)
    out = pa.array([], pa.string())
    parts: list[pa.Array] = []
    order: list[np.ndarray] = []
    for stars, banks in BANKS.items():
        idx = np.flatnonzero(rating == stars)
        if len(idx) == 0:
            continue
        phrases = [fmt.take(bank, rng.integers(0, len(bank), len(idx))) for bank in banks]
        parts.append(fmt.join(*phrases, sep=" "))
        order.append(idx)
    if not parts:
        return out
    texts = pa.concat_arrays(parts)
    where = np.concatenate(order)
    inverse = np.empty(len(where), dtype=np.int64)
    inverse[where] = np.arange(len(where))
    return fmt.rows(texts, inverse)


def sentiment_truth() -> dict[str, object]:
    return {
        "rule": "4-5 stars: positive phrases; 3 stars: neutral or mixed; 1-2 stars: negative",
        "positive_words": sorted(POSITIVE_WORDS),
        "negative_words": sorted(NEGATIVE_WORDS),
        "phrase_banks": {str(k): [list(bank) for bank in v] for k, v in BANKS.items()},
    }
