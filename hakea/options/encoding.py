"""Kea option-data text <-> option payload, for a definition of either family.

The rules are Kea 2.2's (ARM "Standard DHCP option types", checked against kea-dhcp4 and
kea-dhcp6 2.2.0): csv-format false (or no definition) means hex data; otherwise the data is a
comma-separated list, one value per field, the last field repeating for an array; a single-valued
option or a non-array record uses its first values and ignores extra ones. A family passes its
field codec (DHCPv6 tuples have a 2-byte length, DHCPv4 ones a 1-byte length) and adds its own
checks of particular options on top.

Configuration is encoded once, at load time, so none of this runs per packet.
"""

from __future__ import annotations

from collections.abc import Callable

from hakea.dhcp4.option_codecs import FieldError, parse_hex
from hakea.options.definition import OptionDefinition

__all__ = ["FieldDecoder", "FieldEncoder", "encode_option_text", "format_option_text", "split_csv"]

FieldEncoder = Callable[[str, str], bytes]
"""(field type, text) -> bytes; raises FieldError."""
FieldDecoder = Callable[[str, bytes, int], tuple[str, int]]
"""(field type, payload, position) -> (text, next position); raises FieldError."""

_INT_TYPES = frozenset({"uint8", "uint16", "uint32", "int8", "int16", "int32"})


def split_csv(data: str) -> list[str]:
    """Kea's CSV split of option data: fields separated by commas, "\\," is a literal comma,
    fields are trimmed and empty fields dropped."""
    if "\\," not in data:
        return [t for t in (f.strip() for f in data.split(",")) if t]
    fields: list[str] = []
    current: list[str] = []
    i, n = 0, len(data)
    while i < n:
        ch = data[i]
        if ch == "\\" and i + 1 < n and data[i + 1] == ",":
            current.append(",")
            i += 2
            continue
        if ch == ",":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    fields.append("".join(current))
    return [t for t in (f.strip() for f in fields) if t]


def encode_option_text(
    defn: OptionDefinition | None,
    data: str,
    csv_format: bool,
    encode_field: FieldEncoder,
    *,
    empty_arrays: bool = False,
) -> bytes:
    """Kea option-data "data" text -> option payload (without code and length).

    `defn` None (no definition) or `csv_format` False: `data` is hexadecimal (see parse_hex).
    `empty_arrays`: a plain array of addresses, fqdns or tuples with no values is an empty
    payload (kea-dhcp6 2.2 accepts one; an empty integer array is refused all the same).
    Raises ValueError naming the bad value, the expected type and the option.
    """
    if defn is None or not csv_format:
        try:
            return parse_hex(data)
        except FieldError as exc:
            where = f" for option {defn.label}" if defn is not None else ""
            raise ValueError(f"{exc}{where}") from None
    if defn.type == "empty":
        try:
            return encode_field("empty", data)
        except FieldError as exc:
            raise ValueError(f"{exc} for option {defn.label}") from None
    values = split_csv(data)
    if not values:
        if empty_arrays and defn.array and defn.type != "record" and defn.type not in _INT_TYPES:
            return b""
        raise ValueError(f"no option value specified for option {defn.label}")
    fields = defn.record_types if defn.type == "record" else (defn.type,)
    if len(values) < len(fields):
        raise ValueError(
            f"option {defn.label} needs {len(fields)} values ({', '.join(fields)}), got {len(values)}"
        )
    if defn.array:
        # The last field repeats (for a plain array the only field does).
        fields = fields + (fields[-1],) * (len(values) - len(fields))
    out = bytearray()
    for field_type, value in zip(fields, values, strict=False):
        try:
            out += encode_field(field_type, value)
        except FieldError as exc:
            raise ValueError(f"{exc} for option {defn.label}") from None
    return bytes(out)


def format_option_text(defn: OptionDefinition | None, payload: bytes, decode_field: FieldDecoder) -> str:
    """Payload -> Kea CSV text (for logging and config-get); never raises.

    Falls back to hex digits (to be used with csv-format false) when there is no definition or
    the payload does not fit it. An empty plain array is the empty text.
    """
    if defn is None or defn.type == "empty":
        return payload.hex()
    fields = defn.record_types if defn.type == "record" else (defn.type,)
    texts: list[str] = []
    pos = 0
    try:
        if not (defn.array and defn.type != "record" and not payload):
            for field_type in fields:
                text, pos = decode_field(field_type, payload, pos)
                texts.append(text)
        while defn.array and pos < len(payload):
            text, pos = decode_field(fields[-1], payload, pos)
            texts.append(text)
    except FieldError:
        return payload.hex()
    if pos != len(payload):
        return payload.hex()
    return ", ".join(texts)
