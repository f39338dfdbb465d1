"""hakea-dhcp6's own commands (Kea 2.2 names, arguments and answer texts): configuration, service
enable/disable, status and statistics, as daemon_commands answers them for the "Dhcp6" map. Lease
commands live in lease_cmds6, HA's in ha6.

Where hakea-dhcp6 has answered differently from hakea-dhcp4 (and from Kea 2.2's texts, which
hakea-dhcp4 follows) the difference is kept here, named: config-get's text, no map check before
loading (the loader's own error instead), config-write's empty-name and error texts, and
status-get's key order and socket status.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from hakea.config.dhcp6 import load_dhcp6
from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRequest
from hakea.server import daemon_commands
from hakea.server.daemon_commands import Args, CommandFamily

if TYPE_CHECKING:
    from hakea.server.dhcp6_daemon import Dhcp6Daemon

DHCP6 = CommandFamily(
    section="Dhcp6",
    service="DHCPv6",
    load=load_dhcp6,
    config_get_text="Configuration returned.",
    check_map=False,
)


def register(daemon: Dhcp6Daemon) -> None:
    async def config_write(args: Args, req: CommandRequest) -> dict[str, Any]:
        filename = (args or {}).get("filename", daemon.config_path)
        if not isinstance(filename, str) or not filename:
            raise CommandError("passed parameter 'filename' is not a string")
        try:
            return daemon_commands.write_config(daemon, filename)
        except OSError as exc:
            raise CommandError(f"Unable to write configuration file '{filename}': {exc.strerror}") from exc

    async def status_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        now = time.time()
        status: dict[str, Any] = {
            "pid": os.getpid(),
            "uptime": int(now - daemon.started),
            "reload": int(now - daemon.reloaded),
            "multi-threading-enabled": False,
            "sockets": {"status": "ready" if daemon.sockets else "failed"},
            "dhcp-state": {
                "disabled-by": daemon.network_state.origins(),
                "enabled": daemon.network_state.enabled(now),
            },
        }
        if daemon.ha is not None:
            status["high-availability"] = daemon.ha.status(now)
        return envelope.success(None, status)

    daemon_commands.register(daemon, DHCP6, {"config-write": config_write, "status-get": status_get})
