"""The delivery log: intent before sending, outcome after, each key sent once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bizsight.app.models import Delivery
from bizsight.app.store import MetadataStore
from bizsight.delivery import Message
from bizsight.errors import InvalidArgumentError
from bizsight.services import deliveries
from bizsight.services.deliveries import Recipient
from bizsight.services.project import Project
from tests.delivery.delivery_support import Receiver


@pytest.fixture
def hooked(tmp_path: Path, receiver: Receiver) -> Project:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "bizsight.yml").write_text(
        f"channels:\n  ops:\n    kind: webhook\n    url: {receiver.url}\n    secret: s3cret\n"
        "delivery:\n  max_attempts: 3\n  base_seconds: 0\n"
    )
    return Project(root)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    yield store
    store.close()


def _intend(store: MetadataStore, key: str) -> int:
    with store.session() as s:
        return deliveries.intend(s, key, Recipient("ops", "ops"), "Weekly").id


def test_a_key_is_one_row_and_is_sent_once(hooked: Project, store: MetadataStore, receiver: Receiver) -> None:
    first, again = _intend(store, "run-1:ops:ops"), _intend(store, "run-1:ops:ops")
    assert first == again
    message = Message("Weekly", "Revenue rose.")
    row = deliveries.send(hooked, store, first, message)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
    assert deliveries.send(hooked, store, first, message)["status"] == "sent"  # not sent again
    assert len(receiver.accepted) == 1
    assert receiver.accepted[0].headers["Idempotency-Key"] == "run-1:ops:ops"
    assert deliveries.pending(store) == []


def test_retries_are_counted_and_a_final_failure_is_kept(
    hooked: Project, store: MetadataStore, receiver: Receiver, no_sleep: Callable[[float], None]
) -> None:
    receiver.statuses = [503, 200]
    sent = deliveries.send(hooked, store, _intend(store, "k1"), Message("a", "b"), sleep=no_sleep)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert "503" in sent["last_error"]
    receiver.statuses = [503, 503, 503]
    failed = deliveries.send(hooked, store, _intend(store, "k2"), Message("a", "b"), sleep=no_sleep)
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert len(receiver.accepted) == 1


def test_pending_deliveries_are_finished_from_their_source(
    hooked: Project, store: MetadataStore, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        deliveries.SOURCES, "alert", lambda project, s, row: Message(row.subject, f"rebuilt {row.id}")
    )
    ids = [_intend(store, f"alert-{n}:ops:ops") for n in range(3)]
    deliveries.send(hooked, store, ids[0], Message("Weekly", "first"))
    done = deliveries.finish_pending(hooked, store)
    assert [d["id"] for d in done] == ids[1:]
    assert sorted(r.json()["text"] for r in receiver.accepted) == [
        "first",
        f"rebuilt {ids[1]}",
        f"rebuilt {ids[2]}",
    ]
    assert deliveries.finish_pending(hooked, store) == []


def test_a_channel_missing_from_the_settings_fails_the_delivery_with_its_name(
    hooked: Project, store: MetadataStore
) -> None:
    with store.session() as s:
        delivery_id = deliveries.intend(s, "k", Recipient("mail", "ann@example.com"), "x").id
    row = deliveries.send(hooked, store, delivery_id, Message("a", "b"))
    assert row["status"] == "failed"
    assert "no channel 'mail'" in row["last_error"]
    with store.session() as s:
        assert s.get(Delivery, delivery_id).attempts == 0  # type: ignore[union-attr]


def test_recipients_must_name_a_configured_channel(hooked: Project) -> None:
    assert deliveries.recipients(hooked, ["ops", {"channel": "ops", "to": "night shift"}]) == [
        Recipient("ops", "ops"),
        Recipient("ops", "night shift"),
    ]
    with pytest.raises(InvalidArgumentError, match="no channel 'opz' \\(did you mean 'ops'\\?\\)"):
        deliveries.recipients(hooked, ["opz:x"])
