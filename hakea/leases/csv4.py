"""Kea 2.2 memfile lease4 CSV: format rows, parse rows, read whole files.

Facts checked against Debian's kea-dhcp4 2.2.0 (lease_cmds driving a memfile, then restarts):
- header `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,
  state,user_context`; older files stop after `hostname` (schema 1.0) or `state` (2.0) and are
  read with state 0 and no user context; newer Kea adds columns (2.4+: pool_id), ignored here;
- hwaddr and client_id as lower-case colon-separated hex; `expire` = cltt + valid_lifetime, so
  cltt = expire - valid_lifetime on reading. Kea writes an empty hwaddr for declined leases and
  discards, on reading, a non-declined row without one ("A blank hardware address is only valid
  for declined leases"); hakea reads such rows anyway: it never drops a lease it could write;
- booleans `0`/`1`; hostname and user_context (JSON) escaped with Kea's CSV escape: `,` and `&`
  become `&#x2c` and `&#x26` (two lower-case hex digits after `&#x`); reading turns any `&#xHH` back
  into the byte. Kea 2.2 writes a newline in a hostname raw, which splits the row; hakea escapes
  control characters too (`&#x0a`), which Kea 2.2 reads back correctly;
- the file is a journal: later rows for an address supersede earlier ones, and a row with
  valid_lifetime 0 (expire = cltt) is how Kea records a deleted lease (lease4-del appends the
  lease with valid_lifetime 0; loading erases the address).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import msgspec

from hakea.leases.model import Lease4, LeaseState

COLUMNS: tuple[str, ...] = (
    "address",
    "hwaddr",
    "client_id",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "state",
    "user_context",
)
HEADER = ",".join(COLUMNS) + "\n"
# Kea refuses a lease4 file whose header stops before `hostname` (its minimum valid columns).
_MIN_COLUMNS = COLUMNS.index("hostname") + 1

_ESCAPE_TAG = "&#x"
_NEEDS_ESCAPE = re.compile(r"[,&\x00-\x1f\x7f]")
_ESCAPED = re.compile(rb"&#x([0-9a-fA-F]{2})")
_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder().decode
_inet_ntoa = socket.inet_ntoa
_inet_pton = socket.inet_pton
_AF_INET = socket.AF_INET


class LeaseFileError(Exception):
    """The file is not a lease4 CSV file (no or unknown header): refuse rather than overwrite it."""


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


def address_text(address: int) -> str:
    return _inet_ntoa(address.to_bytes(4, "big"))


def parse_address(text: str) -> int:
    """Dotted quad only (inet_pton: no '1' or '0x7f.1' shorthands)."""
    return int.from_bytes(_inet_pton(_AF_INET, text), "big")


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


_BOOLS = {"0": False, "1": True, "false": False, "true": True}
_STATE_OF_TEXT = {str(int(s)): s for s in LeaseState}


# Formatting an address is the dearest part of a row (~1.2 us for inet_ntoa here); a lease server
# formats the same pool addresses over and over, so remember them (bounded: cleared when huge).
_address_texts: dict[int, str] = {}
_ADDRESS_CACHE_MAX = 1 << 20
_STATE_TEXT = {s: str(int(s)) for s in LeaseState}  # int(IntEnum) costs ~0.5 us


def _address_text_cached(address: int) -> str:
    text = _address_texts.get(address)
    if text is None:
        if len(_address_texts) >= _ADDRESS_CACHE_MAX:
            _address_texts.clear()
        text = _address_texts[address] = _inet_ntoa(address.to_bytes(4, "big"))
    return text


def _row(lease: Lease4, valid: int) -> str:
    ctx = lease.user_context
    return (
        f"{_address_text_cached(lease.address)},{lease.hwaddr.hex(':')},{lease.client_id.hex(':')},"
        f"{valid},{lease.cltt + valid},{lease.subnet_id},"
        f"{'1' if lease.fqdn_fwd else '0'},{'1' if lease.fqdn_rev else '0'},"
        f"{escape(lease.hostname) if lease.hostname else ''},{_STATE_TEXT[lease.state]},"
        f"{escape(_json_encode(ctx).decode()) if ctx is not None else ''}\n"
    )


def format_row(lease: Lease4) -> str:
    """One CSV row for `lease`, newline included. Hot path: one call per lease change."""
    return _row(lease, lease.valid_lft)


def format_deletion(lease: Lease4) -> str:
    """Kea's record of a deletion: the lease with valid_lifetime 0 (so expire = cltt)."""
    return _row(lease, 0)


def is_deletion(lease: Lease4) -> bool:
    """A row read back with valid_lifetime 0 erases its address (Kea's convention)."""
    return lease.valid_lft == 0


def parse_header(line: str) -> tuple[int, int]:
    """Validate a header line; returns (known columns: 9, 10 or 11; all columns).

    Known columns must come first and in Kea's order; columns after all eleven (a newer Kea's)
    are accepted and ignored.
    """
    names = line.rstrip("\r\n").split(",")
    known = 0
    for name, expected in zip(names, COLUMNS, strict=False):
        if name.strip() != expected:
            break
        known += 1
    if known < _MIN_COLUMNS or (known < len(COLUMNS) and known < len(names)):
        raise LeaseFileError(f"not a Kea lease4 CSV header: {line.strip()[:200]!r}")
    return known, len(names)


def parse_row(line: str, known: int = len(COLUMNS), total: int = len(COLUMNS)) -> Lease4:
    """Parse one data row (newline stripped); `known`, `total` as returned by parse_header.

    Raises ValueError, KeyError (unknown state, bad boolean) or msgspec.DecodeError for a malformed
    row. A row must have as many columns as the header (as Kea checks): an unescaped comma is an
    error, not a silently shifted row.
    """
    f = line.split(",")
    if len(f) != total:
        raise ValueError(f"{len(f)} columns, the header has {total}")
    hw = f[1]
    hwaddr = parse_hex(hw) if hw else b""
    state_text = f[9] if known > 9 else ""
    state = _STATE_OF_TEXT[state_text] if state_text else LeaseState.DEFAULT
    valid = int(f[3])
    expire = int(f[4])
    if valid < 0 or expire < valid:
        raise ValueError(f"bad lifetime {valid} / expire {expire}")
    ctx: dict[str, object] | None = None
    if known > 10 and f[10]:
        decoded = _json_decode(unescape(f[10]))
        if not isinstance(decoded, dict):
            raise ValueError("user_context is not a JSON map")
        ctx = decoded
    cid = f[2]
    hostname = f[8]
    return Lease4(
        int.from_bytes(_inet_pton(_AF_INET, f[0]), "big"),
        hwaddr,
        parse_hex(cid) if cid else b"",
        valid,
        expire - valid,
        int(f[5]),
        _BOOLS[f[6]],
        _BOOLS[f[7]],
        unescape(hostname) if "&#x" in hostname else hostname,
        state,
        ctx,
    )


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


class _FileRow(Protocol):
    @property
    def address(self) -> int: ...

    @property
    def valid_lft(self) -> int: ...


_R = TypeVar("_R", bound=_FileRow)


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


def iter_rows(text: str, stats: ReadStats) -> Iterator[Lease4]:
    """The leases of a whole file's text, in file order (deletion rows included: see is_deletion)."""
    return iter_file_rows(text, stats, parse_header, parse_row)


def read_file(path: str) -> tuple[dict[int, Lease4 | None], ReadStats]:
    """Replay one lease4 journal file (replay_file)."""
    return replay_file(path, iter_rows)


def header_of(path: str) -> str | None:
    """The first line of a file (newline stripped), None if the file is empty."""
    with open(path, "rb") as f:
        first = f.readline()
    return first.decode("utf-8", "replace").rstrip("\r\n") if first else None
