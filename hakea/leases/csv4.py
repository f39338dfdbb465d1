"""Kea 2.2 memfile lease4 CSV: format rows, parse rows, read whole files.

Facts checked against Debian's kea-dhcp4 2.2.0 (lease_cmds driving a memfile, then restarts):
- header `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,
  state,user_context`; older files stop after `hostname` (schema 1.0) or `state` (2.0) and are
  read with state 0 and no user context; newer Kea adds columns (2.4+: pool_id), ignored here;
- hwaddr and client_id as lower-case colon-separated hex; `expire` = cltt + valid_lifetime, so
  cltt = expire - valid_lifetime on reading. Kea writes an empty hwaddr for declined leases and
  discards, on reading, a non-declined row without one ("A blank hardware address is only valid
  for declined leases"); hakea reads such rows anyway: it never drops a lease it could write;
- booleans `0`/`1`; hostname and user_context (JSON) escaped with Kea's CSV escape (csv_common);
- the file is a journal: later rows for an address supersede earlier ones, and a row with
  valid_lifetime 0 (expire = cltt) is how Kea records a deleted lease (lease4-del appends the
  lease with valid_lifetime 0; loading erases the address).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

from hakea.leases import csv_common
from hakea.leases.csv_common import BOOLS, STATE_OF_TEXT, STATE_TEXT, escape, json_encode, parse_hex, unescape

# csv4's names from before csv_common held them, re-exported:
from hakea.leases.csv_common import LeaseFileError as LeaseFileError
from hakea.leases.csv_common import ReadStats as ReadStats
from hakea.leases.csv_common import header_of as header_of
from hakea.leases.csv_common import iter_file_rows as iter_file_rows
from hakea.leases.csv_common import replay_file as replay_file
from hakea.leases.model import Lease4, LeaseState

__all__ = [
    "COLUMNS",
    "HEADER",
    "LEASE4_FILE",
    "LeaseFileError",
    "ReadStats",
    "address_text",
    "escape",
    "format_deletion",
    "format_row",
    "header_of",
    "is_deletion",
    "iter_file_rows",
    "iter_rows",
    "parse_address",
    "parse_header",
    "parse_hex",
    "parse_row",
    "read_file",
    "replay_file",
    "unescape",
]

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

_inet_ntoa = socket.inet_ntoa
_inet_pton = socket.inet_pton
_AF_INET = socket.AF_INET
_address_texts, _remember_address = csv_common.address_texts(socket.AF_INET)


def address_text(address: int) -> str:
    return _inet_ntoa(address.to_bytes(4, "big"))


def parse_address(text: str) -> int:
    """Dotted quad only (inet_pton: no '1' or '0x7f.1' shorthands)."""
    return int.from_bytes(_inet_pton(_AF_INET, text), "big")


def _row(lease: Lease4, valid: int) -> str:
    address = lease.address
    text = _address_texts.get(address) or _remember_address(address)  # a hit: no Python call
    ctx = lease.user_context
    return (
        f"{text},{lease.hwaddr.hex(':')},{lease.client_id.hex(':')},"
        f"{valid},{lease.cltt + valid},{lease.subnet_id},"
        f"{'1' if lease.fqdn_fwd else '0'},{'1' if lease.fqdn_rev else '0'},"
        f"{escape(lease.hostname) if lease.hostname else ''},{STATE_TEXT[lease.state]},"
        f"{escape(json_encode(ctx).decode()) if ctx is not None else ''}\n"
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
    """Validate a header line; returns (known columns: 9, 10 or 11; all columns)."""
    return csv_common.parse_header_columns(line, COLUMNS, _MIN_COLUMNS, "lease4")


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
    state = STATE_OF_TEXT[state_text] if state_text else LeaseState.DEFAULT
    valid = int(f[3])
    expire = int(f[4])
    if valid < 0 or expire < valid:
        raise ValueError(f"bad lifetime {valid} / expire {expire}")
    ctx = csv_common.parse_user_context(f[10]) if known > 10 and f[10] else None
    cid = f[2]
    hostname = f[8]
    return Lease4(
        int.from_bytes(_inet_pton(_AF_INET, f[0]), "big"),
        hwaddr,
        parse_hex(cid) if cid else b"",
        valid,
        expire - valid,
        int(f[5]),
        BOOLS[f[6]],
        BOOLS[f[7]],
        unescape(hostname) if "&#x" in hostname else hostname,
        state,
        ctx,
    )


def iter_rows(text: str, stats: ReadStats) -> Iterator[Lease4]:
    """The leases of a whole file's text, in file order (deletion rows included: see is_deletion)."""
    return csv_common.iter_file_rows(text, stats, parse_header, parse_row)


def read_file(path: str) -> tuple[dict[int, Lease4 | None], ReadStats]:
    """Replay one lease4 journal file (csv_common.replay_file)."""
    return csv_common.replay_file(path, iter_rows)


# The lease4 file as the memfile journal (journal.py) writes and reads it.
LEASE4_FILE = csv_common.LeaseFileFormat(HEADER, format_row, format_deletion, read_file)
