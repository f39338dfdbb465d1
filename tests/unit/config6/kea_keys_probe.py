"""Check the keys6 tables against the installed kea-dhcp6 (not a test: needs Kea; run by hand).

    .venv/bin/python tests/unit/config6/kea_keys_probe.py

For every map of "Dhcp6": each key of the hakea table, given a value of the table's type, must be
accepted by `kea-dhcp6 -t`, and each candidate key not in the table (DHCPv4-only keys, keys of
later Kea versions) must be refused with "unexpected keyword". Prints every disagreement.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hakea.config import keys4, keys6
from hakea.config.values import Kind

BASE: dict[str, Any] = {
    "Dhcp6": {
        "server-id": {"type": "LL", "htype": 1, "identifier": "020000000001", "persist": False},
        "lease-database": {"type": "memfile", "persist": False},
        "subnet6": [
            {
                "subnet": "2001:db8:1::/64",
                "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
                "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64}],
                "reservations": [{"duid": "01:02:03:04", "hostname": "h"}],
                "option-data": [{"name": "dns-servers", "data": "2001:db8::1"}],
                "relay": {"ip-addresses": ["2001:db8::1"]},
            }
        ],
        "shared-networks": [{"name": "net", "subnet6": []}],
        "option-def": [{"name": "foo", "code": 222, "type": "uint8"}],
        "client-classes": [{"name": "c"}],
        "interfaces-config": {"interfaces": []},
        "hosts-database": {"type": "mysql", "name": "kea"},
        "control-socket": {"socket-type": "unix", "socket-name": "/tmp/k6.sock"},
        "expired-leases-processing": {"hold-reclaimed-time": 3600},
        "multi-threading": {"enable-multi-threading": False},
        "sanity-checks": {"lease-checks": "warn"},
        "dhcp-ddns": {"enable-updates": False},
        "loggers": [{"name": "kea-dhcp6", "output_options": [{"output": "stdout"}]}],
        "config-control": {"config-fetch-wait-time": 30},
        "compatibility": {"lenient-option-parsing": False},
        "hooks-libraries": [],
    }
}

Loc = Callable[[dict[str, Any]], dict[str, Any]]
D = "Dhcp6"
LOCATIONS: dict[str, tuple[Loc, dict[str, Kind], dict[str, Kind]]] = {
    # name: (where, hakea table, the v4 table whose extra keys are candidates for refusal)
    "global": (lambda c: c[D], keys6.GLOBAL, keys4.GLOBAL),
    "subnet": (lambda c: c[D]["subnet6"][0], keys6.SUBNET, keys4.SUBNET),
    "shared-network": (lambda c: c[D]["shared-networks"][0], keys6.SHARED_NETWORK, keys4.SHARED_NETWORK),
    "pool": (lambda c: c[D]["subnet6"][0]["pools"][0], keys6.POOL, keys4.POOL),
    "pd-pool": (lambda c: c[D]["subnet6"][0]["pd-pools"][0], keys6.PD_POOL, keys4.POOL),
    "reservation": (lambda c: c[D]["subnet6"][0]["reservations"][0], keys6.RESERVATION, keys4.RESERVATION),
    "option-data": (lambda c: c[D]["subnet6"][0]["option-data"][0], keys6.OPTION_DATA, keys4.OPTION_DATA),
    "option-def": (lambda c: c[D]["option-def"][0], keys6.OPTION_DEF, keys4.OPTION_DEF),
    "client-class": (lambda c: c[D]["client-classes"][0], keys6.CLIENT_CLASS, keys4.CLIENT_CLASS),
    "interfaces-config": (
        lambda c: c[D]["interfaces-config"],
        keys6.INTERFACES_CONFIG,
        keys4.INTERFACES_CONFIG,
    ),
    "lease-database": (lambda c: c[D]["lease-database"], keys6.LEASE_DATABASE, keys4.LEASE_DATABASE),
    "hosts-database": (lambda c: c[D]["hosts-database"], keys6.HOSTS_DATABASE, keys4.HOSTS_DATABASE),
    "server-id": (lambda c: c[D]["server-id"], keys6.SERVER_ID, {}),
    "control-socket": (lambda c: c[D]["control-socket"], keys6.CONTROL_SOCKET, keys4.CONTROL_SOCKET),
    "relay": (lambda c: c[D]["subnet6"][0]["relay"], keys6.RELAY, keys4.RELAY),
    "expired-leases-processing": (
        lambda c: c[D]["expired-leases-processing"],
        keys6.EXPIRED_LEASES_PROCESSING,
        keys4.EXPIRED_LEASES_PROCESSING,
    ),
    "multi-threading": (lambda c: c[D]["multi-threading"], keys6.MULTI_THREADING, keys4.MULTI_THREADING),
    "sanity-checks": (lambda c: c[D]["sanity-checks"], keys6.SANITY_CHECKS, keys4.SANITY_CHECKS),
    "dhcp-ddns": (lambda c: c[D]["dhcp-ddns"], keys6.DHCP_DDNS, keys4.DHCP_DDNS),
    "logger": (lambda c: c[D]["loggers"][0], keys6.LOGGER, keys4.LOGGER),
    "logger-output": (lambda c: c[D]["loggers"][0]["output_options"][0], keys6.LOGGER_OUTPUT, {}),
    "config-control": (lambda c: c[D]["config-control"], keys6.CONFIG_CONTROL, keys4.CONFIG_CONTROL),
    "compatibility": (lambda c: c[D]["compatibility"], keys6.COMPATIBILITY, keys4.COMPATIBILITY),
}

# Keys of later Kea versions (or never valid), tried everywhere.
LATER = [
    "allocator",
    "pd-allocator",
    "never-send",
    "template-test",
    "offer-lifetime",
    "ddns-ttl-percent",
    "ddns-conflict-resolution-mode",
    "pool-id",
    "evaluate-additional-classes",
    "only-in-additional-list",
    "excluded-prefixes",
    "extended-info-checks",
    "ignore-rai-link-selection",
    "exclude-first-last-24",
    "ddns-ttl",
    "ddns-ttl-min",
    "ddns-ttl-max",
    "dhcp-socket-type",
    "outbound-interface",
    "rapid-commit",
    "interface-id",
    "4o6-interface",
    "4o6-interface-id",
    "4o6-subnet",
    "prefix",
    "prefixes",
    "ip-addresses",
    "ip-address",
    "client-id",
    "circuit-id",
    "next-server",
    "server-hostname",
    "boot-file-name",
    "match-client-id",
    "authoritative",
    "echo-client-id",
    "preferred-lifetime",
    "pd-pools",
    "relay-supplied-options",
    "mac-sources",
    "data-directory",
    "server-id",
    "type",
    "identifier",
    "time",
    "htype",
    "enterprise-id",
    "delegated-len",
    "prefix-len",
    "excluded-prefix",
    "excluded-prefix-len",
    "interface",
    "option-def",
    "min-preferred-lifetime",
    "max-preferred-lifetime",
    "valid-lifetime",
    "require-client-classes",
]

SAMPLES: dict[str, Any] = {
    "subnet": "2001:db8:2::/64",
    "pool": "2001:db8:1::100 - 2001:db8:1::1ff",
    "prefix": "2001:db8:8::",
    "prefix-len": 56,
    "delegated-len": 64,
    "excluded-prefix": "2001:db8:8::",
    "excluded-prefix-len": 72,
    "ip-addresses": ["2001:db8:1::5"],
    "prefixes": ["2001:db8:9::/64"],
    "ip-address": "2001:db8::2",
    "hw-address": "01:02:03:04:05:06",
    "duid": "01:02:03:04",
    "flex-id": "'x'",
    "client-id": "01:02:03",
    "circuit-id": "'c'",
    "name": "nm",
    "code": 223,
    "data": "",
    "space": "dhcp6",
    "type": "uint8",
    "record-types": "",
    "encapsulate": "",
    "reservation-mode": "all",
    "ddns-replace-client-name": "never",
    "hostname-char-set": "",
    "hostname-char-replacement": "",
    "ddns-generated-prefix": "myhost",
    "ddns-qualifying-suffix": "",
    "t1-percent": 0.5,
    "max-valid-lifetime": 100000,
    "max-preferred-lifetime": 100000,
    "csv-format": True,
    "t2-percent": 0.8,
    "cache-threshold": 0.25,
    "interface": "lo",
    "interface-id": "foo",
    "id": 0,
    "mac-sources": ["any"],
    "relay-supplied-options": ["65"],
    "host-reservation-identifiers": ["duid"],
    "server-tag": "x",
    "data-directory": "/tmp",
    "socket-type": "unix",
    "socket-name": "/tmp/k6.sock",
    "lease-checks": "warn",
    "on-fail": "stop-retry-exit",
    "ncr-protocol": "UDP",
    "ncr-format": "JSON",
    "server-ip": "127.0.0.1",
    "sender-ip": "0.0.0.0",
    "replace-client-name": "never",
    "output": "stdout",
    "severity": "INFO",
    "pattern": "%m",
    "identifier": "020000000001",
    "client-class": "c",
    "require-client-classes": ["c"],
    "test": "member('ALL')",
    "hostname": "h",
    "interfaces": [],
    "host": "localhost",
    "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so",
}
BY_TYPE: dict[str, Any] = {"integer": 1, "real": 0.5, "boolean": False, "string": "x", "map": {}, "list": []}
LOCAL_SAMPLES: dict[tuple[str, str], Any] = {
    ("server-id", "type"): "LL",
    ("lease-database", "type"): "memfile",
    ("lease-database", "name"): "/tmp/k6/leases6.csv",
    ("hosts-database", "type"): "mysql",
    ("option-def", "type"): "uint8",
    ("option-data", "name"): "dns-servers",
    ("option-data", "code"): 23,
    ("option-data", "data"): "2001:db8::1",
    ("relay", "ip-addresses"): ["2001:db8::1"],
    ("client-class", "name"): "c",
    ("shared-network", "name"): "net",
    ("shared-network", "subnet6"): [],
    ("global", "subnet6"): [],
    ("global", "option-def"): [],
    ("global", "client-classes"): [],
    ("reservation", "hostname"): "h",
    ("subnet", "subnet"): "2001:db8:1::/64",
    ("subnet", "pools"): [],
    ("subnet", "pd-pools"): [],
    ("subnet", "reservations"): [],
    ("logger", "name"): "kea-dhcp6",
    ("logger-output", "output"): "stdout",
    ("multi-threading", "enable-multi-threading"): False,
    ("dhcp-ddns", "enable-updates"): False,
    ("pd-pool", "prefix"): "2001:db8:8::",
    ("pool", "pool"): "2001:db8:1::100 - 2001:db8:1::1ff",
    ("control-socket", "socket-type"): "unix",
    ("relay", "ip-address"): "2001:db8::1",
    ("shared-network", "relay"): {"ip-addresses": []},
    ("global", "dhcp-queue-control"): {"enable-queue": False},
    ("subnet", "id"): 4294967294,
}


def kea(config: dict[str, Any]) -> tuple[int, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
    try:
        env = {
            **os.environ,
            "KEA_PIDFILE_DIR": tempfile.gettempdir(),
            "KEA_LOCKFILE_DIR": tempfile.gettempdir(),
        }
        done = subprocess.run(
            ["kea-dhcp6", "-t", f.name], capture_output=True, text=True, env=env, check=False
        )
        return done.returncode, (done.stdout + done.stderr)[-600:]
    finally:
        os.unlink(f.name)


def sample(loc: str, key: str, kind: Kind | None) -> Any:
    existing = LOCATIONS[loc][0](BASE)
    if key in existing:
        return existing[key]
    if (loc, key) in LOCAL_SAMPLES:
        return LOCAL_SAMPLES[(loc, key)]
    if key in SAMPLES:
        return SAMPLES[key]
    return BY_TYPE[kind.type] if kind is not None else 1


def with_key(loc: str, key: str, value: Any) -> dict[str, Any]:
    config = copy.deepcopy(BASE)
    where, _, _ = LOCATIONS[loc]
    target = where(config)
    if loc == "relay" and key == "ip-address":
        target.pop("ip-addresses")
    if loc == "reservation" and key in ("hw-address", "flex-id"):
        target.pop("duid")
    if loc == "option-data" and key == "code":
        target.pop("name")
    if loc == "pd-pool" and key in ("excluded-prefix", "excluded-prefix-len"):
        target.update({"excluded-prefix": "2001:db8:8::", "excluded-prefix-len": 72})
    target[key] = value
    return config


def accepted(loc: str, key: str, kind: Kind) -> str | None:
    """None if Kea accepts the key with a value of its table type, else Kea's complaint."""
    rc, out = kea(with_key(loc, key, sample(loc, key, kind)))
    return out.strip().splitlines()[-1] if rc else None


def refused(loc: str, key: str, v4_kind: Kind | None) -> str | None:
    """None if Kea refuses the key whatever the value's type, else what it accepted."""
    values = [sample(loc, key, v4_kind), *BY_TYPE.values()]
    for value in values:
        rc, out = kea(with_key(loc, key, value))
        if "unexpected keyword" in out:
            return None
        if rc == 0:
            return f"accepted with {json.dumps(value)}"
        if "syntax error" not in out:
            return f"not a syntax error with {json.dumps(value)}: {out.strip().splitlines()[-1]}"
    return None


def main() -> int:
    rc, out = kea(BASE)
    if rc:
        print("base config refused:", out)
        return 1
    jobs: list[tuple[str, Any]] = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for loc, (_, table, v4_table) in LOCATIONS.items():
            for key, kind in table.items():
                jobs.append((f"REFUSED {loc}/{key}", pool.submit(accepted, loc, key, kind)))
            for key in sorted((set(v4_table) | set(LATER)) - set(table)):
                jobs.append((f"ACCEPTED {loc}/{key}", pool.submit(refused, loc, key, v4_table.get(key))))
        problems = 0
        for label, future in jobs:
            complaint = future.result()
            if complaint is not None:
                problems += 1
                print(f"{label}: {complaint}")
    print(f"{problems} disagreement(s) in {len(jobs)} checks")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
