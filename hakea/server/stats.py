"""Kea-style statistics: named counters with a timestamp of their last change.

Kea's statistic-get answers {"name": [[value, "YYYY-MM-DD HH:MM:SS.ffffff"]]}; we keep the current
value and its timestamp (Kea keeps a sample history; one sample is what operators read).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable


class Statistics:
    def __init__(self, names: Iterable[str] = ()) -> None:
        self._values: dict[str, int] = {}
        self._stamps: dict[str, float] = {}
        for name in names:
            self._values[name] = 0
            self._stamps[name] = 0.0

    def add(self, name: str, amount: int = 1, now: float = 0.0) -> None:
        self._values[name] = self._values.get(name, 0) + amount
        self._stamps[name] = now

    def set(self, name: str, value: int, now: float = 0.0) -> None:
        self._values[name] = value
        self._stamps[name] = now

    def get(self, name: str) -> int | None:
        return self._values.get(name)

    def reset(self, name: str | None = None, now: float = 0.0) -> bool:
        names = list(self._values) if name is None else [name]
        for n in names:
            if n not in self._values:
                return False
            self._values[n] = 0
            self._stamps[n] = now
        return True

    def remove(self, name: str) -> bool:
        self._stamps.pop(name, None)
        return self._values.pop(name, None) is not None

    def names(self) -> list[str]:
        return sorted(self._values)

    def sample(self, name: str) -> list[list[object]] | None:
        if name not in self._values:
            return None
        stamp = datetime.datetime.fromtimestamp(self._stamps[name], datetime.UTC)
        return [[self._values[name], stamp.strftime("%Y-%m-%d %H:%M:%S.%f")]]

    def as_kea(self) -> dict[str, list[list[object]]]:
        return {n: s for n in sorted(self._values) if (s := self.sample(n)) is not None}


PKT4_NAMES = (
    "pkt4-received",
    "pkt4-discover-received",
    "pkt4-offer-received",
    "pkt4-request-received",
    "pkt4-ack-received",
    "pkt4-nak-received",
    "pkt4-release-received",
    "pkt4-decline-received",
    "pkt4-inform-received",
    "pkt4-unknown-received",
    "pkt4-sent",
    "pkt4-offer-sent",
    "pkt4-ack-sent",
    "pkt4-nak-sent",
    "pkt4-parse-failed",
    "pkt4-receive-drop",
)
