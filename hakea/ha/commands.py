"""The JSON commands HA peers send each other, and the parsing of their answers.

Shapes follow kea-2.2-wire-samples.txt (what two Kea 2.2 peers send): keys in Kea's alphabetical
order ("arguments", "command", "service"), "service": ["dhcp4"] (or ["dhcp6"]). The extra
"origin": "ha-partner" on lease updates and "server-name"/"origin" on ha-sync-complete-notify are
what later Kea versions send; Kea 2.2 ignores arguments it does not read.

An answer from a peer is a list holding one object (Kea always answers with a list); a bare object
is accepted too. Result codes: 0 success, 1 error, 2 command unsupported, 3 empty (success with
nothing to report, e.g. an empty lease page), 4 conflict (the partner cannot take a lease).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hakea.leases.json4 import lease4_to_update_args
from hakea.leases.model import Lease4

RESULT_SUCCESS = 0
RESULT_ERROR = 1
RESULT_UNSUPPORTED = 2
RESULT_EMPTY = 3
RESULT_CONFLICT = 4
RESULT_MAINTENANCE_NOT_ALLOWED = 1001  # ha-maintenance-notify refused (Kea's special code)

ORIGIN_HA_PARTNER = "ha-partner"


def _command(name: str, service: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    cmd: dict[str, Any] = {}
    if arguments is not None:
        cmd["arguments"] = arguments
    cmd["command"] = name
    cmd["service"] = [service]
    return cmd


def heartbeat(service: str = "dhcp4") -> dict[str, Any]:
    return _command("ha-heartbeat", service)


def dhcp_disable(max_period: int | None, service: str = "dhcp4") -> dict[str, Any]:
    """Disable the partner's service while we fetch its leases; max-period (s) bounds the hold."""
    args: dict[str, Any] = {}
    if max_period:
        args["max-period"] = int(max_period)
    args["origin"] = ORIGIN_HA_PARTNER
    return _command("dhcp-disable", service, args)


def dhcp_enable(service: str = "dhcp4") -> dict[str, Any]:
    return _command("dhcp-enable", service, {"origin": ORIGIN_HA_PARTNER})


def lease_get_page(last_address: str | None, limit: int, service: str = "dhcp4") -> dict[str, Any]:
    """lease4-get-page (lease6-get-page for dhcp6): "from" is "start" or the previous page's last address."""
    if limit <= 0:
        raise ValueError("limit value for lease get-page command must not be 0")
    name = "lease6-get-page" if service == "dhcp6" else "lease4-get-page"
    return _command(name, service, {"from": last_address or "start", "limit": limit})


def lease4_update(lease: Lease4) -> dict[str, Any]:
    args = lease4_to_update_args(lease)
    args["force-create"] = True
    args["origin"] = ORIGIN_HA_PARTNER
    return _command("lease4-update", "dhcp4", dict(sorted(args.items())))


def lease4_del(lease: Lease4) -> dict[str, Any]:
    args = lease4_to_update_args(lease)
    args["origin"] = ORIGIN_HA_PARTNER
    return _command("lease4-del", "dhcp4", dict(sorted(args.items())))


def sync_complete_notify(server_name: str | None = None, service: str = "dhcp4") -> dict[str, Any]:
    """Without a server name: exactly Kea 2.2's form (no arguments)."""
    if server_name is None:
        return _command("ha-sync-complete-notify", service)
    return _command(
        "ha-sync-complete-notify", service, {"origin": ORIGIN_HA_PARTNER, "server-name": server_name}
    )


def ha_reset(service: str = "dhcp4") -> dict[str, Any]:
    return _command("ha-reset", service)


def maintenance_notify(cancel: bool, service: str = "dhcp4", state: str | None = None) -> dict[str, Any]:
    args: dict[str, Any] = {"cancel": cancel}
    if state is not None:
        args["state"] = state
    return _command("ha-maintenance-notify", service, args)


# ----------------------------------------------------------------------------- answers


class AnswerError(ValueError):
    """The peer's answer is not a Kea answer."""


@dataclass(frozen=True, slots=True)
class Answer:
    result: int
    text: str
    arguments: Any = None

    @property
    def ok(self) -> bool:
        """Success for HA's purposes: result 0, or 3 ("empty", e.g. no more leases)."""
        return self.result in (RESULT_SUCCESS, RESULT_EMPTY)

    def error_text(self) -> str:
        """Kea's rendering of a failed answer: "<text>, error code <n>"."""
        return f"{self.text}, error code {self.result}" if self.text else f"error code {self.result}"


def parse_answer(body: Any) -> Answer:
    """The first (only) answer of a peer's response; raises AnswerError when malformed."""
    if isinstance(body, list):
        if not body:
            raise AnswerError("list of responses must not be empty")
        body = body[0]
    if not isinstance(body, Mapping):
        raise AnswerError("answer must be a map or a list of maps")
    result = body.get("result")
    if isinstance(result, bool) or not isinstance(result, int):
        # A control agent or HTTP-level error map without a Kea result ({"code": 401, ...}).
        text = body.get("text")
        return Answer(RESULT_ERROR, text if isinstance(text, str) else "invalid answer: no result code")
    text = body.get("text", "")
    return Answer(result, text if isinstance(text, str) else str(text), body.get("arguments"))


def make_answer(result: int, text: str, arguments: Any = None) -> dict[str, Any]:
    """An answer in Kea's key order (arguments, result, text)."""
    out: dict[str, Any] = {}
    if arguments is not None:
        out["arguments"] = arguments
    out["result"] = result
    out["text"] = text
    return out


def string_list(args: Mapping[str, Any] | None, key: str, command: str) -> list[str]:
    """A mandatory list-of-strings argument; raises ValueError with Kea's wording."""
    if args is None or key not in args:
        raise ValueError(f"'{key}' is mandatory for the '{command}' command")
    value = args[key]
    if not isinstance(value, list):
        raise ValueError(f"'{key}' must be a list in the '{command}' command")
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"scope name must be a string in the '{key}' argument")
    return list(value)


def lease_updates_v4(updated: Sequence[Lease4], deleted: Sequence[Lease4]) -> list[dict[str, Any]]:
    """One lease4-del per deleted lease, then one lease4-update per new or renewed lease."""
    return [lease4_del(lease) for lease in deleted] + [lease4_update(lease) for lease in updated]
