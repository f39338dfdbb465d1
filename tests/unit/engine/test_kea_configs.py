"""The engine on Kea 2.2 JSON configurations, loaded by hakea.config.dhcp4.load_dhcp4."""

from __future__ import annotations

from random import Random

from hakea.config.dhcp4 import load_dhcp4
from hakea.dhcp4.engine import Engine
from hakea.dhcp4.wire import DHCPACK, DHCPNAK
from hakea.leases.memory4 import MemoryLeaseStore4

from .builders import NOW, direct_meta, discover, dora, ip, mac, request, txt, u32


def _engine(text: str) -> Engine:
    return Engine(load_dhcp4(text), MemoryLeaseStore4(), rng=Random(1))


PHONES_LAPTOPS = """
{ "Dhcp4": {
    // The Kea ARM example: pools selected by client class.
    "client-classes": [
        { "name": "phones", "test": "substring(option[60].hex,0,6) == 'Aastra'" },
        { "name": "laptops", "test": "not member('phones')" }
    ],
    "subnet4": [ {
        "id": 1, "subnet": "192.0.2.0/24",
        "pools": [ { "pool": "192.0.2.10 - 192.0.2.20", "client-class": "phones" },
                   { "pool": "192.0.2.30 - 192.0.2.40", "client-class": "laptops" } ],
        "option-data": [ { "name": "routers", "data": "192.0.2.1" } ]
    } ]
} }
"""


def test_arm_phones_and_laptops_example() -> None:
    engine = _engine(PHONES_LAPTOPS)
    phone = engine.process(discover(mac(1), extra={60: b"Aastra 6757i"}), NOW, direct_meta())
    laptop = engine.process(discover(mac(2), extra={60: b"MSFT 5.0"}), NOW, direct_meta())
    assert phone.reply is not None and txt(phone.reply.yiaddr) == "192.0.2.10"
    assert laptop.reply is not None and txt(laptop.reply.yiaddr) == "192.0.2.30"
    assert phone.reply.options[3] == ip("192.0.2.1").to_bytes(4, "big")


HA_LOAD_BALANCING = """
{ "Dhcp4": {
    "client-classes": [ { "name": "HA_server1" }, { "name": "HA_server2" } ],
    "subnet4": [ {
        "id": 1, "subnet": "192.0.3.0/24",
        "pools": [ { "pool": "192.0.3.100 - 192.0.3.150", "client-class": "HA_server1" },
                   { "pool": "192.0.3.200 - 192.0.3.250", "client-class": "HA_server2" } ],
        "relay": { "ip-addresses": [ "10.0.0.1" ] }
    } ]
} }
"""


def test_ha_load_balancing_pools() -> None:
    engine = _engine(HA_LOAD_BALANCING)
    meta = direct_meta()
    a = engine.process(discover(mac(1), giaddr="10.0.0.1"), NOW, meta, ha_classes=("HA_server1",))
    b = engine.process(discover(mac(2), giaddr="10.0.0.1"), NOW, meta, ha_classes=("HA_server2",))
    assert a.reply is not None and txt(a.reply.yiaddr) == "192.0.3.100"
    assert b.reply is not None and txt(b.reply.yiaddr) == "192.0.3.200"
    assert engine.process(discover(mac(3), giaddr="10.0.0.1"), NOW, meta).reply is None


SHARED = """
{ "Dhcp4": {
    "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000, "authoritative": true,
    "shared-networks": [ {
        "name": "floor1", "interface": "eth0",
        "option-data": [ { "name": "domain-name-servers", "data": "10.9.9.9" } ],
        "subnet4": [
            { "id": 2, "subnet": "198.51.100.0/24",
              "pools": [ { "pool": "198.51.100.10 - 198.51.100.10" } ] },
            { "id": 1, "subnet": "192.0.2.0/24", "pools": [ { "pool": "192.0.2.10 - 192.0.2.10" } ],
              "authoritative": false,
              "reservations": [ { "hw-address": "02:00:00:00:00:09", "ip-address": "192.0.2.99",
                                  "hostname": "nine" },
                                { "client-id": "01:aa:bb", "ip-address": "192.0.2.98" } ] }
        ]
    } ]
} }
"""


def test_shared_network_from_json() -> None:
    engine = _engine(SHARED)
    meta = direct_meta("eth0", "192.0.2.1")
    _, first = dora(engine, mac(1), meta=meta)
    _, second = dora(engine, mac(2), meta=meta)
    assert first.reply is not None and second.reply is not None
    assert {txt(first.reply.yiaddr), txt(second.reply.yiaddr)} == {"192.0.2.10", "198.51.100.10"}
    assert u32(first.reply.options[51]) == 4000 and u32(first.reply.options[58]) == 1000
    assert first.reply.options[6] == ip("10.9.9.9").to_bytes(4, "big")
    full = engine.process(discover(mac(3)), NOW, meta)
    assert full.reply is None and ("v4-allocation-fail-shared-network", 1) in full.stats
    # Reservations from JSON, by hw-address and by client-id.
    nine = engine.process(discover(mac(9), prl=bytes((12,))), NOW, meta)
    assert nine.reply is not None and txt(nine.reply.yiaddr) == "192.0.2.99"
    assert nine.reply.options[12] == b"nine"
    cid = engine.process(discover(mac(8), cid=b"\x01\xaa\xbb"), NOW, meta)
    assert cid.reply is not None and txt(cid.reply.yiaddr) == "192.0.2.98"


def test_authoritative_is_inherited_and_overridden_per_subnet() -> None:
    engine = _engine(SHARED)
    # Subnet 1 overrides the global "authoritative": true, so an unknown INIT-REBOOT is ignored...
    d = engine.process(request(mac(5), requested="192.0.2.10"), NOW, direct_meta("eth0", "192.0.2.1"))
    assert d.reply is None
    # ...while subnet 2 (selected by its interface address) inherits it and answers.
    engine2 = _engine(SHARED.replace('"interface": "eth0",', ""))
    meta2 = direct_meta("eth9", "198.51.100.1")
    d = engine2.process(request(mac(5), requested="198.51.100.10"), NOW, meta2)
    assert d.reply is not None and d.reply.message_type == DHCPACK
    d = engine2.process(request(mac(6), requested="198.51.100.10"), NOW, meta2)
    assert d.reply is not None and d.reply.message_type == DHCPNAK
    assert u32(d.reply.options[54]) == ip("198.51.100.1")
