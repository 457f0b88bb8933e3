"""Presentation: the one layer that names numbers and turns them into text (DESIGN.md,
"Presentation"). :mod:`.numbers` formats a value in a unit for a currency and locale;
:mod:`.labels` says what each column is called and what it measures."""

from bizsight.presentation.dates import date_span, day_text
from bizsight.presentation.labels import Names, words
from bizsight.presentation.numbers import EXCEL_FORMATS, LEGACY_FORMATS, Presenter, Unit, exact, unit_of

__all__ = [
    "EXCEL_FORMATS",
    "LEGACY_FORMATS",
    "Names",
    "Presenter",
    "Unit",
    "date_span",
    "day_text",
    "exact",
    "unit_of",
    "words",
]
