"""A third-party channel arrives through the entry-point group, like the built-in ones."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from bizsight.delivery import ENTRY_POINT_GROUP, Message, build_channel, channel_kinds


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution (a dist-info folder on sys.path) declaring two channels: a
    working one, and one named like a built-in kind."""
    (tmp_path / "bizsight_pager.py").write_text(
        textwrap.dedent(
            """
            from dataclasses import dataclass, field
            from bizsight.delivery import Receipt

            @dataclass
            class PagerChannel:
                service: str
                name: str = "pager"
                sent: list = field(default_factory=list)

                def send(self, message, recipient):
                    self.sent.append((recipient, message.subject))
                    return Receipt(self.name, recipient, message.idempotency_key, "paged")
            """
        )
    )
    info = tmp_path / "bizsight_pager-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bizsight-pager\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\npager = bizsight_pager:PagerChannel\nemail = bizsight_pager:PagerChannel\n"
        "broken = bizsight_pager:DoesNotExist\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("bizsight_pager", None)


def test_a_plugin_channel_is_built_and_sends(plugin: Path) -> None:
    pager = build_channel("pager", {"service": "on-call"})
    receipt = pager.send(Message("Revenue below target", "…", idempotency_key="a-1:on-call"), "on-call")

    assert receipt.detail == "paged" and pager.sent == [("on-call", "Revenue below target")]  # type: ignore[attr-defined]


def test_a_plugin_cannot_replace_a_built_in_kind_and_a_broken_one_is_skipped(plugin: Path, caplog) -> None:
    kinds = channel_kinds()

    assert kinds["email"].__name__ == "SmtpChannel"
    assert "broken" not in kinds and "pager" in kinds
    assert "the name is taken" in caplog.text and "failed to load" in caplog.text
