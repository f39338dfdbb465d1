"""hakea-dhcp6's own commands (Kea 2.2 names, arguments and answer texts): configuration, service
enable/disable, status and statistics, as daemon_commands answers them for the "Dhcp6" map. Lease
commands live in lease_cmds6, HA's in ha6.

kea-dhcp6 2.2 answers these exactly as kea-dhcp4 does but for "Dhcp6" / "DHCPv6" in the texts
(seen against kea-dhcp6 2.2.0: tests/e2e/test_control_commands6.py, docs/kea-interop.md): no
config-get text, the "expected to be a map" check, config-write's empty name and error text,
status-get's keys and socket status are all the shared ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hakea.config.dhcp6 import load_dhcp6
from hakea.server import daemon_commands
from hakea.server.daemon_commands import CommandFamily

if TYPE_CHECKING:
    from hakea.server.dhcp6_daemon import Dhcp6Daemon


def _interfaces(config: Any) -> tuple[str, ...]:
    names: tuple[str, ...] = config.interfaces  # Dhcp6Config keeps the names directly
    return names


DHCP6 = CommandFamily(
    section="Dhcp6",
    service="DHCPv6",
    load=load_dhcp6,
    interfaces=_interfaces,
)


def register(daemon: Dhcp6Daemon) -> None:
    daemon_commands.register(daemon, DHCP6)
