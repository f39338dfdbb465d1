"""Property tests: parsing raises only ExpressionError; evaluation never raises."""

from __future__ import annotations

import contextlib
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hakea.classify import ExpressionError, PacketMeta, compile_expression
from hakea.classify.nodes import substring
from hakea.classify.packet import parse_tlv, serialize_tlv
from hakea.dhcp4.wire import Packet4

VOCABULARY = [
    "option", "relay4", "relay6", "pkt4", "pkt6", "pkt", "member", "substring", "concat", "ifelse",
    "hexstring", "split", "addrtotext", "uint8totext", "int32totext", "vendor", "vendor-class", "not",
    "and", "or", "all", "hex", "text", "exists", "data", "enterprise", "mac", "msgtype", "iface",
    "known", "lcase", "(", ")", "[", "]", ".", ",", "+", "*", "==", "=", "'ALL'", "'a'", "''", "'",
    "0x", "0x0a", "0", "1", "-1", "60", "82", "256", "4294967296", "10.0.0.1", "::1", "1:2::3:",
    "host-name", "#", "\n", "\t", "é", "\x00", "\ud800",
]  # fmt: skip

STR_LEAVES = [
    "option[60].hex", "option[60].text", "option[82].hex", "option[82].text", "option[54].text",
    "option[55].text", "option[12].hex", "option[61].hex", "option[82].option[1].hex", "relay4[1].hex",
    "relay4[2].text", "pkt4.mac", "pkt4.hlen", "pkt4.ciaddr", "pkt4.giaddr", "pkt4.msgtype",
    "pkt4.transid", "pkt.iface", "pkt.src", "pkt.len", "vendor.enterprise", "vendor[*].option[1].hex",
    "vendor[4491].option[2].text", "vendor-class[4491].data", "vendor-class[*].data[1]",
    "vendor-class.enterprise", "'abc'", "''", "0x0102", "123", "10.0.0.1", "2001:db8::1",
]  # fmt: skip
BOOL_LEAVES = [
    "option[60].exists", "option[82].option[2].exists", "relay4[1].exists", "member('ALL')",
    "member('x')", "vendor[*].exists", "vendor[4491].option[1].exists", "vendor-class[0].exists",
]  # fmt: skip

CONVERSIONS = ["addrtotext", "int8totext", "int16totext", "int32totext", "uint8totext", "uint16totext",
               "uint32totext"]  # fmt: skip

ints = st.integers(min_value=-(2**33), max_value=2**33).map(str)


@cache
def strings_at(depth: int) -> st.SearchStrategy[str]:
    """String expressions nested at most `depth` deep (no filtering: cheap to generate)."""
    leaves = st.sampled_from(STR_LEAVES)
    if depth == 0:
        return leaves
    s, b = strings_at(depth - 1), booleans_at(depth - 1)
    return st.one_of(
        leaves,
        st.builds("substring({}, {}, {})".format, s, ints, st.one_of(ints, st.just("all"))),
        st.builds("concat({}, {})".format, s, s),
        st.builds("{} + {}".format, s, s),
        st.builds("split({}, {}, {})".format, s, s, ints),
        st.builds("hexstring({}, {})".format, s, s),
        st.builds("ifelse({}, {}, {})".format, b, s, s),
        st.builds("{}({})".format, st.sampled_from(CONVERSIONS), s),
        st.builds("({})".format, s),
    )


@cache
def booleans_at(depth: int) -> st.SearchStrategy[str]:
    leaves = st.sampled_from(BOOL_LEAVES)
    if depth == 0:
        return leaves
    s, b = strings_at(depth - 1), booleans_at(depth - 1)
    return st.one_of(
        leaves,
        st.builds("{} == {}".format, s, s),
        st.builds("not {}".format, b),
        st.builds("{} and {}".format, b, b),
        st.builds("{} or {}".format, b, b),
        st.builds("({})".format, b),
    )


bools = booleans_at(4)
strs = strings_at(4)

packets = st.builds(
    Packet4,
    htype=st.integers(0, 255),
    hlen=st.integers(0, 255),
    xid=st.integers(0, 2**32 - 1),
    ciaddr=st.integers(0, 2**32 - 1),
    giaddr=st.integers(0, 2**32 - 1),
    chaddr=st.binary(max_size=16),
    options=st.dictionaries(
        st.sampled_from([12, 53, 54, 55, 60, 61, 82, 124, 125, 3, 51, 97, 200]),
        st.one_of(
            st.binary(max_size=40), st.sampled_from([b"", b"\x00", b"\x01\x02ab", b"\x00\x00\x11\x8b"])
        ),
        max_size=8,
    ),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_random_text_raises_only_expression_error(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        compile_expression(text)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(VOCABULARY), max_size=25), st.sampled_from([4, 6]), st.booleans())
def test_token_soup_raises_only_expression_error(words: list[str], family: int, extensions: bool) -> None:
    for sep in (" ", ""):
        with contextlib.suppress(ExpressionError):
            compile_expression(sep.join(words), family=family, extensions=extensions, defined_classes=())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bools, packets, st.sets(st.sampled_from(["ALL", "x", "KNOWN"])))
def test_valid_expressions_evaluate_without_raising(text: str, pkt: Packet4, classes: set[str]) -> None:
    try:
        expr = compile_expression(text)
    except ExpressionError as exc:  # only nesting can make a generated expression invalid
        assert "nested too deeply" in exc.reason
        return
    meta = PacketMeta(iface="eth0", src="10.0.0.1", dst=b"\x0a\x00\x00\x02")
    first = expr.evaluate(pkt, classes, meta)
    assert first in (True, False)
    assert expr.evaluate(pkt, classes, meta) == first  # deterministic
    assert isinstance(expr.evaluate_string(pkt, classes, meta), bytes)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strs, packets)
def test_string_expressions_evaluate_to_bytes(text: str, pkt: Packet4) -> None:
    try:
        expr = compile_expression(text, result="string")
    except ExpressionError as exc:
        assert "nested too deeply" in exc.reason
        return
    assert isinstance(expr.evaluate_string(pkt, {"ALL"}), bytes)


@given(st.binary(max_size=30), st.integers(-40, 40), st.one_of(st.none(), st.integers(-40, 40)))
def test_substring_is_a_slice(value: bytes, start: int, length: int | None) -> None:
    out = substring(value, start, length)
    assert out in value
    if length is not None:
        assert len(out) <= abs(length)
    if 0 <= start < len(value) and length is None:
        assert out == value[start:]


@given(st.binary(max_size=30), st.binary(max_size=30))
def test_concat_and_hexstring(a: bytes, b: bytes) -> None:
    def literal(v: bytes) -> str:
        return "0x" + v.hex() if v else "''"

    expr = compile_expression(f"hexstring(concat({literal(a)}, {literal(b)}), '')", result="string")
    assert bytes.fromhex(expr.evaluate_string(None, set()).decode()) == a + b


@given(st.binary(max_size=60), st.booleans())
def test_suboption_parsing_never_raises(data: bytes, wide: bool) -> None:
    subs = parse_tlv(data, wide)
    if not wide:
        assert parse_tlv(serialize_tlv(subs), False) == {c: v for c, v in subs.items() if len(v) < 256}


@given(st.lists(st.integers(0, 255), max_size=6), packets)
def test_member_matches_set_membership(names: list[int], pkt: Any) -> None:
    classes = {f"c{n}" for n in names}
    for n in range(0, 256, 51):
        assert compile_expression(f"member('c{n}')").evaluate(pkt, classes) == (f"c{n}" in classes)
