"""The DHCPv6-only service-level maps and lists of "Dhcp6": server-id, interfaces, MAC sources,
relay-supplied options. (Databases, control socket, hooks and expiry are parsed as for DHCPv4, by
hakea.config.globals4.)

Kea 2.2 facts (checked with kea-dhcp6 -t):
- "server-id" needs "type" (LLT, EN or LL); its "identifier" is plain hex digits (no separators,
  no 0x, an even count) or empty (Kea then builds one from an interface's MAC address);
- interface entries are "name", "name/ipv6-address" (a unicast address to listen on) or "*",
  each at most once;
- "mac-sources" is a non-empty list of Kea's source names (rfc6939, rfc4649 and rfc4580 are
  aliases of client-link-addr-option, remote-id and subscriber-id), each at most once;
- "relay-supplied-options" are option names or decimal codes 1..65535; option 65
  (erp-local-domain-name) is always enabled, the list adds to it;
- "host-reservation-identifiers" is a non-empty list of duid, hw-address, flex-id without repeats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakea.config import keys6
from hakea.config.errors import ConfigError
from hakea.config.model6 import ServerId
from hakea.config.options6 import CODE_MAX, OptionResolver6
from hakea.config.reservations6 import IDENTIFIERS6
from hakea.config.values import as_map, check_keys, one_of, require, string_list
from hakea.config.values6 import is_multicast, parse_ipv6

_HEX = frozenset("0123456789abcdefABCDEF")
MAC_SOURCES = {
    "any": "any",
    "raw": "raw",
    "duid": "duid",
    "ipv6-link-local": "ipv6-link-local",
    "client-link-addr-option": "client-link-addr-option",
    "rfc6939": "client-link-addr-option",
    "remote-id": "remote-id",
    "rfc4649": "remote-id",
    "subscriber-id": "subscriber-id",
    "rfc4580": "subscriber-id",
    "docsis-cmts": "docsis-cmts",
    "docsis-modem": "docsis-modem",
}
ERP_LOCAL_DOMAIN_NAME = 65  # the relay-supplied option Kea always passes on (RFC 6440)


def parse_server_id(value: Any, path: str) -> ServerId:
    obj = as_map(value, path)
    check_keys(obj, path, keys6.SERVER_ID)
    require(obj, "type", path)
    duid_type = one_of(obj, "type", path, ("LLT", "EN", "LL"), "LLT")
    text: str = obj.get("identifier", "")
    if len(text) % 2 or not _HEX.issuperset(text):
        raise ConfigError(
            f"{path}/identifier",
            f"identifier specified in the DUID configuration '{text}' is not a valid string of "
            "hexadecimal digits",
        )
    default = ServerId()
    return ServerId(
        type=duid_type,
        identifier=bytes.fromhex(text),
        htype=obj.get("htype", default.htype),
        time=obj.get("time", default.time),
        enterprise_id=obj.get("enterprise-id", default.enterprise_id),
        persist=obj.get("persist", default.persist),
    )


def parse_interfaces6(value: Any, path: str) -> tuple[str, ...]:
    obj = as_map(value, path)
    check_keys(obj, path, keys6.INTERFACES_CONFIG)
    names = string_list(obj.get("interfaces", []), f"{path}/interfaces")
    seen: set[str] = set()
    for i, name in enumerate(names):
        item_path = f"{path}/interfaces[{i}]"
        iface, sep, address_text = name.partition("/")
        if not iface:
            raise ConfigError(item_path, f"'{name}' does not name an interface")
        if sep:
            address = parse_ipv6(address_text, item_path)
            if is_multicast(address) or address == 0:
                raise ConfigError(item_path, f"'{address_text}' is not a valid IPv6 unicast address")
        if name in seen:
            raise ConfigError(item_path, f"interface '{name}' has already been specified")
        seen.add(name)
    return names


def check_mac_sources(value: Any, path: str) -> None:
    names = string_list(value, path)
    if not names:
        raise ConfigError(path, "must not be empty")
    seen: set[str] = set()
    for i, name in enumerate(names):
        source = MAC_SOURCES.get(name)
        if source is None:
            raise ConfigError(f"{path}[{i}]", f"'{name}' is not one of: {', '.join(MAC_SOURCES)}")
        if source in seen:
            raise ConfigError(f"{path}[{i}]", f"the mac-sources value '{name}' was specified twice")
        seen.add(source)


def parse_relay_supplied_options(value: Any, path: str, resolver: OptionResolver6) -> tuple[int, ...]:
    codes = [ERP_LOCAL_DOMAIN_NAME]
    for i, text in enumerate(string_list(value, path)):
        code = resolver.code_of(text)
        if code is None or code == 0:
            raise ConfigError(
                f"{path}[{i}]", f"'{text}' is neither a known option name nor a code 1..{CODE_MAX}"
            )
        if code > CODE_MAX:
            raise ConfigError(
                f"{path}[{i}]", f"option code {code} is invalid, it must not be greater than {CODE_MAX}"
            )
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def check_host_reservation_identifiers(dhcp6: Mapping[str, Any], path: str) -> None:
    if "host-reservation-identifiers" not in dhcp6:
        return
    names = string_list(dhcp6["host-reservation-identifiers"], path)
    if not names:
        raise ConfigError(path, f"must name at least one of: {', '.join(IDENTIFIERS6)}")
    for i, name in enumerate(names):
        if name not in IDENTIFIERS6:
            raise ConfigError(f"{path}[{i}]", f"'{name}' is not one of: {', '.join(IDENTIFIERS6)}")
        if name in names[:i]:
            raise ConfigError(f"{path}[{i}]", f"duplicate host identifier '{name}'")
