"""Conversation sessions: what earlier turns said, keyed by tenant and id.

Kept in memory on purpose: sessions model the platform's short-lived chat
state, and `/_emulator/reset` must be able to forget them between tests.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SessionBook", "Turn"]


@dataclass(frozen=True)
class Turn:
    input_text: str
    response: str
    record_id: str


class SessionBook:
    def __init__(self) -> None:
        self._turns: dict[tuple[str, str], list[Turn]] = {}

    def history(self, tenant: str, session_id: str) -> tuple[Turn, ...]:
        return tuple(self._turns.get((tenant, session_id), ()))

    def append(self, tenant: str, session_id: str, turn: Turn) -> None:
        self._turns.setdefault((tenant, session_id), []).append(turn)

    def clear(self) -> None:
        self._turns.clear()
