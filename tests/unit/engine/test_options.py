"""Reply options: precedence, Parameter Request List, always-send, timers, echoes, size."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hakea.config.model import ClientClassDef, OptionData, Reservation4, SharedNetwork4

from .builders import (
    NOW,
    config,
    direct_meta,
    discover,
    ip,
    mac,
    make_engine,
    opt,
    pool,
    subnet,
    u32,
)


def _servers(d: object) -> str:
    from hakea.dhcp4.decision import Decision

    assert isinstance(d, Decision) and d.reply is not None
    payload = d.reply.options.get(6)
    return "" if payload is None else ".".join(str(b) for b in payload[:4])


def test_option_precedence_pool_subnet_network_class_global() -> None:
    p_with = pool("192.0.2.10 - 192.0.2.10", option_data=(opt(6, "1.1.1.1"),))
    p_without = pool("192.0.2.20 - 192.0.2.20")
    s1 = subnet(1, "192.0.2.0/24", p_with, p_without, option_data=(opt(6, "2.2.2.2"),))
    s2 = subnet(2, "198.51.100.0/24", "198.51.100.10 - 198.51.100.20")
    s3 = subnet(3, "203.0.113.0/24", "203.0.113.10 - 203.0.113.20")
    net = SharedNetwork4("net", (s2,), option_data=(opt(6, "3.3.3.3"),))
    cls = ClientClassDef("gold", option_data=(opt(6, "4.4.4.4"),))
    cfg = config(s1, s3, networks=[net], option_data=(opt(6, "5.5.5.5"),), client_classes=(cls,))
    engine, _ = make_engine(cfg)
    assert _servers(engine.process(discover(mac(1)), NOW, direct_meta())) == "1.1.1.1"  # pool
    # (offers store nothing, so ask for the pool without options explicitly)
    subnet_level = engine.process(discover(mac(2), requested="192.0.2.20"), NOW, direct_meta())
    assert _servers(subnet_level) == "2.2.2.2"  # subnet
    net_meta = direct_meta("eth1", "198.51.100.1")
    assert _servers(engine.process(discover(mac(3)), NOW, net_meta)) == "3.3.3.3"  # network
    glob_meta = direct_meta("eth2", "203.0.113.1")
    assert _servers(engine.process(discover(mac(4)), NOW, glob_meta)) == "5.5.5.5"  # global
    gold = engine.process(discover(mac(5)), NOW, glob_meta, ha_classes=("gold",))
    assert _servers(gold) == "4.4.4.4"  # class beats global
    gold_net = engine.process(discover(mac(6)), NOW, net_meta, ha_classes=("gold",))
    assert _servers(gold_net) == "3.3.3.3"  # network beats class


def test_reservation_options_beat_pool_options() -> None:
    res = Reservation4(hw_address=mac(1), option_data=(opt(6, "9.9.9.9"),))
    p = pool("192.0.2.10 - 192.0.2.20", option_data=(opt(6, "1.1.1.1"),))
    engine, _ = make_engine(config(subnet(1, "192.0.2.0/24", p, reservations=(res,))))
    assert _servers(engine.process(discover(mac(1)), NOW, direct_meta())) == "9.9.9.9"
    assert _servers(engine.process(discover(mac(2)), NOW, direct_meta())) == "1.1.1.1"


def test_only_requested_options_plus_kea_defaults_and_always_send() -> None:
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", option_data=(
        opt(3, "192.0.2.1"), opt(6, "192.0.2.2"), OptionData(15, b"example.org"),
        opt(42, "192.0.2.3"), opt(44, "192.0.2.4"), opt(4, "192.0.2.6", always_send=True),
    ))  # fmt: skip
    engine, _ = make_engine(config(s))
    d = engine.process(discover(mac(1), prl=bytes((44,))), NOW, direct_meta())
    assert d.reply is not None
    opts = d.reply.options
    # Kea returns routers, domain-name-servers, domain-name (and server-id) unrequested.
    for code in (1, 3, 4, 6, 15, 44, 51, 53, 54):
        assert code in opts, code
    assert 42 not in opts
    d = engine.process(discover(mac(2), prl=None), NOW, direct_meta())
    assert d.reply is not None and 42 not in d.reply.options and 44 not in d.reply.options
    assert 4 in d.reply.options


def test_always_send_is_sticky_across_levels() -> None:
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", option_data=(opt(42, "10.0.0.1"),))
    engine, _ = make_engine(config(s, option_data=(opt(42, "10.0.0.2", always_send=True),)))
    d = engine.process(discover(mac(1), prl=b""), NOW, direct_meta())
    assert d.reply is not None and d.reply.options[42] == ip("10.0.0.1").to_bytes(4, "big")


def test_configured_server_identifier_is_used() -> None:
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", option_data=(opt(54, "192.0.2.250"),))
    engine, _ = make_engine(config(s))
    d = engine.process(discover(mac(1)), NOW, direct_meta())
    assert d.reply is not None and u32(d.reply.options[54]) == ip("192.0.2.250")


def test_t1_t2_explicit_calculated_and_sanity() -> None:
    base = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", valid_lifetime=4000)
    cases: list[tuple[dict[str, Any], int | None, int | None]] = [
        (dict(), None, None),
        (dict(renew_timer=1000, rebind_timer=2000), 1000, 2000),
        (dict(calculate_tee_times=True), 2000, 3500),
        (dict(calculate_tee_times=True, t1_percent=0.4, t2_percent=0.8), 1600, 3200),
        (dict(renew_timer=3000, rebind_timer=2000), None, 2000),  # T1 must be below T2
        (dict(renew_timer=1000, rebind_timer=4000), 1000, None),  # T2 must be below valid
        (dict(renew_timer=5000), None, None),
    ]
    for kw, t1, t2 in cases:
        engine, _ = make_engine(config(replace(base, **kw)))
        d = engine.process(discover(mac(1)), NOW, direct_meta())
        assert d.reply is not None
        got1 = u32(d.reply.options[58]) if 58 in d.reply.options else None
        got2 = u32(d.reply.options[59]) if 59 in d.reply.options else None
        assert (got1, got2) == (t1, t2), kw
    engine, _ = make_engine(config(base, renew_timer=900, rebind_timer=1800))  # global timers
    d = engine.process(discover(mac(1)), NOW, direct_meta())
    assert d.reply is not None and u32(d.reply.options[58]) == 900 and u32(d.reply.options[59]) == 1800


def test_client_id_echo_and_its_switch() -> None:
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20")
    engine, _ = make_engine(config(s))
    d = engine.process(discover(mac(1), cid=b"\x01abc"), NOW, direct_meta())
    assert d.reply is not None and d.reply.options[61] == b"\x01abc"
    engine, _ = make_engine(config(s, echo_client_id=False))
    d = engine.process(discover(mac(1), cid=b"\x01abc"), NOW, direct_meta())
    assert d.reply is not None and 61 not in d.reply.options


def test_next_server_sname_file_from_subnet_class_and_reservation() -> None:
    res = Reservation4(hw_address=mac(3), next_server=ip("10.0.0.3"), boot_file_name="host.efi")
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", next_server=ip("10.0.0.1"),
               server_hostname="tftp", boot_file_name="subnet.efi", reservations=(res,))  # fmt: skip
    cls = ClientClassDef("pxe", next_server=ip("10.0.0.2"), boot_file_name="class.efi")
    engine, _ = make_engine(config(s, client_classes=(cls,)))
    d = engine.process(discover(mac(1)), NOW, direct_meta())
    assert d.reply is not None
    assert (d.reply.siaddr, d.reply.sname, d.reply.file) == (ip("10.0.0.1"), b"tftp", b"subnet.efi")
    d = engine.process(discover(mac(2)), NOW, direct_meta(), ha_classes=("pxe",))
    assert d.reply is not None and (d.reply.siaddr, d.reply.file) == (ip("10.0.0.2"), b"class.efi")
    d = engine.process(discover(mac(3)), NOW, direct_meta(), ha_classes=("pxe",))
    assert d.reply is not None and (d.reply.siaddr, d.reply.file) == (ip("10.0.0.3"), b"host.efi")


def test_reply_respects_the_maximum_message_size() -> None:
    big = tuple(OptionData(code, bytes(200), always_send=True) for code in (200, 201, 202, 203))
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", option_data=big)
    engine, _ = make_engine(config(s))
    small = engine.process(discover(mac(1)), NOW, direct_meta())
    assert small.reply is not None
    assert len(small.reply.to_bytes()) <= 576 - 28
    assert 51 in small.reply.options and 54 in small.reply.options
    large = engine.process(discover(mac(2), extra={57: (1500).to_bytes(2, "big")}), NOW, direct_meta())
    assert large.reply is not None and all(c in large.reply.options for c in (200, 201, 202, 203))
    tiny = engine.process(discover(mac(3), extra={57: (300).to_bytes(2, "big")}), NOW, direct_meta())
    assert tiny.reply is not None and len(tiny.reply.to_bytes()) <= 576 - 28  # never below 576


def test_class_valid_lifetime_overrides_the_subnet() -> None:
    s = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", valid_lifetime=3600)
    engine, _ = make_engine(config(s, client_classes=(ClientClassDef("short", valid_lifetime=300),)))
    d = engine.process(discover(mac(1)), NOW, direct_meta(), ha_classes=("short",))
    assert d.reply is not None and u32(d.reply.options[51]) == 300


def test_required_class_without_test_adds_its_options() -> None:
    cls = ClientClassDef("extra", only_if_required=True, option_data=(opt(42, "10.1.1.1", always_send=True),))
    p = pool("192.0.2.10 - 192.0.2.20", require_client_classes=("extra",))
    s = subnet(1, "192.0.2.0/24", p)
    engine, _ = make_engine(config(s, client_classes=(cls,)))
    d = engine.process(discover(mac(1)), NOW, direct_meta())
    assert d.reply is not None and d.reply.options.get(42) == ip("10.1.1.1").to_bytes(4, "big")
    s2 = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20")
    engine, _ = make_engine(config(s2, client_classes=(cls,)))
    d = engine.process(discover(mac(1)), NOW, direct_meta())
    assert d.reply is not None and 42 not in d.reply.options  # not required: never assigned
