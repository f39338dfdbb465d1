"""Client classification, host reservations and option-data precedence."""

from __future__ import annotations

from hakea.config.model import OptionData
from hakea.config.model6 import Reservation6, SharedNetwork6
from hakea.dhcp6.wire import REQUEST, SOLICIT
from hakea.leases.model6 import LeaseType

from .builders import (
    NOW,
    SERVER_DUID,
    addr_of,
    client_reply,
    config6,
    direct_meta,
    dns,
    duid_en,
    duid_ll,
    ia_na,
    ia_pd,
    ip6,
    klass,
    make_engine,
    message,
    opt6,
    oro,
    pd_prefixes,
    pool,
    relay_meta,
    relayed,
    subnet6,
    txt6,
)


def vendor_class(data: bytes, enterprise: int = 4491) -> tuple[int, bytes]:
    return 16, enterprise.to_bytes(4, "big") + len(data).to_bytes(2, "big") + data


def test_pool_client_class_and_vendor_class_builtin() -> None:
    modems = pool("2001:db8:1::10 - 2001:db8:1::1f", client_class="VENDOR_CLASS_docsis3.0")
    s = subnet6(1, "2001:db8:1::/64", modems, pool("2001:db8:1::100 - 2001:db8:1::1ff"))
    engine, _ = make_engine(config6(s))
    modem = engine.process(
        message(SOLICIT, duid_ll(1), ia_na(1), vendor_class(b"docsis3.0")), NOW, direct_meta()
    )
    plain = engine.process(message(SOLICIT, duid_ll(2), ia_na(1)), NOW, direct_meta())
    assert addr_of(modem) == "2001:db8:1::10"
    assert addr_of(plain) == "2001:db8:1::100"


def test_class_test_expression_and_class_options() -> None:
    classes = (klass("relayed", "relay6[0].linkaddr == 2001:db8:2::1",
                     option_data=(dns("2001:db8::bad", always_send=True),)),)  # fmt: skip
    s = subnet6(
        2, "2001:db8:2::/64", pool("2001:db8:2::100 - 2001:db8:2::1ff", client_class="relayed"), interface=""
    )
    engine, _ = make_engine(config6(s, client_classes=classes))
    q = relayed(message(SOLICIT, duid_ll(1), ia_na(1)), link="2001:db8:2::1")
    d = engine.process(q, NOW, relay_meta())
    assert addr_of(d) == "2001:db8:2::100"
    assert client_reply(d).get(23) == ip6("2001:db8::bad").to_bytes(16, "big")  # always-send


def test_ha_classes_from_the_caller_gate_pools() -> None:
    s = subnet6(1, "2001:db8:1::/64", pool("2001:db8:1::100 - 2001:db8:1::1ff", client_class="HA_server1"))
    engine, _ = make_engine(config6(s))
    served = engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta(), ("HA_server1",))
    assert addr_of(served) == "2001:db8:1::100"
    other = engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta(), ("HA_server2",))
    assert ("v6-allocation-fail-classes", 1) in other.stats


def test_drop_class_drops() -> None:
    classes = (klass("DROP", "option[1].hex == 0x0003000102000000ffff"),)
    engine, _ = make_engine(config6(subnet6(1, "2001:db8:1::/64", "2001:db8:1::1 - 2001:db8:1::9"),
                                    client_classes=classes))  # fmt: skip
    d = engine.process(message(SOLICIT, bytes.fromhex("0003000102000000ffff"), ia_na(1)), NOW, direct_meta())
    assert d.reply is None and d.drop_reason == "DROP class"


def test_reservation_by_duid_gets_its_address_hostname_and_known_class() -> None:
    host = Reservation6(duid=duid_en(7), ip_addresses=(ip6("2001:db8:1::77"),), hostname="printer",
                        client_classes=("gold",))  # fmt: skip
    gold = klass("gold", option_data=(opt6(24, b"\x04gold\x00", always_send=True),))
    known = klass("known-only", "member('KNOWN')", option_data=(dns("2001:db8::1", always_send=True),))
    classes = (gold, known)
    s = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff", reservations=(host,))
    engine, store = make_engine(config6(s, client_classes=classes))
    d = engine.process(message(REQUEST, duid_en(7), ia_na(1), server_id=SERVER_DUID), NOW, direct_meta())
    assert addr_of(d) == "2001:db8:1::77"  # outside the pool: reservations may be
    reply = client_reply(d)
    assert reply.get(24) == b"\x04gold\x00" and reply.get(23) == ip6("2001:db8::1").to_bytes(16, "big")
    lease = store.get(LeaseType.NA, ip6("2001:db8:1::77"))
    assert lease is not None and lease.hostname == "printer"
    # nobody else gets the reserved address, even by asking for it
    other = engine.process(message(SOLICIT, duid_en(8), ia_na(1, "2001:db8:1::77")), NOW, direct_meta())
    assert addr_of(other) == "2001:db8:1::100"
    assert client_reply(other).get(23) is None  # UNKNOWN: no known-only class


def test_reservation_by_hw_address_from_the_duid_and_a_reserved_prefix() -> None:
    host = Reservation6(hw_address=bytes.fromhex("020000000005"), prefixes=((ip6("2001:db8:8:ab00::"), 56),))
    s = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff", reservations=(host,))
    engine, _ = make_engine(config6(s))
    d = engine.process(message(SOLICIT, duid_ll(5), ia_pd(1)), NOW, direct_meta())
    [prefix] = pd_prefixes(client_reply(d))
    assert (txt6(prefix.prefix), prefix.length) == ("2001:db8:8:ab00::", 56)


def test_reservation_replaces_an_existing_dynamic_lease_on_request() -> None:
    s = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff")
    engine, store = make_engine(config6(s))
    dynamic = addr_of(engine.process(message(REQUEST, duid_en(9), ia_na(1), server_id=SERVER_DUID), NOW,
                                     direct_meta()))  # fmt: skip
    host = Reservation6(duid=duid_en(9), ip_addresses=(ip6("2001:db8:1::99"),))
    s2 = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff", reservations=(host,))
    engine2 = type(engine)(config6(s2), store, SERVER_DUID)
    d = engine2.process(
        message(REQUEST, duid_en(9), ia_na(1, dynamic), server_id=SERVER_DUID), NOW, direct_meta()
    )
    assert addr_of(d) == "2001:db8:1::99"
    assert sorted(c.kind for c in d.lease_changes) == ["deleted", "new"]
    assert store.get(LeaseType.NA, ip6(dynamic)) is None


def test_option_precedence_pool_subnet_network_class_global() -> None:
    codes = (21, 22, 23, 24, 31)

    def layer(tag: int, count: int) -> tuple[OptionData, ...]:
        return tuple(opt6(code, bytes((tag,)) * 16, always_send=True) for code in codes[:count])

    s = subnet6(1, "2001:db8:1::/64", pool("2001:db8:1::1 - 2001:db8:1::9", option_data=layer(1, 1)),
                interface="", shared_network="net", option_data=layer(2, 2))  # fmt: skip
    net = SharedNetwork6("net", (s,), interface="eth0", option_data=layer(3, 3))
    config = config6(networks=[net], client_classes=(klass("ALL", option_data=layer(4, 4)),),
                     option_data=layer(5, 5))  # fmt: skip
    engine, _ = make_engine(config)
    reply = client_reply(engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta()))
    assert [(reply.get(code) or b"")[:1] for code in codes] == [b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"]


def test_options_go_out_only_when_requested_unless_always_send() -> None:
    s = subnet6(1, "2001:db8:1::/64", "2001:db8:1::1 - 2001:db8:1::9",
                option_data=(dns("2001:db8::53"), opt6(24, b"\x03lan\x00")))  # fmt: skip
    engine, _ = make_engine(config6(s))
    none = client_reply(engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta()))
    assert none.get(23) is None and none.get(24) is None
    asked = client_reply(engine.process(message(SOLICIT, duid_ll(1), ia_na(1), oro(24)), NOW, direct_meta()))
    assert asked.get(23) is None and asked.get(24) == b"\x03lan\x00"


def test_required_classes_are_evaluated_after_the_pool_is_chosen() -> None:
    classes = (klass("late", "member('ALL')", only_if_required=True,
                     option_data=(dns("2001:db8::42", always_send=True),)),)  # fmt: skip
    s = subnet6(1, "2001:db8:1::/64", pool("2001:db8:1::1 - 2001:db8:1::9", require_client_classes=("late",)))
    engine, _ = make_engine(config6(s, client_classes=classes))
    reply = client_reply(engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW, direct_meta()))
    assert reply.get(23) == ip6("2001:db8::42").to_bytes(16, "big")
