"""Valid Kea 2.2 configurations load into the expected Dhcp4Config."""

from __future__ import annotations

import copy
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from hakea.config.dhcp4 import load_dhcp4, load_dhcp4_file
from hakea.config.model import Dhcp4Config, Subnet4

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def ip(text: str) -> int:
    a, b, c, d = (int(x) for x in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def load(dhcp4: dict[str, Any], warnings: list[str] | None = None) -> Dhcp4Config:
    return load_dhcp4({"Dhcp4": dhcp4}, warnings=warnings)


def by_prefix(config: Dhcp4Config, prefix: str) -> Subnet4:
    network, length = prefix.split("/")
    return next(s for s in config.subnets if s.network == ip(network) and s.prefix_len == int(length))


# -- the manual's examples and the sample files


DHCP4_SAMPLES = sorted(
    p.name for p in CONFIGS.glob("*.json") if "ctrl-agent" not in p.name and not p.name.startswith("dhcp6-")
)


@pytest.mark.parametrize("name", DHCP4_SAMPLES)
def test_every_sample_config_loads(name: str) -> None:
    config = load_dhcp4_file(str(CONFIGS / name))
    assert config.subnets
    assert config.raw["Dhcp4"]["subnet4"]


def test_manual_load_balancing() -> None:
    config = load_dhcp4_file(str(CONFIGS / "manual-load-balancing.json"))
    (subnet,) = config.subnets
    assert (subnet.id, subnet.network, subnet.prefix_len) == (1, ip("192.0.3.0"), 24)
    assert [(p.start, p.end, p.client_class) for p in subnet.pools] == [
        (ip("192.0.3.100"), ip("192.0.3.150"), "HA_server1"),
        (ip("192.0.3.200"), ip("192.0.3.250"), "HA_server2"),
    ]
    assert [(o.code, o.data) for o in subnet.option_data] == [(3, bytes([192, 0, 3, 1]))]
    assert subnet.relay_addresses == (ip("10.1.2.3"),)
    assert (subnet.valid_lifetime, subnet.renew_timer, subnet.rebind_timer) == (4000, 1000, 2000)
    assert config.lease_cmds_loaded
    ha = config.ha_parameters
    assert ha is not None
    assert ha["high-availability"][0]["mode"] == "load-balancing"
    assert [p["role"] for p in ha["high-availability"][0]["peers"]] == ["primary", "secondary", "backup"]


def test_manual_hot_standby() -> None:
    config = load_dhcp4_file(str(CONFIGS / "manual-hot-standby.json"))
    ha = config.ha_parameters
    assert ha is not None and ha["high-availability"][0]["mode"] == "hot-standby"
    assert config.subnets[0].pools[0].client_class == "HA_server1"


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("manual-send-lease-updates.json", "send-lease-updates", False),
        ("manual-send-lease-updates.json", "sync-leases", False),
        ("manual-sync-timeout.json", "sync-timeout", 90000),
        ("manual-pause-waiting.json", "state-machine", {"states": [{"state": "waiting", "pause": "once"}]}),
    ],
)
def test_manual_ha_variants_keep_their_parameters(name: str, key: str, value: Any) -> None:
    ha = load_dhcp4_file(str(CONFIGS / name)).ha_parameters
    assert ha is not None
    assert ha["high-availability"][0][key] == value


def test_manual_advanced_classification() -> None:
    warnings: list[str] = []
    config = load_dhcp4_file(str(CONFIGS / "manual-advanced-classification.json"), warnings=warnings)
    assert [c.name for c in config.client_classes] == [
        "phones",
        "laptops",
        "phones_server1",
        "phones_server2",
        "laptops_server1",
        "laptops_server2",
    ]
    assert config.client_classes[2].test == "member('phones') and member('HA_server1')"
    assert [p.client_class for p in config.subnets[0].pools] == [
        "phones_server1",
        "laptops_server1",
        "phones_server2",
        "laptops_server2",
    ]
    # The manual's example has an extraneous comma; Kea 2.2 warns at exactly this place.
    assert warnings == [f"{CONFIGS / 'manual-advanced-classification.json'}:10:52: extraneous comma"]


def test_commented_kea_config() -> None:
    warnings: list[str] = []
    config = load_dhcp4_file(str(CONFIGS / "kea-commented.json"), warnings=warnings)
    assert config.lease_database.name == "/var/lib/kea//kea-leases4#1.csv"
    assert config.interfaces.interfaces == ("eth0",)
    assert (config.valid_lifetime, config.renew_timer, config.rebind_timer) == (4000, 1000, 2000)
    assert [o.name for o in config.option_data] == ["domain-name-servers", "domain-name"]
    (reservation,) = config.subnets[0].reservations
    assert reservation.hw_address == bytes.fromhex("1a1b1c1d1e1f")
    assert reservation.ip_address == ip("192.0.2.201")
    assert reservation.hostname == "printer"
    assert warnings == [f"{CONFIGS / 'kea-commented.json'}:39:110: extraneous comma"]


def test_all_kea_22_keys_load() -> None:
    warnings: list[str] = []
    config = load_dhcp4_file(str(CONFIGS / "kea22-all-keys.json"), warnings=warnings)
    assert [s.id for s in config.subnets] == [1, 2, 10]
    floor1 = config.subnets[2]
    assert floor1.shared_network == "floor1"
    assert (floor1.valid_lifetime, floor1.renew_timer, floor1.rebind_timer) == (3600, 900, 1800)
    assert floor1.calculate_tee_times and floor1.t2_percent == 0.8
    assert floor1.authoritative and not floor1.match_client_id
    assert floor1.next_server == ip("192.0.2.7")
    assert (floor1.server_hostname, floor1.boot_file_name) == ("boot", "pxelinux.0")
    assert floor1.relay_addresses == (ip("10.0.0.1"),)
    assert floor1.interface == "eth0"
    assert config.shared_networks[0].require_client_classes == ("late",)
    assert [(o.name, o.code, o.data) for o in config.option_data] == [
        ("domain-name-servers", 6, bytes([192, 0, 2, 1, 192, 0, 2, 2])),
        ("my-opt", 222, b"\x07"),
        ("my-rec", 223, bytes([1, 192, 0, 2, 9])),
        ("", 224, b"\x01\x02\x03"),
        ("sub-one", 1, b"hello"),
    ]
    assert config.option_data[0].always_send
    assert config.option_data[4].space == "my-space"
    assert config.client_classes[0].option_data[0].data == b"x"
    subnet1 = config.subnets[0]
    assert [r.hw_address is not None or r.client_id is not None for r in subnet1.reservations] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert subnet1.reservations[1].client_id == bytes.fromhex("01112233445566")
    assert subnet1.pools[0].require_client_classes == ("late",)
    assert config.subnets[1].relay_addresses == (ip("10.1.2.3"),)
    assert sum("deprecated" in w for w in warnings) == 1
    assert config.server_tag == "server1"
    assert not config.multi_threading


# -- subnet ids, ordering


def test_automatic_subnet_ids_follow_keas_order() -> None:
    # Observed with kea-dhcp4 2.2.0 (config-get): shared networks' subnets are numbered first, in
    # file order; the counter skips nothing; subnets come out sorted by id, networks by name.
    config = load(
        {
            "subnet4": [
                {"subnet": "10.0.1.0/24"},
                {"subnet": "10.0.2.0/24", "id": 7},
                {"subnet": "10.0.3.0/24"},
            ],
            "shared-networks": [
                {"name": "b", "subnet4": [{"subnet": "10.1.1.0/24"}, {"subnet": "10.1.2.0/24"}]},
                {"name": "a", "subnet4": [{"subnet": "10.2.1.0/24"}]},
            ],
        }
    )
    ids = {
        f"{s.network >> 24}.{(s.network >> 16) & 255}.{(s.network >> 8) & 255}": s.id for s in config.subnets
    }
    assert ids == {"10.1.1": 1, "10.1.2": 2, "10.2.1": 3, "10.0.1": 4, "10.0.3": 5, "10.0.2": 7}
    assert [s.id for s in config.subnets] == [1, 2, 3, 4, 5, 7]
    assert [n.name for n in config.shared_networks] == ["a", "b"]
    assert [s.id for s in config.shared_networks[1].subnets] == [1, 2]
    assert {s.shared_network for s in config.subnets} == {"a", "b", None}


def test_id_zero_means_automatic() -> None:
    assert load({"subnet4": [{"subnet": "10.0.0.0/8", "id": 0}]}).subnets[0].id == 1


def test_pools_are_sorted_by_first_address() -> None:
    config = load(
        {
            "subnet4": [
                {
                    "subnet": "10.0.1.0/24",
                    "pools": [
                        {"pool": "10.0.1.200 - 10.0.1.210"},
                        {"pool": "10.0.1.10-10.0.1.20"},
                        {"pool": "10.0.1.100/30"},
                    ],
                }
            ]
        }
    )
    assert [(p.start, p.end) for p in config.subnets[0].pools] == [
        (ip("10.0.1.10"), ip("10.0.1.20")),
        (ip("10.0.1.100"), ip("10.0.1.103")),
        (ip("10.0.1.200"), ip("10.0.1.210")),
    ]


def test_single_address_pool_and_whole_subnet_pool() -> None:
    config = load(
        {
            "subnet4": [
                {"subnet": "10.0.1.0/24", "pools": [{"pool": "10.0.1.7 - 10.0.1.7"}]},
                {"subnet": "10.0.2.0/24", "pools": [{"pool": "10.0.2.0/24"}]},
            ]
        }
    )
    assert config.subnets[0].pools[0].size == 1
    assert config.subnets[1].pools[0].size == 256


def test_host_bits_are_masked_with_a_warning() -> None:
    warnings: list[str] = []
    subnet = load({"subnet4": [{"subnet": "192.0.2.7/24"}]}, warnings).subnets[0]
    assert subnet.network == ip("192.0.2.0")
    assert subnet.contains(ip("192.0.2.200"))
    assert warnings == ["Dhcp4/subnet4[0]/subnet: '192.0.2.7/24' has host bits set; using 192.0.2.0/24"]


def test_overlapping_pools_of_overlapping_subnets_warn() -> None:
    # Kea 2.2 accepts this (the pools are in different subnets); hakea warns.
    warnings: list[str] = []
    load(
        {
            "subnet4": [
                {"subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.0/28"}]},
                {"subnet": "192.0.2.0/25", "pools": [{"pool": "192.0.2.5 - 192.0.2.6"}]},
            ]
        },
        warnings,
    )
    assert warnings == [
        "Dhcp4/subnet4[1]/pools[0]/pool: overlaps with Dhcp4/subnet4[0]/pools[0] in another subnet"
    ]


# -- inheritance


def test_inheritance_global_shared_network_subnet() -> None:
    config = load(
        {
            "valid-lifetime": 1000,
            "renew-timer": 100,
            "rebind-timer": 200,
            "match-client-id": False,
            "authoritative": True,
            "next-server": "192.0.2.1",
            "boot-file-name": "global.efi",
            "calculate-tee-times": True,
            "t1-percent": 0.4,
            "shared-networks": [
                {
                    "name": "net",
                    "valid-lifetime": 2000,
                    "authoritative": False,
                    "interface": "eth1",
                    "relay": {"ip-address": "10.0.0.1"},
                    "server-hostname": "net-server",
                    "client-class": "net-class",
                    "option-data": [{"name": "domain-name", "data": "net.example"}],
                    "subnet4": [
                        {"subnet": "10.1.0.0/16", "renew-timer": 150, "client-class": "sub-class"},
                        {"subnet": "10.2.0.0/16", "relay": {"ip-addresses": []}, "interface": "eth2"},
                    ],
                }
            ],
            "subnet4": [{"subnet": "10.3.0.0/16", "rebind-timer": 300, "match-client-id": True}],
        }
    )
    s1, s2, s3 = (by_prefix(config, p) for p in ("10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"))
    assert [s.valid_lifetime for s in (s1, s2, s3)] == [2000, 2000, 1000]
    assert [(s.renew_timer, s.rebind_timer) for s in (s1, s2, s3)] == [(150, 200), (100, 200), (100, 300)]
    assert [s.match_client_id for s in (s1, s2, s3)] == [False, False, True]
    assert [s.authoritative for s in (s1, s2, s3)] == [False, False, True]
    assert [s.next_server for s in (s1, s2, s3)] == [ip("192.0.2.1")] * 3
    assert [s.server_hostname for s in (s1, s2, s3)] == ["net-server", "net-server", ""]
    assert [s.boot_file_name for s in (s1, s2, s3)] == ["global.efi"] * 3
    assert [s.calculate_tee_times for s in (s1, s2, s3)] == [True] * 3
    assert [s.t1_percent for s in (s1, s2, s3)] == [0.4] * 3
    assert [s.t2_percent for s in (s1, s2, s3)] == [0.875] * 3
    # relay and interface come from the shared network only; a subnet's own wins
    assert [s.relay_addresses for s in (s1, s2, s3)] == [(ip("10.0.0.1"),), (), ()]
    assert [s.interface for s in (s1, s2, s3)] == ["eth1", "eth2", ""]
    # client-class and option-data stay at their own level (the engine merges option-data)
    assert [s.client_class for s in (s1, s2, s3)] == ["sub-class", None, None]
    assert s1.option_data == () and config.shared_networks[0].option_data[0].data == b"net.example"
    assert config.shared_networks[0].client_class == "net-class"
    assert config.valid_lifetime == 1000 and config.authoritative and not config.match_client_id


def test_kea_defaults() -> None:
    config = load({"subnet4": [{"subnet": "10.0.0.0/8"}]})
    s = config.subnets[0]
    assert (s.valid_lifetime, s.renew_timer, s.rebind_timer) == (7200, None, None)
    assert (s.min_valid_lifetime, s.max_valid_lifetime) == (None, None)
    assert s.match_client_id and not s.authoritative and not s.calculate_tee_times
    assert (s.t1_percent, s.t2_percent) == (0.5, 0.875)
    assert (s.reservation_mode_global, s.reservation_mode_in_subnet) == (False, True)
    assert s.next_server == 0 and s.relay_addresses == () and s.shared_network is None
    assert config.decline_probation_period == 86400 and config.echo_client_id
    assert config.lease_database.type == "memfile" and config.lease_database.persist
    assert config.interfaces.socket_type == "raw" and config.control_socket is None
    assert config.expired_leases_processing.hold_reclaimed_time == 3600
    assert not config.multi_threading and config.hooks_libraries == ()


def test_lifetime_bounds_are_inherited_and_checked() -> None:
    config = load(
        {
            "min-valid-lifetime": 100,
            "max-valid-lifetime": 9000,
            "subnet4": [{"subnet": "10.0.0.0/8", "valid-lifetime": 500}],
        }
    )
    s = config.subnets[0]
    assert (s.min_valid_lifetime, s.valid_lifetime, s.max_valid_lifetime) == (100, 500, 9000)


def test_reservation_mode_becomes_flags_and_is_inherited() -> None:
    warnings: list[str] = []
    config = load(
        {
            "reservation-mode": "global",
            "subnet4": [
                {"subnet": "10.1.0.0/16"},
                {"subnet": "10.2.0.0/16", "reservations-in-subnet": True},
                {"subnet": "10.3.0.0/16", "reservation-mode": "disabled"},
            ],
        },
        warnings,
    )
    flags = [(s.reservation_mode_global, s.reservation_mode_in_subnet) for s in config.subnets]
    assert flags == [(True, False), (True, True), (False, False)]
    assert warnings[0].startswith("Dhcp4/reservation-mode: deprecated")
    assert len(warnings) == 2


def test_timers_not_below_lifetime_warn() -> None:
    warnings: list[str] = []
    load({"valid-lifetime": 100, "rebind-timer": 200, "subnet4": [{"subnet": "10.0.0.0/8"}]}, warnings)
    assert warnings == [
        "Dhcp4/subnet4[0]/rebind-timer: 200 is not less than valid-lifetime (100); it will not be sent"
    ]


# -- options


def test_option_data_forms() -> None:
    config = load(
        {
            "option-def": [
                {"name": "boot-server", "code": 222, "type": "ipv4-address"},
                {"name": "vendor-thing", "code": 2, "type": "uint16", "space": "vendor-space"},
            ],
            "option-data": [
                {"name": "routers"},  # Kea accepts an array option without data
                {"code": 3, "data": "c0000201", "csv-format": False},
                {"code": 250, "data": "0x0102", "csv-format": False},  # no definition: hex only
                {"name": "boot-server", "data": "192.0.2.9", "always-send": True},
                {"code": 222, "name": "boot-server", "data": "192.0.2.10"},
                {"name": "vendor-thing", "space": "vendor-space", "data": "258"},
                {"name": "domain-name", "data": "example.org", "comment": "c", "user-context": {"a": 1}},
            ],
        }
    )
    assert [(o.code, o.name, o.space, o.data, o.always_send) for o in config.option_data] == [
        (3, "routers", "dhcp4", b"", False),
        (3, "routers", "dhcp4", bytes([192, 0, 2, 1]), False),
        (250, "", "dhcp4", b"\x01\x02", False),
        (222, "boot-server", "dhcp4", bytes([192, 0, 2, 9]), True),
        (222, "boot-server", "dhcp4", bytes([192, 0, 2, 10]), False),
        (2, "vendor-thing", "vendor-space", b"\x01\x02", False),
        (15, "domain-name", "dhcp4", b"example.org", False),
    ]


def test_option_data_at_every_level() -> None:
    routers = [{"name": "routers", "data": "10.0.0.1"}]
    config = load(
        {
            "option-data": [{"name": "domain-name", "data": "global"}],
            "client-classes": [{"name": "c", "option-data": [{"name": "domain-name", "data": "class"}]}],
            "reservations": [{"hw-address": "01:02:03:04:05:06", "option-data": routers}],
            "subnet4": [
                {
                    "subnet": "10.0.0.0/8",
                    "option-data": routers,
                    "pools": [
                        {
                            "pool": "10.0.0.10-10.0.0.20",
                            "option-data": [{"name": "domain-name", "data": "pool"}],
                        }
                    ],
                    "reservations": [{"client-id": "01:aa", "option-data": routers}],
                }
            ],
        }
    )
    s = config.subnets[0]
    assert config.option_data[0].data == b"global"
    assert config.client_classes[0].option_data[0].data == b"class"
    assert s.option_data[0].data == bytes([10, 0, 0, 1])
    assert s.pools[0].option_data[0].data == b"pool"
    assert s.reservations[0].option_data[0].code == 3
    assert config.reservations[0].option_data[0].code == 3


def test_class_option_def_is_local_to_the_class() -> None:
    config = load(
        {
            "client-classes": [
                {
                    "name": "pxe",
                    "option-def": [{"name": "pxe-thing", "code": 200, "type": "uint8"}],
                    "option-data": [{"name": "pxe-thing", "data": "5"}],
                }
            ]
        }
    )
    assert config.client_classes[0].option_data[0].data == b"\x05"


# -- classes and reservations


def test_client_classes() -> None:
    config = load(
        {
            "client-classes": [
                {"name": "DROP", "test": "option[61].hex == 0x00"},
                {"name": "ALL", "option-data": [{"name": "domain-name", "data": "x"}]},
                {
                    "name": "pxe",
                    "test": "member('DROP') or member('HA_server1') or member('VENDOR_CLASS_PXE')",
                    "next-server": "192.0.2.5",
                    "server-hostname": "tftp",
                    "boot-file-name": "pxelinux.0",
                    "valid-lifetime": 600,
                    "only-if-required": True,
                },
            ]
        }
    )
    drop, all_, pxe = config.client_classes
    assert drop.test == "option[61].hex == 0x00" and all_.test == ""
    assert (pxe.next_server, pxe.server_hostname, pxe.boot_file_name) == (
        ip("192.0.2.5"),
        "tftp",
        "pxelinux.0",
    )
    assert pxe.valid_lifetime == 600 and pxe.only_if_required


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aa:bb:cc:dd:ee:ff", "aabbccddeeff"),
        ("AABBCCDDEEFF", "aabbccddeeff"),
        ("aa bb cc dd ee ff", "aabbccddeeff"),
        ("a:b:c:d:e:f", "0a0b0c0d0e0f"),
        ("0xaabbccddeeff", "aabbccddeeff"),
    ],
)
def test_hardware_address_forms(text: str, expected: str) -> None:
    config = load({"reservations": [{"hw-address": text, "hostname": "h"}]})
    assert config.reservations[0].hw_address == bytes.fromhex(expected)


def test_client_id_forms_keep_the_type_byte() -> None:
    config = load(
        {
            "reservations": [
                {"client-id": "01:aa:bb:cc:dd:ee:ff", "hostname": "a"},
                {"client-id": "'abc'", "hostname": "b"},
                {"client-id": "0x01aabb", "hostname": "c"},
            ]
        }
    )
    assert [r.client_id for r in config.reservations] == [
        bytes.fromhex("01aabbccddeeff"),
        b"abc",
        b"\x01\xaa\xbb",
    ]


def test_reservation_fields() -> None:
    config = load(
        {
            "subnet4": [
                {
                    "subnet": "192.0.2.0/24",
                    "reservations": [
                        {
                            "hw-address": "01:02:03:04:05:06",
                            "ip-address": "192.0.2.10",
                            "hostname": "host",
                            "client-classes": ["c1", "c2"],
                            "next-server": "192.0.2.1",
                            "server-hostname": "s",
                            "boot-file-name": "f",
                            "user-context": {"x": 1},
                            "comment": "c",
                        }
                    ],
                }
            ]
        }
    )
    r = config.subnets[0].reservations[0]
    assert (r.ip_address, r.hostname, r.client_classes) == (ip("192.0.2.10"), "host", ("c1", "c2"))
    assert (r.next_server, r.server_hostname, r.boot_file_name) == (ip("192.0.2.1"), "s", "f")


def test_other_identifiers_are_kept_without_a_client_match() -> None:
    warnings: list[str] = []
    config = load(
        {
            "subnet4": [
                {"subnet": "192.0.2.0/24", "reservations": [{"flex-id": "'x'", "ip-address": "192.0.2.3"}]}
            ]
        },
        warnings,
    )
    r = config.subnets[0].reservations[0]
    assert (r.hw_address, r.client_id, r.ip_address) == (None, None, ip("192.0.2.3"))
    assert warnings == [
        "Dhcp4/subnet4[0]/reservations[0]/flex-id: hakea does not match clients by flex-id; "
        "reservation kept unused"
    ]


def test_duplicate_reserved_addresses_allowed_when_not_unique() -> None:
    config = load(
        {
            "ip-reservations-unique": False,
            "subnet4": [
                {
                    "subnet": "192.0.2.0/24",
                    "reservations": [
                        {"hw-address": "01:02:03:04:05:06", "ip-address": "192.0.2.1"},
                        {"hw-address": "01:02:03:04:05:07", "ip-address": "192.0.2.1"},
                    ],
                }
            ],
        }
    )
    assert len(config.subnets[0].reservations) == 2


def test_same_client_may_be_reserved_in_two_subnets() -> None:
    r = [{"hw-address": "01:02:03:04:05:06", "hostname": "h"}]
    config = load(
        {
            "subnet4": [
                {"subnet": "10.1.0.0/16", "reservations": r},
                {"subnet": "10.2.0.0/16", "reservations": r},
            ]
        }
    )
    assert [len(s.reservations) for s in config.subnets] == [1, 1]


# -- service maps, top level


def test_service_maps() -> None:
    warnings: list[str] = []
    config = load(
        {
            "interfaces-config": {
                "interfaces": ["eth0", "eth1/192.0.2.1", "*"],
                "dhcp-socket-type": "udp",
                "outbound-interface": "use-routing",
                "re-detect": False,
            },
            "lease-database": {
                "type": "postgresql",
                "name": "kea",
                "host": "db",
                "user": "kea",
                "password": "secret",
                "lfc-interval": 0,
                "max-row-errors": 10,
                "persist": True,
            },
            "control-socket": {"socket-type": "unix", "socket-name": "/run/kea/dhcp4.sock"},
            "expired-leases-processing": {"hold-reclaimed-time": 0, "max-reclaim-leases": 0},
            "multi-threading": {"enable-multi-threading": True, "thread-pool-size": 4},
            "hooks-libraries": [
                {"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so"},
                {"library": "/usr/lib/kea/hooks/libdhcp_legal_log.so", "parameters": {"path": "/var/log"}},
            ],
            "decline-probation-period": 600,
            "echo-client-id": False,
            "dhcp4o6-port": 6767,
        },
        warnings,
    )
    assert config.interfaces.interfaces == ("eth0", "eth1/192.0.2.1", "*")
    assert (config.interfaces.socket_type, config.interfaces.outbound_interface) == ("udp", "use-routing")
    assert not config.interfaces.re_detect
    db = config.lease_database
    assert (db.type, db.name, db.lfc_interval, db.max_row_errors) == ("postgresql", "kea", 0, 10)
    assert dict(db.parameters) == {"host": "db", "user": "kea", "password": "secret"}
    assert config.control_socket is not None and config.control_socket.socket_name == "/run/kea/dhcp4.sock"
    assert config.expired_leases_processing.hold_reclaimed_time == 0
    assert config.expired_leases_processing.reclaim_timer_wait_time == 10
    assert config.multi_threading
    assert config.hooks_libraries[1].parameters == {"path": "/var/log"}
    assert config.lease_cmds_loaded and config.ha_parameters is None
    assert (config.decline_probation_period, config.echo_client_id, config.dhcp4o6_port) == (600, False, 6767)
    assert warnings == [
        "Dhcp4/hooks-libraries[1]/library: hakea provides lease_cmds and ha only; "
        "'/usr/lib/kea/hooks/libdhcp_legal_log.so' is ignored"
    ]


def test_ha_without_lease_cmds_warns(caplog: pytest.LogCaptureFixture) -> None:
    params = json.loads((CONFIGS / "manual-sync-timeout.json").read_text())["Dhcp4"]["hooks-libraries"][1]
    with caplog.at_level(logging.WARNING, logger="hakea.config"):
        load({"hooks-libraries": [params]})
    assert caplog.messages == [
        "Dhcp4/hooks-libraries: the ha library is loaded without lease_cmds, which Kea's HA needs"
    ]


def test_other_daemons_sections_are_ignored_with_a_warning() -> None:
    warnings: list[str] = []
    config = load_dhcp4(
        {"Dhcp4": {"valid-lifetime": 10}, "Control-agent": {}, "Logging": {}, "DhcpDdns": {}, "Dhcp6": {}},
        warnings=warnings,
    )
    assert config.valid_lifetime == 10
    assert warnings == [
        'Control-agent: ignored (this daemon reads only "Dhcp4")',
        'Logging: ignored (this daemon reads only "Dhcp4")',
        'DhcpDdns: ignored (this daemon reads only "Dhcp4")',
        'Dhcp6: ignored (this daemon reads only "Dhcp4")',
    ]


def test_raw_is_the_dhcp4_object_and_input_is_not_modified() -> None:
    source = json.loads((CONFIGS / "kea22-all-keys.json").read_text().split("\n", 2)[2])
    before = copy.deepcopy(source)
    config = load_dhcp4(source)
    assert source == before
    assert config.raw == {"Dhcp4": before["Dhcp4"]}


def test_text_with_include(tmp_path: Path) -> None:
    (tmp_path / "subnets.json").write_text('[{"subnet": "192.0.2.0/24", "id": 5}]')
    main = tmp_path / "kea.conf"
    main.write_text('{"Dhcp4": {"subnet4": <?include "subnets.json"?>}}')
    assert load_dhcp4_file(str(main)).subnets[0].id == 5


def test_a_thousand_subnets_load_well_under_a_second() -> None:
    subnets = []
    for i in range(1000):
        net = f"10.{i // 256}.{i % 256}"
        subnets.append(
            {
                "id": i + 1,
                "subnet": f"{net}.0/24",
                "pools": [{"pool": f"{net}.10 - {net}.200"}],
                "option-data": [{"name": "routers", "data": f"{net}.1"}],
                "relay": {"ip-addresses": [f"{net}.254"]},
                "reservations": [
                    {"hw-address": f"02:00:00:00:{i // 256:02x}:{i % 256:02x}", "ip-address": f"{net}.5"}
                ],
            }
        )
    text = "// generated\n" + json.dumps({"Dhcp4": {"valid-lifetime": 4000, "subnet4": subnets}}, indent=1)
    start = time.process_time()  # CPU time: stable on a loaded machine
    config = load_dhcp4(text)
    elapsed = time.process_time() - start
    assert len(config.subnets) == 1000
    assert config.subnets[999].option_data[0].data == bytes([10, 3, 231, 1])
    assert elapsed < 0.5, f"{elapsed:.3f} s"
