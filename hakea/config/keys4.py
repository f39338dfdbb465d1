"""Which keys Kea 2.2's kea-dhcp4 accepts in each map of "Dhcp4", and their JSON types.

Each table was checked key by key against Debian's kea-dhcp4 2.2.0 (`kea-dhcp4 -t`): a key not
listed here is one Kea 2.2 refuses ("got unexpected keyword"), e.g. "never-send", "allocator",
"offer-lifetime", "template-test" (later Kea versions). hakea accepts every listed key even where
it ignores the setting (DDNS, host databases, loggers, config backend...), so a Kea 2.2 file
loads unchanged. The keys both daemons accept are in keys_common; the DHCPv4-only ones (BOOTP
fields, match-client-id, authoritative, 4o6-*, client-id and circuit-id reservations...) here.
"""

from __future__ import annotations

from hakea.config import keys_common

# The maps both daemons share are re-exported whole (keys_common.__all__).
from hakea.config.keys_common import *  # noqa: F403
from hakea.config.values import BOOL, LIST, STR, U32, Kind

# The BOOTP fields a network, a reservation or a class may set (siaddr, sname, file).
_BOOT_FIELDS: dict[str, Kind] = {"next-server": STR, "server-hostname": STR, "boot-file-name": STR}

# Present at global, shared-network and subnet level alike.
_NETWORK: dict[str, Kind] = {
    **keys_common.NETWORK_COMMON,
    "match-client-id": BOOL,
    "authoritative": BOOL,
    **_BOOT_FIELDS,
}

GLOBAL: dict[str, Kind] = {**_NETWORK, **keys_common.GLOBAL_COMMON, "subnet4": LIST, "echo-client-id": BOOL}

SHARED_NETWORK: dict[str, Kind] = {**_NETWORK, **keys_common.NETWORK_ONLY, "name": STR, "subnet4": LIST}

SUBNET: dict[str, Kind] = {
    **_NETWORK,
    **keys_common.NETWORK_ONLY,
    "subnet": STR,
    "id": U32,
    "pools": LIST,
    "reservations": LIST,
    "4o6-interface": STR,
    "4o6-interface-id": STR,
    "4o6-subnet": STR,
}

RESERVATION: dict[str, Kind] = {
    **keys_common.RESERVATION_COMMON,
    "client-id": STR,
    "circuit-id": STR,
    "ip-address": STR,
    **_BOOT_FIELDS,
}

CLIENT_CLASS: dict[str, Kind] = {**keys_common.CLIENT_CLASS_COMMON, "option-def": LIST, **_BOOT_FIELDS}

INTERFACES_CONFIG: dict[str, Kind] = {
    **keys_common.INTERFACES_CONFIG_COMMON,
    "dhcp-socket-type": STR,
    "outbound-interface": STR,
}

# Top-level objects of other Kea daemons: hakea ignores them with a warning (see
# keys_common.KEA_TOPLEVEL).
OTHER_TOPLEVEL = ("Dhcp6", "DhcpDdns", "Control-agent", "Netconf", "Logging")
