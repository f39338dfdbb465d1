"""Whether the DHCP service is enabled: Kea's network state, driven by dhcp-disable/dhcp-enable.

Several origins may disable the service at once (an operator, an HA partner syncing from us, HA's
own state machine); it is enabled only when no origin holds it disabled. A "max-period" puts a
deadline on an origin's hold, so a partner that dies mid-sync cannot leave us disabled for ever.
Pure: `now` is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class NetworkState:
    _holds: dict[str, float | None] = field(default_factory=dict)  # origin -> deadline (None: none)

    def disable(self, origin: str, now: float, max_period: float | None = None) -> None:
        self._holds[origin] = None if max_period is None else now + max_period

    def enable(self, origin: str) -> None:
        self._holds.pop(origin, None)

    def enable_all(self) -> None:
        self._holds.clear()

    def expire(self, now: float) -> list[str]:
        """Drop holds whose max-period has passed; returns the origins released."""
        done = [o for o, deadline in self._holds.items() if deadline is not None and deadline <= now]
        for origin in done:
            del self._holds[origin]
        return done

    def enabled(self, now: float) -> bool:
        if self._holds:
            self.expire(now)
        return not self._holds

    def next_deadline(self) -> float | None:
        deadlines = [d for d in self._holds.values() if d is not None]
        return min(deadlines) if deadlines else None

    def origins(self) -> list[str]:
        return sorted(self._holds)
