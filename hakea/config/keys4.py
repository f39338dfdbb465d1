"""Which keys Kea 2.2's kea-dhcp4 accepts in each map of "Dhcp4", and their JSON types.

Each table was checked key by key against Debian's kea-dhcp4 2.2.0 (`kea-dhcp4 -t`): a key not
listed here is one Kea 2.2 refuses ("got unexpected keyword"), e.g. "never-send", "allocator",
"offer-lifetime", "template-test" (later Kea versions). hakea accepts every listed key even where
it ignores the setting (DDNS, host databases, loggers, config backend...), so a Kea 2.2 file
loads unchanged. Ranges are uint32/uint16 where Kea stores the value in one.
"""

from __future__ import annotations

from hakea.config.values import BOOL, INT, LIST, MAP, REAL, STR, U16, U32, Kind

# Present at global, shared-network and subnet level alike.
_NETWORK_COMMON: dict[str, Kind] = {
    "valid-lifetime": U32,
    "min-valid-lifetime": U32,
    "max-valid-lifetime": U32,
    "renew-timer": U32,
    "rebind-timer": U32,
    "option-data": LIST,
    "match-client-id": BOOL,
    "authoritative": BOOL,
    "next-server": STR,
    "server-hostname": STR,
    "boot-file-name": STR,
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

GLOBAL: dict[str, Kind] = {
    **_NETWORK_COMMON,
    "decline-probation-period": U32,
    "subnet4": LIST,
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
    "echo-client-id": BOOL,
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

SHARED_NETWORK: dict[str, Kind] = {
    **_NETWORK_COMMON,
    "name": STR,
    "subnet4": LIST,
    "interface": STR,
    "client-class": STR,
    "require-client-classes": LIST,
    "relay": MAP,
}

SUBNET: dict[str, Kind] = {
    **_NETWORK_COMMON,
    "subnet": STR,
    "id": U32,
    "pools": LIST,
    "reservations": LIST,
    "interface": STR,
    "client-class": STR,
    "require-client-classes": LIST,
    "relay": MAP,
    "4o6-interface": STR,
    "4o6-interface-id": STR,
    "4o6-subnet": STR,
}

POOL: dict[str, Kind] = {
    "pool": STR,
    "option-data": LIST,
    "client-class": STR,
    "require-client-classes": LIST,
    "user-context": MAP,
    "comment": STR,
}

RELAY: dict[str, Kind] = {"ip-address": STR, "ip-addresses": LIST}

RESERVATION: dict[str, Kind] = {
    "hw-address": STR,
    "client-id": STR,
    "duid": STR,
    "circuit-id": STR,
    "flex-id": STR,
    "ip-address": STR,
    "hostname": STR,
    "client-classes": LIST,
    "option-data": LIST,
    "next-server": STR,
    "server-hostname": STR,
    "boot-file-name": STR,
    "user-context": MAP,
    "comment": STR,
}

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

CLIENT_CLASS: dict[str, Kind] = {
    "name": STR,
    "test": STR,
    "only-if-required": BOOL,
    "option-def": LIST,
    "option-data": LIST,
    "next-server": STR,
    "server-hostname": STR,
    "boot-file-name": STR,
    "valid-lifetime": U32,
    "min-valid-lifetime": U32,
    "max-valid-lifetime": U32,
    "user-context": MAP,
    "comment": STR,
}

INTERFACES_CONFIG: dict[str, Kind] = {
    "interfaces": LIST,
    "dhcp-socket-type": STR,
    "outbound-interface": STR,
    "re-detect": BOOL,
    "service-sockets-require-all": BOOL,
    "service-sockets-retry-wait-time": U32,
    "service-sockets-max-retries": U32,
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

# Top-level objects of other Kea daemons: hakea ignores them with a warning. (Kea 2.2's
# kea-dhcp4 itself refuses any top-level key but "Dhcp4"; accepting a shared file is kinder.)
OTHER_TOPLEVEL = ("Dhcp6", "DhcpDdns", "Control-agent", "Netconf", "Logging")
