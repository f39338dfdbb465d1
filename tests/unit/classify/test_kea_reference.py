"""Agreement with Kea 2.2.0 itself: kea22_reference.json was recorded by kea_oracle.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hakea.classify import ExpressionError, PacketMeta, compile_expression
from tests.unit.classify.conftest import make_packet

DATA = json.loads((Path(__file__).parent / "kea22_reference.json").read_text(encoding="utf-8"))
PACKETS = {spec["id"]: spec for spec in DATA["packets"]}


def _packet(spec: dict[str, Any]) -> Any:
    return make_packet(
        {code: bytes.fromhex(payload) for code, payload in spec["options"]},
        chaddr=bytes.fromhex(spec.get("chaddr", "0a0b0c0d0e0f")),
        htype=spec.get("htype", 1),
        xid=spec.get("xid", 0),
        ciaddr=spec.get("ciaddr", "0.0.0.0"),
        giaddr="127.0.0.1",
    )


@pytest.mark.parametrize(("text", "accepted", "kea_message"), DATA["syntax"]["v4"])
def test_v4_syntax_matches_kea(text: str, accepted: bool, kea_message: str) -> None:
    try:
        compile_expression(text, family=4, defined_classes=())
    except ExpressionError as exc:
        assert not accepted, f"Kea accepts {text!r}, we say {exc}"
    else:
        assert accepted, f"Kea rejects {text!r}: {kea_message}"


@pytest.mark.parametrize(("text", "accepted", "kea_message"), DATA["syntax"]["v6"])
def test_v6_syntax_matches_kea(text: str, accepted: bool, kea_message: str) -> None:
    try:
        compile_expression(text, family=6, defined_classes=())
    except ExpressionError as exc:
        assert not accepted, f"Kea accepts {text!r}, we say {exc}"
    else:
        assert accepted, f"Kea rejects {text!r}: {kea_message}"


@pytest.mark.parametrize(("packet_id", "text", "kea_value"), DATA["values"])
def test_values_match_kea(packet_id: str, text: str, kea_value: str | None) -> None:
    spec = PACKETS[packet_id]
    pkt = _packet(spec)
    meta = PacketMeta(iface="lo", src="127.0.0.1", dst="127.0.0.1")
    classes = {"ALL", "VENDOR_CLASS_Aastra"} if packet_id == "aastra" else {"ALL"}
    expr = compile_expression(f"({text}) == ''")
    result, error = expr.evaluate_or_error(pkt, classes, meta)
    if kea_value is None:
        assert error is not None, f"Kea fails on {text!r}, we do not"
        assert result is False
        return
    assert error is None, error
    value = compile_expression(text, result="string").evaluate_string(pkt, classes, meta)
    assert value.hex() == kea_value, f"{text!r}: Kea {bytes.fromhex(kea_value)!r}, we {value!r}"
