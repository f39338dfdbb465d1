"""The DHCPv6 server identifier (a DUID, RFC 8415 section 11) from Kea's "server-id" setting.

Types: LLT (1: hardware type, time, link-layer address), EN (2: enterprise number, identifier),
LL (3: hardware type, link-layer address). Missing parts are generated as Kea does: the hardware
address of the first interface that has one, the time as seconds since 2000-01-01 UTC, ISC's
enterprise number 2495 and random identifier bytes.

With "persist" (the default) the DUID is kept in a file (Kea's kea-dhcp6-serverid, here next to the
lease file) as colon-separated hex, and a later start reuses it unless the configuration spells the
identifier out, so the server keeps its identity (clients and HA partners remember it).
"""

from __future__ import annotations

import logging
import os
import secrets

from hakea.config.model6 import ServerId

log = logging.getLogger("hakea.dhcp6")

DUID_LLT, DUID_EN, DUID_LL = 1, 2, 3
_TYPES = {"LLT": DUID_LLT, "EN": DUID_EN, "LL": DUID_LL}
_EPOCH_2000 = 946684800
ISC_ENTERPRISE = 2495
SERVER_ID_FILE = "kea-dhcp6-serverid"


def make_duid(sid: ServerId, hwaddr: bytes, now: float, random_bytes: bytes | None = None) -> bytes:
    """The DUID the configuration describes; `hwaddr` fills a missing LLT/LL identifier."""
    kind = _TYPES.get(sid.type.upper(), DUID_LLT)
    if kind == DUID_EN:
        enterprise = sid.enterprise_id or ISC_ENTERPRISE
        ident = sid.identifier or (random_bytes if random_bytes is not None else secrets.token_bytes(6))
        return DUID_EN.to_bytes(2, "big") + enterprise.to_bytes(4, "big") + ident
    ident = sid.identifier or hwaddr or (random_bytes if random_bytes is not None else secrets.token_bytes(6))
    htype = sid.htype or 1
    if kind == DUID_LL:
        return DUID_LL.to_bytes(2, "big") + htype.to_bytes(2, "big") + ident
    stamp = sid.time or (int(now) - _EPOCH_2000) & 0xFFFFFFFF
    return DUID_LLT.to_bytes(2, "big") + htype.to_bytes(2, "big") + stamp.to_bytes(4, "big") + ident


def parse_duid_text(text: str) -> bytes | None:
    cleaned = text.strip().replace(":", "").replace("-", "")
    try:
        duid = bytes.fromhex(cleaned)
    except ValueError:
        return None
    return duid if 3 <= len(duid) <= 130 else None


def duid_type(duid: bytes) -> int:
    return int.from_bytes(duid[:2], "big") if len(duid) >= 2 else 0


def server_duid(sid: ServerId, path: str, hwaddr: bytes, now: float) -> bytes:
    """The server DUID, read from or written to `path` when persisting. A DUID stored there is
    kept when it has the configured type and the configuration does not give the identifier."""
    explicit = bool(sid.identifier)
    if sid.persist and not explicit:
        try:
            with open(path, encoding="ascii") as f:
                stored = parse_duid_text(f.read())
        except (OSError, UnicodeDecodeError):
            stored = None
        if stored is not None and duid_type(stored) == _TYPES.get(sid.type.upper(), DUID_LLT):
            return stored
    duid = make_duid(sid, hwaddr, now)
    if sid.persist:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            tmp = f"{path}.tmp{os.getpid()}"
            with open(tmp, "w", encoding="ascii") as f:
                f.write(duid.hex(":") + "\n")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("DHCP6_SERVERID_WRITE_FAIL cannot store the server DUID in %s: %s", path, exc)
    return duid
