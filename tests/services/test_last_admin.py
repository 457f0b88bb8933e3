"""Somebody can always manage users: the last active, unrestricted admin stays one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bizsight.app.store import MetadataStore
from bizsight.errors import ConflictError
from bizsight.metrics.definitions import builtin
from bizsight.services.users import add_user, list_users, restrict, update_user

PASSWORD = "a long test password"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    add_user(store, "root", "admin", PASSWORD)
    add_user(store, "vic", "viewer", PASSWORD)
    yield store
    store.close()


def roles(store: MetadataStore) -> dict[str, tuple[str, bool]]:
    return {u["username"]: (u["role"], u["active"]) for u in list_users(store)}


@pytest.mark.parametrize("change", [{"role": "viewer"}, {"role": "editor"}, {"active": False}])
def test_the_last_admin_cannot_be_demoted_or_deactivated(
    store: MetadataStore, change: dict[str, object]
) -> None:
    before = roles(store)
    with pytest.raises(ConflictError, match="root is the last active admin"):
        update_user(store, "root", **change)  # type: ignore[arg-type]
    assert roles(store) == before


def test_the_last_admin_cannot_be_restricted_to_some_rows(store: MetadataStore) -> None:
    with pytest.raises(ConflictError, match="last active admin"):
        restrict(store, builtin(), "root", {"region": ["Europe"]})
    restrict(store, builtin(), "root", {})  # lifting restrictions is always fine


def test_with_a_second_admin_either_may_step_down(store: MetadataStore) -> None:
    update_user(store, "vic", role="admin")
    update_user(store, "root", role="viewer")
    assert roles(store)["root"] == ("viewer", True)
    with pytest.raises(ConflictError):
        update_user(store, "vic", active=False)


def test_an_inactive_or_restricted_admin_does_not_count(store: MetadataStore) -> None:
    add_user(store, "old", "admin", PASSWORD)
    update_user(store, "old", active=False)
    with pytest.raises(ConflictError):
        update_user(store, "root", role="viewer")
    update_user(store, "old", active=True)
    restrict(store, builtin(), "old", {"region": ["Europe"]})
    with pytest.raises(ConflictError):
        update_user(store, "root", role="viewer")
