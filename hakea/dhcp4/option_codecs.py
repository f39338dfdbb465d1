"""Text <-> wire codecs for the field types of Kea option definitions (one small codec per type).

The text forms are Kea's option-data "data" forms (Kea ARM, "List of standard DHCP option types"):
ipv4-address "192.0.2.1", integers in decimal or hex ("0x1f" or plain "1f"), boolean
true/false/1/0, fqdn "example.com" (DNS wire format, absolute), psid "3/4" (PSID=3, length 4),
ipv6-prefix "2001:db8::/64", binary as hex digits ("0a0b"), tuple (a length byte then the text),
string (the text). csv-format false data is hex ("0a0b", "0A 0B", "0x0a0b", "0a:0b") or a
single-quoted text ('some text'): see parse_hex.

Encoders raise FieldError with a message naming the value and the type; hakea.dhcp4.options adds
the option name and code. Decoders raise FieldError when the payload does not fit the type.
"""

from __future__ import annotations

import socket
import string
import struct
from collections.abc import Callable

__all__ = [
    "FIELD_TYPES",
    "FieldError",
    "decode_field",
    "encode_field",
    "parse_hex",
]


class FieldError(ValueError):
    """A text value or a payload does not fit a field type."""


_HEXDIGITS = frozenset(string.hexdigits)
_DECIMAL = frozenset(string.digits)
# Characters Kea 2.2 refuses in an fqdn label (master-file specials, blanks, non-ASCII); escapes
# ("\065") are not supported here.
_FQDN_BAD = frozenset('@;"()$\\\x7f') | frozenset(map(chr, range(0x21)))

# name -> (signed, struct format); Kea allows decimal or hexadecimal numbers.
_INT_TYPES: dict[str, tuple[int, int, struct.Struct]] = {
    "uint8": (0, 0xFF, struct.Struct("!B")),
    "uint16": (0, 0xFFFF, struct.Struct("!H")),
    "uint32": (0, 0xFFFFFFFF, struct.Struct("!I")),
    "int8": (-0x80, 0x7F, struct.Struct("!b")),
    "int16": (-0x8000, 0x7FFF, struct.Struct("!h")),
    "int32": (-0x80000000, 0x7FFFFFFF, struct.Struct("!i")),
}


def parse_hex(text: str) -> bytes:
    """Kea's csv-format false data: "0a:0b" or "0a 0b" (one or two digits an octet, one separator),
    "0a0b" or "0x0a0b" (an odd digit count gets a leading zero), or a single-quoted text taken
    literally. Like Kea, no surrounding whitespace is accepted."""
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].encode()
    if not text:
        return b""
    sep = ":" if ":" in text else " " if " " in text else ""
    if sep:
        out = bytearray()
        for octet in text.split(sep):
            if not 1 <= len(octet) <= 2 or not set(octet) <= _HEXDIGITS:
                raise FieldError(f"'{text}' is not a valid string of hexadecimal digits")
            out.append(int(octet, 16))
        return bytes(out)
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    if not digits or not set(digits) <= _HEXDIGITS:
        raise FieldError(f"'{text}' is not a valid string of hexadecimal digits")
    if len(digits) % 2:
        digits = "0" + digits
    return bytes.fromhex(digits)


def _parse_int(text: str, type_name: str) -> int:
    # Decimal, or hexadecimal with or without "0x", after an optional sign ("-0x10", "+7", "-ab"
    # are all accepted by Kea 2.2).
    lo, hi, _ = _INT_TYPES[type_name]
    s = text.strip()
    body = s[1:] if s[:1] in ("-", "+") else s
    if body and set(body) <= _DECIMAL:
        value = int(body, 10)
    else:
        if body[:2] in ("0x", "0X"):
            body = body[2:]
        if not body or not set(body) <= _HEXDIGITS:
            raise FieldError(f"'{text}' is not a valid {type_name} value")
        value = int(body, 16)
    if s[:1] == "-":
        value = -value
    if not lo <= value <= hi:
        raise FieldError(f"'{text}' is out of range for {type_name} ({lo}..{hi})")
    return value


def _enc_ipv4(text: str) -> bytes:
    try:
        return socket.inet_pton(socket.AF_INET, text.strip())
    except (OSError, ValueError):
        raise FieldError(f"'{text}' is not a valid IPv4 address") from None


def _enc_ipv6(text: str) -> bytes:
    try:
        return socket.inet_pton(socket.AF_INET6, text.strip())
    except (OSError, ValueError):
        raise FieldError(f"'{text}' is not a valid IPv6 address") from None


def _enc_ipv6_prefix(text: str) -> bytes:
    # Wire: one byte prefix length, then only the significant octets of the prefix.
    addr, sep, length_text = text.strip().partition("/")
    if not sep or not length_text.isdigit() or int(length_text) > 128:
        raise FieldError(f"'{text}' is not a valid IPv6 prefix (expected address/length)")
    try:
        packed = socket.inet_pton(socket.AF_INET6, addr.strip())
    except (OSError, ValueError):
        raise FieldError(f"'{text}' is not a valid IPv6 prefix") from None
    length = int(length_text)
    return bytes((length,)) + packed[: (length + 7) // 8]


def _enc_psid(text: str) -> bytes:
    # Kea text "PSID/PSID-length"; wire: length byte, then the PSID left-aligned in 16 bits
    # (RFC 7597 section 5.1), e.g. "3/4" -> 04 30 00.
    # With length 0 the PSID is meaningless: any 16-bit value is accepted (as by Kea) and sent as 0.
    psid_text, sep, len_text = text.strip().partition("/")
    if not sep:
        raise FieldError(f"'{text}' is not a valid psid (expected psid/length)")
    try:
        psid, length = _parse_int(psid_text, "uint16"), _parse_int(len_text, "uint8")
    except FieldError:
        raise FieldError(f"'{text}' is not a valid psid (expected psid/length)") from None
    if length > 16:
        raise FieldError(f"'{text}' is not a valid psid (length must be 0..16)")
    if length and psid >= 1 << length:
        raise FieldError(f"'{text}' is not a valid psid (psid does not fit in {length} bits)")
    return struct.pack("!BH", length, (psid << (16 - length)) & 0xFFFF if length else 0)


def _enc_boolean(text: str) -> bytes:
    s = text.strip().lower()
    if s in ("true", "1"):
        return b"\x01"
    if s in ("false", "0"):
        return b"\x00"
    raise FieldError(f"'{text}' is not a valid boolean (expected true, false, 1 or 0)")


def _enc_string(text: str) -> bytes:
    if not text:
        raise FieldError("an empty string is not a valid string value")
    return text.encode()


def _enc_tuple(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > 255:
        raise FieldError(f"'{text[:20]}...' is too long for a tuple (at most 255 bytes)")
    return bytes((len(raw),)) + raw


def _enc_fqdn(text: str) -> bytes:
    # DNS wire format (RFC 1035 section 3.1), always absolute; a trailing dot is optional.
    name = text.strip()
    if name.endswith("."):
        name = name[:-1]  # the root alone (".") is refused, as by Kea
    if not name:
        raise FieldError(f"'{text}' is not a valid fqdn")
    out = bytearray()
    for label in name.split("."):
        raw = label.encode()
        if not raw:
            raise FieldError(f"'{text}' is not a valid fqdn (empty label)")
        if not label.isascii() or not _FQDN_BAD.isdisjoint(label):
            raise FieldError(f"'{text}' is not a valid fqdn (bad character in '{label}')")
        if len(raw) > 63:
            raise FieldError(f"'{text}' is not a valid fqdn (label longer than 63 octets)")
        out.append(len(raw))
        out += raw
    out.append(0)
    if len(out) > 255:
        raise FieldError(f"'{text}' is not a valid fqdn (longer than 255 octets)")
    return bytes(out)


def _enc_binary(text: str) -> bytes:
    # A binary field in CSV data is plain base16: whitespace is ignored, no "0x", no colons,
    # an even digit count (what Kea 2.2 accepts).
    digits = "".join(text.split())
    if len(digits) % 2 or not set(digits) <= _HEXDIGITS:
        raise FieldError(f"'{text}' is not valid binary data (expected an even number of hex digits)")
    return bytes.fromhex(digits)


def _enc_empty(text: str) -> bytes:
    if text.strip():
        raise FieldError(f"'{text}' given for an option of type empty, which carries no data")
    return b""


def _int_encoder(type_name: str) -> Callable[[str], bytes]:
    packer = _INT_TYPES[type_name][2]

    def encode(text: str) -> bytes:
        return packer.pack(_parse_int(text, type_name))

    return encode


_ENCODERS: dict[str, Callable[[str], bytes]] = {
    "ipv4-address": _enc_ipv4,
    "ipv6-address": _enc_ipv6,
    "ipv6-prefix": _enc_ipv6_prefix,
    "psid": _enc_psid,
    "boolean": _enc_boolean,
    "string": _enc_string,
    "tuple": _enc_tuple,
    "fqdn": _enc_fqdn,
    "binary": _enc_binary,
    "empty": _enc_empty,
    **{name: _int_encoder(name) for name in _INT_TYPES},
}

FIELD_TYPES: frozenset[str] = frozenset(_ENCODERS)
"""Every type an option field may have ("record" is a sequence of these)."""


def encode_field(type_name: str, text: str) -> bytes:
    """One field's text -> wire bytes. Raises FieldError naming the value and the type."""
    return _ENCODERS[type_name](text)


# --- decoding (wire -> Kea text), used for logging and config-get style output ------------------


def _dec_fqdn(buf: bytes, pos: int) -> tuple[str, int]:
    # Follows RFC 1035 compression pointers (RFC 3397 allows them in domain-search) backwards only,
    # so a hostile payload cannot loop.
    labels: list[str] = []
    end = -1
    limit = pos
    while True:
        if pos >= len(buf):
            raise FieldError("truncated fqdn")
        n = buf[pos]
        if n == 0:
            pos += 1
            break
        if n & 0xC0 == 0xC0:
            if pos + 1 >= len(buf):
                raise FieldError("truncated fqdn pointer")
            target = ((n & 0x3F) << 8) | buf[pos + 1]
            if end < 0:
                end = pos + 2
            if target >= limit:
                raise FieldError("fqdn pointer does not point backwards")
            pos = limit = target
            continue
        if n > 63 or pos + 1 + n > len(buf):
            raise FieldError("bad fqdn label")
        labels.append(buf[pos + 1 : pos + 1 + n].decode("utf-8", "backslashreplace"))
        pos += 1 + n
    return (".".join(labels) + "." if labels else "."), (end if end >= 0 else pos)


def _fixed(size: int, fmt: Callable[[bytes], str]) -> Callable[[bytes, int], tuple[str, int]]:
    def decode(buf: bytes, pos: int) -> tuple[str, int]:
        if pos + size > len(buf):
            raise FieldError("payload too short")
        return fmt(buf[pos : pos + size]), pos + size

    return decode


def _dec_int(type_name: str) -> Callable[[bytes, int], tuple[str, int]]:
    packer = _INT_TYPES[type_name][2]
    return _fixed(packer.size, lambda b: str(packer.unpack(b)[0]))


def _dec_ipv6_prefix(buf: bytes, pos: int) -> tuple[str, int]:
    if pos >= len(buf) or buf[pos] > 128:
        raise FieldError("bad ipv6-prefix")
    length = buf[pos]
    n = (length + 7) // 8
    if pos + 1 + n > len(buf):
        raise FieldError("truncated ipv6-prefix")
    packed = buf[pos + 1 : pos + 1 + n].ljust(16, b"\x00")
    return f"{socket.inet_ntop(socket.AF_INET6, packed)}/{length}", pos + 1 + n


def _dec_psid(buf: bytes, pos: int) -> tuple[str, int]:
    if pos + 3 > len(buf) or buf[pos] > 16:
        raise FieldError("bad psid")
    length, value = struct.unpack_from("!BH", buf, pos)
    psid = value >> (16 - length) if length else 0
    return f"{psid}/{length}", pos + 3


def _dec_tuple(buf: bytes, pos: int) -> tuple[str, int]:
    if pos >= len(buf) or pos + 1 + buf[pos] > len(buf):
        raise FieldError("truncated tuple")
    n = buf[pos]
    return buf[pos + 1 : pos + 1 + n].decode("utf-8", "backslashreplace"), pos + 1 + n


def _dec_rest(fmt: Callable[[bytes], str]) -> Callable[[bytes, int], tuple[str, int]]:
    def decode(buf: bytes, pos: int) -> tuple[str, int]:
        return fmt(buf[pos:]), len(buf)

    return decode


def _text_of(raw: bytes) -> str:
    # Kea drops trailing NULs of received strings (RFC 2132 section 2); commas are escaped the
    # way option-data wants them so the text can be fed back to encode_option_data.
    return raw.rstrip(b"\x00").decode("utf-8", "backslashreplace").replace(",", "\\,")


_DECODERS: dict[str, Callable[[bytes, int], tuple[str, int]]] = {
    "ipv4-address": _fixed(4, lambda b: socket.inet_ntop(socket.AF_INET, b)),
    "ipv6-address": _fixed(16, lambda b: socket.inet_ntop(socket.AF_INET6, b)),
    "ipv6-prefix": _dec_ipv6_prefix,
    "psid": _dec_psid,
    "boolean": _fixed(1, lambda b: "true" if b[0] else "false"),
    "string": _dec_rest(_text_of),
    "tuple": _dec_tuple,
    "fqdn": _dec_fqdn,
    "binary": _dec_rest(lambda b: b.hex()),
    "empty": _dec_rest(lambda b: ""),
    **{name: _dec_int(name) for name in _INT_TYPES},
}


def decode_field(type_name: str, buf: bytes, pos: int) -> tuple[str, int]:
    """One field at buf[pos:] -> (Kea text, position after it). Raises FieldError on a misfit."""
    return _DECODERS[type_name](buf, pos)
