"""DHCPv4 option definitions (Kea 2.2's standard table) and option-data text -> payload encoding.

Names, codes and types are those of the Kea ARM tables "List of standard DHCPv4 options
configurable by an administrator" and "... managed by Kea on its own", checked against Debian's
kea-dhcp4 2.2.0: every name/code below is accepted by it, no other code 1..254 is, and the payloads
it sends match encode_option_data (tests/unit/dhcp4/kea22_option_payloads.json). Where the ARM
and Kea 2.2 differ, Kea 2.2 wins: option 85 is "nds-servers", domain-name (15) is sent as plain
text (not DNS wire format). v4-captive-portal is code 114 (Kea 2.1.2 replaced default-url with it,
RFC 8910). Kea 2.2 has no definition for classless-static-route (121, added in Kea 2.5.5) nor
v4-sztp-redirect (143, added in 2.3.6): they need an "option-def" or hex data, as in Kea 2.2.

Text is encoded as UTF-8. (Kea's own JSON reader turns a "\u00e9" escape into the single byte
e9, and raw UTF-8 into UTF-8; after JSON decoding the two cannot be told apart here.)

The definition checks and the text <-> payload rules are the family-neutral ones of hakea.options;
what is DHCPv4's own is here: one-byte codes, the standard tables, and the checks of
vivco-suboptions (124) and vivso-suboptions (125). Configuration is encoded once, at load time
(`encode_option_data`), so none of this runs per packet.
"""

from __future__ import annotations

from dataclasses import dataclass

from hakea.dhcp4.option_codecs import decode_field, encode_field
from hakea.options.definition import OptionDefinition, find_standard
from hakea.options.encoding import encode_option_text, format_option_text, split_csv

__all__ = [
    "AGENT_OPTIONS_SPACE",
    "RETURNED_IF_NOT_REQUESTED",
    "STANDARD_V4",
    "STANDARD_V4_BY_CODE",
    "OptionDef",
    "encode_option_data",
    "find_v4",
    "format_option_data",
    "split_csv",
]


@dataclass(frozen=True, slots=True)
class OptionDef(OptionDefinition):
    """One DHCPv4 option format, standard or from a Kea "option-def" entry (see OptionDefinition)."""

    space: str = "dhcp4"

    def _check_code(self, where: str) -> None:
        if not 0 <= self.code <= 255 or (self.space == "dhcp4" and self.code in (0, 255)):
            raise ValueError(f"{where}: code must be 1..254 in the dhcp4 space (0 and 255 are pad/end)")


_d = OptionDef.standard
_rec = OptionDef.record
_IP = "ipv4-address"

_STANDARD: tuple[OptionDef, ...] = (
    _d("subnet-mask", 1, _IP),
    _d("time-offset", 2, "int32"),
    _d("routers", 3, _IP, True),
    _d("time-servers", 4, _IP, True),
    _d("name-servers", 5, _IP, True),
    _d("domain-name-servers", 6, _IP, True),
    _d("log-servers", 7, _IP, True),
    _d("cookie-servers", 8, _IP, True),
    _d("lpr-servers", 9, _IP, True),
    _d("impress-servers", 10, _IP, True),
    _d("resource-location-servers", 11, _IP, True),
    _d("host-name", 12, "string"),
    _d("boot-size", 13, "uint16"),
    _d("merit-dump", 14, "string"),
    _d("domain-name", 15, "string"),  # the ARM says fqdn; Kea 2.2 sends plain text
    _d("swap-server", 16, _IP),
    _d("root-path", 17, "string"),
    _d("extensions-path", 18, "string"),
    _d("ip-forwarding", 19, "boolean"),
    _d("non-local-source-routing", 20, "boolean"),
    _d("policy-filter", 21, _IP, True),
    _d("max-dgram-reassembly", 22, "uint16"),
    _d("default-ip-ttl", 23, "uint8"),
    _d("path-mtu-aging-timeout", 24, "uint32"),
    _d("path-mtu-plateau-table", 25, "uint16", True),
    _d("interface-mtu", 26, "uint16"),
    _d("all-subnets-local", 27, "boolean"),
    _d("broadcast-address", 28, _IP),
    _d("perform-mask-discovery", 29, "boolean"),
    _d("mask-supplier", 30, "boolean"),
    _d("router-discovery", 31, "boolean"),
    _d("router-solicitation-address", 32, _IP),
    _d("static-routes", 33, _IP, True),
    _d("trailer-encapsulation", 34, "boolean"),
    _d("arp-cache-timeout", 35, "uint32"),
    _d("ieee802-3-encapsulation", 36, "boolean"),
    _d("default-tcp-ttl", 37, "uint8"),
    _d("tcp-keepalive-interval", 38, "uint32"),
    _d("tcp-keepalive-garbage", 39, "boolean"),
    _d("nis-domain", 40, "string"),
    _d("nis-servers", 41, _IP, True),
    _d("ntp-servers", 42, _IP, True),
    _d("vendor-encapsulated-options", 43, "empty", encapsulate="vendor-encapsulated-options-space"),
    _d("netbios-name-servers", 44, _IP, True),
    _d("netbios-dd-server", 45, _IP, True),
    _d("netbios-node-type", 46, "uint8"),
    _d("netbios-scope", 47, "string"),
    _d("font-servers", 48, _IP, True),
    _d("x-display-manager", 49, _IP, True),
    _d("dhcp-requested-address", 50, _IP),
    _d("dhcp-lease-time", 51, "uint32"),
    _d("dhcp-option-overload", 52, "uint8"),
    _d("dhcp-message-type", 53, "uint8"),
    _d("dhcp-server-identifier", 54, _IP),
    _d("dhcp-parameter-request-list", 55, "uint8", True),
    _d("dhcp-message", 56, "string"),
    _d("dhcp-max-message-size", 57, "uint16"),
    _d("dhcp-renewal-time", 58, "uint32"),
    _d("dhcp-rebinding-time", 59, "uint32"),
    _d("vendor-class-identifier", 60, "string"),
    _d("dhcp-client-identifier", 61, "binary"),
    _d("nwip-domain-name", 62, "string"),
    _d("nwip-suboptions", 63, "binary"),
    _d("nisplus-domain-name", 64, "string"),
    _d("nisplus-servers", 65, _IP, True),
    _d("tftp-server-name", 66, "string"),
    _d("boot-file-name", 67, "string"),
    _d("mobile-ip-home-agent", 68, _IP, True),
    _d("smtp-server", 69, _IP, True),
    _d("pop-server", 70, _IP, True),
    _d("nntp-server", 71, _IP, True),
    _d("www-server", 72, _IP, True),
    _d("finger-server", 73, _IP, True),
    _d("irc-server", 74, _IP, True),
    _d("streettalk-server", 75, _IP, True),
    _d("streettalk-directory-assistance-server", 76, _IP, True),
    _d("user-class", 77, "binary"),
    _rec("slp-directory-agent", 78, "boolean", _IP, array=True),
    _rec("slp-service-scope", 79, "boolean", "string"),
    _rec("fqdn", 81, "uint8", "uint8", "uint8", "fqdn"),
    _d("dhcp-agent-options", 82, "empty", encapsulate="dhcp-agent-options-space"),
    _d("nds-servers", 85, _IP, True),
    _d("nds-tree-name", 86, "string"),
    _d("nds-context", 87, "string"),
    _d("bcms-controller-names", 88, "fqdn", True),
    _d("bcms-controller-address", 89, _IP, True),
    _d("authenticate", 90, "binary"),
    _d("client-last-transaction-time", 91, "uint32"),
    _d("associated-ip", 92, _IP, True),
    _d("client-system", 93, "uint16", True),
    _rec("client-ndi", 94, "uint8", "uint8", "uint8"),
    _rec("uuid-guid", 97, "uint8", "binary"),
    _d("uap-servers", 98, "string"),
    _d("geoconf-civic", 99, "binary"),
    _d("pcode", 100, "string"),
    _d("tcode", 101, "string"),
    _d("v6-only-preferred", 108, "uint32"),
    _d("netinfo-server-address", 112, _IP, True),
    _d("netinfo-server-tag", 113, "string"),
    _d("v4-captive-portal", 114, "string"),
    _d("auto-config", 116, "uint8"),
    _d("name-service-search", 117, "uint16", True),
    _d("subnet-selection", 118, _IP),
    _d("domain-search", 119, "fqdn", True),
    _rec("vivco-suboptions", 124, "uint32", "binary"),
    _d("vivso-suboptions", 125, "uint32"),
    _d("pana-agent", 136, _IP, True),
    _d("v4-lost", 137, "fqdn"),
    _d("capwap-ac-v4", 138, _IP, True),
    _d("sip-ua-cs-domains", 141, "fqdn", True),
    _rec("rdnss-selection", 146, "uint8", _IP, _IP, "fqdn", array=True),
    _rec("v4-portparams", 159, "uint8", "psid"),
    _rec("option-6rd", 212, "uint8", "uint8", "ipv6-address", _IP, array=True),
    _d("v4-access-domain", 213, "fqdn"),
)

STANDARD_V4: dict[str, OptionDef] = {d.name: d for d in _STANDARD}
"""Kea 2.2's standard DHCPv4 option definitions by name."""

STANDARD_V4_BY_CODE: dict[int, OptionDef] = {d.code: d for d in _STANDARD}

RETURNED_IF_NOT_REQUESTED: frozenset[int] = frozenset({3, 6, 15, 54})
"""The ARM's "returned if not requested" column: routers, domain-name-servers, domain-name,
dhcp-server-identifier."""

# Relay agent information (option 82) sub-options Kea understands (ARM, "List of RAI sub-options").
AGENT_OPTIONS_SPACE: dict[int, OptionDef] = {
    d.code: d
    for d in (
        OptionDef("circuit-id", 1, "binary", space="dhcp-agent-options-space"),
        OptionDef("remote-id", 2, "binary", space="dhcp-agent-options-space"),
        OptionDef("link-selection", 5, _IP, space="dhcp-agent-options-space"),
        OptionDef("subscriber-id", 6, "binary", space="dhcp-agent-options-space"),
        OptionDef("server-id-override", 11, _IP, space="dhcp-agent-options-space"),
        OptionDef("relay-id", 12, "binary", space="dhcp-agent-options-space"),
        OptionDef("relay-port", 19, "uint16", space="dhcp-agent-options-space"),
    )
}


def find_v4(name_or_code: str | int) -> OptionDef | None:
    """A standard DHCPv4 definition by Kea name ("routers") or code (3 or "3")."""
    return find_standard(STANDARD_V4, STANDARD_V4_BY_CODE, name_or_code)


def encode_option_data(defn: OptionDef | None, data: str, csv_format: bool = True) -> bytes:
    """Kea option-data "data" text -> option payload (without code and length).

    `defn` None (no definition) or `csv_format` False: `data` is hexadecimal (see parse_hex).
    Otherwise `data` is Kea's CSV text for the definition's type. As in Kea, a single-valued
    option or a non-array record uses its first fields and ignores extra ones.
    Raises ValueError naming the bad value, the expected type and the option.
    """
    payload = encode_option_text(defn, data, csv_format, encode_field)
    if defn is None or not csv_format:
        return payload
    if defn.space == "dhcp4" and defn == STANDARD_V4_BY_CODE.get(defn.code):
        if defn.code == 124:
            _check_vivco(defn, payload)
        elif defn.code == 125:
            # RFC 3925 section 4: enterprise number, then data-len of its (here empty) sub-options;
            # Kea 2.2 sends exactly this for a vivso-suboptions without sub-options.
            payload += b"\x00"
    return payload


def _check_vivco(defn: OptionDef, payload: bytes) -> None:
    # RFC 3925 section 3: after the enterprise number, the data is a run of length-prefixed
    # opaque tuples (zero-length ones allowed); Kea 2.2 refuses anything else.
    pos = 4
    while pos < len(payload):
        pos += 1 + payload[pos]
    if pos != len(payload):
        raise ValueError(
            f"'{payload[4:].hex()}' is not a sequence of length-prefixed tuples for option {defn.label}"
        )


def format_option_data(defn: OptionDef | None, payload: bytes) -> str:
    """Payload -> Kea CSV text (for logging and config-get); never raises.

    Falls back to hex digits (to be used with csv-format false) when there is no definition or
    the payload does not fit it.
    """
    return format_option_text(defn, payload, decode_field)
