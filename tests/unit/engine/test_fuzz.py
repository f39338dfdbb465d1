"""The engine never raises, whatever a parsed packet holds (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hakea.config.model import ClientClassDef, Reservation4, SharedNetwork4
from hakea.dhcp4.classes4 import Classifier4
from hakea.dhcp4.decision import QueryMeta
from hakea.dhcp4.engine import Engine
from hakea.dhcp4.wire import DHCPACK, DHCPNAK, DHCPOFFER, Packet4
from hakea.leases.memory4 import MemoryLeaseStore4

from .builders import NOW, config, ip, mac, opt, pool, subnet

_INTERESTING = [0, ip("192.0.2.1"), ip("192.0.2.10"), ip("192.0.2.11"), ip("192.0.2.50"),
                ip("198.51.100.10"), ip("10.0.0.1"), ip("203.0.113.9"), 0xFFFFFFFF]  # fmt: skip


def _config() -> object:
    classes = (
        ClientClassDef("HA_server1"),
        ClientClassDef("HA_server2"),
        ClientClassDef("phones", test="substring(option[60].hex,0,6) == 'Aastra'"),
        ClientClassDef(
            "known", test="member('KNOWN')", option_data=(opt(42, "10.1.1.1"),), valid_lifetime=60
        ),
        ClientClassDef("DROP", test="option[60].hex == 'drop'"),
        ClientClassDef("req", only_if_required=True, option_data=(opt(44, "10.2.2.2"),)),
    )
    res = (Reservation4(ip_address=ip("192.0.2.50"), hw_address=mac(1), hostname="h1"),
           Reservation4(client_id=b"\x01abc", client_classes=("phones",)))  # fmt: skip
    a = subnet(1, "192.0.2.0/24", pool("192.0.2.10 - 192.0.2.12", client_class="HA_server1"),
               pool("192.0.2.13 - 192.0.2.14", require_client_classes=("req",)),
               reservations=res, relay_addresses=(ip("10.0.0.1"),), renew_timer=10, rebind_timer=20,
               valid_lifetime=30)  # fmt: skip
    b = subnet(2, "198.51.100.0/24", "198.51.100.10 - 198.51.100.11", calculate_tee_times=True,
               min_valid_lifetime=5, max_valid_lifetime=50, valid_lifetime=40,
               allocator="random")  # fmt: skip
    return config(networks=[SharedNetwork4("net", (a, b))], client_classes=classes, reservations=res)


_options = st.dictionaries(
    st.sampled_from([1, 3, 12, 50, 51, 53, 54, 55, 57, 60, 61, 82, 118, 200]),
    st.one_of(
        st.binary(max_size=8),
        st.sampled_from([x.to_bytes(4, "big") for x in _INTERESTING]),
        st.sampled_from([bytes((t,)) for t in range(0, 10)]),
        st.sampled_from(
            [b"Aastra", b"drop", b"\x01abc", bytes((5, 4, 192, 0, 2, 0)), bytes((11, 4, 1, 2, 3, 4))]
        ),
    ),
    max_size=8,
)
_addresses = st.one_of(st.sampled_from(_INTERESTING), st.integers(0, 0xFFFFFFFF))
_packets = st.builds(
    lambda op, hlen, chaddr, flags, ci, gi, yi, opts, mt: Packet4(
        op=op,
        hlen=hlen,
        chaddr=chaddr[:hlen],
        flags=flags,
        ciaddr=ci,
        giaddr=gi,
        yiaddr=yi,
        options=({53: bytes((mt,))} | opts) if mt else opts,
    ),
    st.integers(0, 3),
    st.integers(0, 16),
    st.one_of(st.sampled_from([mac(1), mac(2), mac(3)]), st.binary(max_size=16)),
    st.sampled_from([0, 0x8000, 0xFFFF]),
    _addresses,
    _addresses,
    _addresses,
    _options,
    st.integers(0, 9),
)
# Mostly plausible client traffic (so OFFER/ACK/NAK paths and lease changes are exercised), with
# fields drawn from the interesting values above.
_ours = st.sampled_from([None, ip("192.0.2.1"), ip("203.0.113.9")])
_plausible = st.builds(
    lambda mt, hw, cid, req, sid, ci, gi, flags, extra: Packet4(
        op=1,
        hlen=len(hw),
        chaddr=hw,
        flags=flags,
        ciaddr=ci,
        giaddr=gi,
        options={53: bytes((mt,)), 55: bytes((1, 3, 12, 42, 44))}
        | ({61: cid} if cid else {})
        | ({50: req.to_bytes(4, "big")} if req is not None else {})
        | ({54: sid.to_bytes(4, "big")} if sid is not None else {})
        | extra,
    ),
    st.sampled_from([1, 1, 3, 3, 3, 4, 7, 8]),
    st.sampled_from([mac(1), mac(2), mac(3), b""]),
    st.sampled_from([None, b"\x01abc", b"\x01xyz"]),
    st.one_of(st.none(), st.sampled_from(_INTERESTING)),
    _ours,
    st.sampled_from([0, 0, ip("192.0.2.10"), ip("192.0.2.50"), ip("198.51.100.10")]),
    st.sampled_from([0, 0, 0, ip("10.0.0.1"), ip("198.51.100.1")]),
    st.sampled_from([0, 0x8000]),
    st.sampled_from(
        [
            {},
            {60: b"Aastra"},
            {60: b"drop"},
            {51: bytes(4)},
            {57: bytes(2)},
            {82: bytes((5, 4, 198, 51, 100, 0))},
            {118: bytes((192, 0, 2, 0))},
        ]
    ),
)
_packets = st.one_of(_plausible, _plausible, _packets)
_metas = st.builds(
    QueryMeta,
    interface=st.sampled_from(["", "eth0", "eth1"]),
    interface_addresses=st.sampled_from(
        [(ip("192.0.2.1"),), (ip("192.0.2.1"),), (), (ip("203.0.113.1"), ip("198.51.100.1"))]
    ),
    server_address=st.sampled_from([0, ip("192.0.2.1")]),
    source_address=_addresses,
    source_port=st.sampled_from([67, 68, 4000]),
    to_broadcast=st.booleans(),
    raw_socket=st.booleans(),
)
_ENGINE_CONFIG = _config()
_CLASSIFIER = Classifier4(_ENGINE_CONFIG.client_classes)  # type: ignore[attr-defined]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_packets, _metas, st.integers(0, 200), st.sampled_from([(), ("HA_server1",)])),
                min_size=1, max_size=8))  # fmt: skip
def test_engine_never_raises_and_replies_are_well_formed(
    steps: list[tuple[Packet4, QueryMeta, int, tuple[str, ...]]],
) -> None:
    engine = Engine(_ENGINE_CONFIG, MemoryLeaseStore4(), _CLASSIFIER)  # type: ignore[arg-type]
    for pkt, meta, dt, ha in steps:
        # _process, not process(): process() turns exceptions into drops, which would hide bugs.
        d = engine._process(pkt, NOW + dt, meta, ha)
        assert (d.reply is None) or d.drop_reason is None
        if d.reply is not None:
            assert d.reply.op == 2 and d.reply.xid == pkt.xid
            assert d.reply.message_type in (DHCPOFFER, DHCPACK, DHCPNAK)
            Packet4.parse(d.reply.to_bytes())  # encodable
            if d.reply.message_type in (DHCPOFFER, DHCPACK) and d.reply.yiaddr:
                assert any(s.contains(d.reply.yiaddr) for s in _ENGINE_CONFIG.subnets)  # type: ignore[attr-defined]
        engine.reclaim_expired(NOW + dt + 100)
    engine.flush_reclaimed(NOW + 10_000)
