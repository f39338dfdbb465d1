"""Every refusal names the offending key's path; the texts below are exact.

Each case is a configuration kea-dhcp4 2.2.0 refuses too (checked with `kea-dhcp4 -t`), except
the four marked "stricter": two where Kea silently wraps a uint32, two that `kea-dhcp4 -t` does not
check but a starting Kea fails on (the control socket type, the HA hook's own parameters).
"""

from __future__ import annotations

from typing import Any

import pytest

from hakea.config.dhcp4 import load_dhcp4
from hakea.config.errors import ConfigError

S: dict[str, Any] = {"subnet": "192.0.2.0/24"}
MAC = "aa:bb:cc:dd:ee:ff"


def sub(**extra: Any) -> dict[str, Any]:
    return {"subnet4": [{**S, **extra}]}


def res(*entries: dict[str, Any]) -> dict[str, Any]:
    return sub(reservations=list(entries))


HA_PARAMS = {
    "high-availability": [
        {
            "this-server-name": "server9",
            "mode": "load-balancing",
            "peers": [
                {"name": "server1", "url": "http://192.0.2.1:8000/", "role": "primary"},
                {"name": "server2", "url": "http://192.0.2.2:8000/", "role": "secondary"},
            ],
        }
    ]
}

CASES: list[tuple[str, Any, str]] = [
    # -- unknown keys and JSON types
    ("unknown global key", {"foo": 1}, "Dhcp4/foo: unsupported parameter"),
    ("key of a later Kea", {"allocator": "random"}, "Dhcp4/allocator: unsupported parameter"),
    (
        "string for integer",
        {"valid-lifetime": "100"},
        "Dhcp4/valid-lifetime: expected an integer, got string",
    ),
    # Stricter: Kea 2.2 silently wraps out-of-range uint32 values; hakea refuses them.
    (
        "uint32 overflow",
        {"valid-lifetime": 4294967296},
        "Dhcp4/valid-lifetime: 4294967296 is out of range 0..4294967295",
    ),
    ("negative timer (stricter)", {"renew-timer": -1}, "Dhcp4/renew-timer: -1 is out of range 0..4294967295"),
    ("integer for boolean", {"authoritative": 1}, "Dhcp4/authoritative: expected a boolean, got integer"),
    ("map for list", {"subnet4": {}}, "Dhcp4/subnet4: expected a list, got map"),
    ("boolean for real", {"t1-percent": True}, "Dhcp4/t1-percent: expected a real number, got boolean"),
    ("null value", {"server-tag": None}, "Dhcp4/server-tag: expected a string, got null"),
    ("unknown subnet key", sub(foo=1), "Dhcp4/subnet4[0]/foo: unsupported parameter"),
    # -- subnets
    ("subnet missing", {"subnet4": [{"pools": []}]}, "Dhcp4/subnet4[0]/subnet: missing mandatory parameter"),
    (
        "subnet without length",
        {"subnet4": [{"subnet": "192.0.2.0"}]},
        "Dhcp4/subnet4[0]/subnet: '192.0.2.0' is not prefix/len",
    ),
    (
        "prefix length 33",
        {"subnet4": [{"subnet": "192.0.2.0/33"}]},
        "Dhcp4/subnet4[0]/subnet: invalid prefix length in '192.0.2.0/33': must be 0..32",
    ),
    (
        "bad subnet address",
        {"subnet4": [{"subnet": "192.0.02.0/24"}]},
        "Dhcp4/subnet4[0]/subnet: '192.0.02.0' is not a valid IPv4 address",
    ),
    (
        "duplicate explicit id",
        {"subnet4": [{**S, "id": 1}, {"subnet": "192.0.3.0/24", "id": 1}]},
        "Dhcp4/subnet4[1]/id: ID of the new IPv4 subnet '1' is already in use (by Dhcp4/subnet4[0])",
    ),
    (
        "automatic id collides with an explicit one",
        {"subnet4": [S, {"subnet": "192.0.3.0/24", "id": 1}]},
        "Dhcp4/subnet4[1]/id: ID of the new IPv4 subnet '1' is already in use (by Dhcp4/subnet4[0])",
    ),
    (
        "explicit id taken later by the counter",
        {"subnet4": [{**S, "id": 2}, {"subnet": "192.0.3.0/24"}, {"subnet": "192.0.4.0/24"}]},
        "Dhcp4/subnet4[2]: ID of the new IPv4 subnet '2' is already in use (by Dhcp4/subnet4[0])",
    ),
    (
        "duplicate prefix",
        {"subnet4": [S, {"subnet": "192.0.2.0/24"}]},
        "Dhcp4/subnet4[1]/subnet: subnet with the prefix of '192.0.2.0/24' already exists (Dhcp4/subnet4[0])",
    ),
    (
        "renew after rebind",
        sub(**{"renew-timer": 300, "rebind-timer": 200}),
        "Dhcp4/subnet4[0]/renew-timer: the value of renew-timer (300) is greater than the value of "
        "rebind-timer (200)",
    ),
    (
        "renew after rebind, renew inherited",
        {"renew-timer": 300, **sub(**{"rebind-timer": 200})},
        "Dhcp4/subnet4[0]/renew-timer: the value of renew-timer (300) is greater than the value of "
        "rebind-timer (200)",
    ),
    (
        "min lifetime above the inherited default",
        sub(**{"min-valid-lifetime": 8000}),
        "Dhcp4/subnet4[0]/min-valid-lifetime: the value of min-valid-lifetime (8000) is not less than "
        "(default) valid-lifetime (7200)",
    ),
    (
        "default lifetime outside min..max",
        sub(**{"valid-lifetime": 10, "min-valid-lifetime": 20, "max-valid-lifetime": 30}),
        "Dhcp4/subnet4[0]/valid-lifetime: the value of (default) valid-lifetime (10) is not between "
        "min-valid-lifetime (20) and max-valid-lifetime (30)",
    ),
    (
        "t2-percent out of range",
        sub(**{"calculate-tee-times": True, "t2-percent": 1.5}),
        "Dhcp4/subnet4[0]/t2-percent: 1.5 is invalid, it must be greater than 0.0 and less than 1.0",
    ),
    (
        "next-server",
        sub(**{"next-server": "1.2.3"}),
        "Dhcp4/subnet4[0]/next-server: '1.2.3' is not a valid IPv4 address",
    ),
    (
        "server-hostname too long",
        sub(**{"server-hostname": "a" * 64}),
        "Dhcp4/subnet4[0]/server-hostname: must be at most 63 bytes long, it is 64",
    ),
    (
        "reservation-mode with reservations-global",
        {"reservation-mode": "all", "reservations-global": True},
        "Dhcp4/reservation-mode: invalid use of both 'reservation-mode' and one of 'reservations-global', "
        "'reservations-in-subnet' or 'reservations-out-of-pool' parameters",
    ),
    (
        "bad reservation-mode",
        {"reservation-mode": "bogus"},
        "Dhcp4/reservation-mode: 'bogus' is not one of: disabled, off, out-of-pool, global, all",
    ),
    (
        "ddns-replace-client-name",
        sub(**{"ddns-replace-client-name": "sometimes"}),
        "Dhcp4/subnet4[0]/ddns-replace-client-name: 'sometimes' is not one of: never, always, when-present, "
        "when-not-present",
    ),
    # -- relay
    (
        "relay with both forms",
        sub(relay={"ip-address": "10.0.0.1", "ip-addresses": ["10.0.0.2"]}),
        "Dhcp4/subnet4[0]/relay: specify either ip-address or ip-addresses, not both",
    ),
    (
        "empty relay",
        sub(relay={}),
        "Dhcp4/subnet4[0]/relay: relay must contain either ip-address or ip-addresses",
    ),
    (
        "IPv6 relay address",
        sub(relay={"ip-addresses": ["10.0.0.1", "2001:db8::1"]}),
        "Dhcp4/subnet4[0]/relay/ip-addresses[1]: '2001:db8::1' is not a valid IPv4 address",
    ),
    # -- pools
    (
        "pool outside its subnet",
        sub(pools=[{"pool": "192.0.3.10 - 192.0.3.20"}]),
        "Dhcp4/subnet4[0]/pools[0]/pool: pool 192.0.3.10-192.0.3.20 does not match the prefix of its subnet "
        "192.0.2.0/24",
    ),
    (
        "pool prefix larger than the subnet",
        sub(pools=[{"pool": "192.0.2.0/23"}]),
        "Dhcp4/subnet4[0]/pools[0]/pool: pool 192.0.2.0-192.0.3.255 does not match the prefix of its subnet "
        "192.0.2.0/24",
    ),
    (
        "pool backwards",
        sub(pools=[{"pool": "192.0.2.30 - 192.0.2.20"}]),
        "Dhcp4/subnet4[0]/pools[0]/pool: '192.0.2.30 - 192.0.2.20': the first address is after the last",
    ),
    (
        "overlapping pools",
        sub(pools=[{"pool": "192.0.2.10 - 192.0.2.20"}, {"pool": "192.0.2.15 - 192.0.2.30"}]),
        "Dhcp4/subnet4[0]/pools[1]/pool: pool 192.0.2.15-192.0.2.30 overlaps with pools[0] "
        "(192.0.2.10-192.0.2.20) in subnet 192.0.2.0/24",
    ),
    (
        "overlapping prefix pool listed first",
        sub(
            pools=[
                {"pool": "192.0.2.0/28"},
                {"pool": "192.0.2.200-192.0.2.210"},
                {"pool": "192.0.2.15-192.0.2.16"},
            ]
        ),
        "Dhcp4/subnet4[0]/pools[2]/pool: pool 192.0.2.15-192.0.2.16 overlaps with pools[0] "
        "(192.0.2.0-192.0.2.15) in subnet 192.0.2.0/24",
    ),
    (
        "bad pool address",
        sub(pools=[{"pool": "192.0.2.300 - 192.0.2.301"}]),
        "Dhcp4/subnet4[0]/pools[0]/pool: '192.0.2.300' is not a valid IPv4 address",
    ),
    (
        "pool text",
        sub(pools=[{"pool": "anywhere"}]),
        "Dhcp4/subnet4[0]/pools[0]/pool: 'anywhere' is neither 'first - last' nor 'prefix/len'",
    ),
    (
        "pool missing",
        sub(pools=[{"client-class": "x"}]),
        "Dhcp4/subnet4[0]/pools[0]/pool: missing mandatory parameter",
    ),
    (
        "unknown pool key",
        sub(pools=[{"pool": "192.0.2.1-192.0.2.2", "foo": 1}]),
        "Dhcp4/subnet4[0]/pools[0]/foo: unsupported parameter",
    ),
    # -- option data and definitions
    (
        "bad routers address",
        sub(**{"option-data": [{"name": "routers", "data": "192.0.3"}]}),
        "Dhcp4/subnet4[0]/option-data[0]/data: '192.0.3' is not a valid IPv4 address for option routers (3)",
    ),
    (
        "unknown option name",
        {"option-data": [{"name": "foo", "data": "1"}]},
        "Dhcp4/option-data[0]/name: definition for the option 'dhcp4.foo' does not exist",
    ),
    (
        "neither name nor code",
        {"option-data": [{"data": "01"}]},
        "Dhcp4/option-data[0]: option data requires one of 'code' or 'name' to be specified",
    ),
    (
        "undefined code in CSV",
        {"option-data": [{"code": 222, "data": "01 02"}]},
        "Dhcp4/option-data[0]/code: definition for the option 'dhcp4' code 222 does not exist; give the data "
        'in hex with "csv-format": false',
    ),
    (
        "name and code disagree",
        {"option-data": [{"name": "routers", "code": 5, "data": "1.2.3.4"}]},
        "Dhcp4/option-data[0]/name: option name 'routers' does not match the definition of code 5: "
        "'dhcp4.name-servers'",
    ),
    (
        "code 256",
        {"option-data": [{"code": 256, "data": "01"}]},
        "Dhcp4/option-data[0]/code: invalid option code '256', it must be between 1 and 254",
    ),
    (
        "bad hex",
        {"option-data": [{"code": 222, "data": "zz", "csv-format": False}]},
        "Dhcp4/option-data[0]/data: 'zz' is not a valid string of hexadecimal digits",
    ),
    (
        "non-array option without data",
        {"option-data": [{"name": "dhcp-lease-time"}]},
        "Dhcp4/option-data[0]/data: no option value specified for option dhcp-lease-time (51)",
    ),
    (
        "never-send is Kea 2.3+",
        {"option-data": [{"name": "routers", "never-send": True}]},
        "Dhcp4/option-data[0]/never-send: unsupported parameter",
    ),
    (
        "option-def overriding a standard option",
        {"option-def": [{"name": "foo", "code": 3, "type": "string"}]},
        "Dhcp4/option-def[0]/code: unable to override definition of option '3' in standard option space "
        "'dhcp4'",
    ),
    (
        "option-def name reused",
        {
            "option-def": [
                {"name": "foo", "code": 222, "type": "string"},
                {"name": "foo", "code": 223, "type": "string"},
            ]
        },
        "Dhcp4/option-def[1]/name: option definition with name 'foo' already exists in space 'dhcp4'",
    ),
    (
        "option-def bad type",
        {"option-def": [{"name": "foo", "code": 222, "type": "bogus"}]},
        "Dhcp4/option-def[0]/type: option definition foo (222): 'bogus' is not a valid option type",
    ),
    (
        "record with one field",
        {"option-def": [{"name": "foo", "code": 222, "type": "record", "record-types": "uint8"}]},
        "Dhcp4/option-def[0]/record-types: invalid number of data fields: 1 specified for the option of type "
        "'record'. Expected at least 2 fields.",
    ),
    (
        "option-def name",
        {"option-def": [{"name": "foo bar", "code": 222, "type": "string"}]},
        "Dhcp4/option-def[0]/name: invalid option name 'foo bar'",
    ),
    (
        "option-def missing type",
        {"option-def": [{"name": "foo", "code": 222}]},
        "Dhcp4/option-def[0]/type: missing mandatory parameter",
    ),
    (
        "class-level option-def is not global",
        {
            "client-classes": [{"name": "a", "option-def": [{"name": "foo", "code": 222, "type": "uint8"}]}],
            "option-data": [{"name": "foo", "data": "1"}],
        },
        "Dhcp4/option-data[0]/name: definition for the option 'dhcp4.foo' does not exist",
    ),
    # -- client classes
    (
        "member of a class defined later",
        {"client-classes": [{"name": "a", "test": "member('b')"}, {"name": "b", "test": "member('ALL')"}]},
        "Dhcp4/client-classes[0]/test: 1:8: client class 'b' is not defined (before this one)",
    ),
    (
        "DROP must be defined",
        {"client-classes": [{"name": "a", "test": "member('DROP')"}]},
        "Dhcp4/client-classes[0]/test: 1:8: client class 'DROP' is not defined (before this one)",
    ),
    (
        "bad expression",
        {"client-classes": [{"name": "a"}, {"name": "b"}, {"name": "c", "test": "1 =="}]},
        "Dhcp4/client-classes[2]/test: 1:5: expected an expression near end of input",
    ),
    (
        "duplicate class",
        {"client-classes": [{"name": "a"}, {"name": "a"}]},
        "Dhcp4/client-classes[1]/name: client class 'a' has already been defined",
    ),
    (
        "class without name",
        {"client-classes": [{"test": "member('ALL')"}]},
        "Dhcp4/client-classes[0]/name: missing mandatory parameter",
    ),
    (
        "built-in class with a test",
        {"client-classes": [{"name": "KNOWN", "test": "member('ALL')"}]},
        "Dhcp4/client-classes[0]/test: built-in class 'KNOWN' test expression must be empty",
    ),
    # -- reservations
    (
        "reservation outside its subnet",
        res({"hw-address": MAC, "ip-address": "10.0.0.1"}),
        "Dhcp4/subnet4[0]/reservations[0]/ip-address: specified reservation '10.0.0.1' is not within the "
        "IPv4 subnet '192.0.2.0/24'",
    ),
    (
        "two identifiers",
        res({"hw-address": MAC, "client-id": "01:aa:bb", "ip-address": "192.0.2.1"}),
        "Dhcp4/subnet4[0]/reservations[0]/client-id: the 'hw-address' and 'client-id' are mutually exclusive",
    ),
    (
        "no identifier",
        res({"ip-address": "192.0.2.1"}),
        "Dhcp4/subnet4[0]/reservations[0]: one of the supported identifiers must be specified for host "
        "reservation: circuit-id, client-id, duid, flex-id, hw-address",
    ),
    (
        "same client twice",
        res(
            {"hw-address": MAC, "ip-address": "192.0.2.1"},
            {"hw-address": MAC.upper(), "ip-address": "192.0.2.2"},
        ),
        "Dhcp4/subnet4[0]/reservations[1]/hw-address: a reservation for hw-address aa:bb:cc:dd:ee:ff already "
        "exists in subnet 192.0.2.0/24",
    ),
    (
        "same address twice",
        res(
            {"hw-address": MAC, "ip-address": "192.0.2.1"}, {"client-id": "01:02", "ip-address": "192.0.2.1"}
        ),
        "Dhcp4/subnet4[0]/reservations[1]/ip-address: address 192.0.2.1 is already reserved in subnet "
        "192.0.2.0/24 (ip-reservations-unique is true)",
    ),
    (
        "same global address twice",
        {
            "reservations": [
                {"hw-address": MAC, "ip-address": "10.0.0.1"},
                {"flex-id": "'x'", "ip-address": "10.0.0.1"},
            ]
        },
        "Dhcp4/reservations[1]/ip-address: address 10.0.0.1 is already reserved in the global reservations "
        "(ip-reservations-unique is true)",
    ),
    (
        "hyphenated hardware address",
        res({"hw-address": "aa-bb-cc-dd-ee-ff", "hostname": "h"}),
        "Dhcp4/subnet4[0]/reservations[0]/hw-address: invalid host identifier value 'aa-bb-cc-dd-ee-ff'",
    ),
    (
        "hardware address too long",
        res({"hw-address": ":".join(["01"] * 21), "hostname": "h"}),
        "Dhcp4/subnet4[0]/reservations[0]/hw-address: hw-address is 21 bytes long, at most 20 are allowed",
    ),
    (
        "reservation of nothing",
        res({"client-id": "01:02", "option-data": []}),
        "Dhcp4/subnet4[0]/reservations[0]: a reservation must reserve at least one resource: hostname, "
        "ip-address, option-data, client-classes, next-server, server-hostname or boot-file-name",
    ),
    (
        "reserving 0.0.0.0",
        res({"hw-address": MAC, "ip-address": "0.0.0.0"}),
        "Dhcp4/subnet4[0]/reservations[0]/ip-address: must not make reservation for the '0.0.0.0' address",
    ),
    (
        "unknown reservation key",
        res({"hw-address": MAC, "hostname": "h", "ip-addresses": []}),
        "Dhcp4/subnet4[0]/reservations[0]/ip-addresses: unsupported parameter",
    ),
    # -- shared networks
    (
        "shared network name",
        {"shared-networks": [{"subnet4": []}]},
        "Dhcp4/shared-networks[0]/name: missing mandatory parameter",
    ),
    (
        "duplicate shared network",
        {"shared-networks": [{"name": "a"}, {"name": "a"}]},
        "Dhcp4/shared-networks[1]/name: duplicate network 'a' found in the configuration "
        "(see Dhcp4/shared-networks[0])",
    ),
    (
        "subnet both plain and shared",
        {"shared-networks": [{"name": "a", "subnet4": [S]}], "subnet4": [S]},
        "Dhcp4/subnet4[0]/subnet: subnet with the prefix of '192.0.2.0/24' already exists "
        "(Dhcp4/shared-networks[0]/subnet4[0])",
    ),
    (
        "pool error inside a shared network",
        {"shared-networks": [{"name": "a", "subnet4": [{**S, "pools": [{"pool": "10.0.0.1-10.0.0.2"}]}]}]},
        "Dhcp4/shared-networks[0]/subnet4[0]/pools[0]/pool: pool 10.0.0.1-10.0.0.2 does not match the prefix "
        "of its subnet 192.0.2.0/24",
    ),
    (
        "renew after rebind at network level",
        {"shared-networks": [{"name": "a", "renew-timer": 20, "rebind-timer": 10}]},
        "Dhcp4/shared-networks[0]/renew-timer: the value of renew-timer (20) is greater than the value of "
        "rebind-timer (10)",
    ),
    # -- service maps
    (
        "socket type",
        {"interfaces-config": {"dhcp-socket-type": "tcp"}},
        "Dhcp4/interfaces-config/dhcp-socket-type: 'tcp' is not one of: raw, udp",
    ),
    (
        "interface address",
        {"interfaces-config": {"interfaces": ["eth0", "eth1/192.0.2.300"]}},
        "Dhcp4/interfaces-config/interfaces[1]: '192.0.2.300' is not a valid IPv4 address",
    ),
    (
        "lease-database type missing",
        {"lease-database": {"persist": False}},
        "Dhcp4/lease-database/type: missing mandatory parameter",
    ),
    (
        "Cassandra is gone in 2.2",
        {"lease-database": {"type": "cql"}},
        "Dhcp4/lease-database/type: 'cql' is not one of: memfile, mysql, postgresql",
    ),
    (
        "no user-context in lease-database",
        {"lease-database": {"type": "memfile", "user-context": {}}},
        "Dhcp4/lease-database/user-context: unsupported parameter",
    ),
    (
        "lfc-interval range",
        {"lease-database": {"type": "memfile", "lfc-interval": 4294967296}},
        "Dhcp4/lease-database/lfc-interval: 4294967296 is out of range 0..4294967295",
    ),
    (
        "control socket type (stricter)",
        {"control-socket": {"socket-type": "tcp", "socket-name": "/tmp/s"}},
        "Dhcp4/control-socket/socket-type: 'tcp' is not one of: unix",
    ),
    (
        "hook without library",
        {"hooks-libraries": [{"parameters": {}}]},
        "Dhcp4/hooks-libraries[0]/library: missing mandatory parameter",
    ),
    (
        "hook entry with a comment",
        {"hooks-libraries": [{"library": "/x/libdhcp_lease_cmds.so", "comment": "c"}]},
        "Dhcp4/hooks-libraries[0]/comment: unsupported parameter",
    ),
    (
        "HA parameters are checked by hakea.ha.config (stricter than -t)",
        {
            "hooks-libraries": [
                {"library": "/x/libdhcp_lease_cmds.so"},
                {"library": "/x/libdhcp_ha.so", "parameters": HA_PARAMS},
            ]
        },
        "Dhcp4/hooks-libraries[1]/parameters/high-availability[0]/this-server-name: no peer configuration "
        "specified for the 'server9'",
    ),
    (
        "max-reclaim-time",
        {"expired-leases-processing": {"max-reclaim-time": 10001}},
        "Dhcp4/expired-leases-processing/max-reclaim-time: 10001 is out of range 0..10000",
    ),
    (
        "multi-threading needs its switch",
        {"multi-threading": {"thread-pool-size": 4}},
        "Dhcp4/multi-threading/enable-multi-threading: missing mandatory parameter",
    ),
    (
        "dhcp-ddns needs enable-updates",
        {"dhcp-ddns": {"server-ip": "127.0.0.1"}},
        "Dhcp4/dhcp-ddns/enable-updates: missing mandatory parameter",
    ),
    (
        "lease-checks",
        {"sanity-checks": {"lease-checks": "bogus"}},
        "Dhcp4/sanity-checks/lease-checks: 'bogus' is not one of: none, warn, fix, fix-del, del",
    ),
    (
        "extended-info-checks is Kea 2.3+",
        {"sanity-checks": {"lease-checks": "fix", "extended-info-checks": "fix"}},
        "Dhcp4/sanity-checks/extended-info-checks: unsupported parameter",
    ),
    (
        "host reservation identifier",
        {"host-reservation-identifiers": ["mac"]},
        "Dhcp4/host-reservation-identifiers[0]: 'mac' is not one of: hw-address, duid, circuit-id, "
        "client-id, flex-id",
    ),
    (
        "logger output key",
        {"loggers": [{"name": "kea-dhcp4", "output-options": []}]},
        "Dhcp4/loggers[0]/output-options: unsupported parameter",
    ),
    (
        "compatibility key of a later Kea",
        {"compatibility": {"ignore-rai-link-selection": True}},
        "Dhcp4/compatibility/ignore-rai-link-selection: unsupported parameter",
    ),
]


@pytest.mark.parametrize(("dhcp4", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_with_path(dhcp4: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_dhcp4({"Dhcp4": dhcp4})
    assert str(err.value) == expected
    assert err.value.path == expected.split(": ", 1)[0]


TOP_CASES: list[tuple[str, Any, str]] = [
    ("not a map", [], '<top level>: expected a map with a "Dhcp4" entry, got list'),
    ("no Dhcp4", {"Control-agent": {}}, 'Dhcp4: the configuration has no "Dhcp4" object'),
    ("unknown object", {"Dhcp4": {}, "Foo": {}}, "Foo: unsupported top-level object"),
    ("Dhcp4 not a map", {"Dhcp4": []}, "Dhcp4: expected a map, got list"),
    ("syntax", '{"Dhcp4": {"a": 1 "b": 2}}', "<string>:1:19: Expecting ',' delimiter"),
    (
        "duplicate key",
        '{"Dhcp4": {"valid-lifetime": 1, "valid-lifetime": 2}}',
        "Dhcp4/valid-lifetime: duplicate 'valid-lifetime' entries in the same map",
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in TOP_CASES], ids=[c[0] for c in TOP_CASES])
def test_refused_at_top_level(source: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_dhcp4(source)
    assert str(err.value) == expected


def test_there_are_enough_error_cases() -> None:
    assert len(CASES) + len(TOP_CASES) >= 30
