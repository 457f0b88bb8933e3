"""Password rules: length, the common-password list, the user name, zxcvbn's guessability."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from bizsight.app.security import MIN_PASSWORD, new_password, password_problem
from bizsight.app.store import MetadataStore
from bizsight.config.server import ServerSettings
from bizsight.errors import InvalidArgumentError
from bizsight.services.users import add_user, ensure_admin, update_user


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    store = MetadataStore.open(f"sqlite:///{tmp_path / 'app.db'}")
    yield store
    store.close()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", "at least 12 characters"),  # issue 14: accepted before
        ("aaaaaaaaaaaa", "easy to guess"),
        ("password1234", "most common passwords"),
        ("PASSWORD1234", "most common passwords"),
        ("qwertyuiop12", "most common passwords"),
        ("zxcvbnm,./12", "easy to guess"),
        ("ana-lovelace-1", "built from the user name"),
        ("ecalevolana12", "built from the user name"),
        ("Ana.Lovelace2024", "built from the user name"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(store: MetadataStore, password: str, reason: str) -> None:
    with pytest.raises(InvalidArgumentError, match=reason):
        add_user(store, "ana.lovelace", "viewer", password)
    add_user(store, "ana.lovelace", "viewer", "a long test password")
    with pytest.raises(InvalidArgumentError, match=reason):
        update_user(store, "ana.lovelace", password=password)


def test_every_long_common_password_is_refused() -> None:
    long_common = [p for p in FREQUENCY_LISTS["passwords"] if len(p) >= MIN_PASSWORD]
    assert len(long_common) > 100
    assert all(password_problem(p) for p in long_common)


def test_generated_and_passphrase_passwords_pass() -> None:
    assert all(password_problem(new_password(), "admin") is None for _ in range(50))
    assert password_problem("correct horse battery staple", "ana") is None


def test_a_weak_first_admin_password_from_the_environment_is_refused(store: MetadataStore) -> None:
    weak = ServerSettings.model_construct(admin_password="Admin-2026!!")
    with pytest.raises(InvalidArgumentError, match="built from the user name"):
        ensure_admin(store, weak)
