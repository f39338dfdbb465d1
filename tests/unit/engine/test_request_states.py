"""REQUEST by client state (RFC 2131 section 4.3.2): SELECTING, INIT-REBOOT, RENEWING, REBINDING."""

from __future__ import annotations

from dataclasses import replace

from hakea.dhcp4.wire import DHCPACK, DHCPNAK
from hakea.leases.model import Lease4, LeaseState

from .builders import (
    NOW,
    SERVER,
    config,
    direct_meta,
    discover,
    dora,
    ip,
    mac,
    make_engine,
    request,
    subnet,
    txt,
    u32,
)

LAN = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", valid_lifetime=3600)
OTHER = subnet(2, "10.0.0.0/24", "10.0.0.10 - 10.0.0.20")


def _lease(address: str, hw: bytes, *, cid: bytes = b"", cltt: float = NOW, valid: int = 3600,
           sid: int = 1, state: LeaseState = LeaseState.DEFAULT) -> Lease4:  # fmt: skip
    return Lease4(ip(address), hw, cid, valid, int(cltt), sid, state=state)


def test_selecting_with_another_server_id_is_dropped_silently() -> None:
    engine, store = make_engine(config(LAN))
    d = engine.process(request(mac(1), requested="192.0.2.10", server_id="192.0.2.99"), NOW, direct_meta())
    assert d.reply is None and d.drop_reason == "not for us" and store.count() == 0


def test_selecting_accepts_configured_and_local_server_identifiers() -> None:
    engine, _ = make_engine(config(LAN), seed=3)
    engine.set_local_addresses([ip("198.18.0.1")])
    d = engine.process(request(mac(1), requested="192.0.2.10", server_id="198.18.0.1"), NOW, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPACK
    # RFC 5107: a relay's server-id-override sub-option.
    rai = bytes((11, 4)) + ip("10.9.9.9").to_bytes(4, "big")
    d = engine.process(
        request(mac(2), requested="192.0.2.11", server_id="10.9.9.9", giaddr="192.0.2.254", extra={82: rai}),
        NOW, direct_meta(),
    )  # fmt: skip
    assert d.reply is not None and d.reply.message_type == DHCPACK


def test_selecting_an_address_leased_to_another_client_is_naked() -> None:
    engine, store = make_engine(config(LAN))
    store.add(_lease("192.0.2.10", mac(2)))
    d = engine.process(request(mac(1), requested="192.0.2.10", server_id=SERVER), NOW, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPNAK
    assert d.reply.yiaddr == 0 and d.lease_changes == ()
    assert (d.destination, d.port) == (0xFFFFFFFF, 68)  # NAK is broadcast
    assert set(d.reply.options) <= {53, 54, 61, 82}
    assert u32(d.reply.options[54]) == ip(SERVER)


def test_nak_to_a_relayed_client_goes_to_the_relay_with_broadcast_bit() -> None:
    engine, store = make_engine(config(LAN, OTHER))
    store.add(_lease("10.0.0.10", mac(2), sid=2))
    d = engine.process(
        request(mac(1), requested="10.0.0.10", server_id=SERVER, giaddr="10.0.0.1"), NOW, direct_meta()
    )
    assert d.reply is not None and d.reply.message_type == DHCPNAK
    assert (d.destination, d.port) == (ip("10.0.0.1"), 67)
    assert d.reply.flags & 0x8000


def test_init_reboot_unknown_client_not_authoritative_is_ignored() -> None:
    engine, store = make_engine(config(LAN))
    d = engine.process(request(mac(1), requested="192.0.2.12"), NOW, direct_meta())
    assert d.reply is None and d.drop_reason is not None and "INIT-REBOOT" in d.drop_reason
    assert store.count() == 0


def test_init_reboot_unknown_client_authoritative_gets_ack_if_free_else_nak() -> None:
    engine, store = make_engine(config(replace(LAN, authoritative=True)))
    d = engine.process(request(mac(1), requested="192.0.2.12"), NOW, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPACK and txt(d.reply.yiaddr) == "192.0.2.12"
    store.add(_lease("192.0.2.13", mac(2)))
    d = engine.process(request(mac(3), requested="192.0.2.13"), NOW, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPNAK
    d = engine.process(request(mac(4), requested="192.0.2.99"), NOW, direct_meta())  # outside pools
    assert d.reply is not None and d.reply.message_type == DHCPNAK


def test_init_reboot_known_client_confirms_its_address_and_is_naked_for_another() -> None:
    engine, _store = make_engine(config(LAN))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    mine = txt(ack.reply.yiaddr)
    d = engine.process(request(mac(1), requested=mine), NOW + 100, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPACK and txt(d.reply.yiaddr) == mine
    assert [c.kind for c in d.lease_changes] == ["updated"]
    d = engine.process(request(mac(1), requested="192.0.2.19"), NOW + 100, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPNAK


def test_init_reboot_on_the_wrong_network_is_naked() -> None:
    engine, _ = make_engine(config(LAN, OTHER))
    d = engine.process(request(mac(1), requested="10.0.0.10"), NOW, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPNAK


def test_renewing_extends_the_lease_and_unicasts_to_ciaddr() -> None:
    engine, store = make_engine(config(LAN))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    mine = txt(ack.reply.yiaddr)
    meta = direct_meta(to_broadcast=False, source_address=ack.reply.yiaddr)
    d = engine.process(request(mac(1), ciaddr=mine), NOW + 1800, meta)
    assert d.reply is not None and d.reply.message_type == DHCPACK
    assert d.reply.ciaddr == ip(mine) and txt(d.reply.yiaddr) == mine
    assert (d.destination, d.port, d.raw_unicast) == (ip(mine), 68, False)
    lease = store.get(ip(mine))
    assert lease is not None and lease.cltt == int(NOW + 1800)
    change = d.lease_changes[0]
    assert change.kind == "updated" and change.old is not None and change.old.cltt == int(NOW)
    assert not [s for s in d.stats if "assigned" in s[0]]  # a renewal assigns nothing new


def test_rebinding_broadcast_with_ciaddr_is_served_via_the_interface() -> None:
    engine, _store = make_engine(config(LAN, OTHER))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    mine = txt(ack.reply.yiaddr)
    d = engine.process(request(mac(1), ciaddr=mine, flags=0x8000), NOW + 3200, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPACK
    assert d.destination == ip(mine)  # ciaddr wins over the broadcast bit (RFC 2131 section 4.1)


def test_renewing_an_unknown_free_address_allocates_it() -> None:
    engine, store = make_engine(config(LAN))
    meta = direct_meta(to_broadcast=False, source_address=ip("192.0.2.14"))
    d = engine.process(request(mac(1), ciaddr="192.0.2.14"), NOW, meta)
    assert d.reply is not None and d.reply.message_type == DHCPACK
    assert store.get(ip("192.0.2.14")) is not None


def test_renewing_an_address_of_another_client_is_naked() -> None:
    engine, store = make_engine(config(LAN))
    store.add(_lease("192.0.2.14", mac(2)))
    meta = direct_meta(to_broadcast=False, source_address=ip("192.0.2.14"))
    d = engine.process(request(mac(1), ciaddr="192.0.2.14"), NOW, meta)
    assert d.reply is not None and d.reply.message_type == DHCPNAK
    lease = store.get(ip("192.0.2.14"))
    assert lease is not None and lease.hwaddr == mac(2)


def test_renewing_an_address_outside_every_subnet_is_naked() -> None:
    engine, _ = make_engine(config(LAN))
    meta = direct_meta(to_broadcast=False, source_address=ip("203.0.113.5"))
    d = engine.process(request(mac(1), ciaddr="203.0.113.5"), NOW, meta)
    assert d.reply is not None and d.reply.message_type == DHCPNAK


def test_expired_lease_of_another_client_is_reused() -> None:
    engine, store = make_engine(config(subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.10")))
    store.add(_lease("192.0.2.10", mac(2), cltt=NOW - 7200, valid=3600))
    _offer, ack = dora(engine, mac(1))
    assert ack.reply is not None and ack.reply.message_type == DHCPACK
    lease = store.get(ip("192.0.2.10"))
    assert lease is not None and lease.hwaddr == mac(1)
    assert ack.lease_changes[0].kind == "new" and ack.lease_changes[0].old is not None


def test_client_moving_to_a_new_address_has_its_old_lease_deleted() -> None:
    engine, store = make_engine(config(LAN))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    old = ack.reply.yiaddr
    d = engine.process(request(mac(1), requested="192.0.2.18", server_id=SERVER), NOW + 5, direct_meta())
    assert d.reply is not None and d.reply.message_type == DHCPACK
    kinds = [(c.kind, c.lease.address) for c in d.lease_changes]
    assert kinds == [("new", ip("192.0.2.18")), ("deleted", old)]
    assert store.get(old) is None
    assert ("subnet[1].assigned-addresses", -1) in d.stats


def test_match_client_id_false_identifies_by_hardware_address() -> None:
    engine, store = make_engine(config(replace(LAN, match_client_id=False)))
    _, ack = dora(engine, mac(1), cid=b"\x01first")
    assert ack.reply is not None
    lease = store.get(ack.reply.yiaddr)
    assert lease is not None and lease.client_id == b""  # Kea stores no client-id then
    again = engine.process(discover(mac(1), cid=b"\x01second"), NOW, direct_meta())
    assert again.reply is not None and again.reply.yiaddr == ack.reply.yiaddr


def test_match_client_id_true_tells_clients_apart_by_client_id() -> None:
    engine, store = make_engine(config(LAN))
    _, ack = dora(engine, mac(1), cid=b"\x01first")
    assert ack.reply is not None
    lease = store.get(ack.reply.yiaddr)
    assert lease is not None and lease.client_id == b"\x01first"
    # Same MAC, other client identifier: another client (e.g. a dual-boot machine).
    other = engine.process(discover(mac(1), cid=b"\x01second"), NOW, direct_meta())
    assert other.reply is not None and other.reply.yiaddr != ack.reply.yiaddr
    # Same client identifier from another MAC: the same client.
    moved = engine.process(discover(mac(5), cid=b"\x01first"), NOW, direct_meta())
    assert moved.reply is not None and moved.reply.yiaddr == ack.reply.yiaddr


def test_request_without_any_address_is_dropped() -> None:
    engine, _ = make_engine(config(LAN))
    d = engine.process(request(mac(1)), NOW, direct_meta())
    assert d.reply is None and d.drop_reason is not None
