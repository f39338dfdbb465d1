"""Typed access to Kea JSON values: every check names the key path of what it refuses.

Kea's grammar rejects a key it does not know in a map ("got unexpected keyword") and a value of
the wrong JSON type ("syntax error ... expecting integer"); `check_keys` does both for one map,
from a table of key -> Kind, so the parsers after it read values without re-checking types.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hakea.config.errors import ConfigError

UINT8_MAX = 0xFF
UINT16_MAX = 0xFFFF
UINT32_MAX = 0xFFFFFFFF
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Kind:
    """Expected JSON type of a value; integers may carry an inclusive range."""

    type: str  # "integer" | "real" | "boolean" | "string" | "map" | "list" | "any"
    lo: int = INT64_MIN
    hi: int = INT64_MAX


INT = Kind("integer")
U8 = Kind("integer", 0, UINT8_MAX)
U16 = Kind("integer", 0, UINT16_MAX)
U32 = Kind("integer", 0, UINT32_MAX)
REAL = Kind("real")
BOOL = Kind("boolean")
STR = Kind("string")
MAP = Kind("map")
LIST = Kind("list")
ANY = Kind("any")

_ARTICLE = {
    "integer": "an integer",
    "real": "a real number",
    "boolean": "a boolean",
    "string": "a string",
    "map": "a map",
    "list": "a list",
}


def json_type(value: Any) -> str:
    """Kea's name for a JSON value's type (bool before int: bool is an int in Python)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    return type(value).__name__


# Exact Python types per JSON type (exact, so a bool is not taken for an integer).
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "real": (float, int),
    "boolean": (bool,),
    "string": (str,),
    "map": (dict,),
    "list": (list,),
}


def check_value(value: Any, kind: Kind, path: str) -> None:
    want = kind.type
    if want == "any":
        return
    if type(value) in _PY_TYPES[want]:
        if want == "integer" and not kind.lo <= value <= kind.hi:
            raise ConfigError(path, f"{value} is out of range {kind.lo}..{kind.hi}")
        return
    raise ConfigError(path, f"expected {_ARTICLE[want]}, got {json_type(value)}")


def check_keys(obj: Mapping[str, Any], path: str, table: Mapping[str, Kind]) -> None:
    """Refuse keys Kea 2.2 does not accept in this map, and values of the wrong type."""
    for key, value in obj.items():
        kind = table.get(key)
        if kind is None:
            raise ConfigError(f"{path}/{key}", "unsupported parameter")
        want = kind.type
        if want != "any" and (
            type(value) not in _PY_TYPES[want] or (want == "integer" and not kind.lo <= value <= kind.hi)
        ):
            check_value(value, kind, f"{path}/{key}")  # raises, naming the key


def as_map(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(path, f"expected a map, got {json_type(value)}")
    return value


def as_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(path, f"expected a list, got {json_type(value)}")
    return value


def require(obj: Mapping[str, Any], key: str, path: str) -> Any:
    """The value of a mandatory key (Kea: "missing parameter 'x'")."""
    try:
        return obj[key]
    except KeyError:
        raise ConfigError(f"{path}/{key}", "missing mandatory parameter") from None


def string_list(value: Any, path: str) -> tuple[str, ...]:
    items = as_list(value, path)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(f"{path}[{i}]", f"expected a string, got {json_type(item)}")
    return tuple(items)


def one_of(obj: Mapping[str, Any], key: str, path: str, allowed: tuple[str, ...], default: str) -> str:
    value: str = obj.get(key, default)
    if value not in allowed:
        raise ConfigError(f"{path}/{key}", f"'{value}' is not one of: {', '.join(allowed)}")
    return value


def parse_ipv4(text: str, path: str) -> int:
    """Dotted quad -> int, as strict as Kea (inet_pton: four decimal parts, no leading zeros)."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except (OSError, ValueError):
        raise ConfigError(path, f"'{text}' is not a valid IPv4 address") from None


def ipv4_text(value: int) -> str:
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def parse_prefix(text: str, path: str, what: str = "prefix/len") -> tuple[int, int]:
    """ "a.b.c.d/len" -> (address, len); the address is returned as written (host bits kept)."""
    address, sep, length = text.partition("/")
    if not sep:
        raise ConfigError(path, f"'{text}' is not {what}")
    base = parse_ipv4(address.strip(), path)
    length = length.strip()
    if not (length.isascii() and length.isdigit()) or int(length) > 32:
        raise ConfigError(path, f"invalid prefix length in '{text}': must be 0..32")
    return base, int(length)


def netmask(prefix_len: int) -> int:
    return (UINT32_MAX << (32 - prefix_len)) & UINT32_MAX


def check_length(obj: Mapping[str, Any], key: str, path: str, limit: int) -> str:
    """server-hostname / boot-file-name must fit the fixed sname (64) / file (128) fields."""
    value: str = obj.get(key, "")
    size = len(value.encode())
    if size > limit:
        raise ConfigError(f"{path}/{key}", f"must be at most {limit} bytes long, it is {size}")
    return value


@dataclass(frozen=True, slots=True)
class AddressFamily:
    """What the family-neutral parsers (subnets, pools, relays, reservations) need of addresses:
    IPV4 below, IPV6 in values6. Used at load time only."""

    name: str  # "IPv4" / "IPv6", as Kea's messages say it
    bits: int
    parse_address: Callable[[str, str], int]  # (text, key path) -> int, ConfigError naming the path
    text: Callable[[int], str]
    parse_prefix: Callable[[str, str], tuple[int, int]]  # a subnet's "address/len"
    parse_pool_prefix: Callable[[str, str], tuple[int, int]]  # a pool's "address/len"

    def mask(self, length: int) -> int:
        """The network mask of a prefix length."""
        all_ones = (1 << self.bits) - 1
        return all_ones ^ (all_ones >> length)

    def last(self, network: int, length: int) -> int:
        """The last address of a prefix."""
        return network | (((1 << self.bits) - 1) >> length)

    def prefix_text(self, network: int, length: int) -> str:
        return f"{self.text(network)}/{length}"

    def range_text(self, first: int, last: int) -> str:
        return f"{self.text(first)}-{self.text(last)}"


IPV4 = AddressFamily("IPv4", 32, parse_ipv4, ipv4_text, parse_prefix, parse_prefix)
