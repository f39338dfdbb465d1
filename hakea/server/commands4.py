"""hakea-dhcp4's own commands (Kea 2.2 names, arguments and answer texts): configuration, service
enable/disable, status and statistics, as daemon_commands answers them for the "Dhcp4" map. Lease
commands live in lease_cmds4, HA's in ha4."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hakea.config.dhcp4 import load_dhcp4
from hakea.server import daemon_commands
from hakea.server.daemon_commands import CommandFamily

if TYPE_CHECKING:
    from hakea.server.dhcp4_daemon import Dhcp4Daemon

DHCP4 = CommandFamily(section="Dhcp4", service="DHCPv4", load=load_dhcp4)


def register(daemon: Dhcp4Daemon) -> None:
    daemon_commands.register(daemon, DHCP4)
