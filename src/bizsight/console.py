"""Progress and messages. Core code reports through a :class:`Reporter`; it never prints.

The CLI passes a Rich-backed reporter; tests and the API pass :class:`NullReporter` or their own.
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def step(self, message: str) -> None:
        """A new step of the current task has started."""

    def advance(self, done: float, total: float, message: str = "") -> None:
        """Overall progress of the current task."""

    def warn(self, message: str) -> None:
        """Something the user should know that did not stop the work."""


class NullReporter:
    """Reports nothing; warnings are kept for the caller to inspect."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def step(self, message: str) -> None:
        pass

    def advance(self, done: float, total: float, message: str = "") -> None:
        pass

    def warn(self, message: str) -> None:
        self.warnings.append(message)
