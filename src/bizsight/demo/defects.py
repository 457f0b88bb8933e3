"""Inject realistic defects into the clean columns of one file, and state what an ingester must do.

Every defect sits on its own row: in-place defects change one cell of a clean row; duplicates
append a copy of a clean row (each source row copied at most once, and never itself defective) at
a random later position. Kinds that make the ingester quarantine a row of a dimension file are
limited by the caller (``pools``) to rows nothing references, so no defect cascades.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bizsight.demo import fmt, mutations

# kind: (outcome, rule or counter, description)
CONTRACT: dict[str, tuple[str, str | None, str]] = {
    "missing_required": ("quarantine", "missing_required", "a required field blank"),
    "missing_optional": ("load", None, "a non-required field blank; loads with NULL"),
    "exact_duplicate": (
        "duplicate",
        "exact_duplicate",
        "the same row, byte for byte, again later in the file",
    ),
    "resent_duplicate": (
        "duplicate",
        "resent_duplicate",
        "a copy of a row, later in the file, with cosmetic changes only (stray spaces, case of a "
        "categorical value, another date layout, a formatted number); equal after cleaning",
    ),
    "conflicting_duplicate": (
        "quarantine",
        "duplicate_key",
        "a copy of a row, later in the file, with the same key and another value; the first loads",
    ),
    "malformed_date": (
        "quarantine",
        "invalid_date",
        "no date: 2023-02-30, 2023-13-01, 31/31/2023, not a date, N/A",
    ),
    "mixed_date_format": (
        "load",
        None,
        "a valid date in another layout: 2023/03/15, 15.03.2023, Mar 15, 2023, 15 Mar 2023, "
        "03/15/2023 (slash dates month-first); timestamps use the numeric layouts and keep "
        "HH:MM:SS "
        "(HH:MM when the seconds are 0)",
    ),
    "formatted_number": (
        "load",
        None,
        "an amount with thousands separator and/or sign: 1,234.50, $1,234.50, £12.00",
    ),
    "malformed_number": ("quarantine", "invalid_number", "no number: abc, 12..5, --3"),
    "negative_quantity": (
        "quarantine",
        "negative_quantity",
        "negative quantity on a completed line",
    ),
    "out_of_range": (
        "quarantine",
        "out_of_range",
        "rating 0, 6 or 10; a negative price, spend or amount",
    ),
    "unknown_customer": (
        "quarantine",
        "unknown_customer",
        "a customer_id that exists nowhere (C9…x)",
    ),
    "unknown_product": ("quarantine", "unknown_product", "a product_id that exists nowhere (P9…x)"),
    "whitespace_case": (
        "load",
        None,
        "stray spaces around a value or a categorical value in other case",
    ),
}
APPENDED = ("exact_duplicate", "resent_duplicate", "conflicting_duplicate")
EXAMPLES = 3


@dataclass(frozen=True)
class FileSpec:
    """How the defects of one file may look. Column kinds: id, text, category, enum, code,
    integer, money, date, timestamp."""

    file: str
    kinds_of_columns: dict[str, str]
    required: tuple[str, ...]
    key: tuple[str, ...]
    defect_kinds: tuple[str, ...]
    blankable: tuple[str, ...] = ()
    conflict: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    out_of_range: tuple[str, ...] = ()
    id_prefix: dict[str, tuple[str, int]] = field(default_factory=dict)  # column: (prefix, width)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # categorical values

    def of_kind(self, *kinds: str) -> tuple[str, ...]:
        return tuple(c for c, k in self.kinds_of_columns.items() if k in kinds)

    def candidates(self, kind: str) -> tuple[str, ...]:
        return {
            "missing_required": self.required,
            "missing_optional": self.blankable,
            "resent_duplicate": tuple(self.kinds_of_columns),
            "conflicting_duplicate": self.conflict,
            "malformed_date": self.of_kind("date", "timestamp"),
            "mixed_date_format": self.of_kind("date", "timestamp"),
            "formatted_number": self.of_kind("money"),
            "malformed_number": self.numbers,
            "negative_quantity": ("quantity",),
            "out_of_range": self.out_of_range,
            "unknown_customer": ("customer_id",),
            "unknown_product": ("product_id",),
            "whitespace_case": self.of_kind("id", "text", "category", "enum", "code"),
        }.get(kind, ())


def inject(
    rng: np.random.Generator,
    columns: fmt.Columns,
    spec: FileSpec,
    rate: float,
    pools: dict[str, np.ndarray] | None = None,
) -> tuple[fmt.Columns, dict[str, object]]:
    """The dirty columns and the file's truth (rows, defects, expected outcome). ``columns`` is
    consumed: its arrays are replaced by their dirty versions."""
    n = len(next(iter(columns.values())))
    kinds = [k for k in CONTRACT if k in spec.defect_kinds]
    nonempty = {name: fmt.nonblank(col) for name, col in columns.items()}
    eligible = {}
    for kind in kinds:
        mask = np.ones(n, dtype=bool) if pools is None or kind not in pools else pools[kind].copy()
        cands = spec.candidates(kind)
        if cands:
            mask &= np.logical_or.reduce([nonempty[c] for c in cands])
        eligible[kind] = mask
    plan = _plan(rng, n, rate, kinds, eligible)

    edits: dict[str, list[tuple[np.ndarray, pa.Array]]] = defaultdict(list)
    block_edits: dict[str, list[tuple[np.ndarray, pa.Array]]] = defaultdict(list)
    sources: list[np.ndarray] = []
    touched: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # kind: (rows, column index or -1)
    offset = 0
    for kind in kinds:
        rows = plan[kind]
        if kind in APPENDED:
            sources.append(rows)
            if kind != "exact_duplicate":
                chosen = _mutate_cells(rng, kind, rows, columns, spec, nonempty, block_edits, offset)
            else:
                chosen = np.full(len(rows), -1)
            touched[kind] = (n + offset + np.arange(len(rows)), chosen)
            offset += len(rows)
        else:
            touched[kind] = (
                rows,
                _mutate_cells(rng, kind, rows, columns, spec, nonempty, edits, 0),
            )

    src = np.concatenate(sources) if sources else np.zeros(0, dtype=np.int64)
    # copies go to a random position after their original
    after = src + 0.5 + rng.random(len(src)) * (n - src - 0.5)
    order = np.argsort(np.concatenate([np.arange(n, dtype=float), after]), kind="stable")
    # One column at a time, replacing the clean one, so that at most one column is held twice.
    out = columns
    for name in list(out):
        col = _apply(out[name], edits.get(name, []))
        if len(src):
            copies = _apply(fmt.rows(col, src), block_edits.get(name, []))
            col = fmt.rows(pa.concat_arrays([col, copies]), order)
        out[name] = col
    line_of = np.empty(len(order), dtype=np.int64)
    line_of[order] = np.arange(len(order)) + 2  # file line numbers; the header is line 1
    names = list(columns)
    counts = {kind: len(plan[kind]) for kind in kinds}
    examples = {}
    for kind, (rows, chosen) in touched.items():
        sample = []
        for r, c in zip(rows[:EXAMPLES].tolist(), chosen[:EXAMPLES].tolist(), strict=True):
            entry: dict[str, object] = {"line": int(line_of[r])}
            if c >= 0:
                entry["column"] = names[c]
                entry["value"] = out[names[c]][int(line_of[r]) - 2].as_py()
            sample.append(entry)
        examples[kind] = sample
    return out, file_truth(n, counts, examples)


def file_truth(
    clean_rows: int, counts: dict[str, int], examples: Mapping[str, object] | None = None
) -> dict[str, object]:
    quarantined: dict[str, int] = {}
    duplicates = {"exact_duplicate": 0, "resent_duplicate": 0}
    for kind, count in counts.items():
        outcome, rule, _ = CONTRACT[kind]
        if outcome == "quarantine" and rule is not None:
            quarantined[rule] = quarantined.get(rule, 0) + count
        elif outcome == "duplicate" and rule is not None:
            duplicates[rule] += count
    appended = sum(counts.get(k, 0) for k in APPENDED)
    in_place_quarantine = sum(
        count for kind, count in counts.items() if CONTRACT[kind][0] == "quarantine" and kind not in APPENDED
    )
    truth: dict[str, object] = {
        "rows": clean_rows + appended,
        "clean_rows": clean_rows,
        "defects": {kind: count for kind, count in counts.items() if count},
        "expected": {
            "loaded": clean_rows - in_place_quarantine,
            "quarantined": {rule: n for rule, n in quarantined.items() if n},
            "duplicates": duplicates,
        },
    }
    if examples:
        truth["examples"] = {kind: ex for kind, ex in examples.items() if ex}
    return truth


def _plan(
    rng: np.random.Generator, n: int, rate: float, kinds: list[str], eligible: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Rows per kind, all distinct. The most constrained kinds choose first; what a kind cannot
    fill passes on to the next."""
    total = round(rate * n)
    base, extra = divmod(total, max(len(kinds), 1))
    want = {kind: base + (i < extra) for i, kind in enumerate(kinds)}
    perm = rng.permutation(n)
    free = np.ones(n, dtype=bool)
    plan: dict[str, np.ndarray] = {}
    carry = 0
    for kind in sorted(kinds, key=lambda k: (int(eligible[k].sum()), kinds.index(k))):
        need = want[kind] + carry
        hits = np.flatnonzero(eligible[kind][perm] & free[perm])[:need]
        rows = np.sort(perm[hits])
        free[rows] = False
        carry = need - len(rows)
        plan[kind] = rows
    return plan


def _pick_columns(
    rng: np.random.Generator,
    rows: np.ndarray,
    cands: tuple[str, ...],
    nonempty: dict[str, np.ndarray],
) -> np.ndarray:
    """Per row, a random candidate column whose cell is not empty (index into ``cands``)."""
    score = rng.random((len(rows), len(cands)))
    ok = np.stack([nonempty[c][rows] for c in cands], axis=1)
    return np.argmax(np.where(ok, score, -1.0), axis=1)


def _mutate_cells(
    rng: np.random.Generator,
    kind: str,
    rows: np.ndarray,
    columns: fmt.Columns,
    spec: FileSpec,
    nonempty: dict[str, np.ndarray],
    edits: dict[str, list[tuple[np.ndarray, pa.Array]]],
    offset: int,
) -> np.ndarray:
    """Record the new cells of ``rows`` (at ``offset`` + position for appended copies, else at the
    row) and return, per row, the index of the column changed."""
    names = list(columns)
    cands = spec.candidates(kind)
    pick = _pick_columns(rng, rows, cands, nonempty) if len(rows) else np.zeros(0, dtype=np.int64)
    chosen = np.array([names.index(c) for c in cands], dtype=np.int64)[pick] if len(rows) else pick
    for k, name in enumerate(cands):
        sel = np.flatnonzero(pick == k)
        if len(sel) == 0:
            continue
        cells = fmt.rows(columns[name], rows[sel])
        new = _mutation(rng, kind, name, cells, rows[sel], spec)
        at = offset + sel if kind in APPENDED else rows[sel]
        edits[name].append((at, new))
    return chosen


def _cosmetic(rng: np.random.Generator, col_kind: str, cells: pa.Array) -> pa.Array:
    if col_kind in ("category", "enum", "code"):
        return mutations.recase(rng, cells)
    if col_kind in ("date", "timestamp"):
        return mutations.reformat_date(rng, cells, col_kind == "timestamp")
    if col_kind == "money":
        return mutations.formatted_money(rng, cells)
    return mutations.pad(rng, cells)


def _mutation(
    rng: np.random.Generator,
    kind: str,
    name: str,
    cells: pa.Array,
    rows: np.ndarray,
    spec: FileSpec,
) -> pa.Array:
    col_kind = spec.kinds_of_columns[name]
    blank = fmt.take(("",), np.zeros(len(cells), dtype=np.int64))
    if kind in ("missing_required", "missing_optional"):
        return blank
    if kind in ("resent_duplicate", "whitespace_case"):
        return _cosmetic(rng, col_kind, cells)
    if kind == "conflicting_duplicate":
        if name == "rating":
            return mutations.other_rating(cells)
        if col_kind == "money":
            return mutations.bumped_money(cells)
        if col_kind == "integer":
            return mutations.bumped_integer(cells)
        return mutations.other_category(cells, spec.choices[name])
    if kind == "malformed_date":
        return mutations.malformed_date(rng, cells, col_kind == "timestamp")
    if kind == "mixed_date_format":
        return mutations.reformat_date(rng, cells, col_kind == "timestamp")
    if kind == "formatted_number":
        return mutations.formatted_money(rng, cells)
    if kind == "malformed_number":
        return mutations.malformed_number(rng, len(cells))
    if kind == "negative_quantity":
        return mutations.negative(cells)
    if kind == "out_of_range":
        if name == "rating":
            return fmt.take(mutations.OUT_OF_RANGE_RATINGS, rng.integers(0, 3, len(cells)))
        return mutations.negative(cells)
    if kind in ("unknown_customer", "unknown_product"):
        prefix, width = spec.id_prefix[name]
        return mutations.unknown_ids(prefix, rows, width)
    raise ValueError(f"unknown defect kind {kind!r}")  # pragma: no cover


def _apply(col: pa.Array, changes: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    if not changes:
        return col
    at = np.concatenate([c[0] for c in changes])
    values = pa.concat_arrays([c[1] for c in changes])
    order = np.argsort(at, kind="stable")
    mask = np.zeros(len(col), dtype=bool)
    mask[at] = True
    return pc.replace_with_mask(col, pa.array(mask), fmt.rows(values, order))
