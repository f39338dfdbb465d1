"""DHCPv6-only terms: pkt6.msgtype / pkt6.transid and relay6[nest].

Written against a duck-typed Packet6 (see hakea.classify.packet): `msg_type`, `transaction_id`,
`options` and `relays` (element 0 is the relay closest to the server; Kea's negative nest levels
count from the client side, -1 being the relay closest to the client, like Python indexing).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from hakea.classify.lexer import Token
from hakea.classify.nodes import BoolFn, BoolNode, Node, StrFn, StrNode
from hakea.classify.optiontext import binary_text
from hakea.classify.packet import first_option, packed_address, uint32
from hakea.classify.parser import PRIMARY_PARSERS, Parser


@dataclass(frozen=True, slots=True)
class Pkt6Field(StrNode):
    field: str  # "msgtype" or "transid"; both as 4 bytes (ARM)

    def compile(self) -> StrFn:
        attr = "msg_type" if self.field == "msgtype" else "transaction_id"
        return lambda p, c, m: uint32(getattr(p, attr))


def _relay(p: Any, nest: int) -> Any:
    relays = getattr(p, "relays", ())
    if -len(relays) <= nest < len(relays):
        return relays[nest]
    return None


@dataclass(frozen=True, slots=True)
class Relay6Address(StrNode):
    nest: int
    field: str  # "peeraddr" or "linkaddr"

    def compile(self) -> StrFn:
        nest = self.nest
        attr = "peer_addr" if self.field == "peeraddr" else "link_addr"

        def address(p: Any, c: Container[str], m: Any) -> bytes:
            relay = _relay(p, nest)
            return b"" if relay is None else packed_address(getattr(relay, attr, None))

        return address


@dataclass(frozen=True, slots=True)
class Relay6Option(StrNode):
    nest: int
    code: int
    text: bool

    def compile(self) -> StrFn:
        nest, code, text = self.nest, self.code, self.text

        def value(p: Any, c: Container[str], m: Any) -> bytes:
            relay = _relay(p, nest)
            data = None if relay is None else first_option(relay.options, code)
            if data is None:
                return b""
            return binary_text(code, data, 6) if text else data

        return value


@dataclass(frozen=True, slots=True)
class Relay6OptionExists(BoolNode):
    nest: int
    code: int

    def compile(self) -> BoolFn:
        nest, code = self.nest, self.code

        def exists(p: Any, c: Container[str], m: Any) -> bool:
            relay = _relay(p, nest)
            return relay is not None and first_option(relay.options, code) is not None

        return exists


def _only_v6(p: Parser, tok: Token) -> None:
    if p.family != 6:
        raise p.fail(f"{tok.text} can only be used in DHCPv6", tok)


def _pkt6(p: Parser, tok: Token) -> Node:
    _only_v6(p, tok)
    p.expect(".")
    return Pkt6Field(p.expect_word("msgtype", "transid"))


def _relay6(p: Parser, tok: Token) -> Node:
    _only_v6(p, tok)
    p.expect("[")
    nest = p.integer(-32, 31, "nest level")  # Kea 2.2's allowed range
    p.expect("]")
    p.expect(".")
    word = p.expect_word("option", "peeraddr", "linkaddr")
    if word != "option":
        return Relay6Address(nest, word)
    p.expect("[")
    code = p.option_code()
    p.expect("]")
    p.expect(".")
    rep = p.expect_word("hex", "text", "exists")
    if rep == "exists":
        return Relay6OptionExists(nest, code)
    return Relay6Option(nest, code, rep == "text")


PRIMARY_PARSERS["pkt6"] = _pkt6
PRIMARY_PARSERS["relay6"] = _relay6
