"""DHCPv4 defaults and inheritance of the global, shared-network and subnet parameters.

The rules (derive global -> shared network -> subnet, then check each network's effective values)
are hakea.config.network's; what is DHCPv4's own is which values have a global default and which
are inherited: the BOOTP fields, match-client-id and authoritative.
"""

from __future__ import annotations

from typing import Any

from hakea.config.network import INHERITED_LAST, INHERITED_LIFETIMES, RESERVATION_DEFAULTS

__all__ = ["GLOBAL_DEFAULTS", "INHERITED"]

# Global defaults Kea sets before deriving (SimpleParser4 GLOBAL4_DEFAULTS).
GLOBAL_DEFAULTS: dict[str, Any] = {
    "valid-lifetime": 7200,
    "match-client-id": True,
    "authoritative": False,
    "next-server": "0.0.0.0",
    "server-hostname": "",
    "boot-file-name": "",
    "calculate-tee-times": False,
    "t1-percent": 0.5,
    "t2-percent": 0.875,
    **RESERVATION_DEFAULTS,
}

# What a subnet takes from its shared network, and a shared network from the global level, when it
# does not set it. "interface" only exists at network levels, so it comes from the shared network
# alone; so does "relay", which the subnet parser passes down already parsed.
INHERITED = (
    *INHERITED_LIFETIMES,
    "match-client-id",
    "authoritative",
    "next-server",
    "server-hostname",
    "boot-file-name",
    "interface",
    *INHERITED_LAST,
)
