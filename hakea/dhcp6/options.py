"""DHCPv6 option definitions (Kea 2.2's standard table) and option-data text -> payload encoding.

Names, codes and types are Kea 2.2's standard DHCPv6 definitions, checked against Debian's
kea-dhcp6 2.2.0: every code below is one it refuses to let an "option-def" override, and it has
no other in 1..1024; every name is accepted in "option-data"; and the payloads it sends for
sample data match encode_option_data6 (tests/unit/dhcp6/kea22_option6_payloads.json).

The definition checks and the text <-> payload rules are the family-neutral ones of hakea.options,
and the field encoders those of hakea.dhcp4.option_codecs, except `tuple`: a DHCPv6 tuple has a
2-byte length (RFC 8415 section 21.16 opaque data, bootfile-param, vendor-class data). What is
DHCPv6's own is here: 16-bit codes, the standard tables, empty address/fqdn/tuple arrays, and the
check of vendor-class (16).

Configuration is encoded once, at load time, so none of this runs per packet.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hakea.dhcp4.option_codecs import FieldError, decode_field, encode_field
from hakea.options.definition import OptionDefinition, find_standard
from hakea.options.encoding import encode_option_text, format_option_text

__all__ = [
    "OTHER_SPACES_V6",
    "STANDARD_V6",
    "STANDARD_V6_BY_CODE",
    "OptionDef6",
    "encode_option_data6",
    "find_v6",
    "format_option_data6",
]

_U16 = struct.Struct("!H")


@dataclass(frozen=True, slots=True)
class OptionDef6(OptionDefinition):
    """One DHCPv6 option format, standard or from a Kea "option-def" entry (see OptionDefinition;
    the same shape as hakea.dhcp4.options.OptionDef, with 16-bit codes)."""

    space: str = "dhcp6"

    def _check_code(self, where: str) -> None:
        if not 1 <= self.code <= 0xFFFF:
            # Kea 2.2: "invalid option code '0': reserved value", and at most 65535.
            raise ValueError(f"{where}: code must be 1..65535")


_d = OptionDef6.standard
_rec = OptionDef6.record
_IP6 = "ipv6-address"

_STANDARD: tuple[OptionDef6, ...] = (
    _d("clientid", 1, "binary"),
    _d("serverid", 2, "binary"),
    _rec("ia-na", 3, "uint32", "uint32", "uint32"),
    _d("ia-ta", 4, "uint32"),
    _rec("iaaddr", 5, _IP6, "uint32", "uint32"),
    _d("oro", 6, "uint16", True),
    _d("preference", 7, "uint8"),
    _d("elapsed-time", 8, "uint16"),
    _d("relay-msg", 9, "binary"),
    _d("auth", 11, "binary"),  # RFC 8415 section 21.11; Kea has no finer type for it
    _d("unicast", 12, _IP6),
    _rec("status-code", 13, "uint16", "string"),
    _d("rapid-commit", 14, "empty"),
    _d("user-class", 15, "binary"),
    _rec("vendor-class", 16, "uint32", "binary"),
    _d("vendor-opts", 17, "uint32", encapsulate="vendor-opts-space"),
    _d("interface-id", 18, "binary"),
    _d("reconf-msg", 19, "uint8"),
    _d("reconf-accept", 20, "empty"),
    _d("sip-server-dns", 21, "fqdn", True),
    _d("sip-server-addr", 22, _IP6, True),
    _d("dns-servers", 23, _IP6, True),
    _d("domain-search", 24, "fqdn", True),
    _rec("ia-pd", 25, "uint32", "uint32", "uint32"),
    _rec("iaprefix", 26, "uint32", "uint32", "uint8", _IP6),
    _d("nis-servers", 27, _IP6, True),
    _d("nisp-servers", 28, _IP6, True),
    _d("nis-domain-name", 29, "fqdn", True),
    _d("nisp-domain-name", 30, "fqdn", True),
    _d("sntp-servers", 31, _IP6, True),
    _d("information-refresh-time", 32, "uint32"),
    _d("bcmcs-server-dns", 33, "fqdn", True),
    _d("bcmcs-server-addr", 34, _IP6, True),
    _rec("geoconf-civic", 36, "uint8", "uint16", "binary"),
    _rec("remote-id", 37, "uint32", "binary"),
    _d("subscriber-id", 38, "binary"),
    _rec("client-fqdn", 39, "uint8", "fqdn"),
    _d("pana-agent", 40, _IP6, True),
    _d("new-posix-timezone", 41, "string"),
    _d("new-tzdb-timezone", 42, "string"),
    _d("ero", 43, "uint16", True),
    _rec("lq-query", 44, "uint8", _IP6),
    _d("client-data", 45, "empty"),
    _d("clt-time", 46, "uint32"),
    _rec("lq-relay-data", 47, _IP6, "binary"),
    _d("lq-client-link", 48, _IP6, True),
    _d("v6-lost", 51, "fqdn"),
    _d("capwap-ac-v6", 52, _IP6, True),
    _d("relay-id", 53, "binary"),
    _d("v6-access-domain", 57, "fqdn"),
    _d("sip-ua-cs-list", 58, "fqdn", True),
    _d("bootfile-url", 59, "string"),
    _d("bootfile-param", 60, "tuple", True),
    _d("client-arch-type", 61, "uint16", True),
    _rec("nii", 62, "uint8", "uint8", "uint8"),
    _d("aftr-name", 64, "fqdn"),
    _d("erp-local-domain-name", 65, "fqdn"),
    _d("rsoo", 66, "empty", encapsulate="rsoo-opts"),
    _d("pd-exclude", 67, "ipv6-prefix"),
    _rec("rdnss-selection", 74, _IP6, "uint8", "fqdn", array=True),
    _d("client-linklayer-addr", 79, "binary"),
    _d("link-address", 80, _IP6),
    _d("solmax-rt", 82, "uint32"),
    _d("inf-max-rt", 83, "uint32"),
    _d("dhcpv4-message", 87, "binary"),
    _d("dhcp4o6-server-addr", 88, _IP6, True),
    _d("s46-cont-mape", 94, "empty", encapsulate="s46-cont-mape-options"),
    _d("s46-cont-mapt", 95, "empty", encapsulate="s46-cont-mapt-options"),
    _d("s46-cont-lw", 96, "empty", encapsulate="s46-cont-lw-options"),
    _d("v6-captive-portal", 103, "string"),
    _d("relay-source-port", 135, "uint16"),
    _d("ipv6-address-andsf", 143, _IP6, True),
)

STANDARD_V6: dict[str, OptionDef6] = {d.name: d for d in _STANDARD}
"""Kea 2.2's standard DHCPv6 option definitions by name."""

STANDARD_V6_BY_CODE: dict[int, OptionDef6] = {d.code: d for d in _STANDARD}


def _space(space: str, *defs: tuple[str, int, str, tuple[str, ...]]) -> dict[int, OptionDef6]:
    out: dict[int, OptionDef6] = {}
    for name, code, type_, fields in defs:
        encap = {"s46-rule": "s46-rule-options", "s46-v4v6bind": "s46-v4v6bind-options"}.get(name, "")
        out[code] = OptionDef6(name, code, type_, False, fields, space, encap)
    return out


_S46_BR = ("s46-br", 90, _IP6, ())
_S46_RULE = ("s46-rule", 89, "record", ("uint8", "uint8", "uint8", "ipv4-address", "ipv6-prefix"))
_S46_PORTPARAMS = ("s46-portparams", 93, "record", ("uint8", "psid"))

OTHER_SPACES_V6: dict[str, dict[int, OptionDef6]] = {
    # RFC 7598 softwire containers and what Kea 2.2 defines inside them.
    "s46-cont-mape-options": _space("s46-cont-mape-options", _S46_RULE, _S46_BR),
    "s46-cont-mapt-options": _space("s46-cont-mapt-options", _S46_RULE, ("s46-dmr", 91, "ipv6-prefix", ())),
    "s46-cont-lw-options": _space(
        "s46-cont-lw-options", _S46_BR, ("s46-v4v6bind", 92, "record", ("ipv4-address", "ipv6-prefix"))
    ),
    "s46-rule-options": _space("s46-rule-options", _S46_PORTPARAMS),
    "s46-v4v6bind-options": _space("s46-v4v6bind-options", _S46_PORTPARAMS),
}
"""Standard definitions in option spaces other than "dhcp6", by space then code."""


def find_v6(name_or_code: str | int) -> OptionDef6 | None:
    """A standard DHCPv6 definition by Kea name ("dns-servers") or code (23 or "23")."""
    return find_standard(STANDARD_V6, STANDARD_V6_BY_CODE, name_or_code)


def _encode_field6(field_type: str, text: str) -> bytes:
    if field_type == "tuple":
        raw = text.encode()
        if len(raw) > 0xFFFF:
            raise FieldError(f"'{text[:20]}...' is too long for a tuple (at most 65535 bytes)")
        return _U16.pack(len(raw)) + raw
    return encode_field(field_type, text)


def _decode_field6(field_type: str, buf: bytes, pos: int) -> tuple[str, int]:
    if field_type == "tuple":
        if pos + 2 > len(buf):
            raise FieldError("truncated tuple")
        size = _U16.unpack_from(buf, pos)[0]
        if pos + 2 + size > len(buf):
            raise FieldError("truncated tuple")
        return buf[pos + 2 : pos + 2 + size].decode("utf-8", "backslashreplace"), pos + 2 + size
    return decode_field(field_type, buf, pos)


def encode_option_data6(defn: OptionDef6 | None, data: str, csv_format: bool = True) -> bytes:
    """Kea option-data "data" text -> DHCPv6 option payload (without code and length).

    `defn` None (no definition) or `csv_format` False: `data` is hexadecimal (see parse_hex).
    Otherwise `data` is Kea's CSV text for the definition's type; as in Kea a single-valued
    option or a non-array record uses its first fields and ignores extra ones, and a plain
    array of addresses, fqdns or tuples may be empty ("dns-servers" with no data is an empty
    option, an empty integer array is refused: "option 6 empty"). Raises ValueError naming the
    bad value, the expected type and the option.
    """
    payload = encode_option_text(defn, data, csv_format, _encode_field6, empty_arrays=True)
    if defn is not None and csv_format and defn.code == 16 and defn == STANDARD_V6_BY_CODE[16]:
        _check_vendor_class(defn, payload)
    return payload


def _check_vendor_class(defn: OptionDef6, payload: bytes) -> None:
    # RFC 8415 section 21.16: after the enterprise number, vendor-class-data is a run of
    # 2-byte-length-prefixed opaque tuples; Kea 2.2 refuses anything else ("unable to parse the
    # opaque data tuple").
    pos = 4
    while pos + 2 <= len(payload):
        pos += 2 + _U16.unpack_from(payload, pos)[0]
    if pos != len(payload):
        data = payload[4:].hex()
        raise ValueError(f"'{data}' is not a run of tuples (2-byte length, data) for option {defn.label}")


def format_option_data6(defn: OptionDef6 | None, payload: bytes) -> str:
    """Payload -> Kea CSV text (for logging and config-get); never raises. Falls back to hex
    digits (for csv-format false) when there is no definition or the payload does not fit it."""
    return format_option_text(defn, payload, _decode_field6)
