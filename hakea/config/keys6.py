"""Which keys Kea 2.2's kea-dhcp6 accepts in each map of "Dhcp6", and their JSON types.

Each table was checked key by key against Debian's kea-dhcp6 2.2.0 (`kea-dhcp6 -t`, the probe is
tests/unit/config6/kea_keys_probe.py): every key listed is accepted with a value of the listed type,
and the DHCPv4-only keys (next-server, match-client-id, authoritative, 4o6-*...) and those of later
Kea versions ("allocator", "pd-allocator", "never-send", "template-test"...) are refused ("got
unexpected keyword"). Maps whose keys are the same in both daemons (option-data, option-def,
databases, control socket, hooks, expiry, loggers...) reuse the keys4 tables.
"""

from __future__ import annotations

from hakea.config.keys4 import (
    COMPATIBILITY,
    CONFIG_CONTROL,
    CONTROL_SOCKET,
    DHCP_DDNS,
    DHCP_QUEUE_CONTROL_TYPED,
    EXPIRED_LEASES_PROCESSING,
    HOOK_LIBRARY,
    HOSTS_DATABASE,
    LEASE_DATABASE,
    LOGGER,
    LOGGER_OUTPUT,
    MULTI_THREADING,
    OPTION_DATA,
    OPTION_DEF,
    RELAY,
    SANITY_CHECKS,
)
from hakea.config.values import BOOL, LIST, MAP, REAL, STR, U8, U16, U32, Kind

# Present at global, shared-network and subnet level alike.
_NETWORK_COMMON: dict[str, Kind] = {
    "preferred-lifetime": U32,
    "min-preferred-lifetime": U32,
    "max-preferred-lifetime": U32,
    "valid-lifetime": U32,
    "min-valid-lifetime": U32,
    "max-valid-lifetime": U32,
    "renew-timer": U32,
    "rebind-timer": U32,
    "option-data": LIST,
    "user-context": MAP,
    "comment": STR,
    "reservation-mode": STR,  # deprecated in 2.2, still accepted
    "reservations-global": BOOL,
    "reservations-in-subnet": BOOL,
    "reservations-out-of-pool": BOOL,
    "calculate-tee-times": BOOL,
    "t1-percent": REAL,
    "t2-percent": REAL,
    "hostname-char-set": STR,
    "hostname-char-replacement": STR,
    "ddns-send-updates": BOOL,
    "ddns-override-no-update": BOOL,
    "ddns-override-client-update": BOOL,
    "ddns-replace-client-name": STR,
    "ddns-generated-prefix": STR,
    "ddns-qualifying-suffix": STR,
    "ddns-update-on-renew": BOOL,
    "ddns-use-conflict-resolution": BOOL,
    "store-extended-info": BOOL,
    "cache-threshold": REAL,
    "cache-max-age": U32,
}

# Shared networks and subnets only (Kea 2.2 has no global rapid-commit or interface-id).
_NETWORK_ONLY: dict[str, Kind] = {
    "interface": STR,
    "interface-id": STR,
    "rapid-commit": BOOL,
    "client-class": STR,
    "require-client-classes": LIST,
    "relay": MAP,
}

GLOBAL: dict[str, Kind] = {
    **_NETWORK_COMMON,
    "data-directory": STR,  # deprecated in 2.2, still accepted
    "decline-probation-period": U32,
    "subnet6": LIST,
    "shared-networks": LIST,
    "interfaces-config": MAP,
    "lease-database": MAP,
    "hosts-database": MAP,
    "hosts-databases": LIST,
    "mac-sources": LIST,
    "relay-supplied-options": LIST,
    "host-reservation-identifiers": LIST,
    "client-classes": LIST,
    "option-def": LIST,
    "hooks-libraries": LIST,
    "expired-leases-processing": MAP,
    "server-id": MAP,
    "dhcp4o6-port": U16,
    "control-socket": MAP,
    "dhcp-queue-control": MAP,
    "dhcp-ddns": MAP,
    "sanity-checks": MAP,
    "reservations": LIST,
    "config-control": MAP,
    "server-tag": STR,
    "loggers": LIST,
    "statistic-default-sample-count": U32,
    "statistic-default-sample-age": U32,
    "multi-threading": MAP,
    "early-global-reservations-lookup": BOOL,
    "ip-reservations-unique": BOOL,
    "reservations-lookup-first": BOOL,
    "compatibility": MAP,
    "parked-packet-limit": U32,
}

SHARED_NETWORK: dict[str, Kind] = {**_NETWORK_COMMON, **_NETWORK_ONLY, "name": STR, "subnet6": LIST}

SUBNET: dict[str, Kind] = {
    **_NETWORK_COMMON,
    **_NETWORK_ONLY,
    "subnet": STR,
    "id": Kind("integer", 0, 4294967294),  # Kea: "not within expected range: (0 - 4294967294)"
    "pools": LIST,
    "pd-pools": LIST,
    "reservations": LIST,
}

POOL: dict[str, Kind] = {
    "pool": STR,
    "option-data": LIST,
    "client-class": STR,
    "require-client-classes": LIST,
    "user-context": MAP,
    "comment": STR,
}

PD_POOL: dict[str, Kind] = {
    "prefix": STR,
    "prefix-len": U8,
    "delegated-len": U8,
    "excluded-prefix": STR,
    "excluded-prefix-len": U8,
    "option-data": LIST,
    "client-class": STR,
    "require-client-classes": LIST,
    "user-context": MAP,
    "comment": STR,
}

RESERVATION: dict[str, Kind] = {
    "duid": STR,
    "hw-address": STR,
    "flex-id": STR,
    "ip-addresses": LIST,
    "prefixes": LIST,
    "hostname": STR,
    "client-classes": LIST,
    "option-data": LIST,
    "user-context": MAP,
    "comment": STR,
}

CLIENT_CLASS: dict[str, Kind] = {
    "name": STR,
    "test": STR,
    "only-if-required": BOOL,
    "option-data": LIST,
    "preferred-lifetime": U32,
    "min-preferred-lifetime": U32,
    "max-preferred-lifetime": U32,
    "valid-lifetime": U32,
    "min-valid-lifetime": U32,
    "max-valid-lifetime": U32,
    "user-context": MAP,
    "comment": STR,
}

INTERFACES_CONFIG: dict[str, Kind] = {
    "interfaces": LIST,
    "re-detect": BOOL,
    "service-sockets-require-all": BOOL,
    "service-sockets-retry-wait-time": U32,
    "service-sockets-max-retries": U32,
    "user-context": MAP,
    "comment": STR,
}

SERVER_ID: dict[str, Kind] = {
    "type": STR,
    "identifier": STR,
    "time": U32,
    "htype": U16,
    "enterprise-id": U32,
    "persist": BOOL,
    "user-context": MAP,
    "comment": STR,
}

__all__ = [
    "CLIENT_CLASS",
    "COMPATIBILITY",
    "CONFIG_CONTROL",
    "CONTROL_SOCKET",
    "DHCP_DDNS",
    "DHCP_QUEUE_CONTROL_TYPED",
    "EXPIRED_LEASES_PROCESSING",
    "GLOBAL",
    "HOOK_LIBRARY",
    "HOSTS_DATABASE",
    "INTERFACES_CONFIG",
    "LEASE_DATABASE",
    "LOGGER",
    "LOGGER_OUTPUT",
    "MULTI_THREADING",
    "OPTION_DATA",
    "OPTION_DEF",
    "PD_POOL",
    "POOL",
    "RELAY",
    "RESERVATION",
    "SANITY_CHECKS",
    "SERVER_ID",
    "SHARED_NETWORK",
    "SUBNET",
]
