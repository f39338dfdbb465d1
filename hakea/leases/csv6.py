"""Kea 2.2 memfile lease6 CSV: format rows, parse rows, read whole files.

Facts checked against Debian's kea-dhcp6 2.2.0 and its kea-lfc (lease_cmds, a relayed DHCPv6
exchange with HA, kea-lfc runs on hand-made files; the files are in tests/unit/leases6/data):
- header `address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,
  fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source`. Older files stop
  after hostname (the minimum Kea reads), hwaddr, state, user_context or hwtype (kea-lfc reads a
  16-column file with hwaddr_source 0); newer Kea adds columns (2.4+: pool_id), ignored here;
- address in RFC 5952 text (`2001:db8:8:100::`); duid and hwaddr lower-case colon-separated hex;
  lease_type 0 IA_NA, 1 IA_TA, 2 IA_PD; prefix_len 128 for addresses (Kea writes 128 for an IA_NA
  even when lease6-add gave another length; a file may hold 0 there -- read as 128), the prefix
  length for IA_PD; `expire` = cltt + valid_lifetime; pref_lifetime may exceed valid_lifetime;
- hwtype and hwaddr_source are written only with a hardware address (`...,02:01:00:00:00:07,0,,1,2`
  after an exchange: htype 1, source 2 = taken from the DUID), empty otherwise, and read as 1 and 0
  when the columns are empty;
- a declined lease (DECLINE) has duid `00` (Kea's empty DUID), no hwaddr, no hostname,
  pref_lifetime 0, valid_lifetime = the decline probation period, state 1. Kea discards a row with
  an empty duid, and so does hakea (it cannot write one: Lease6 always has a DUID in Kea);
- escaping of hostname and user_context is lease4's (csv_common.escape / csv_common.unescape);
- the file is a journal keyed by address alone: a later row for an address supersedes an earlier
  one whatever the types, and a row with valid_lifetime 0 (Kea writes pref_lifetime 0 and
  expire = cltt with it) deletes the lease at its address, of any type.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

from hakea.leases import csv_common
from hakea.leases.csv_common import BOOLS, STATE_OF_TEXT, STATE_TEXT, escape, json_encode, parse_hex, unescape
from hakea.leases.csv_common import LeaseFileError as LeaseFileError  # re-exported
from hakea.leases.csv_common import ReadStats as ReadStats  # re-exported
from hakea.leases.csv_common import header_of as header_of  # re-exported
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType

__all__ = [
    "COLUMNS",
    "HEADER",
    "LEASE6_FILE",
    "LeaseFileError",
    "ReadStats",
    "format_deletion",
    "format_row",
    "header_of",
    "is_deletion",
    "iter_rows",
    "parse_address",
    "parse_header",
    "parse_row",
    "read_file",
]

COLUMNS: tuple[str, ...] = (
    "address",
    "duid",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "pref_lifetime",
    "lease_type",
    "iaid",
    "prefix_len",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "hwaddr",
    "state",
    "user_context",
    "hwtype",
    "hwaddr_source",
)
HEADER = ",".join(COLUMNS) + "\n"
# Kea refuses a lease6 file whose header stops before `hostname` (checked: 11 columns load nothing).
_MIN_COLUMNS = COLUMNS.index("hostname") + 1
_U32 = 0xFFFFFFFF

_inet_ntop = socket.inet_ntop
_inet_pton = socket.inet_pton
_AF_INET6 = socket.AF_INET6
_address_texts, _remember_address = csv_common.address_texts(socket.AF_INET6)

_TYPE_OF_TEXT = {str(int(t)): t for t in LeaseType}
_TYPE_TEXT = {t: str(int(t)) for t in LeaseType}
_PD = LeaseType.PD


def address_text(address: int) -> str:
    return _inet_ntop(_AF_INET6, address.to_bytes(16, "big"))


def parse_address(text: str) -> int:
    """IPv6 text only (inet_pton: an IPv4 address, which kea-lfc 2.2 lets through, is refused)."""
    return int.from_bytes(_inet_pton(_AF_INET6, text), "big")


def _row(lease: Lease6, valid: int, preferred: int) -> str:
    address = lease.address
    text = _address_texts.get(address) or _remember_address(address)  # a hit: no Python call
    ctx = lease.user_context
    hwaddr = lease.hwaddr
    hw_tail = f"{lease.hwtype},{lease.hwaddr_source}" if hwaddr else ","
    return (
        f"{text},{lease.duid.hex(':')},{valid},{lease.cltt + valid},"
        f"{lease.subnet_id},{preferred},{_TYPE_TEXT[lease.type]},{lease.iaid},{lease.prefix_len},"
        f"{'1' if lease.fqdn_fwd else '0'},{'1' if lease.fqdn_rev else '0'},"
        f"{escape(lease.hostname) if lease.hostname else ''},{hwaddr.hex(':')},"
        f"{STATE_TEXT[lease.state]},{escape(json_encode(ctx).decode()) if ctx is not None else ''},"
        f"{hw_tail}\n"
    )


def format_row(lease: Lease6) -> str:
    """One CSV row for `lease`, newline included. Hot path: one call per lease change."""
    return _row(lease, lease.valid_lft, lease.preferred_lft)


def format_deletion(lease: Lease6) -> str:
    """Kea's record of a deletion: the lease with valid and preferred lifetimes 0 (expire = cltt)."""
    return _row(lease, 0, 0)


def is_deletion(lease: Lease6) -> bool:
    """A row read back with valid_lifetime 0 erases its address (Kea's convention)."""
    return lease.valid_lft == 0


def parse_header(line: str) -> tuple[int, int]:
    """Validate a header line; returns (known columns: 12 to 17; all columns)."""
    return csv_common.parse_header_columns(line, COLUMNS, _MIN_COLUMNS, "lease6")


def _u32(text: str, what: str) -> int:
    value = int(text)
    if not 0 <= value <= _U32:
        raise ValueError(f"{what} {value} out of range")
    return value


def parse_row(line: str, known: int = len(COLUMNS), total: int = len(COLUMNS)) -> Lease6:
    """Parse one data row (newline stripped); `known`, `total` as returned by parse_header.

    Raises ValueError, KeyError (unknown type or state, bad boolean) or msgspec.DecodeError for a
    malformed row. A row must have as many columns as the header, as Kea checks.
    """
    f = line.split(",")
    if len(f) != total:
        raise ValueError(f"{len(f)} columns, the header has {total}")
    duid_text = f[1]
    if not duid_text:
        raise ValueError("empty duid")
    valid = _u32(f[2], "valid_lifetime")
    expire = int(f[3])
    if expire < valid:
        raise ValueError(f"bad lifetime {valid} / expire {expire}")
    lease_type = _TYPE_OF_TEXT[f[6]]
    prefix_len = int(f[8])
    if not 0 <= prefix_len <= 128:
        raise ValueError(f"prefix_len {prefix_len} out of range")
    if lease_type is not _PD:
        prefix_len = 128
    hwaddr = parse_hex(f[12]) if known > 12 and f[12] else b""
    hwtype, hwaddr_source = 1, 0
    if hwaddr:
        if known > 15 and f[15]:
            hwtype = int(f[15])
        if known > 16 and f[16]:
            hwaddr_source = int(f[16])
    state_text = f[13] if known > 13 else ""
    ctx = csv_common.parse_user_context(f[14]) if known > 14 and f[14] else None
    hostname = f[11]
    return Lease6(
        int.from_bytes(_inet_pton(_AF_INET6, f[0]), "big"),
        parse_hex(duid_text),
        _u32(f[7], "iaid"),
        valid,
        _u32(f[5], "pref_lifetime"),
        expire - valid,
        _u32(f[4], "subnet_id"),
        lease_type,
        prefix_len,
        BOOLS[f[9]],
        BOOLS[f[10]],
        unescape(hostname) if "&#x" in hostname else hostname,
        hwaddr,
        hwtype,
        hwaddr_source,
        STATE_OF_TEXT[state_text] if state_text else LeaseState.DEFAULT,
        ctx,
    )


def iter_rows(text: str, stats: ReadStats) -> Iterator[Lease6]:
    """The leases of a whole file's text, in file order (deletion rows included: see is_deletion).

    A last line without its newline is a write cut short: skipped (and flagged), never trusted.
    """
    return csv_common.iter_file_rows(text, stats, parse_header, parse_row)


def read_file(path: str) -> tuple[dict[int, Lease6 | None], ReadStats]:
    """Replay one lease6 journal file: address -> its last lease, or None when its last row deletes
    it (csv_common.replay_file)."""
    return csv_common.replay_file(path, iter_rows)


# The lease6 file as the memfile journal (journal.py) writes and reads it.
LEASE6_FILE = csv_common.LeaseFileFormat(HEADER, format_row, format_deletion, read_file)
