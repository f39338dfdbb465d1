"""A hand-cranked shell for one HACore: the test plays the partner and the clock."""

from __future__ import annotations

from typing import Any

from hakea.ha.actions import Action, CommandReply, Log, ReleaseParked, SendRequest, SetDhcpService
from hakea.ha.communication import format_rfc1123
from hakea.ha.config import HAConfig
from hakea.ha.core import HACore
from hakea.ha.query_filter import QueryInfo
from hakea.ha.states import State
from hakea.leases.model import Lease4

T0 = 1_800_000_000.0


class Driver:
    def __init__(self, config: HAConfig, now: float = T0) -> None:
        self.now = now
        self.core = HACore(config, now)
        self.actions: list[Action] = []
        self.open: list[SendRequest] = []  # requests not answered yet
        self._ticket = 0
        self.take(self.core.start(now))

    # -- plumbing
    def take(self, actions: list[Action]) -> list[Action]:
        self.actions.extend(actions)
        self.open.extend(a for a in actions if isinstance(a, SendRequest))
        return actions

    def logs(self) -> list[str]:
        return [a.message_id for a in self.actions if isinstance(a, Log)]

    def service_actions(self) -> list[SetDhcpService]:
        return [a for a in self.actions if isinstance(a, SetDhcpService)]

    def released(self) -> dict[int, bool]:
        return {a.txn: a.send for a in self.actions if isinstance(a, ReleaseParked)}

    def request(self, command: str, peer: str | None = None) -> SendRequest:
        for req in self.open:
            if req.command["command"] == command and (peer is None or req.peer == peer):
                return req
        raise AssertionError(f"no open {command}; open: {[r.command['command'] for r in self.open]}")

    def commands_sent(self) -> list[str]:
        return [a.command["command"] for a in self.actions if isinstance(a, SendRequest)]

    def reply(self, req: SendRequest, body: Any) -> list[Action]:
        self.open.remove(req)
        return self.take(self.core.on_response(req.request_id, body, self.now))

    def fail(self, req: SendRequest, reason: str = "Connection refused") -> list[Action]:
        self.open.remove(req)
        return self.take(self.core.on_request_failed(req.request_id, reason, self.now))

    def ok(
        self, command: str, text: str = "ok", arguments: Any = None, peer: str | None = None
    ) -> list[Action]:
        body: dict[str, Any] = {"result": 0, "text": text}
        if arguments is not None:
            body["arguments"] = arguments
        return self.reply(self.request(command, peer), [body])

    # -- time
    def advance(self, seconds: float) -> None:
        """Move the clock without firing timers (the next tick_heartbeat fires a due heartbeat)."""
        self.now += seconds

    def tick_heartbeat(self) -> SendRequest:
        due = self.core.next_deadline()
        assert due is not None, "no heartbeat scheduled"
        self.now = max(self.now, due)
        self.take(self.core.on_tick(self.now))
        return self.request("ha-heartbeat")

    def heartbeat(
        self, partner: State | str, skew: float = 0.0, unsent: int = 0, scopes: list[str] | None = None
    ) -> None:
        req = self.tick_heartbeat()
        args = {
            "date-time": format_rfc1123(self.now + skew),
            "scopes": scopes or [],
            "state": partner if isinstance(partner, str) else partner.value,
            "unsent-update-count": unsent,
        }
        self.reply(req, [{"arguments": args, "result": 0, "text": "HA peer status returned."}])

    def heartbeat_fails(self) -> None:
        self.fail(self.tick_heartbeat())

    def command(self, name: str, arguments: Any = None) -> dict[str, Any] | None:
        self._ticket += 1
        ticket = self._ticket
        actions = self.take(self.core.on_command(name, arguments, self.now, ticket))
        for a in actions:
            if isinstance(a, CommandReply) and a.ticket == ticket:
                return a.answer
        return None

    def reply_for(self, ticket: int | None = None) -> dict[str, Any]:
        replies = [a for a in self.actions if isinstance(a, CommandReply)]
        if ticket is not None:
            replies = [a for a in replies if a.ticket == ticket]
        assert replies, "no command reply"
        return replies[-1].answer

    def force(self, state: State) -> None:
        assert not any(r.command["command"] == "ha-heartbeat" for r in self.open), "heartbeat in flight"
        self.take(self.core.transition(state, self.now))

    def lease(self, i: int, valid: int = 3600) -> Lease4:
        return Lease4(0x0A000000 + i, bytes([2, 0, 0, 0, 0, i]), b"", valid, int(self.now), 1)

    @staticmethod
    def client(i: int, secs: int = 0, msg_type: int = 1) -> QueryInfo:
        return QueryInfo.v4(msg_type, bytes([2, 0, 0, 0, 0, i]), None, secs)
