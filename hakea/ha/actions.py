"""What the HA core asks its I/O shell to do. The core returns lists of these; it never does I/O.

The shell (the asyncio adapter, or tests/sim/harness.py) executes them in order:

- SendRequest: POST `command` (a Kea command as a dict) to the peer's URL; later call
  `core.on_response(request_id, body, now)` with the decoded JSON body (any HTTP status), or
  `core.on_request_failed(request_id, reason, now)` on a transport error, timeout (`timeout`
  seconds) or an undecodable body.
- SetDhcpService: hold (enabled=False) or release (enabled=True) the DHCP service for `origin` in
  the server's network state. "ha-local" is HA's own state-driven hold; "ha-partner" is the hold a
  syncing partner placed with dhcp-disable {"origin": "ha-partner"} (released by
  ha-sync-complete-notify, or when HA enters a state that serves clients).
- MergeLeases: apply leases fetched from the partner during a sync with hakea.ha.sync's merge
  (absent -> insert, newer cltt -> update, otherwise skip); before the next request goes out.
- ReleaseParked: a client response parked by `on_leases_committed` may now be sent (send=True)
  or must be dropped (send=False).
- CommandReply: the answer to the control command submitted with that ticket.
- StateChanged: informational (statistics, status displays).
- Log: a log line with Kea's message ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

LogLevel = Literal["debug", "info", "warn", "error"]

ORIGIN_HA_LOCAL = "ha-local"
ORIGIN_HA_PARTNER = "ha-partner"


@dataclass(frozen=True, slots=True)
class SendRequest:
    request_id: int
    peer: str
    url: str
    command: dict[str, Any]
    timeout: float  # seconds


@dataclass(frozen=True, slots=True)
class SetDhcpService:
    enabled: bool
    origin: str = ORIGIN_HA_LOCAL


@dataclass(frozen=True, slots=True)
class MergeLeases:
    peer: str
    leases: tuple[Any, ...]  # Lease4 (or Lease6) records


@dataclass(frozen=True, slots=True)
class ReleaseParked:
    txn: int
    send: bool


@dataclass(frozen=True, slots=True)
class CommandReply:
    ticket: int
    answer: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StateChanged:
    previous: str
    current: str
    partner: str


@dataclass(frozen=True, slots=True)
class Log:
    level: LogLevel
    message_id: str
    text: str

    def __str__(self) -> str:
        return f"{self.message_id} {self.text}"


Action = SendRequest | SetDhcpService | MergeLeases | ReleaseParked | CommandReply | StateChanged | Log


def info(message_id: str, text: str) -> Log:
    return Log("info", message_id, text)


def warn(message_id: str, text: str) -> Log:
    return Log("warn", message_id, text)


def error(message_id: str, text: str) -> Log:
    return Log("error", message_id, text)


def debug(message_id: str, text: str) -> Log:
    return Log("debug", message_id, text)
