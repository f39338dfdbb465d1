"""Every refusal names the offending key's path; the texts below are exact.

Each case is a configuration kea-dhcp6 2.2.0 refuses too (test_kea6_agrees.py checks that against
the installed kea-dhcp6), except those marked kea=False, where hakea is stricter than
`kea-dhcp6 -t`: a delegated-len above 128, a control socket without a name and the HA hook's own
parameters (the -t check does not look at the last two; a starting Kea does).
Where Kea's own message is usable it is kept; otherwise the text says what is wrong in the same
terms, and always names the key.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from hakea.config.dhcp6 import load_dhcp6
from hakea.config.errors import ConfigError

S6: dict[str, Any] = {"subnet": "2001:db8:1::/64"}
DUID = "01:02:03:04:05:06"
# Where Debian installs Kea's hooks; the cross-check with kea-dhcp6 needs them to exist.
LIB = "/usr/lib/x86_64-linux-gnu/kea/hooks/"


def sub(**extra: Any) -> dict[str, Any]:
    return {"subnet6": [{**S6, **extra}]}


def res(*entries: dict[str, Any]) -> dict[str, Any]:
    return sub(reservations=list(entries))


def pd(**extra: Any) -> dict[str, Any]:
    return sub(**{"pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64, **extra}]})


def sn(net: dict[str, Any], *subnets: dict[str, Any]) -> dict[str, Any]:
    return {"shared-networks": [{"name": "net", **net, "subnet6": list(subnets)}]}


HA_PARAMS: dict[str, Any] = {
    "high-availability": [
        {
            "this-server-name": "server9",
            "mode": "load-balancing",
            "peers": [
                {"name": "server1", "url": "http://[2001:db8::1]:8000/", "role": "primary"},
                {"name": "server2", "url": "http://[2001:db8::2]:8000/", "role": "secondary"},
            ],
        }
    ]
}


class Case(NamedTuple):
    name: str
    dhcp6: dict[str, Any]
    expected: str
    kea: bool  # kea-dhcp6 -t refuses it too


def case(name: str, dhcp6: dict[str, Any], expected: str, kea: bool = True) -> Case:
    return Case(name, dhcp6, expected, kea)


CASES: list[Case] = [
    case("unknown global key", {"foo": 1}, "Dhcp6/foo: unsupported parameter"),
    case("v4 key", {"match-client-id": True}, "Dhcp6/match-client-id: unsupported parameter"),
    case("later kea key", {"pd-allocator": "random"}, "Dhcp6/pd-allocator: unsupported parameter"),
    case("global rapid-commit", {"rapid-commit": True}, "Dhcp6/rapid-commit: unsupported parameter"),
    case("subnet4 in Dhcp6", {"subnet4": []}, "Dhcp6/subnet4: unsupported parameter"),
    case(
        "string for int",
        {"preferred-lifetime": "100"},
        "Dhcp6/preferred-lifetime: expected an integer, got string",
    ),
    case("bool for real", {"t1-percent": True}, "Dhcp6/t1-percent: expected a real number, got boolean"),
    case(
        "next-server in subnet",
        sub(**{"next-server": "10.0.0.1"}),
        "Dhcp6/subnet6[0]/next-server: unsupported parameter",
    ),
    case(
        "subnet missing", {"subnet6": [{"pools": []}]}, "Dhcp6/subnet6[0]/subnet: missing mandatory parameter"
    ),
    case(
        "subnet v4",
        {"subnet6": [{"subnet": "10.0.0.0/8"}]},
        "Dhcp6/subnet6[0]/subnet: '10.0.0.0' is not a valid IPv6 address",
    ),
    case(
        "subnet no len",
        {"subnet6": [{"subnet": "2001:db8::"}]},
        "Dhcp6/subnet6[0]/subnet: '2001:db8::' is not prefix/len",
    ),
    case(
        "subnet len 129",
        {"subnet6": [{"subnet": "2001:db8::/129"}]},
        "Dhcp6/subnet6[0]/subnet: invalid prefix length in '2001:db8::/129': must be 0..128",
    ),
    case(
        "dup prefix",
        {"subnet6": [S6, {"subnet": "2001:db8:1::/64"}]},
        "Dhcp6/subnet6[1]/subnet: subnet with the prefix of '2001:db8:1::/64' already exists "
        "(Dhcp6/subnet6[0])",
    ),
    case(
        "dup id",
        {"subnet6": [{**S6, "id": 1}, {"subnet": "2001:db8:2::/64", "id": 1}]},
        "Dhcp6/subnet6[1]/id: ID of the new IPv6 subnet '1' is already in use (by Dhcp6/subnet6[0])",
    ),
    case(
        "auto id collides",
        {"subnet6": [{**S6, "id": 2}, {"subnet": "2001:db8:2::/64"}, {"subnet": "2001:db8:3::/64"}]},
        "Dhcp6/subnet6[2]: ID of the new IPv6 subnet '2' is already in use (by Dhcp6/subnet6[0])",
    ),
    case("id too large", sub(id=4294967295), "Dhcp6/subnet6[0]/id: 4294967295 is out of range 0..4294967294"),
    case(
        "pool outside",
        sub(pools=[{"pool": "2001:db8:2::1 - 2001:db8:2::5"}]),
        "Dhcp6/subnet6[0]/pools[0]/pool: pool 2001:db8:2::1-2001:db8:2::5 does not match the prefix of its "
        "subnet 2001:db8:1::/64",
    ),
    case(
        "pool overlap",
        sub(pools=[{"pool": "2001:db8:1::1 - 2001:db8:1::5"}, {"pool": "2001:db8:1::5 - 2001:db8:1::9"}]),
        "Dhcp6/subnet6[0]/pools[1]/pool: pool 2001:db8:1::5-2001:db8:1::9 overlaps with pools[0] "
        "(2001:db8:1::1-2001:db8:1::5) in subnet 2001:db8:1::/64",
    ),
    case(
        "pool reversed",
        sub(pools=[{"pool": "2001:db8:1::9 - 2001:db8:1::1"}]),
        "Dhcp6/subnet6[0]/pools[0]/pool: '2001:db8:1::9 - 2001:db8:1::1': the first address is after the "
        "last",
    ),
    case(
        "pool garbage",
        sub(pools=[{"pool": "foo"}]),
        "Dhcp6/subnet6[0]/pools[0]/pool: 'foo' is neither 'first - last' nor 'prefix/len'",
    ),
    case(
        "pool len 0",
        sub(pools=[{"pool": "2001:db8:1::/0"}]),
        "Dhcp6/subnet6[0]/pools[0]/pool: invalid prefix length in '2001:db8:1::/0': must be 1..128",
    ),
    case(
        "pool v4",
        sub(pools=[{"pool": "10.0.0.1 - 10.0.0.9"}]),
        "Dhcp6/subnet6[0]/pools[0]/pool: '10.0.0.1' is not a valid IPv6 address",
    ),
    case(
        "pool missing",
        sub(pools=[{"client-class": "x"}]),
        "Dhcp6/subnet6[0]/pools[0]/pool: missing mandatory parameter",
    ),
    case(
        "pd missing prefix-len",
        sub(**{"pd-pools": [{"prefix": "2001:db8:8::", "delegated-len": 64}]}),
        "Dhcp6/subnet6[0]/pd-pools[0]/prefix-len: missing mandatory parameter",
    ),
    case(
        "pd missing delegated-len",
        sub(**{"pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56}]}),
        "Dhcp6/subnet6[0]/pd-pools[0]/delegated-len: missing mandatory parameter",
    ),
    case(
        "pd delegated < prefix",
        pd(**{"delegated-len": 48}),
        "Dhcp6/subnet6[0]/pd-pools[0]/delegated-len: delegated-len (48) must be greater than or equal to "
        "prefix-len (56)",
    ),
    case(
        "pd prefix-len 0",
        pd(**{"prefix-len": 0}),
        "Dhcp6/subnet6[0]/pd-pools[0]/prefix-len: 0 is invalid, it must be 1..128",
    ),
    case(
        "pd prefix-len 129",
        pd(**{"prefix-len": 129, "delegated-len": 130}),
        "Dhcp6/subnet6[0]/pd-pools[0]/prefix-len: 129 is invalid, it must be 1..128",
    ),
    case(
        "pd delegated 129 (stricter)",
        pd(**{"delegated-len": 129}),
        "Dhcp6/subnet6[0]/pd-pools[0]/delegated-len: 129 is invalid, it must be at most 128",
        kea=False,
    ),
    case(
        "pd prefix-len 300",
        pd(**{"prefix-len": 300}),
        "Dhcp6/subnet6[0]/pd-pools[0]/prefix-len: 300 is out of range 0..255",
    ),
    case(
        "pd prefix with length",
        pd(prefix="2001:db8:8::/56"),
        "Dhcp6/subnet6[0]/pd-pools[0]/prefix: '2001:db8:8::/56' is not a valid IPv6 address",
    ),
    case(
        "pd v4 prefix",
        pd(prefix="10.0.0.0"),
        "Dhcp6/subnet6[0]/pd-pools[0]/prefix: '10.0.0.0' is not a valid IPv6 address",
    ),
    case(
        "pd overlap",
        sub(
            **{
                "pd-pools": [
                    {"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64},
                    {"prefix": "2001:db8:8:80::", "prefix-len": 57, "delegated-len": 64},
                ]
            }
        ),
        "Dhcp6/subnet6[0]/pd-pools[1]/prefix: pd-pool 2001:db8:8:80::-2001:db8:8:ff:ffff:ffff:ffff:ffff "
        "overlaps with pd-pools[0] (2001:db8:8::-2001:db8:8:ff:ffff:ffff:ffff:ffff) in subnet "
        "2001:db8:1::/64",
    ),
    case(
        "pd excluded len only prefix",
        pd(**{"excluded-prefix": "2001:db8:8::"}),
        "Dhcp6/subnet6[0]/pd-pools[0]/excluded-prefix-len: an excluded-prefix needs an excluded-prefix-len "
        "greater than delegated-len (64)",
    ),
    case(
        "pd excluded not longer",
        pd(**{"excluded-prefix": "2001:db8:8::", "excluded-prefix-len": 64}),
        "Dhcp6/subnet6[0]/pd-pools[0]/excluded-prefix-len: 64 is invalid, it must be greater than "
        "delegated-len (64)",
    ),
    case(
        "pd excluded outside",
        pd(**{"excluded-prefix": "2001:db8:9::", "excluded-prefix-len": 72}),
        "Dhcp6/subnet6[0]/pd-pools[0]/excluded-prefix: excluded prefix 2001:db8:9::/72 must have the same "
        "common prefix part of 64 as the delegated prefix 2001:db8:8::/64",
    ),
    case(
        "pd excluded only len",
        pd(**{"excluded-prefix-len": 72}),
        "Dhcp6/subnet6[0]/pd-pools[0]/excluded-prefix: excluded prefix ::/72 must have the same common "
        "prefix part of 64 as the delegated prefix 2001:db8:8::/64",
    ),
    case(
        "pd excluded len 129",
        pd(**{"excluded-prefix": "2001:db8:8::", "excluded-prefix-len": 129}),
        "Dhcp6/subnet6[0]/pd-pools[0]/excluded-prefix-len: 129 is invalid, it must be at most 128",
    ),
    case("pd unknown key", pd(pool="x"), "Dhcp6/subnet6[0]/pd-pools[0]/pool: unsupported parameter"),
    case(
        "iface and iface-id",
        sub(interface="eth0", **{"interface-id": "foo"}),
        "Dhcp6/subnet6[0]/interface-id: interface (defined for locally reachable subnets) and interface-id "
        "(defined for subnets reachable via relays) cannot be defined at the same time for subnet "
        "2001:db8:1::/64",
    ),
    case(
        "relay v4",
        sub(relay={"ip-addresses": ["10.0.0.1"]}),
        "Dhcp6/subnet6[0]/relay/ip-addresses[0]: '10.0.0.1' is not a valid IPv6 address",
    ),
    case(
        "relay both",
        sub(relay={"ip-address": "2001:db8::1", "ip-addresses": ["2001:db8::2"]}),
        "Dhcp6/subnet6[0]/relay: specify either ip-address or ip-addresses, not both",
    ),
    case(
        "relay neither",
        sub(relay={}),
        "Dhcp6/subnet6[0]/relay: relay must contain either ip-address or ip-addresses",
    ),
    case(
        "renew > rebind",
        sub(**{"renew-timer": 300, "rebind-timer": 200}),
        "Dhcp6/subnet6[0]/renew-timer: the value of renew-timer (300) is greater than the value of "
        "rebind-timer (200)",
    ),
    case(
        "min-preferred above default",
        sub(**{"min-preferred-lifetime": 4000}),
        "Dhcp6/subnet6[0]/min-preferred-lifetime: the value of min-preferred-lifetime (4000) is not less "
        "than (default) preferred-lifetime (3600)",
    ),
    case(
        "min > max preferred",
        sub(**{"min-preferred-lifetime": 4000, "max-preferred-lifetime": 3000}),
        "Dhcp6/subnet6[0]/min-preferred-lifetime: the value of min-preferred-lifetime (4000) is not less "
        "than max-preferred-lifetime (3000)",
    ),
    case(
        "preferred outside bounds",
        sub(**{"min-preferred-lifetime": 1000, "max-preferred-lifetime": 3000}),
        "Dhcp6/subnet6[0]/preferred-lifetime: the value of (default) preferred-lifetime (3600) is not "
        "between min-preferred-lifetime (1000) and max-preferred-lifetime (3000)",
    ),
    case(
        "preferred checked before valid",
        sub(**{"min-valid-lifetime": 9000, "min-preferred-lifetime": 9000}),
        "Dhcp6/subnet6[0]/min-preferred-lifetime: the value of min-preferred-lifetime (9000) is not less "
        "than (default) preferred-lifetime (3600)",
    ),
    case(
        "global max-valid",
        {"max-valid-lifetime": 1},
        "Dhcp6/max-valid-lifetime: the value of (default) valid-lifetime (7200) is not less than "
        "max-valid-lifetime (1)",
    ),
    case(
        "t1 >= t2 (tee times on by default)",
        sub(**{"t1-percent": 0.9, "t2-percent": 0.8}),
        "Dhcp6/subnet6[0]/t1-percent: 0.9 is invalid, it must be less than t2-percent: 0.8",
    ),
    case(
        "t2 1.5",
        sub(**{"t2-percent": 1.5}),
        "Dhcp6/subnet6[0]/t2-percent: 1.5 is invalid, it must be greater than 0.0 and less than 1.0",
    ),
    case(
        "sn interfaces differ",
        sn({}, {**S6, "interface": "eth0"}, {"subnet": "2001:db8:2::/64", "interface": "eth1"}),
        "Dhcp6/shared-networks[0]/subnet6[1]/interface: subnet 2001:db8:2::/64 has specified interface "
        "eth1, but earlier subnet in the same shared-network or the shared-network itself used eth0",
    ),
    case(
        "sn iface vs subnet iface",
        sn({"interface": "eth0"}, {**S6, "interface": "eth1"}),
        "Dhcp6/shared-networks[0]/subnet6[0]/interface: subnet 2001:db8:1::/64 has specified interface "
        "eth1, but earlier subnet in the same shared-network or the shared-network itself used eth0",
    ),
    case(
        "sn rapid-commit differ",
        sn({}, S6, {"subnet": "2001:db8:2::/64", "rapid-commit": True}),
        "Dhcp6/shared-networks[0]/subnet6[1]/rapid-commit: all subnets in a shared network must have the "
        "same rapid-commit value: subnet 2001:db8:2::/64 has rapid-commit true, but earlier subnet in the "
        "same shared-network or the shared-network itself used rapid-commit false",
    ),
    case(
        "sn iface and iface-id",
        sn({"interface": "eth0", "interface-id": "x"}, S6),
        "Dhcp6/shared-networks[0]/interface-id: interface (defined for locally reachable subnets) and "
        "interface-id (defined for subnets reachable via relays) cannot be defined at the same time for "
        "shared network net",
    ),
    case(
        "sn no name",
        {"shared-networks": [{"subnet6": []}]},
        "Dhcp6/shared-networks[0]/name: missing mandatory parameter",
    ),
    case(
        "sn dup name",
        {"shared-networks": [{"name": "a", "subnet6": []}, {"name": "a", "subnet6": []}]},
        "Dhcp6/shared-networks[1]/name: duplicate network 'a' found in the configuration (see "
        "Dhcp6/shared-networks[0])",
    ),
    case(
        "sn subnet4",
        {"shared-networks": [{"name": "a", "subnet4": []}]},
        "Dhcp6/shared-networks[0]/subnet4: unsupported parameter",
    ),
    case(
        "sn relay v4",
        sn({"relay": {"ip-address": "10.0.0.1"}}, S6),
        "Dhcp6/shared-networks[0]/relay/ip-address: '10.0.0.1' is not a valid IPv6 address",
    ),
    case(
        "sn min-preferred",
        sn({"min-preferred-lifetime": 4000}, S6),
        "Dhcp6/shared-networks[0]/min-preferred-lifetime: the value of min-preferred-lifetime (4000) is not "
        "less than (default) preferred-lifetime (3600)",
    ),
    case(
        "res no id",
        res({"ip-addresses": ["2001:db8:1::5"]}),
        "Dhcp6/subnet6[0]/reservations[0]: one of the supported identifiers must be specified for host "
        "reservation: duid, flex-id, hw-address",
    ),
    case(
        "res two ids",
        res({"duid": DUID, "hw-address": "01:02:03:04:05:06", "hostname": "h"}),
        "Dhcp6/subnet6[0]/reservations[0]/hw-address: the 'hw-address' and 'duid' are mutually exclusive",
    ),
    case(
        "res client-id",
        res({"client-id": DUID, "hostname": "h"}),
        "Dhcp6/subnet6[0]/reservations[0]/client-id: unsupported parameter",
    ),
    case(
        "res ip-address (v4 key)",
        res({"duid": DUID, "ip-address": "2001:db8:1::5"}),
        "Dhcp6/subnet6[0]/reservations[0]/ip-address: unsupported parameter",
    ),
    case(
        "res nothing",
        res({"duid": DUID}),
        "Dhcp6/subnet6[0]/reservations[0]: a reservation must reserve at least one resource: hostname, "
        "ip-addresses, prefixes, option-data or client-classes",
    ),
    case(
        "res empty lists",
        res({"duid": DUID, "ip-addresses": [], "hostname": ""}),
        "Dhcp6/subnet6[0]/reservations[0]: a reservation must reserve at least one resource: hostname, "
        "ip-addresses, prefixes, option-data or client-classes",
    ),
    case(
        "res outside",
        res({"duid": DUID, "ip-addresses": ["2001:db8:2::5"]}),
        "Dhcp6/subnet6[0]/reservations[0]/ip-addresses[0]: specified reservation '2001:db8:2::5' is not "
        "within the IPv6 subnet '2001:db8:1::/64'",
    ),
    case(
        "res v4 address",
        res({"duid": DUID, "ip-addresses": ["10.0.0.1"]}),
        "Dhcp6/subnet6[0]/reservations[0]/ip-addresses[0]: '10.0.0.1' is not a valid IPv6 address",
    ),
    case(
        "res multicast",
        res({"duid": DUID, "ip-addresses": ["ff02::1"]}),
        "Dhcp6/subnet6[0]/reservations[0]/ip-addresses[0]: 'ff02::1' is a multicast address, it cannot be "
        "reserved",
    ),
    case(
        "res address twice",
        res({"duid": DUID, "ip-addresses": ["2001:db8:1::5", "2001:db8:1::5"]}),
        "Dhcp6/subnet6[0]/reservations[0]/ip-addresses[1]: address 2001:db8:1::5 is reserved twice in this "
        "reservation",
    ),
    case(
        "res address in two",
        res(
            {"duid": DUID, "ip-addresses": ["2001:db8:1::5"]},
            {"duid": "01:02", "ip-addresses": ["2001:db8:1::5"]},
        ),
        "Dhcp6/subnet6[0]/reservations[1]/ip-addresses[0]: address 2001:db8:1::5 is already reserved in "
        "subnet 2001:db8:1::/64 (ip-reservations-unique is true)",
    ),
    case(
        "res prefix in two, other length",
        res(
            {"duid": DUID, "prefixes": ["2001:db8:9::/64"]},
            {"duid": "01:02", "prefixes": ["2001:db8:9::/56"]},
        ),
        "Dhcp6/subnet6[0]/reservations[1]/prefixes[0]: prefix 2001:db8:9::/56 is already reserved in subnet "
        "2001:db8:1::/64 (ip-reservations-unique is true)",
    ),
    case(
        "res dup duid",
        res({"duid": DUID, "hostname": "a"}, {"duid": DUID, "hostname": "b"}),
        "Dhcp6/subnet6[0]/reservations[1]/duid: a reservation for duid 01:02:03:04:05:06 already exists in "
        "subnet 2001:db8:1::/64",
    ),
    case(
        "res prefix no len",
        res({"duid": DUID, "prefixes": ["2001:db8:9::"]}),
        "Dhcp6/subnet6[0]/reservations[0]/prefixes[0]: prefix reservation requires prefix length be "
        "specified in '2001:db8:9::'",
    ),
    case(
        "res prefix len 129",
        res({"duid": DUID, "prefixes": ["2001:db8:9::/129"]}),
        "Dhcp6/subnet6[0]/reservations[0]/prefixes[0]: invalid prefix length in '2001:db8:9::/129': must be "
        "0..128",
    ),
    case(
        "res bad duid",
        res({"duid": "zz", "hostname": "h"}),
        "Dhcp6/subnet6[0]/reservations[0]/duid: invalid host identifier value 'zz'",
    ),
    case(
        "res duid too long",
        res({"duid": ":".join(["01"] * 129), "hostname": "h"}),
        "Dhcp6/subnet6[0]/reservations[0]/duid: duid is 129 bytes long, at most 128 are allowed",
    ),
    case(
        "res address not string",
        res({"duid": DUID, "ip-addresses": [5]}),
        "Dhcp6/subnet6[0]/reservations[0]/ip-addresses[0]: expected a string, got integer",
    ),
    case(
        "global res dup address",
        {
            "reservations": [
                {"duid": DUID, "ip-addresses": ["2001:db8::1"]},
                {"duid": "01:02", "ip-addresses": ["2001:db8::1"]},
            ]
        },
        "Dhcp6/reservations[1]/ip-addresses[0]: address 2001:db8::1 is already reserved in the global "
        "reservations (ip-reservations-unique is true)",
    ),
    case(
        "od unknown name",
        sub(**{"option-data": [{"name": "foo", "data": "1"}]}),
        "Dhcp6/subnet6[0]/option-data[0]/name: definition for the option 'dhcp6.foo' does not exist",
    ),
    case(
        "od v4 name",
        {"option-data": [{"name": "routers", "data": "10.0.0.1"}]},
        "Dhcp6/option-data[0]/name: definition for the option 'dhcp6.routers' does not exist",
    ),
    case(
        "od code 0",
        {"option-data": [{"code": 0, "data": "01", "csv-format": False}]},
        "Dhcp6/option-data[0]/code: invalid option code '0': reserved value",
    ),
    case(
        "od code 70000",
        {"option-data": [{"code": 70000, "data": "01", "csv-format": False}]},
        "Dhcp6/option-data[0]/code: invalid option code '70000', it must be between 1 and 65535",
    ),
    case(
        "od bad address",
        {"option-data": [{"name": "dns-servers", "data": "10.0.0.1"}]},
        "Dhcp6/option-data[0]/data: '10.0.0.1' is not a valid IPv6 address for option dns-servers (23)",
    ),
    case(
        "od name code mismatch",
        {"option-data": [{"name": "dns-servers", "code": 24, "data": "2001:db8::1"}]},
        "Dhcp6/option-data[0]/name: option name 'dns-servers' does not match the definition of code 24: "
        "'dhcp6.domain-search'",
    ),
    case(
        "od no name no code",
        {"option-data": [{"data": "01"}]},
        "Dhcp6/option-data[0]: option data requires one of 'code' or 'name' to be specified",
    ),
    case(
        "od in pd-pool",
        pd(**{"option-data": [{"name": "dns-servers", "data": "zz"}]}),
        "Dhcp6/subnet6[0]/pd-pools[0]/option-data[0]/data: 'zz' is not a valid IPv6 address for option "
        "dns-servers (23)",
    ),
    case(
        "odef std name",
        {"option-def": [{"name": "dns-servers", "code": 300, "type": "uint8"}]},
        "Dhcp6/option-def[0]/name: unable to override definition of option 'dns-servers' in standard option "
        "space 'dhcp6'",
    ),
    case(
        "odef std code",
        {"option-def": [{"name": "foo", "code": 23, "type": "uint8"}]},
        "Dhcp6/option-def[0]/code: unable to override definition of option '23' in standard option space "
        "'dhcp6'",
    ),
    case(
        "odef code 0",
        {"option-def": [{"name": "foo", "code": 0, "type": "uint8"}]},
        "Dhcp6/option-def[0]/code: invalid option code '0': reserved value",
    ),
    case(
        "class v4 expr",
        {"client-classes": [{"name": "a", "test": "pkt4.mac == 0x01"}]},
        "Dhcp6/client-classes[0]/test: 1:1: pkt4 can only be used in DHCPv4",
    ),
    case(
        "class undefined member",
        {"client-classes": [{"name": "a", "test": "member('b')"}]},
        "Dhcp6/client-classes[0]/test: 1:8: client class 'b' is not defined (before this one)",
    ),
    case(
        "class dup",
        {"client-classes": [{"name": "a"}, {"name": "a"}]},
        "Dhcp6/client-classes[1]/name: client class 'a' has already been defined",
    ),
    case(
        "class next-server",
        {"client-classes": [{"name": "a", "next-server": "10.0.0.1"}]},
        "Dhcp6/client-classes[0]/next-server: unsupported parameter",
    ),
    case(
        "class option-def",
        {"client-classes": [{"name": "a", "option-def": []}]},
        "Dhcp6/client-classes[0]/option-def: unsupported parameter",
    ),
    case(
        "class v4 option",
        {"client-classes": [{"name": "a", "test": "option[host-name].exists"}]},
        "Dhcp6/client-classes[0]/test: 1:8: option 'host-name' is not defined",
    ),
    case(
        "class preferred bounds",
        {"client-classes": [{"name": "a", "preferred-lifetime": 100, "min-preferred-lifetime": 200}]},
        "Dhcp6/client-classes[0]/min-preferred-lifetime: the value of min-preferred-lifetime (200) is not "
        "less than (default) preferred-lifetime (100)",
    ),
    case(
        "server-id no type",
        {"server-id": {"identifier": "0102"}},
        "Dhcp6/server-id/type: missing mandatory parameter",
    ),
    case(
        "server-id bad type",
        {"server-id": {"type": "UUID"}},
        "Dhcp6/server-id/type: 'UUID' is not one of: LLT, EN, LL",
    ),
    case(
        "server-id identifier colons",
        {"server-id": {"type": "LL", "identifier": "02:00:00:00:00:01"}},
        "Dhcp6/server-id/identifier: identifier specified in the DUID configuration '02:00:00:00:00:01' is "
        "not a valid string of hexadecimal digits",
    ),
    case(
        "server-id identifier odd",
        {"server-id": {"type": "EN", "identifier": "102", "enterprise-id": 1}},
        "Dhcp6/server-id/identifier: identifier specified in the DUID configuration '102' is not a valid "
        "string of hexadecimal digits",
    ),
    case(
        "server-id htype range",
        {"server-id": {"type": "LL", "htype": 70000}},
        "Dhcp6/server-id/htype: 70000 is out of range 0..65535",
    ),
    case(
        "server-id unknown key",
        {"server-id": {"type": "LL", "duid": "01"}},
        "Dhcp6/server-id/duid: unsupported parameter",
    ),
    case(
        "interfaces v4 address",
        {"interfaces-config": {"interfaces": ["eth0/10.0.0.1"]}},
        "Dhcp6/interfaces-config/interfaces[0]: '10.0.0.1' is not a valid IPv6 address",
    ),
    case(
        "interfaces empty name",
        {"interfaces-config": {"interfaces": ["/2001:db8::1"]}},
        "Dhcp6/interfaces-config/interfaces[0]: '/2001:db8::1' does not name an interface",
    ),
    case(
        "interfaces twice",
        {"interfaces-config": {"interfaces": ["eth0", "eth0"]}},
        "Dhcp6/interfaces-config/interfaces[1]: interface 'eth0' has already been specified",
    ),
    case(
        "interfaces socket type (v4)",
        {"interfaces-config": {"dhcp-socket-type": "udp"}},
        "Dhcp6/interfaces-config/dhcp-socket-type: unsupported parameter",
    ),
    case(
        "mac-sources unknown",
        {"mac-sources": ["RAW"]},
        "Dhcp6/mac-sources[0]: 'RAW' is not one of: any, raw, duid, ipv6-link-local, "
        "client-link-addr-option, rfc6939, remote-id, rfc4649, subscriber-id, rfc4580, docsis-cmts, "
        "docsis-modem",
    ),
    case(
        "mac-sources alias twice",
        {"mac-sources": ["rfc6939", "client-link-addr-option"]},
        "Dhcp6/mac-sources[1]: the mac-sources value 'client-link-addr-option' was specified twice",
    ),
    case("mac-sources empty", {"mac-sources": []}, "Dhcp6/mac-sources: must not be empty"),
    case(
        "rsoo unknown name",
        {"relay-supplied-options": ["foo"]},
        "Dhcp6/relay-supplied-options[0]: 'foo' is neither a known option name nor a code 1..65535",
    ),
    case(
        "rsoo code 0",
        {"relay-supplied-options": ["0"]},
        "Dhcp6/relay-supplied-options[0]: '0' is neither a known option name nor a code 1..65535",
    ),
    case(
        "rsoo code too large",
        {"relay-supplied-options": ["99999"]},
        "Dhcp6/relay-supplied-options[0]: option code 99999 is invalid, it must not be greater than 65535",
    ),
    case(
        "hri client-id",
        {"host-reservation-identifiers": ["client-id"]},
        "Dhcp6/host-reservation-identifiers[0]: 'client-id' is not one of: duid, flex-id, hw-address",
    ),
    case(
        "hri dup",
        {"host-reservation-identifiers": ["duid", "duid"]},
        "Dhcp6/host-reservation-identifiers[1]: duplicate host identifier 'duid'",
    ),
    case(
        "hri empty",
        {"host-reservation-identifiers": []},
        "Dhcp6/host-reservation-identifiers: must name at least one of: duid, flex-id, hw-address",
    ),
    case(
        "lease-database type",
        {"lease-database": {"type": "cassandra"}},
        "Dhcp6/lease-database/type: 'cassandra' is not one of: memfile, mysql, postgresql",
    ),
    case(
        "control-socket missing name",
        {"control-socket": {"socket-type": "unix"}},
        "Dhcp6/control-socket/socket-name: missing mandatory parameter",
        kea=False,
    ),
    case(
        "expired max-reclaim-time",
        {"expired-leases-processing": {"max-reclaim-time": 10001}},
        "Dhcp6/expired-leases-processing/max-reclaim-time: 10001 is out of range 0..10000",
    ),
    case(
        "ha bad mode",
        {
            "hooks-libraries": [
                {"library": LIB + "libdhcp_lease_cmds.so"},
                {
                    "library": LIB + "libdhcp_ha.so",
                    "parameters": {
                        "high-availability": [{**HA_PARAMS["high-availability"][0], "mode": "active-active"}]
                    },
                },
            ]
        },
        "Dhcp6/hooks-libraries[1]/parameters/high-availability[0]/mode: unsupported value 'active-active' "
        "for mode parameter",
        kea=False,
    ),
    case(
        "ha no this-server in peers",
        {"hooks-libraries": [{"library": LIB + "libdhcp_ha.so", "parameters": HA_PARAMS}]},
        "Dhcp6/hooks-libraries[0]/parameters/high-availability[0]/this-server-name: no peer configuration "
        "specified for the 'server9'",
        kea=False,
    ),
    case(
        "sanity checks v2.3 key",
        {"sanity-checks": {"lease-checks": "fix", "extended-info-checks": "fix"}},
        "Dhcp6/sanity-checks/extended-info-checks: unsupported parameter",
    ),
    case(
        "logger key",
        {"loggers": [{"name": "kea-dhcp6", "output-options": []}]},
        "Dhcp6/loggers[0]/output-options: unsupported parameter",
    ),
    case(
        "dhcp-ddns ip",
        {"dhcp-ddns": {"enable-updates": False, "server-ip": "nowhere"}},
        "Dhcp6/dhcp-ddns/server-ip: 'nowhere' is not a valid IP address",
    ),
]


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_refused_with_path(c: Case) -> None:
    with pytest.raises(ConfigError) as err:
        load_dhcp6({"Dhcp6": c.dhcp6})
    assert str(err.value) == c.expected
    assert err.value.path == c.expected.split(": ", 1)[0]


TOP_CASES: list[tuple[str, Any, str]] = [
    ("not a map", [], '<top level>: expected a map with a "Dhcp6" entry, got list'),
    ("no Dhcp6", {"Dhcp4": {}}, 'Dhcp6: the configuration has no "Dhcp6" object'),
    ("unknown object", {"Dhcp6": {}, "Foo": {}}, "Foo: unsupported top-level object"),
    ("Dhcp6 not a map", {"Dhcp6": []}, "Dhcp6: expected a map, got list"),
    ("syntax", '{"Dhcp6": {"a": 1 "b": 2}}', "<string>:1:19: Expecting ',' delimiter"),
    (
        "duplicate key",
        '{"Dhcp6": {"subnet6": [{"subnet": "2001:db8::/64", "id": 1, "id": 2}]}}',
        "Dhcp6/subnet6[0]/id: duplicate 'id' entries in the same map",
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in TOP_CASES], ids=[c[0] for c in TOP_CASES])
def test_refused_at_top_level(source: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_dhcp6(source)
    assert str(err.value) == expected


def test_there_are_enough_error_cases() -> None:
    assert len(CASES) + len(TOP_CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
