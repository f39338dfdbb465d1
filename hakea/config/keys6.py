"""Which keys Kea 2.2's kea-dhcp6 accepts in each map of "Dhcp6", and their JSON types.

Each table was checked key by key against Debian's kea-dhcp6 2.2.0 (`kea-dhcp6 -t`, the probe is
tests/unit/config6/kea_keys_probe.py): every key listed is accepted with a value of the listed type,
and the DHCPv4-only keys (next-server, match-client-id, authoritative, 4o6-*...) and those of later
Kea versions ("allocator", "pd-allocator", "never-send", "template-test"...) are refused ("got
unexpected keyword"). The keys both daemons accept, and the maps that are the same in both
(option-data, option-def, databases, control socket, hooks, expiry, loggers...), are keys_common's.
"""

from __future__ import annotations

from hakea.config import keys_common

# The maps both daemons share are re-exported whole (keys_common.__all__).
from hakea.config.keys_common import *  # noqa: F403
from hakea.config.values import BOOL, LIST, MAP, STR, U8, U16, U32, Kind

# Present at global, shared-network and subnet level alike.
_NETWORK: dict[str, Kind] = {**keys_common.bounded("preferred-lifetime"), **keys_common.NETWORK_COMMON}

# Shared networks and subnets only (Kea 2.2 has no global rapid-commit or interface-id).
_NETWORK_ONLY: dict[str, Kind] = {**keys_common.NETWORK_ONLY, "interface-id": STR, "rapid-commit": BOOL}

GLOBAL: dict[str, Kind] = {
    **_NETWORK,
    **keys_common.GLOBAL_COMMON,
    "subnet6": LIST,
    "data-directory": STR,  # deprecated in 2.2, still accepted
    "mac-sources": LIST,
    "relay-supplied-options": LIST,
    "server-id": MAP,
}

SHARED_NETWORK: dict[str, Kind] = {**_NETWORK, **_NETWORK_ONLY, "name": STR, "subnet6": LIST}

SUBNET: dict[str, Kind] = {
    **_NETWORK,
    **_NETWORK_ONLY,
    "subnet": STR,
    "id": Kind("integer", 0, 4294967294),  # Kea: "not within expected range: (0 - 4294967294)"
    "pools": LIST,
    "pd-pools": LIST,
    "reservations": LIST,
}

PD_POOL: dict[str, Kind] = {
    "prefix": STR,
    "prefix-len": U8,
    "delegated-len": U8,
    "excluded-prefix": STR,
    "excluded-prefix-len": U8,
    **keys_common.POOL_COMMON,
}

RESERVATION: dict[str, Kind] = {**keys_common.RESERVATION_COMMON, "ip-addresses": LIST, "prefixes": LIST}

CLIENT_CLASS: dict[str, Kind] = {
    **keys_common.CLIENT_CLASS_COMMON,
    **keys_common.bounded("preferred-lifetime"),
}

INTERFACES_CONFIG: dict[str, Kind] = keys_common.INTERFACES_CONFIG_COMMON

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
