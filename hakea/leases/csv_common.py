"""What Kea 2.2's lease4 and lease6 memfile CSV files have in common (csv4.py and csv6.py hold the
columns and the row codecs, which differ).

- Kea's CSV escape of free text columns (hostname, user_context): `,` and `&` become `&#x2c` and
  `&#x26` (two lower-case hex digits after `&#x`); reading turns any `&#xHH` back into the byte.
  Kea 2.2 writes a newline in a hostname raw, which splits the row; hakea escapes control characters
  too (`&#x0a`), which Kea 2.2 reads back correctly;
- hex columns (hwaddr, client_id, duid) as lower-case colon-separated hex; booleans `0`/`1`;
- a header names the known columns first and in Kea's order; older files stop early, newer Kea adds
  columns (2.4+: pool_id), ignored here;
- the file is a journal: later rows for an address supersede earlier ones, and a row with
  valid_lifetime 0 (expire = cltt) records a deleted lease; loading erases the address.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import msgspec

from hakea.leases.model import LeaseState

__all__ = [
    "BOOLS",
    "STATE_OF_TEXT",
    "STATE_TEXT",
    "LeaseFileError",
    "LeaseFileFormat",
    "LeaseRow",
    "ReadStats",
    "address_texts",
    "escape",
    "header_of",
    "iter_file_rows",
    "json_encode",
    "parse_header_columns",
    "parse_hex",
    "parse_user_context",
    "replay_file",
    "unescape",
]

_ESCAPE_TAG = "&#x"
_NEEDS_ESCAPE = re.compile(r"[,&\x00-\x1f\x7f]")
_ESCAPED = re.compile(rb"&#x([0-9a-fA-F]{2})")
json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder().decode

BOOLS = {"0": False, "1": True, "false": False, "true": True}
STATE_OF_TEXT = {str(int(s)): s for s in LeaseState}
STATE_TEXT = {s: str(int(s)) for s in LeaseState}  # int(IntEnum) costs ~0.5 us


class LeaseFileError(Exception):
    """The file is not a lease CSV file of the family (no or unknown header): refuse rather than
    overwrite it."""


def _escape_match(m: re.Match[str]) -> str:
    return f"{_ESCAPE_TAG}{ord(m.group()):02x}"


def escape(text: str) -> str:
    """Kea's CSV escape for free text columns (hostname, user_context)."""
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(_escape_match, text)


def unescape(text: str) -> str:
    """Undo Kea's escape. Works on bytes: Kea may escape each byte of a UTF-8 sequence."""
    if _ESCAPE_TAG not in text:
        return text
    raw = _ESCAPED.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    return raw.decode("utf-8", "replace")


def parse_hex(text: str) -> bytes:
    """Kea's colon-separated hex (`02:00:0a`); also accepts one-digit groups and bare hex."""
    if not text:
        return b""
    try:
        # fromhex takes whitespace between whole bytes only, so "2:0:a" fails here, not misreads.
        return bytes.fromhex(text.replace(":", " "))
    except ValueError:
        if ":" not in text:
            raise
    return bytes(int(part, 16) for part in text.split(":"))


def parse_user_context(text: str) -> dict[str, object]:
    """The user_context column (escaped JSON); ValueError or msgspec.DecodeError when malformed."""
    decoded = _json_decode(unescape(text))
    if not isinstance(decoded, dict):
        raise ValueError("user_context is not a JSON map")
    return decoded


_inet_ntoa = socket.inet_ntoa
_inet_ntop = socket.inet_ntop
_AF_INET6 = socket.AF_INET6

# Formatting an address is the dearest part of a row (~1.2 us for inet_ntoa here); a lease server
# formats the same pool addresses over and over, so remember them (bounded: cleared when huge).
_ADDRESS_CACHE_MAX = 1 << 20


def address_texts(family: socket.AddressFamily) -> tuple[dict[int, str], Callable[[int], str]]:
    """A family's remembered address texts (AF_INET: dotted quad, AF_INET6: RFC 5952) and the
    function that fills them. Hot path (every row written): `texts.get(a) or remember(a)`, so a
    hit is one C call and only a miss (once per address) a Python call."""
    texts: dict[int, str] = {}
    v4 = family == socket.AF_INET

    def remember(address: int) -> str:
        if len(texts) >= _ADDRESS_CACHE_MAX:
            texts.clear()
        if v4:
            text = texts[address] = _inet_ntoa(address.to_bytes(4, "big"))
        else:
            text = texts[address] = _inet_ntop(_AF_INET6, address.to_bytes(16, "big"))
        return text

    return texts, remember


def parse_header_columns(line: str, columns: tuple[str, ...], minimum: int, what: str) -> tuple[int, int]:
    """Validate a header line against a family's `columns` (at least `minimum` of them, Kea's
    minimum valid columns); returns (known columns, all columns). `what` names the file in the
    error ("lease4"). Known columns must come first and in Kea's order; columns after all of them
    (a newer Kea's) are accepted and ignored."""
    names = line.rstrip("\r\n").split(",")
    known = 0
    for name, expected in zip(names, columns, strict=False):
        if name.strip() != expected:
            break
        known += 1
    if known < minimum or (known < len(columns) and known < len(names)):
        raise LeaseFileError(f"not a Kea {what} CSV header: {line.strip()[:200]!r}")
    return known, len(names)


@dataclass(slots=True)
class ReadStats:
    """What reading one file found. Errors are skipped rows, not failures (as Kea, without its
    100-error limit: a lease server that will not start is worse than one that lost a row)."""

    path: str = ""
    rows: int = 0  # data rows parsed into leases (deletions included)
    errors: int = 0  # malformed rows skipped
    truncated: bool = False  # the last line had no newline (a write cut short): skipped
    messages: list[str] = field(default_factory=list)  # the first few errors, for the log

    def _error(self, lineno: int, reason: str) -> None:
        self.errors += 1
        if len(self.messages) < 10:
            self.messages.append(f"{self.path}:{lineno}: {reason}")


class LeaseRow(Protocol):
    """What the file readers and the journal need of a lease (Lease4 and Lease6 have it)."""

    @property
    def address(self) -> int: ...

    @property
    def valid_lft(self) -> int: ...


_R = TypeVar("_R", bound=LeaseRow)


def iter_file_rows(
    text: str,
    stats: ReadStats,
    parse_header: Callable[[str], tuple[int, int]],
    parse_row: Callable[[str, int, int], _R],
) -> Iterator[_R]:
    """The rows of a whole lease file's text, in file order, parsed by the family's parse_header and
    parse_row (csv4's or csv6's). Malformed rows are counted in `stats` and skipped.

    A last line without its newline is a write cut short: skipped (and flagged), never trusted.
    """
    if not text:
        return
    lines = text.split("\n")
    last = lines.pop()  # "" when the file ends with a newline
    if last:
        stats.truncated = True
        if len(stats.messages) < 10:
            stats.messages.append(f"{stats.path}:{len(lines) + 1}: incomplete last line skipped")
    if not lines:
        return
    known, total = parse_header(lines[0])
    for lineno, line in enumerate(lines[1:], start=2):
        if not line or line == "\r":
            continue
        try:
            lease = parse_row(line.rstrip("\r"), known, total)
        except (ValueError, KeyError, OverflowError, OSError, msgspec.DecodeError) as exc:
            stats._error(lineno, f"{type(exc).__name__}: {exc}")
            continue
        stats.rows += 1
        yield lease


def replay_file(
    path: str, iter_rows: Callable[[str, ReadStats], Iterator[_R]]
) -> tuple[dict[int, _R | None], ReadStats]:
    """Replay one journal file: address -> its last lease, or None when its last row deletes it.

    Keeping the deletions lets the caller replay several files in order (Kea: .2, .1, current).
    """
    stats = ReadStats(path=path)
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    state: dict[int, _R | None] = {}
    for lease in iter_rows(text, stats):
        state[lease.address] = None if lease.valid_lft == 0 else lease
    return state, stats


def header_of(path: str) -> str | None:
    """The first line of a file (newline stripped), None if the file is empty."""
    with open(path, "rb") as f:
        first = f.readline()
    return first.decode("utf-8", "replace").rstrip("\r\n") if first else None


@dataclass(frozen=True, slots=True)
class LeaseFileFormat(Generic[_R]):
    """One family's lease CSV file: its header line (with "\\n"), row writers and file readers
    (what the memfile journal, journal.py, needs to know of the family)."""

    header: str
    format_row: Callable[[_R], str]
    format_deletion: Callable[[_R], str]  # the valid_lifetime 0 row that deletes the lease
    read_file: Callable[[str], tuple[dict[int, _R | None], ReadStats]]  # address -> lease/deletion
    header_of: Callable[[str], str | None] = header_of
