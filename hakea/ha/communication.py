"""What this server knows about its partner: last contact, partner state, clock skew, unacked clients.

Rules matched (kea-ha-behaviour.md 2.8, Kea's communication_state):
- communication is interrupted when the last successful contact ("poke") is older than
  max-response-delay; a poke clears the unacked-client tracking;
- while interrupted, queries the partner should answer are analysed: a client whose secs
  (v4; byte-swapped values with a zero low byte are swapped back) or Elapsed Time (v6, 1/100 s)
  exceeds max-ack-delay is "unacked"; clients are (hwaddr, client-id) in v4 and DUID in v6, each
  counted once; failure is detected when unacked > max-unacked-clients, or at once when that is 0;
- clock skew = partner's heartbeat date-time - local time, in whole seconds: |skew| > 30 s warns
  (at most once per 60 s), > 60 s terminates; marking the partner unavailable resets it;
- unsent-update-count counts transactions not sent to the partner (partner-down), never back to 0;
- rejected lease updates (result 4 from the partner) are tracked per client until their lease
  lifetime runs out; a later successful update for that client forgets it.
"""

from __future__ import annotations

import re
import time
from typing import Any

from hakea.ha.actions import Log, error, info, warn
from hakea.ha.config import HAConfig
from hakea.ha.query_filter import QueryInfo
from hakea.ha.states import State

WARN_CLOCK_SKEW = 30  # seconds
TERM_CLOCK_SKEW = 60  # seconds
MIN_TIME_SINCE_CLOCK_SKEW_WARN = 60  # seconds
UINT64_MAX = 0xFFFFFFFFFFFFFFFF

ClientKey = tuple[bytes, ...]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RFC1123 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$"
)


def format_rfc1123(ts: float) -> str:
    """HTTP date ("Tue, 24 Nov 2026 22:19:19 GMT"), as the heartbeat's "date-time" carries it."""
    t = time.gmtime(int(ts))
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def parse_rfc1123(text: str) -> float:
    """Seconds since the epoch for an RFC 1123 date; raises ValueError for anything else."""
    m = _RFC1123.match(text)
    if m is None:
        raise ValueError(f"invalid RFC 1123 date-time '{text}'")
    day, mon, year, hh, mm, ss = (
        int(m[2]),
        _MONTHS.index(m[3]) + 1,
        int(m[4]),
        int(m[5]),
        int(m[6]),
        int(m[7]),
    )
    if not (1 <= day <= 31 and hh < 24 and mm < 60 and ss < 61):
        raise ValueError(f"invalid RFC 1123 date-time '{text}'")
    return float(_timegm(year, mon, day, hh, mm, ss))


def _timegm(year: int, mon: int, day: int, hh: int, mm: int, ss: int) -> int:
    # Days from the civil date (proleptic Gregorian), without calendar/locale dependencies.
    y = year - (1 if mon <= 2 else 0)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (mon + (-3 if mon > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return days * 86400 + hh * 3600 + mm * 60 + ss


def _iso(ts: float) -> str:
    t = time.gmtime(int(ts))
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


class CommunicationState:
    def __init__(self, config: HAConfig, now: float) -> None:
        self._cfg = config
        self.poke_time = now
        self.partner_state: State | None = None  # None: never heard of (Kea's -1)
        self.partner_scopes: frozenset[str] = frozenset()
        self.clock_skew: int | None = None  # seconds, partner minus local
        self._my_time_at_skew = 0.0
        self._partner_time_at_skew = 0.0
        self._last_skew_warn: float | None = None
        self._clients: dict[ClientKey, bool] = {}  # client -> unacked
        self._unacked = 0
        self.analyzed_packets = 0
        self.unsent_update_count = 0
        self._partner_unsent = (0, 0)  # (previous, latest) reported by the partner
        self._rejected: dict[ClientKey, float] = {}  # client -> when the rejection expires

    # ---------------------------------------------------------------- contact
    def poke(self, now: float) -> None:
        """A request to the partner succeeded: communication is fine, forget unacked clients."""
        self.poke_time = now
        self._clients.clear()
        self._unacked = 0
        self.analyzed_packets = 0

    def duration_ms(self, now: float) -> float:
        return (now - self.poke_time) * 1000.0

    def is_interrupted(self, now: float) -> bool:
        return self.duration_ms(now) > self._cfg.max_response_delay

    def set_partner_state(self, state: State) -> None:
        self.partner_state = state

    def mark_partner_unavailable(self) -> None:
        # A stale skew must not terminate us after the partner went away (Kea >= 2.3.7).
        self.partner_state = State.UNAVAILABLE
        self.clock_skew = None

    def set_partner_scopes(self, scopes: Any) -> None:
        """Scopes from the heartbeat; a missing or malformed list is ignored (old partners)."""
        if isinstance(scopes, list) and all(isinstance(s, str) for s in scopes):
            self.partner_scopes = frozenset(s for s in scopes if s)

    # ---------------------------------------------------------------- failure detection
    def analyze(self, query: QueryInfo, now: float) -> list[Log]:
        """Record a query the partner should have answered (only while interrupted)."""
        self.analyzed_packets += 1
        max_ack = self._cfg.max_ack_delay
        if query.family == 6:
            if not query.duid:
                return []
            unacked = query.elapsed is not None and query.elapsed * 10 > max_ack
            fam = "6"
        else:
            secs = query.secs & 0xFFFF
            if secs > 255 and secs & 0xFF == 0:
                # Some (Windows) clients put secs in little-endian order: 0x0500 means 5 s.
                secs = ((secs >> 8) | (secs << 8)) & 0xFFFF
            unacked = secs * 1000 > max_ack
            fam = "4"
        key = query.client_key
        label = query.label or key_label(key)
        logs: list[Log] = []
        known = self._clients.get(key)
        if known is None:
            self._clients[key] = unacked
            if unacked:
                self._unacked += 1
            else:
                logs.append(
                    info(
                        f"HA_COMMUNICATION_INTERRUPTED_CLIENT{fam}",
                        f"{label}: new client attempting to get a lease from the partner",
                    )
                )
            newly_unacked = unacked
        else:
            newly_unacked = unacked and not known
            if newly_unacked:
                self._clients[key] = True
                self._unacked += 1
        if newly_unacked:
            left = self.unacked_clients_left_raw()
            logs.append(
                info(
                    f"HA_COMMUNICATION_INTERRUPTED_CLIENT{fam}_UNACKED",
                    f"{label}: partner server failed to respond, {self._unacked} clients unacked so far, "
                    f"{left} clients left before transitioning to the partner-down state",
                )
            )
        return logs

    @property
    def unacked_clients(self) -> int:
        return self._unacked

    @property
    def connecting_clients(self) -> int:
        return len(self._clients)

    def unacked_clients_left_raw(self) -> int:
        limit = self._cfg.max_unacked_clients
        return limit - self._unacked + 1 if limit >= self._unacked else 0

    def failure_detected(self) -> bool:
        limit = self._cfg.max_unacked_clients
        return limit == 0 or self._unacked > limit

    # ---------------------------------------------------------------- clock skew
    def set_partner_time(self, date_time: str, now: float) -> None:
        """Record the partner's heartbeat date-time; raises ValueError when it is not RFC 1123."""
        partner = parse_rfc1123(date_time)
        self._partner_time_at_skew = partner
        self._my_time_at_skew = now
        self.clock_skew = int(partner - now)  # whole seconds, truncated like Kea's total_seconds()

    def _skew_text(self) -> str:
        skew = self.clock_skew or 0
        side = f"{-skew}s behind" if skew < 0 else f"{skew}s ahead"
        return (
            f"my time: {_iso(self._my_time_at_skew)}, partner's time: {_iso(self._partner_time_at_skew)}, "
            f"partner's clock is {side}"
        )

    def clock_skew_should_terminate(self) -> Log | None:
        if self.clock_skew is not None and abs(self.clock_skew) > TERM_CLOCK_SKEW:
            return error(
                "HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION",
                f"{self._skew_text()}, causing HA service to terminate",
            )
        return None

    def clock_skew_should_warn(self, now: float) -> Log | None:
        if self.clock_skew is None or abs(self.clock_skew) <= WARN_CLOCK_SKEW:
            return None
        if (
            self._last_skew_warn is not None
            and int(now - self._last_skew_warn) <= MIN_TIME_SINCE_CLOCK_SKEW_WARN
        ):
            return None
        self._last_skew_warn = now
        return warn("HA_HIGH_CLOCK_SKEW", f"{self._skew_text()}, please synchronize clocks!")

    # ---------------------------------------------------------------- unsent updates
    def increase_unsent_update_count(self) -> None:
        # 0 means "just started"; wrap to 1, never back to 0.
        self.unsent_update_count = (
            self.unsent_update_count + 1 if self.unsent_update_count < UINT64_MAX else 1
        )

    def set_partner_unsent_update_count(self, count: int) -> None:
        self._partner_unsent = (self._partner_unsent[1], count)

    def has_partner_new_unsent_updates(self) -> bool:
        previous, latest = self._partner_unsent
        return latest > 0 and previous != latest

    # ---------------------------------------------------------------- rejected lease updates
    def report_rejected_lease_update(self, client: ClientKey, lifetime: float, now: float) -> bool:
        """A conflict (result 4) from the partner for this client; lifetime 0 is not recorded."""
        if lifetime <= 0 or not any(client):
            return False
        fresh = client not in self._rejected or self._rejected[client] <= now
        self._rejected[client] = now + lifetime
        return fresh

    def report_successful_lease_update(self, client: ClientKey) -> bool:
        return self._rejected.pop(client, None) is not None

    def rejected_lease_updates(self, now: float) -> int:
        expired = [c for c, until in self._rejected.items() if until <= now]
        for c in expired:
            del self._rejected[c]
        return len(self._rejected)

    def clear_rejected_lease_updates(self) -> None:
        self._rejected.clear()

    def rejected_lease_updates_should_terminate(self, now: float) -> Log | None:
        limit = self._cfg.max_rejected_lease_updates
        if limit and self.rejected_lease_updates(now) >= limit:
            return error(
                "HA_REJECTED_LEASE_UPDATES_CAUSE_TERMINATION",
                "too many rejected lease updates cause the HA service to terminate",
            )
        return None

    # ---------------------------------------------------------------- status-get
    def report(self, now: float) -> dict[str, Any]:
        """The "remote" part of status-get's HA section (Kea 2.2 field set)."""
        in_touch = self.partner_state is not None
        interrupted = self.is_interrupted(now)
        return {
            "age": int(self.duration_ms(now) // 1000) if in_touch else 0,
            "analyzed-packets": self.analyzed_packets,
            "communication-interrupted": interrupted,
            "connecting-clients": self.connecting_clients,
            "in-touch": in_touch,
            "last-scopes": sorted(self.partner_scopes),
            "last-state": self.partner_state.value if self.partner_state is not None else "",
            "unacked-clients": self._unacked,
            "unacked-clients-left": self.unacked_clients_left_raw() if interrupted else 0,
        }


def key_label(key: ClientKey) -> str:
    if len(key) == 1:
        return f"duid=[{key[0].hex(':')}]"
    return f"[hwaddr={key[0].hex(':')}], cid=[{key[1].hex(':') or 'no info'}]"
