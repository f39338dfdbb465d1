"""Valid Kea 2.2 "Dhcp6" configurations load into the expected Dhcp6Config."""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from hakea.config.dhcp6 import load_dhcp6, load_dhcp6_file
from hakea.config.model6 import Dhcp6Config, ServerId, Subnet6
from hakea.ha.config import parse_ha_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SAMPLES = sorted(p.name for p in CONFIGS.glob("dhcp6-*.json"))


def ip(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


def load(dhcp6: dict[str, Any], warnings: list[str] | None = None) -> Dhcp6Config:
    return load_dhcp6({"Dhcp6": dhcp6}, warnings=warnings)


def by_prefix(config: Dhcp6Config, prefix: str) -> Subnet6:
    net = ipaddress.IPv6Network(prefix)
    return next(
        s for s in config.subnets if (s.network, s.prefix_len) == (int(net.network_address), net.prefixlen)
    )


# -- the manual's examples and the sample files


def test_there_are_samples() -> None:
    assert {"dhcp6-hot-standby.json", "dhcp6-load-balancing.json", "dhcp6-all-keys.json"} <= set(SAMPLES)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_config_loads(name: str) -> None:
    config = load_dhcp6_file(str(CONFIGS / name))
    assert config.subnets
    assert config.raw["Dhcp6"]["subnet6"]


def test_manual_load_balancing_translated() -> None:
    config = load_dhcp6_file(str(CONFIGS / "dhcp6-load-balancing.json"))
    (subnet,) = config.subnets
    assert (subnet.id, subnet.network, subnet.prefix_len) == (1, ip("2001:db8:1::"), 64)
    assert [(p.start, p.end, p.client_class) for p in subnet.pools] == [
        (ip("2001:db8:1::100"), ip("2001:db8:1::1ff"), "HA_server1"),
        (ip("2001:db8:1::200"), ip("2001:db8:1::2ff"), "HA_server2"),
    ]
    assert [(p.prefix, p.prefix_len, p.delegated_len, p.client_class) for p in subnet.pd_pools] == [
        (ip("2001:db8:2::"), 48, 64, "HA_server1"),
        (ip("2001:db8:3::"), 48, 64, "HA_server2"),
    ]
    assert subnet.pd_pools[0].capacity == 65536
    assert [(o.code, o.data, o.space) for o in subnet.option_data] == [
        (23, ipaddress.IPv6Address("2001:db8:1::1").packed, "dhcp6")
    ]
    assert subnet.relay_addresses == (ip("2001:db8:1::1"),)
    assert (subnet.preferred_lifetime, subnet.valid_lifetime) == (3000, 4000)
    assert (subnet.renew_timer, subnet.rebind_timer) == (1000, 2000)
    assert config.lease_cmds_loaded
    assert config.lease_database.name == "/var/lib/kea/kea-leases6.csv"
    assert (
        config.control_socket is not None and config.control_socket.socket_name == "/tmp/kea-dhcp6-ctrl.sock"
    )
    ha = config.ha_parameters
    assert ha is not None
    (relationship,) = parse_ha_config(ha, "Dhcp6/hooks-libraries[1]/parameters")
    assert relationship.this_server_name == "server1"
    assert [p["role"] for p in ha["high-availability"][0]["peers"]] == ["primary", "secondary", "backup"]
    assert ha["high-availability"][0]["peers"][1]["url"] == "http://[2001:db8::66]:8080/"


def test_manual_hot_standby_translated() -> None:
    config = load_dhcp6_file(str(CONFIGS / "dhcp6-hot-standby.json"))
    (subnet,) = config.subnets
    assert [(p.client_class, p.end - p.start + 1) for p in subnet.pools] == [("HA_server1", 512)]
    assert [(p.client_class, p.prefix_len, p.delegated_len) for p in subnet.pd_pools] == [
        ("HA_server1", 48, 64)
    ]
    ha = config.ha_parameters
    assert ha is not None and ha["high-availability"][0]["mode"] == "hot-standby"
    assert [p["role"] for p in ha["high-availability"][0]["peers"]] == ["primary", "standby", "backup"]
    assert config.interfaces == ("eth0",)


def test_commented_kea_config() -> None:
    warnings: list[str] = []
    config = load_dhcp6_file(str(CONFIGS / "dhcp6-commented.json"), warnings=warnings)
    assert config.lease_database.name == "/var/lib/kea//kea-leases6#1.csv"
    assert (config.preferred_lifetime, config.valid_lifetime) == (3000, 4000)
    assert (config.renew_timer, config.rebind_timer) == (1000, 2000)
    assert [o.name for o in config.option_data] == ["dns-servers", "domain-search"]
    (reservation,) = config.subnets[0].reservations
    assert reservation.duid == bytes.fromhex("0102030405 0a0b0c0d0e")
    assert reservation.ip_addresses == (ip("2001:db8:1::100"),)
    assert warnings == [f"{CONFIGS / 'dhcp6-commented.json'}:40:126: extraneous comma"]


def test_all_kea_22_keys_load() -> None:
    warnings: list[str] = []
    config = load_dhcp6_file(str(CONFIGS / "dhcp6-all-keys.json"), warnings=warnings)
    assert [s.id for s in config.subnets] == [1, 2, 10, 11]
    floor1 = config.subnets[2]
    assert floor1.shared_network == "floor1"
    assert (floor1.preferred_lifetime, floor1.valid_lifetime) == (2500, 3600)
    assert (floor1.min_preferred_lifetime, floor1.max_preferred_lifetime) == (2000, 4000)
    assert (floor1.min_valid_lifetime, floor1.max_valid_lifetime) == (3000, 5000)
    assert (floor1.renew_timer, floor1.rebind_timer) == (900, 1800)
    assert floor1.rapid_commit and floor1.interface == "eth0"
    assert floor1.relay_addresses == (
        ip(
            "2001:db8:ffff::1",
        ),
    )
    relayed = config.subnets[3]
    assert relayed.interface_id == b"port-7" and relayed.shared_network == "relayed"
    assert config.shared_networks[0].require_client_classes == ("late",)
    assert config.shared_networks[1].interface_id == b"port-7"
    assert [(o.name, o.code, o.data) for o in config.option_data] == [
        (
            "dns-servers",
            23,
            ipaddress.IPv6Address("2001:db8::1").packed + ipaddress.IPv6Address("2001:db8::2").packed,
        ),
        ("my-opt", 1001, b"\x00\x07"),
        ("my-rec", 1002, b"\x01" + ipaddress.IPv6Address("2001:db8::9").packed),
        ("", 1003, b"\x01\x02\x03"),
        ("sub-one", 1, b"hello"),
    ]
    assert config.option_data[0].always_send and config.option_data[4].space == "my-space"
    phones = config.client_classes[0]
    assert (phones.preferred_lifetime, phones.valid_lifetime) == (3000, 4000)
    subnet1 = config.subnets[0]
    assert subnet1.pd_pools[0].excluded_prefix == ip("2001:db8:8:0:8000::")
    assert subnet1.pd_pools[0].excluded_prefix_len == 72
    assert subnet1.pd_pools[0].require_client_classes == ("late",)
    assert [(r.duid is not None, r.hw_address is not None) for r in subnet1.reservations] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert subnet1.reservations[0].prefixes == ((ip("2001:db8:9::"), 64),)
    assert config.subnets[1].interface_id == b"eth1.100"
    assert config.subnets[1].relay_addresses == (ip("2001:db8:2::1"),)
    assert not config.subnets[1].reservation_mode_global and config.subnets[1].reservation_mode_in_subnet
    assert config.server_id == ServerId("EN", bytes.fromhex("0102030405"), 1, 0, 2495, False)
    assert config.relay_supplied_options == (65, 23, 1000)
    assert config.server_tag == "server1" and not config.multi_threading
    assert sum("deprecated" in w for w in warnings) == 1


# -- subnet ids, pools, prefixes


def test_automatic_subnet_ids_follow_keas_order() -> None:
    # Shared networks' subnets are numbered first (test_kea6_agrees checks this against Kea).
    config = load(
        {
            "subnet6": [
                {"subnet": "2001:db8:1::/64"},
                {"subnet": "2001:db8:2::/64", "id": 7},
                {"subnet": "2001:db8:3::/64"},
            ],
            "shared-networks": [
                {"name": "b", "subnet6": [{"subnet": "2001:db8:11::/64"}, {"subnet": "2001:db8:12::/64"}]},
                {"name": "a", "subnet6": [{"subnet": "2001:db8:21::/64", "id": 0}]},
            ],
        }
    )
    ids = {str(ipaddress.IPv6Address(s.network)): s.id for s in config.subnets}
    assert ids == {
        "2001:db8:11::": 1,
        "2001:db8:12::": 2,
        "2001:db8:21::": 3,
        "2001:db8:1::": 4,
        "2001:db8:3::": 5,
        "2001:db8:2::": 7,
    }
    assert [s.id for s in config.subnets] == [1, 2, 3, 4, 5, 7]
    assert [n.name for n in config.shared_networks] == ["a", "b"]
    assert [s.id for s in config.shared_networks[1].subnets] == [1, 2]


def test_pools_are_sorted_and_take_both_forms() -> None:
    config = load(
        {
            "subnet6": [
                {
                    "subnet": "2001:db8:1::/64",
                    "pools": [
                        {"pool": "2001:db8:1::200 - 2001:db8:1::2ff"},
                        {"pool": "2001:db8:1::7-2001:db8:1::7"},
                        {"pool": "2001:db8:1::1:5/112"},
                    ],
                }
            ]
        }
    )
    pools = config.subnets[0].pools
    assert [(p.start, p.end) for p in pools] == [
        (ip("2001:db8:1::7"), ip("2001:db8:1::7")),
        (ip("2001:db8:1::200"), ip("2001:db8:1::2ff")),
        (ip("2001:db8:1::1:0"), ip("2001:db8:1::1:ffff")),
    ]
    assert pools[0].contains(ip("2001:db8:1::7")) and not pools[0].contains(ip("2001:db8:1::8"))


def test_pd_pools() -> None:
    warnings: list[str] = []
    config = load(
        {
            "subnet6": [
                {
                    "subnet": "2001:db8:1::/64",
                    "pd-pools": [
                        # outside the subnet: Kea accepts it, pd pools need not lie in the subnet
                        {"prefix": "2001:db8:ff00::", "prefix-len": 40, "delegated-len": 56},
                        {"prefix": "2001:db8:8::1", "prefix-len": 56, "delegated-len": 56},
                        {
                            "prefix": "2001:db8:9::",
                            "prefix-len": 48,
                            "delegated-len": 60,
                            "excluded-prefix": "2001:db8:9:0:ff::",
                            "excluded-prefix-len": 64,
                            "client-class": "HA_server2",
                            "require-client-classes": ["late"],
                            "option-data": [{"name": "dns-servers", "data": "2001:db8::53"}],
                        },
                        # excluded-prefix "::" with length 0 is Kea's "none"
                        {
                            "prefix": "2001:db8:a::",
                            "prefix-len": 64,
                            "delegated-len": 128,
                            "excluded-prefix": "::",
                            "excluded-prefix-len": 0,
                        },
                    ],
                }
            ]
        },
        warnings,
    )
    pd = config.subnets[0].pd_pools
    assert [(p.prefix, p.prefix_len, p.delegated_len, p.capacity) for p in pd] == [
        (ip("2001:db8:8::"), 56, 56, 1),
        (ip("2001:db8:9::"), 48, 60, 4096),
        (ip("2001:db8:a::"), 64, 128, 2**64),
        (ip("2001:db8:ff00::"), 40, 56, 65536),
    ]
    assert (pd[1].excluded_prefix, pd[1].excluded_prefix_len) == (ip("2001:db8:9::"), 64)
    assert (pd[2].excluded_prefix, pd[2].excluded_prefix_len) == (0, 0)
    assert (pd[1].client_class, pd[1].require_client_classes) == ("HA_server2", ("late",))
    assert pd[1].option_data[0].data == ipaddress.IPv6Address("2001:db8::53").packed
    assert warnings == [
        "Dhcp6/subnet6[0]/pd-pools[1]/prefix: '2001:db8:8::1' has bits set beyond prefix-len 56; "
        "using 2001:db8:8::",
        "Dhcp6/subnet6[0]/pd-pools[2]/excluded-prefix: '2001:db8:9:0:ff::' has bits set beyond 64; "
        "using 2001:db8:9::",
    ]


def test_host_bits_are_masked_with_a_warning() -> None:
    warnings: list[str] = []
    subnet = load({"subnet6": [{"subnet": "2001:db8:1::7/64"}]}, warnings).subnets[0]
    assert subnet.network == ip("2001:db8:1::")
    assert subnet.contains(ip("2001:db8:1::ffff")) and not subnet.contains(ip("2001:db8:2::"))
    assert warnings == [
        "Dhcp6/subnet6[0]/subnet: '2001:db8:1::7/64' has host bits set; using 2001:db8:1::/64"
    ]


def test_overlaps_across_subnets_warn() -> None:
    # Kea 2.2 accepts both (different subnets); hakea warns.
    warnings: list[str] = []
    load(
        {
            "subnet6": [
                {
                    "subnet": "2001:db8:1::/64",
                    "pools": [{"pool": "2001:db8:1::/120"}],
                    "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64}],
                },
                {
                    "subnet": "2001:db8:1::/96",
                    "pools": [{"pool": "2001:db8:1::5 - 2001:db8:1::6"}],
                    "pd-pools": [{"prefix": "2001:db8:8:10::", "prefix-len": 60, "delegated-len": 64}],
                },
            ]
        },
        warnings,
    )
    assert warnings == [
        "Dhcp6/subnet6[1]/pools[0]/pool: overlaps with Dhcp6/subnet6[0]/pools[0] in another subnet",
        "Dhcp6/subnet6[1]/pd-pools[0]/prefix: overlaps with Dhcp6/subnet6[0]/pd-pools[0] in another subnet",
    ]


# -- inheritance and defaults


def test_inheritance_global_shared_network_subnet() -> None:
    config = load(
        {
            "preferred-lifetime": 1000,
            "valid-lifetime": 2000,
            "renew-timer": 100,
            "rebind-timer": 200,
            "t1-percent": 0.4,
            "min-valid-lifetime": 1500,
            "shared-networks": [
                {
                    "name": "net",
                    "preferred-lifetime": 1800,
                    "valid-lifetime": 3000,
                    "rapid-commit": True,
                    "interface-id": "relay-port-1",
                    "relay": {"ip-address": "2001:db8:ff::1"},
                    "client-class": "net-class",
                    "calculate-tee-times": False,
                    "option-data": [{"name": "domain-search", "data": "net.example"}],
                    "subnet6": [
                        {"subnet": "2001:db8:1::/64", "renew-timer": 150, "client-class": "sub-class"},
                        {
                            "subnet": "2001:db8:2::/64",
                            "relay": {"ip-addresses": []},
                            "interface-id": "relay-port-2",
                            "rapid-commit": True,
                        },
                    ],
                },
                {"name": "local", "interface": "eth1", "subnet6": [{"subnet": "2001:db8:4::/64"}]},
            ],
            "subnet6": [{"subnet": "2001:db8:3::/64", "rebind-timer": 300, "interface": "eth2"}],
        }
    )
    s1, s2, s3, s4 = (
        by_prefix(config, p)
        for p in ("2001:db8:1::/64", "2001:db8:2::/64", "2001:db8:3::/64", "2001:db8:4::/64")
    )
    assert [s.preferred_lifetime for s in (s1, s2, s3, s4)] == [1800, 1800, 1000, 1000]
    assert [s.valid_lifetime for s in (s1, s2, s3, s4)] == [3000, 3000, 2000, 2000]
    assert [s.min_valid_lifetime for s in (s1, s2, s3, s4)] == [1500] * 4
    assert [s.max_valid_lifetime for s in (s1, s2, s3, s4)] == [None] * 4  # not configured: the default
    assert [s.min_preferred_lifetime for s in (s1, s2, s3, s4)] == [None] * 4
    assert [(s.renew_timer, s.rebind_timer) for s in (s1, s2, s3)] == [(150, 200), (100, 200), (100, 300)]
    assert [s.calculate_tee_times for s in (s1, s2, s3)] == [False, False, True]
    assert [s.t1_percent for s in (s1, s2, s3)] == [0.4] * 3
    assert [s.rapid_commit for s in (s1, s2, s3)] == [True, True, False]
    # relay, interface and interface-id come from the shared network; a subnet's own wins
    assert [s.relay_addresses for s in (s1, s2, s3)] == [(ip("2001:db8:ff::1"),), (), ()]
    assert [s.interface_id for s in (s1, s2, s3)] == [b"relay-port-1", b"relay-port-2", b""]
    assert [s.interface for s in (s1, s2, s3, s4)] == ["", "", "eth2", "eth1"]
    # client-class and option-data stay at their own level (the engine merges option-data)
    assert [s.client_class for s in (s1, s2, s3)] == ["sub-class", None, None]
    net = next(n for n in config.shared_networks if n.name == "net")
    assert s1.option_data == () and net.option_data[0].data == b"\x03net\x07example\x00"
    assert (net.client_class, net.interface_id, net.relay_addresses) == (
        "net-class",
        b"relay-port-1",
        (ip("2001:db8:ff::1"),),
    )
    assert [s.shared_network for s in (s1, s2, s3, s4)] == ["net", "net", None, "local"]
    assert (config.preferred_lifetime, config.valid_lifetime) == (1000, 2000)
    assert (config.renew_timer, config.rebind_timer) == (100, 200)


def test_kea_defaults() -> None:
    config = load({"subnet6": [{"subnet": "2001:db8::/64"}]})
    s = config.subnets[0]
    assert (s.preferred_lifetime, s.valid_lifetime) == (3600, 7200)
    assert (s.renew_timer, s.rebind_timer) == (None, None)
    assert (s.min_valid_lifetime, s.max_valid_lifetime, s.min_preferred_lifetime) == (None, None, None)
    assert s.calculate_tee_times and (s.t1_percent, s.t2_percent) == (0.5, 0.8)
    assert not s.rapid_commit and s.interface_id == b"" and s.relay_addresses == ()
    assert (s.reservation_mode_global, s.reservation_mode_in_subnet) == (False, True)
    assert s.pools == () and s.pd_pools == () and s.shared_network is None
    assert config.decline_probation_period == 86400 and config.server_id == ServerId()
    assert config.lease_database.type == "memfile" and config.lease_database.persist
    assert config.interfaces == () and config.control_socket is None
    assert config.expired_leases_processing.hold_reclaimed_time == 3600
    assert not config.multi_threading and config.hooks_libraries == ()
    assert config.relay_supplied_options == (65,) and not config.rapid_commit
    assert config.client_classes == () and config.reservations == ()


def test_lifetime_bounds_are_inherited_and_checked() -> None:
    config = load(
        {
            "min-preferred-lifetime": 100,
            "max-preferred-lifetime": 9000,
            "subnet6": [{"subnet": "2001:db8::/64", "preferred-lifetime": 500}],
        }
    )
    s = config.subnets[0]
    assert (s.min_preferred_lifetime, s.preferred_lifetime, s.max_preferred_lifetime) == (100, 500, 9000)
    # a bound alone: the other one is not configured (the engine uses the default there)
    only = load({"subnet6": [{"subnet": "2001:db8::/64", "min-preferred-lifetime": 3000}]}).subnets[0]
    assert (only.min_preferred_lifetime, only.preferred_lifetime, only.max_preferred_lifetime) == (
        3000,
        3600,
        None,
    )


def test_reservation_mode_becomes_flags_and_is_inherited() -> None:
    warnings: list[str] = []
    config = load(
        {
            "reservation-mode": "global",
            "shared-networks": [
                {"name": "n", "reservation-mode": "disabled", "subnet6": [{"subnet": "2001:db8:1::/64"}]}
            ],
            "subnet6": [
                {"subnet": "2001:db8:2::/64"},
                {"subnet": "2001:db8:3::/64", "reservations-global": False, "reservations-in-subnet": True},
            ],
        },
        warnings,
    )
    flags = [(s.reservation_mode_global, s.reservation_mode_in_subnet) for s in config.subnets]
    assert flags == [(False, False), (True, False), (False, True)]
    assert len(warnings) == 2 and all("reservation-mode: deprecated" in w for w in warnings)


def test_lifetimes_and_timers_that_kea_accepts_but_cannot_all_be_sent_warn() -> None:
    warnings: list[str] = []
    config = load(
        {"preferred-lifetime": 5000, "subnet6": [{"subnet": "2001:db8::/64", "valid-lifetime": 4000}]},
        warnings,
    )
    assert config.subnets[0].preferred_lifetime == 5000
    assert warnings == [
        "Dhcp6/subnet6[0]/preferred-lifetime: 5000 is greater than valid-lifetime (4000); addresses will be "
        "given the valid lifetime as preferred lifetime"
    ]
    warnings.clear()
    load({"subnet6": [{"subnet": "2001:db8::/64", "renew-timer": 7200, "rebind-timer": 8000}]}, warnings)
    assert warnings == [
        "Dhcp6/subnet6[0]/rebind-timer: 8000 is not less than valid-lifetime (7200); it will not be sent",
        "Dhcp6/subnet6[0]/renew-timer: 7200 is not less than valid-lifetime (7200); it will not be sent",
    ]


# -- options and classes


def test_option_data_forms() -> None:
    config = load(
        {
            "option-def": [{"name": "my-addr", "code": 600, "type": "ipv6-address", "array": True}],
            "option-data": [
                {"name": "dns-servers", "data": "2001:db8::1"},
                {"code": 23, "data": "2001:db8::2"},
                {"name": "domain-search", "data": "a.example, b.example"},
                {"name": "dns-servers"},  # a plain array may be empty
                {"name": "preference", "data": "255"},
                {"name": "rapid-commit"},  # an empty option
                {"code": 700, "data": "0x0102", "csv-format": False},
                {"name": "my-addr", "data": "2001:db8::5, 2001:db8::6"},
                {"name": "bootfile-param", "data": "root=/dev/sda, quiet"},
                {"name": "vendor-class", "data": "4491, 00057475706c65"},
                {"name": "s46-br", "space": "s46-cont-lw-options", "data": "2001:db8::7"},
                {"name": "sntp-servers", "data": "2001:db8::123", "always-send": True},
            ],
        }
    )
    got = [(o.code, o.data, o.name, o.space, o.always_send) for o in config.option_data]
    a = ipaddress.IPv6Address
    assert got == [
        (23, a("2001:db8::1").packed, "dns-servers", "dhcp6", False),
        (23, a("2001:db8::2").packed, "dns-servers", "dhcp6", False),
        (24, b"\x01a\x07example\x00\x01b\x07example\x00", "domain-search", "dhcp6", False),
        (23, b"", "dns-servers", "dhcp6", False),
        (7, b"\xff", "preference", "dhcp6", False),
        (14, b"", "rapid-commit", "dhcp6", False),
        (700, b"\x01\x02", "", "dhcp6", False),
        (600, a("2001:db8::5").packed + a("2001:db8::6").packed, "my-addr", "dhcp6", False),
        (60, b"\x00\x0droot=/dev/sda\x00\x05quiet", "bootfile-param", "dhcp6", False),
        (16, b"\x00\x00\x11\x8b\x00\x05tuple", "vendor-class", "dhcp6", False),
        (90, a("2001:db8::7").packed, "s46-br", "s46-cont-lw-options", False),
        (31, a("2001:db8::123").packed, "sntp-servers", "dhcp6", True),
    ]


def test_option_data_at_every_level() -> None:
    def od(server: str) -> list[dict[str, str]]:
        return [{"name": "dns-servers", "data": server}]

    config = load(
        {
            "option-data": od("2001:db8::1"),
            "client-classes": [{"name": "c", "option-data": od("2001:db8::2")}],
            "reservations": [{"duid": "01:02", "option-data": od("2001:db8::3")}],
            "shared-networks": [
                {
                    "name": "n",
                    "option-data": od("2001:db8::4"),
                    "subnet6": [
                        {
                            "subnet": "2001:db8:1::/64",
                            "option-data": od("2001:db8::5"),
                            "pools": [{"pool": "2001:db8:1::/100", "option-data": od("2001:db8::6")}],
                            "pd-pools": [
                                {
                                    "prefix": "2001:db8:8::",
                                    "prefix-len": 56,
                                    "delegated-len": 64,
                                    "option-data": od("2001:db8::7"),
                                }
                            ],
                            "reservations": [
                                {"hw-address": "02:00:00:00:00:01", "option-data": od("2001:db8::8")}
                            ],
                        }
                    ],
                }
            ],
        }
    )
    subnet = config.subnets[0]
    found = [
        config.option_data,
        config.client_classes[0].option_data,
        config.reservations[0].option_data,
        config.shared_networks[0].option_data,
        subnet.option_data,
        subnet.pools[0].option_data,
        subnet.pd_pools[0].option_data,
        subnet.reservations[0].option_data,
    ]
    assert [str(ipaddress.IPv6Address(o[0].data)) for o in found] == [f"2001:db8::{i}" for i in range(1, 9)]


def test_client_classes() -> None:
    config = load(
        {
            "client-classes": [
                {"name": "ALL", "option-data": [{"name": "preference", "data": "1"}]},
                {
                    "name": "docsis",
                    "test": "substring(option[16].hex, 0, 4) == 0x0000118b and pkt6.msgtype == 1",
                    "preferred-lifetime": 1000,
                    "valid-lifetime": 2000,
                },
                {"name": "relayed", "test": "relay6[0].peeraddr == 2001:db8::1 or member('docsis')"},
                {
                    "name": "late",
                    "test": "member('HA_server1') and not member('KNOWN')",
                    "only-if-required": True,
                },
            ]
        }
    )
    assert [c.name for c in config.client_classes] == ["ALL", "docsis", "relayed", "late"]
    docsis = config.client_classes[1]
    assert (docsis.preferred_lifetime, docsis.valid_lifetime) == (1000, 2000)
    assert config.client_classes[0].option_data[0].code == 7
    assert config.client_classes[3].only_if_required
    assert config.client_classes[2].preferred_lifetime is None


# -- reservations


def test_reservations() -> None:
    warnings: list[str] = []
    config = load(
        {
            "reservations": [
                # global reservations may name any address (they apply in every subnet)
                {"duid": "00:03:00:01:02:00:00:00:00:01", "ip-addresses": ["2001:db8:99::1"], "hostname": "g"}
            ],
            "subnet6": [
                {
                    "subnet": "2001:db8:1::/64",
                    "reservations": [
                        {
                            "duid": "000100012a2b2c2d0a0b0c0d0e0f",
                            "ip-addresses": ["2001:db8:1::10", "2001:db8:1::11"],
                            "prefixes": ["2001:db8:100::/56", "2001:db8:200::1/64"],
                            "hostname": "host.example.org",
                            "client-classes": ["docsis", "late"],
                        },
                        {"hw-address": "0a 0b 0c 0d 0e 0f", "hostname": "by-mac"},
                        {"flex-id": "'s0mEVaLue'", "ip-addresses": ["2001:db8:1::12"]},
                        {"duid": "0x0102", "client-classes": ["x"]},
                    ],
                }
            ],
        },
        warnings,
    )
    (glob,) = config.reservations
    assert glob.duid == bytes.fromhex("00030001020000000001") and glob.ip_addresses == (ip("2001:db8:99::1"),)
    r1, r2, r3, r4 = config.subnets[0].reservations
    assert r1.duid == bytes.fromhex("000100012a2b2c2d0a0b0c0d0e0f") and r1.hw_address is None
    assert r1.ip_addresses == (ip("2001:db8:1::10"), ip("2001:db8:1::11"))
    # Kea keeps a reserved prefix as written, host bits included
    assert r1.prefixes == ((ip("2001:db8:100::"), 56), (ip("2001:db8:200::1"), 64))
    assert (r1.hostname, r1.client_classes) == ("host.example.org", ("docsis", "late"))
    assert (r2.hw_address, r2.duid) == (bytes.fromhex("0a0b0c0d0e0f"), None)
    assert (r3.duid, r3.hw_address, r3.ip_addresses) == (None, None, (ip("2001:db8:1::12"),))
    assert r4.duid == b"\x01\x02"
    assert warnings == [
        "Dhcp6/subnet6[0]/reservations[0]/prefixes[1]: '2001:db8:200::1/64' has bits set beyond its length",
        "Dhcp6/subnet6[0]/reservations[2]/flex-id: hakea does not match clients by flex-id; "
        "reservation kept unused",
    ]


def test_duplicate_reserved_addresses_allowed_when_not_unique() -> None:
    config = load(
        {
            "ip-reservations-unique": False,
            "subnet6": [
                {
                    "subnet": "2001:db8:1::/64",
                    "reservations": [
                        {"duid": "01:01", "ip-addresses": ["2001:db8:1::5"], "prefixes": ["2001:db8:9::/64"]},
                        {"duid": "01:02", "ip-addresses": ["2001:db8:1::5"], "prefixes": ["2001:db8:9::/64"]},
                    ],
                }
            ],
        }
    )
    assert len(config.subnets[0].reservations) == 2


def test_same_client_may_be_reserved_in_two_subnets_and_globally() -> None:
    entry = {"duid": "01:02:03", "hostname": "h"}
    config = load(
        {
            "reservations": [entry],
            "subnet6": [
                {"subnet": "2001:db8:1::/64", "reservations": [entry]},
                {"subnet": "2001:db8:2::/64", "reservations": [entry]},
            ],
        }
    )
    assert [len(s.reservations) for s in config.subnets] == [1, 1] and len(config.reservations) == 1


# -- service maps, top level


def test_server_id_forms() -> None:
    def sid(**obj: Any) -> ServerId:
        return load({"server-id": obj}).server_id

    assert sid(type="LL", htype=1, identifier="020000000001", persist=False) == ServerId(
        "LL", bytes.fromhex("020000000001"), 1, 0, 0, False
    )
    assert sid(type="LLT", htype=6, identifier="0A0B0C0D0E0F", time=12345) == ServerId(
        "LLT", bytes.fromhex("0a0b0c0d0e0f"), 6, 12345, 0, True
    )
    assert sid(type="EN", **{"enterprise-id": 2495}) == ServerId("EN", b"", 1, 0, 2495, True)


def test_service_maps() -> None:
    warnings: list[str] = []
    config = load(
        {
            "interfaces-config": {"interfaces": ["eth0", "eth1/2001:db8::1", "*"], "re-detect": False},
            "lease-database": {
                "type": "memfile",
                "name": "/tmp/leases6.csv",
                "lfc-interval": 0,
                "persist": False,
            },
            "control-socket": {"socket-type": "unix", "socket-name": "/run/kea/dhcp6.sock"},
            "expired-leases-processing": {"hold-reclaimed-time": 0, "max-reclaim-leases": 0},
            "multi-threading": {"enable-multi-threading": True, "thread-pool-size": 4},
            "hooks-libraries": [
                {"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so"},
                {"library": "/usr/lib/kea/hooks/libdhcp_legal_log.so", "parameters": {"path": "/var/log"}},
            ],
            "decline-probation-period": 600,
            "mac-sources": ["duid", "rfc6939", "remote-id"],
            "relay-supplied-options": ["65", "dns-servers", "1000", "dns-servers"],
            "host-reservation-identifiers": ["hw-address", "duid"],
            "sanity-checks": {"lease-checks": "fix-del"},
            "server-tag": "one",
            "dhcp4o6-port": 6767,
        },
        warnings,
    )
    assert config.interfaces == ("eth0", "eth1/2001:db8::1", "*")
    db = config.lease_database
    assert (db.type, db.name, db.lfc_interval, db.persist) == ("memfile", "/tmp/leases6.csv", 0, False)
    assert config.control_socket is not None and config.control_socket.socket_name == "/run/kea/dhcp6.sock"
    assert config.expired_leases_processing.hold_reclaimed_time == 0
    assert config.expired_leases_processing.reclaim_timer_wait_time == 10
    assert config.multi_threading and config.server_tag == "one"
    assert config.hooks_libraries[1].parameters == {"path": "/var/log"}
    assert config.lease_cmds_loaded and config.ha_parameters is None
    assert config.decline_probation_period == 600
    assert config.relay_supplied_options == (65, 23, 1000)
    assert warnings == [
        "Dhcp6/hooks-libraries[1]/library: hakea provides lease_cmds and ha only; "
        "'/usr/lib/kea/hooks/libdhcp_legal_log.so' is ignored"
    ]


def test_ha_without_lease_cmds_warns(caplog: pytest.LogCaptureFixture) -> None:
    ha = json.loads((CONFIGS / "dhcp6-hot-standby.json").read_text())["Dhcp6"]["hooks-libraries"][1]
    with caplog.at_level(logging.WARNING, logger="hakea.config"):
        config = load({"hooks-libraries": [ha]})
    assert config.ha_parameters is not None
    assert caplog.messages == [
        "Dhcp6/hooks-libraries: the ha library is loaded without lease_cmds, which Kea's HA needs"
    ]


def test_other_daemons_sections_are_ignored_with_a_warning() -> None:
    warnings: list[str] = []
    config = load_dhcp6(
        {"Dhcp6": {"valid-lifetime": 10, "preferred-lifetime": 5}, "Dhcp4": {}, "Control-agent": {}},
        warnings=warnings,
    )
    assert config.valid_lifetime == 10
    assert warnings == [
        'Dhcp4: ignored (this daemon reads only "Dhcp6")',
        'Control-agent: ignored (this daemon reads only "Dhcp6")',
    ]


def test_raw_is_the_dhcp6_object_and_input_is_not_modified() -> None:
    source = json.loads((CONFIGS / "dhcp6-load-balancing.json").read_text())
    before = copy.deepcopy(source)
    config = load_dhcp6(source)
    assert source == before
    assert config.raw == {"Dhcp6": before["Dhcp6"]}


def test_text_with_include(tmp_path: Path) -> None:
    (tmp_path / "subnets.json").write_text('[{"subnet": "2001:db8::/64", "id": 5}]  // included')
    main = tmp_path / "kea-dhcp6.conf"
    main.write_text('{"Dhcp6": {"subnet6": <?include "subnets.json"?>}}')
    assert load_dhcp6_file(str(main)).subnets[0].id == 5


def test_unreadable_file() -> None:
    with pytest.raises(ValueError, match="cannot read the configuration file"):
        load_dhcp6_file("/nonexistent/kea-dhcp6.conf")


def test_a_thousand_subnets_load_well_under_a_second() -> None:
    subnets = []
    for i in range(1000):
        net = f"2001:db8:{i:x}"
        subnets.append(
            {
                "id": i + 1,
                "subnet": f"{net}::/64",
                "pools": [{"pool": f"{net}::100 - {net}::1ff"}],
                "pd-pools": [{"prefix": f"2001:db9:{i:x}::", "prefix-len": 48, "delegated-len": 64}],
                "option-data": [{"name": "dns-servers", "data": f"{net}::53"}],
                "relay": {"ip-addresses": [f"{net}::1"]},
                "reservations": [
                    {"duid": f"00:01:00:01:{i // 256:02x}:{i % 256:02x}:0a:0b", "ip-addresses": [f"{net}::5"]}
                ],
            }
        )
    text = "// generated\n" + json.dumps({"Dhcp6": {"valid-lifetime": 4000, "subnet6": subnets}}, indent=1)
    start = time.process_time()  # CPU time: stable on a loaded machine
    config = load_dhcp6(text)
    elapsed = time.process_time() - start
    assert len(config.subnets) == 1000
    assert config.subnets[999].option_data[0].data == ipaddress.IPv6Address("2001:db8:3e7::53").packed
    assert elapsed < 0.5, f"{elapsed:.3f} s"


def test_an_empty_interface_or_interface_id_does_not_count() -> None:
    # Kea accepts either alongside the other when empty.
    for subnet in ({"interface": "eth0", "interface-id": ""}, {"interface": "", "interface-id": "x"}):
        config = load({"subnet6": [{"subnet": "2001:db8::/64", **subnet}]})
        assert (config.subnets[0].interface, config.subnets[0].interface_id) == (
            subnet["interface"],
            subnet["interface-id"].encode(),
        )
