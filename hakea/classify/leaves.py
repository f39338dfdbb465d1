"""Leaves that read the packet: options, relay agent information, fixed fields, metadata,
vendor options. Values are those of Kea's parsed packet (see hakea.classify.packet.option_v4)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any

from hakea.classify.nodes import BoolFn, BoolNode, StrFn, StrNode
from hakea.classify.optiontext import binary_text, container_text, option_text
from hakea.classify.packet import (
    V4_ENCAPSULATED,
    V6_ENCAPSULATED_AT,
    first_option,
    meta_value,
    packed_address,
    packet_length_v4,
    packet_length_v6,
    serialize_tlv,
    string_option,
    string_option_codes,
    suboptions,
    uint32,
    vendor_class,
    vendor_option,
)


@dataclass(frozen=True, slots=True)
class OptionValue(StrNode):
    """option[code].hex / .text, optionally .option[sub] (DHCPv4 82, DHCPv6 IA options).

    Values are those of Kea's parsed packet (see packet.option_v4): string options lose their
    trailing NULs, option 82 is re-packed from its sub-options.
    """

    code: int
    text: bool  # .text rather than .hex
    family: int = 4
    defn: Any = None  # option definition, for .text
    sub: int | None = None

    def compile(self) -> StrFn:
        code, sub, family, defn, text = self.code, self.sub, self.family, self.defn, self.text
        if sub is not None:
            get_subs = _sub_reader(code, family)

            def sub_value(p: Any, c: Container[str], m: Any) -> bytes:
                value = get_subs(p).get(sub)
                if value is None:
                    return b""
                return binary_text(sub, value, family) if text else value

            return sub_value
        is_string = code in string_option_codes(family)
        if family == 6:

            def value6(p: Any, c: Container[str], m: Any) -> bytes:
                value = first_option(p.options, code)
                if is_string:
                    value = string_option(value)
                if value is None:
                    return b""
                return option_text(code, value, defn, 6) if text and not is_string else value

            return value6
        if code == 82:

            def value82(p: Any, c: Container[str], m: Any) -> bytes:
                value = p.options.get(82)
                if value is None:
                    return b""
                subs = suboptions(value, False)
                return container_text(82, subs, 4) if text else serialize_tlv(subs)

            return value82
        if is_string:  # .text and .hex are the same string

            def string4(p: Any, c: Container[str], m: Any) -> bytes:
                value = p.options.get(code)
                return value.rstrip(b"\x00") if value else b""

            return string4
        if text:

            def text4(p: Any, c: Container[str], m: Any) -> bytes:
                value = p.options.get(code)
                return b"" if value is None else option_text(code, value, defn, 4)

            return text4
        return lambda p, c, m: p.options.get(code) or b""


@dataclass(frozen=True, slots=True)
class OptionExists(BoolNode):
    code: int
    family: int = 4
    sub: int | None = None

    def compile(self) -> BoolFn:
        code, sub = self.code, self.sub
        if sub is not None:
            get_subs = _sub_reader(code, self.family)
            return lambda p, c, m: sub in get_subs(p)
        is_string = code in string_option_codes(self.family)
        if self.family == 4:
            if is_string:  # Kea drops a string option that is empty once NULs are removed
                return lambda p, c, m: string_option(p.options.get(code)) is not None
            return lambda p, c, m: code in p.options
        if is_string:
            return lambda p, c, m: string_option(first_option(p.options, code)) is not None
        return lambda p, c, m: first_option(p.options, code) is not None


def _sub_reader(code: int, family: int) -> Callable[[Any], dict[int, bytes]]:
    if family == 4:
        if code not in V4_ENCAPSULATED:
            return lambda p: {}

        def subs4(p: Any) -> dict[int, bytes]:
            value = p.options.get(code)
            return {} if value is None else suboptions(value, False)

        return subs4
    offset = V6_ENCAPSULATED_AT.get(code)
    if offset is None:
        return lambda p: {}

    def subs6(p: Any) -> dict[int, bytes]:
        value = first_option(p.options, code)
        if value is None or len(value) < offset:
            return {}
        return suboptions(value[offset:], True)

    return subs6


_PKT4_INT_FIELDS = {"hlen": "hlen", "htype": "htype", "transid": "xid"}
_PKT4_ADDRESSES = ("ciaddr", "giaddr", "yiaddr", "siaddr")
PKT4_FIELDS = ("mac", "hlen", "htype", "ciaddr", "giaddr", "yiaddr", "siaddr", "msgtype", "transid")
PKT_FIELDS = ("iface", "src", "dst", "len")


@dataclass(frozen=True, slots=True)
class Pkt4Field(StrNode):
    """pkt4.<field>: the hardware address as bytes, everything else as a 4-byte big-endian value."""

    field: str

    def compile(self) -> StrFn:
        field = self.field
        if field == "mac":
            return lambda p, c, m: bytes(p.chaddr)
        if field == "msgtype":
            return lambda p, c, m: uint32(p.message_type or 0)
        attr = _PKT4_INT_FIELDS.get(field, field)
        return lambda p, c, m: uint32(getattr(p, attr))


@dataclass(frozen=True, slots=True)
class PktMeta(StrNode):
    """pkt.iface / .src / .dst from the metadata given to evaluate() (b'' when unknown), and
    pkt.len, which Kea computes from the parsed packet."""

    field: str
    family: int = 4

    def compile(self) -> StrFn:
        field = self.field
        if field == "iface":

            def iface(p: Any, c: Container[str], m: Any) -> bytes:
                value = meta_value(m, "iface")
                return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else b""

            return iface
        if field == "len":
            if self.family == 4:
                return lambda p, c, m: uint32(packet_length_v4(p))
            return lambda p, c, m: uint32(packet_length_v6(p))
        return lambda p, c, m: packed_address(meta_value(m, field))


@dataclass(frozen=True, slots=True)
class VendorEnterprise(StrNode):
    """vendor.enterprise / vendor-class.enterprise: 4 bytes, b'' without the option."""

    option: int  # 125/124 (v4) or 17/16 (v6)
    family: int = 4

    def compile(self) -> StrFn:
        code = self.option
        if self.family == 4:
            return lambda p, c, m: _enterprise(p.options.get(code))
        return lambda p, c, m: _enterprise(first_option(p.options, code))


def _enterprise(payload: bytes | None) -> bytes:
    return payload[:4] if payload is not None and len(payload) >= 4 else b""


def _payload(p: Any, code: int, family: int) -> bytes | None:
    return p.options.get(code) if family == 4 else first_option(p.options, code)


@dataclass(frozen=True, slots=True)
class VendorExists(BoolNode):
    """vendor[E].exists / vendor-class[E].exists; E None for '*' or 0 (any enterprise)."""

    option: int
    enterprise: int | None
    family: int = 4

    def compile(self) -> BoolFn:
        code, enterprise, family = self.option, self.enterprise, self.family

        def exists(p: Any, c: Container[str], m: Any) -> bool:
            payload = _payload(p, code, family)
            if payload is None or len(payload) < 4:
                return False
            return enterprise is None or struct.unpack_from("!I", payload)[0] == enterprise

        return exists


@dataclass(frozen=True, slots=True)
class VendorSubOption(StrNode):
    """vendor[E].option[N].hex / .text."""

    enterprise: int | None
    code: int
    text: bool
    family: int = 4

    def compile(self) -> StrFn:
        enterprise, code, text, family = self.enterprise, self.code, self.text, self.family
        option = 125 if family == 4 else 17

        def value(p: Any, c: Container[str], m: Any) -> bytes:
            parsed = vendor_option(_payload(p, option, family), family == 6)
            if parsed is None or (enterprise is not None and parsed[0] != enterprise):
                return b""
            data = parsed[1].get(code)
            if data is None:
                return b""
            return binary_text(code, data, family) if text else data

        return value


@dataclass(frozen=True, slots=True)
class VendorSubOptionExists(BoolNode):
    enterprise: int | None
    code: int
    family: int = 4

    def compile(self) -> BoolFn:
        enterprise, code, family = self.enterprise, self.code, self.family
        option = 125 if family == 4 else 17

        def exists(p: Any, c: Container[str], m: Any) -> bool:
            parsed = vendor_option(_payload(p, option, family), family == 6)
            if parsed is None or (enterprise is not None and parsed[0] != enterprise):
                return False
            return code in parsed[1]

        return exists


@dataclass(frozen=True, slots=True)
class VendorClassData(StrNode):
    """vendor-class[E].data / .data[I]: the I-th data tuple."""

    enterprise: int | None
    index: int
    family: int = 4

    def compile(self) -> StrFn:
        enterprise, index, family = self.enterprise, self.index, self.family
        option = 124 if family == 4 else 16

        def data(p: Any, c: Container[str], m: Any) -> bytes:
            parsed = vendor_class(_payload(p, option, family), family == 6)
            if parsed is None or (enterprise is not None and parsed[0] != enterprise):
                return b""
            tuples = parsed[1]
            return tuples[index] if index < len(tuples) else b""

        return data
