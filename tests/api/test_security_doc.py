"""docs/security.md states the permission matrix the code enforces."""

from __future__ import annotations

from pathlib import Path

from bizsight.app.models import Role
from bizsight.services.access import MATRIX, UNSCOPED, Permission

DOC = Path(__file__).parents[2] / "docs" / "security.md"


def test_the_documented_matrix_is_the_enforced_one() -> None:
    cells = [
        [cell.strip() for cell in line.split("|")[1:-1]]
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]
    rows = {row[0].strip("`"): row[1:5] for row in cells}
    assert {p.value for p in Permission} <= set(rows)
    for permission in Permission:
        *roles, restricted = rows[permission.value]
        assert roles == ["yes" if role in MATRIX[permission] else "no" for role in Role], permission
        assert (restricted == "refused") == (permission in UNSCOPED), permission
