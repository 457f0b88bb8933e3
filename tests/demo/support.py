"""The shared demo datasets of these tests, and how to read them."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bizsight.demo import generate

CUSTOMERS = 3_000
SEED = 7
DIRTY = 0.3


@dataclass
class Demo:
    path: Path
    truth: dict[str, Any]
    _rows: dict[str, list[list[str]]] = field(default_factory=dict)

    def rows(self, name: str) -> list[list[str]]:
        """Data rows (header dropped) parsed with the csv module."""
        if name not in self._rows:
            with (self.path / name).open(newline="", encoding="utf-8") as handle:
                self._rows[name] = list(csv.reader(handle))
        return self._rows[name][1:]

    def header(self, name: str) -> list[str]:
        self.rows(name)
        return self._rows[name][0]

    def dicts(self, name: str) -> list[dict[str, str]]:
        header = self.header(name)
        return [dict(zip(header, row, strict=True)) for row in self.rows(name)]


def make_demo(root: Path, dirty: float) -> Demo:
    truth = generate(root, customers=CUSTOMERS, years=3.0, seed=SEED, dirty=dirty)
    assert truth == json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    return Demo(root, truth)
