"""Partner commands and answers, against kea-2.2-wire-samples.txt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hakea.ha import commands
from hakea.ha.commands import Answer, AnswerError, make_answer, parse_answer
from hakea.leases.json4 import lease4_from_json

SAMPLES = Path("/work/shared/reference/kea-2.2-wire-samples.txt")


def _bodies() -> list[Any]:
    """Every JSON body in the capture, in order (requests and answers)."""
    if not SAMPLES.exists():
        pytest.skip("wire samples not available")
    out = []
    for block in SAMPLES.read_text().split("----"):
        _, _, body = block.strip().partition("\n\n")
        if body.strip():
            out.append(json.loads(body))
    return out


def _text(obj: Any) -> str:
    # Key order matters: Kea writes maps with their keys sorted, and so must we.
    return json.dumps(obj, separators=(",", ":"))


def _sample(command: str) -> dict[str, Any]:
    for body in _bodies():
        if isinstance(body, dict) and body.get("command") == command:
            return body
    raise AssertionError(command)


def test_heartbeat_matches_kea() -> None:
    assert _text(commands.heartbeat()) == _text(_sample("ha-heartbeat"))


def test_dhcp_disable_matches_kea() -> None:
    assert _text(commands.dhcp_disable(60)) == _text(_sample("dhcp-disable"))
    assert commands.dhcp_disable(None)["arguments"] == {"origin": "ha-partner"}


def test_get_page_matches_kea() -> None:
    assert _text(commands.lease_get_page(None, 3)) == _text(_sample("lease4-get-page"))
    assert commands.lease_get_page("10.0.0.3", 3)["arguments"] == {"from": "10.0.0.3", "limit": 3}
    assert commands.lease_get_page(None, 5, "dhcp6")["command"] == "lease6-get-page"
    with pytest.raises(ValueError):
        commands.lease_get_page(None, 0)


def test_sync_complete_notify() -> None:
    assert _text(commands.sync_complete_notify()) == _text(_sample("ha-sync-complete-notify"))
    assert commands.sync_complete_notify("server1") == {
        "arguments": {"origin": "ha-partner", "server-name": "server1"},
        "command": "ha-sync-complete-notify",
        "service": ["dhcp4"],
    }


def test_lease4_update_matches_kea_plus_origin() -> None:
    sample = _sample("lease4-update")
    lease = lease4_from_json(sample["arguments"])
    built = commands.lease4_update(lease)
    expected = dict(sample)
    expected["arguments"] = dict(sorted({**sample["arguments"], "origin": "ha-partner"}.items()))
    assert _text(built) == _text(expected)
    assert built["arguments"]["expire"] == 1795562763 and "cltt" not in built["arguments"]


def test_lease4_del() -> None:
    lease = lease4_from_json(_sample("lease4-update")["arguments"])
    built = commands.lease4_del(lease)
    assert built["command"] == "lease4-del" and built["service"] == ["dhcp4"]
    assert built["arguments"]["origin"] == "ha-partner" and "force-create" not in built["arguments"]
    assert built["arguments"]["ip-address"] == "10.0.0.1" and built["arguments"]["expire"] == 1795562763


def test_other_builders() -> None:
    assert commands.dhcp_enable() == {
        "arguments": {"origin": "ha-partner"},
        "command": "dhcp-enable",
        "service": ["dhcp4"],
    }
    assert commands.ha_reset("dhcp6") == {"command": "ha-reset", "service": ["dhcp6"]}
    assert commands.maintenance_notify(True) == {
        "arguments": {"cancel": True},
        "command": "ha-maintenance-notify",
        "service": ["dhcp4"],
    }
    assert commands.maintenance_notify(False, state="load-balancing")["arguments"] == {
        "cancel": False,
        "state": "load-balancing",
    }


def test_lease_updates_v4_deletes_first() -> None:
    lease = lease4_from_json(_sample("lease4-update")["arguments"])
    names = [c["command"] for c in commands.lease_updates_v4([lease, lease], [lease])]
    assert names == ["lease4-del", "lease4-update", "lease4-update"]


def test_parse_sample_answers() -> None:
    answers = [parse_answer(b) for b in _bodies() if isinstance(b, list)]
    assert answers[0].result == 0 and answers[0].arguments["state"] == "waiting"
    assert answers[1] == Answer(0, "DHCPv4 service disabled for 60 seconds")
    page = answers[2]
    assert page.ok and page.arguments["count"] == 3 and len(page.arguments["leases"]) == 3


@pytest.mark.parametrize(
    ("body", "result", "ok"),
    [
        ([{"result": 0, "text": "x"}], 0, True),
        ({"result": 0, "text": "bare object"}, 0, True),
        ([{"result": 3, "text": "0 IPv4 lease(s) found."}], 3, True),
        ([{"result": 1, "text": "boom"}], 1, False),
        ([{"result": 2, "text": "'x' command not supported."}], 2, False),
        ([{"result": 4, "text": "conflict"}], 4, False),
        ({"code": 401, "text": "Unauthorized"}, 1, False),
    ],
)
def test_parse_answer(body: Any, result: int, ok: bool) -> None:
    a = parse_answer(body)
    assert (a.result, a.ok) == (result, ok)


@pytest.mark.parametrize("body", [[], "text", 3, None, [3]])
def test_parse_answer_refuses_garbage(body: Any) -> None:
    with pytest.raises(AnswerError):
        parse_answer(body)


def test_answer_rendering() -> None:
    assert Answer(1, "boom").error_text() == "boom, error code 1"
    assert make_answer(0, "done") == {"result": 0, "text": "done"}
    assert list(make_answer(0, "x", {"a": 1})) == ["arguments", "result", "text"]


def test_string_list() -> None:
    assert commands.string_list({"scopes": ["a"]}, "scopes", "ha-scopes") == ["a"]
    with pytest.raises(ValueError, match="'scopes' is mandatory for the 'ha-scopes' command"):
        commands.string_list({}, "scopes", "ha-scopes")
    with pytest.raises(ValueError, match="must be a list"):
        commands.string_list({"scopes": "a"}, "scopes", "ha-scopes")
    with pytest.raises(ValueError, match="must be a string"):
        commands.string_list({"scopes": [1]}, "scopes", "ha-scopes")
