"""The keys kea-dhcp4 and kea-dhcp6 2.2 both accept, and their JSON types.

keys4 and keys6 build each family's tables from these pieces and add what only one daemon has;
maps that are the same in both daemons (option-data, option-def, databases, control socket,
hooks, expiry, loggers...) are defined here whole and re-exported by both. Each key was checked
against Debian's kea-dhcp4 / kea-dhcp6 2.2.0 (`-t`); a key not listed for a map is one Kea 2.2
refuses ("got unexpected keyword"). Ranges are uint32/uint16 where Kea stores the value in one.
"""

from __future__ import annotations

from hakea.config.values import BOOL, INT, LIST, MAP, REAL, STR, U16, U32, Kind

# The maps that are the same in both daemons, whole: keys4 and keys6 re-export these (so
# keys4.OPTION_DATA and keys6.OPTION_DATA are this module's). The pieces the family tables are
# built from (NETWORK_COMMON, bounded...) are read as keys_common.X.
__all__ = [
    "COMPATIBILITY",
    "CONFIG_CONTROL",
    "CONTROL_SOCKET",
    "DHCP_DDNS",
    "DHCP_QUEUE_CONTROL_TYPED",
    "EXPIRED_LEASES_PROCESSING",
    "HOOK_LIBRARY",
    "HOSTS_DATABASE",
    "LEASE_DATABASE",
    "LOGGER",
    "LOGGER_OUTPUT",
    "MULTI_THREADING",
    "OPTION_DATA",
    "OPTION_DEF",
    "POOL",
    "RELAY",
    "SANITY_CHECKS",
]


def bounded(name: str) -> dict[str, Kind]:
    """A lifetime with its bounds: name, min-name, max-name (uint32 seconds)."""
    return {name: U32, f"min-{name}": U32, f"max-{name}": U32}


# Present at global, shared-network and subnet level alike, in both families.
NETWORK_COMMON: dict[str, Kind] = {
    **bounded("valid-lifetime"),
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

# Shared networks and subnets only (not global), in both families.
NETWORK_ONLY: dict[str, Kind] = {
    "interface": STR,
    "client-class": STR,
    "require-client-classes": LIST,
    "relay": MAP,
}

# Global level, beside NETWORK_COMMON and the family's subnet list.
GLOBAL_COMMON: dict[str, Kind] = {
    "decline-probation-period": U32,
    "shared-networks": LIST,
    "interfaces-config": MAP,
    "lease-database": MAP,
    "hosts-database": MAP,
    "hosts-databases": LIST,
    "host-reservation-identifiers": LIST,
    "client-classes": LIST,
    "option-def": LIST,
    "hooks-libraries": LIST,
    "expired-leases-processing": MAP,
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

# Address pools and DHCPv6 prefix pools share all but what delimits the pool.
POOL_COMMON: dict[str, Kind] = {
    "option-data": LIST,
    "client-class": STR,
    "require-client-classes": LIST,
    "user-context": MAP,
    "comment": STR,
}
POOL: dict[str, Kind] = {"pool": STR, **POOL_COMMON}

RESERVATION_COMMON: dict[str, Kind] = {
    "duid": STR,
    "hw-address": STR,
    "flex-id": STR,
    "hostname": STR,
    "client-classes": LIST,
    "option-data": LIST,
    "user-context": MAP,
    "comment": STR,
}

CLIENT_CLASS_COMMON: dict[str, Kind] = {
    "name": STR,
    "test": STR,
    "only-if-required": BOOL,
    "option-data": LIST,
    **bounded("valid-lifetime"),
    "user-context": MAP,
    "comment": STR,
}

INTERFACES_CONFIG_COMMON: dict[str, Kind] = {
    "interfaces": LIST,
    "re-detect": BOOL,
    "service-sockets-require-all": BOOL,
    "service-sockets-retry-wait-time": U32,
    "service-sockets-max-retries": U32,
    "user-context": MAP,
    "comment": STR,
}

RELAY: dict[str, Kind] = {"ip-address": STR, "ip-addresses": LIST}

OPTION_DATA: dict[str, Kind] = {
    "name": STR,
    "code": INT,
    "data": STR,
    "space": STR,
    "csv-format": BOOL,
    "always-send": BOOL,
    "user-context": MAP,
    "comment": STR,
}

OPTION_DEF: dict[str, Kind] = {
    "name": STR,
    "code": INT,
    "type": STR,
    "record-types": STR,
    "space": STR,
    "encapsulate": STR,
    "array": BOOL,
    "user-context": MAP,
    "comment": STR,
}

_DATABASE_COMMON: dict[str, Kind] = {
    "type": STR,
    "name": STR,
    "user": STR,
    "password": STR,
    "host": STR,
    "port": U16,
    "persist": BOOL,
    "lfc-interval": U32,
    "connect-timeout": U32,
    "max-reconnect-tries": U32,
    "reconnect-wait-time": U32,
    "on-fail": STR,
    "trust-anchor": STR,
    "cert-file": STR,
    "key-file": STR,
    "cipher-list": STR,
}
LEASE_DATABASE: dict[str, Kind] = {**_DATABASE_COMMON, "max-row-errors": U32}
HOSTS_DATABASE: dict[str, Kind] = {**_DATABASE_COMMON, "readonly": BOOL}

CONTROL_SOCKET: dict[str, Kind] = {
    "socket-type": STR,
    "socket-name": STR,
    "user-context": MAP,
    "comment": STR,
}

HOOK_LIBRARY: dict[str, Kind] = {"library": STR, "parameters": MAP}

# Kea's CfgExpiration limits: the wait times and cycles are uint16, max-reclaim-time <= 10000 ms.
EXPIRED_LEASES_PROCESSING: dict[str, Kind] = {
    "reclaim-timer-wait-time": U16,
    "flush-reclaimed-timer-wait-time": U16,
    "hold-reclaimed-time": U32,
    "max-reclaim-leases": U32,
    "max-reclaim-time": Kind("integer", 0, 10000),
    "unwarned-reclaim-cycles": U16,
}

MULTI_THREADING: dict[str, Kind] = {
    "enable-multi-threading": BOOL,
    "thread-pool-size": U32,
    "packet-queue-size": U32,
    "user-context": MAP,
    "comment": STR,
}

SANITY_CHECKS: dict[str, Kind] = {"lease-checks": STR}

DHCP_DDNS: dict[str, Kind] = {
    "enable-updates": BOOL,
    "server-ip": STR,
    "server-port": U16,
    "sender-ip": STR,
    "sender-port": U16,
    "max-queue-size": U32,
    "ncr-protocol": STR,
    "ncr-format": STR,
    # Deprecated in 2.2 (moved to the global ddns-* keys) but still accepted.
    "override-no-update": BOOL,
    "override-client-update": BOOL,
    "replace-client-name": STR,
    "generated-prefix": STR,
    "qualifying-suffix": STR,
    "hostname-char-set": STR,
    "hostname-char-replacement": STR,
    "user-context": MAP,
    "comment": STR,
}

LOGGER: dict[str, Kind] = {
    "name": STR,
    "output_options": LIST,
    "severity": STR,
    "debuglevel": INT,
    "user-context": MAP,
    "comment": STR,
}
LOGGER_OUTPUT: dict[str, Kind] = {
    "output": STR,
    "flush": BOOL,
    "maxsize": INT,
    "maxver": INT,
    "pattern": STR,
}

CONFIG_CONTROL: dict[str, Kind] = {"config-databases": LIST, "config-fetch-wait-time": U32}

COMPATIBILITY: dict[str, Kind] = {"lenient-option-parsing": BOOL}

# dhcp-queue-control is handed to the queue implementation as is: any key is accepted.
DHCP_QUEUE_CONTROL_TYPED: dict[str, Kind] = {"enable-queue": BOOL, "queue-type": STR, "capacity": U32}

# The top-level objects of Kea's daemons: a daemon reads its own and ignores the others with a
# warning (Kea 2.2 itself refuses any top-level key but its own; accepting a shared file is kinder).
KEA_TOPLEVEL = ("Dhcp4", "Dhcp6", "DhcpDdns", "Control-agent", "Netconf", "Logging")
