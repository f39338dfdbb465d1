"""The daemon's own commands (Kea 2.2 names, arguments and answer texts): configuration,
service enable/disable, status and statistics. Lease commands live in lease_cmds4, HA's in ha4."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hakea.config.dhcp4 import load_dhcp4
from hakea.config.errors import ConfigError
from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRequest
from hakea.leases.store import LeaseStoreError
from hakea.server.command_args import max_period_arg, origin_arg
from hakea.server.statistic_cmds import register_statistic_commands

if TYPE_CHECKING:
    from hakea.server.dhcp4_daemon import Dhcp4Daemon

log = logging.getLogger("hakea.dhcp4")
Args = dict[str, Any] | None


async def reload_from_file(daemon: Dhcp4Daemon) -> dict[str, Any]:
    from hakea.server.dhcp4_daemon import read_config

    try:
        config = read_config(daemon.config_path)
    except ConfigError as exc:
        return envelope.error(f"Config reload failed: {exc}")
    return await _apply(daemon, config)


async def _apply(daemon: Dhcp4Daemon, config: Any) -> dict[str, Any]:
    previous = daemon.config
    try:
        await daemon.apply(config)
    except (ConfigError, OSError, LeaseStoreError) as exc:
        # The new configuration could not be put in place: go back to the one that ran (when the
        # failure came before the switch, the old one is still in place and serving).
        if daemon.config is not previous:
            await daemon.apply(previous)
        return envelope.error(f"Configuration rejected: {exc}")
    return envelope.success("Configuration successful.")


def register(daemon: Dhcp4Daemon) -> None:
    reg = daemon.registry

    async def config_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        return envelope.success(None, daemon.config.raw)  # Kea 2.2 gives no text

    def parse_new(args: Args) -> Any:
        if not args:
            raise CommandError("Missing mandatory 'arguments' parameter.")
        if "Dhcp4" not in args:
            raise CommandError("Missing mandatory 'Dhcp4' parameter.")
        if not isinstance(args["Dhcp4"], dict):
            raise CommandError("'Dhcp4' parameter expected to be a map.")
        try:
            return load_dhcp4(args)
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc

    async def config_test(args: Args, req: CommandRequest) -> dict[str, Any]:
        parse_new(args)
        return envelope.success(
            "Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were "
            "sanity checked, but not applied."
        )

    async def config_set(args: Args, req: CommandRequest) -> dict[str, Any]:
        return await _apply(daemon, parse_new(args))

    async def config_reload(args: Args, req: CommandRequest) -> dict[str, Any]:
        return await reload_from_file(daemon)

    async def config_write(args: Args, req: CommandRequest) -> dict[str, Any]:
        filename = (args or {}).get("filename", daemon.config_path)
        if not isinstance(filename, str):
            raise CommandError("passed parameter 'filename' is not a string")
        filename = filename or daemon.config_path  # Kea: an empty name means the config file
        data = envelope.encode(daemon.config.raw)
        try:
            tmp = f"{filename}.tmp{os.getpid()}"
            Path(tmp).write_bytes(data)
            os.replace(tmp, filename)
        except OSError as exc:  # Kea 2.2's text (no space after the colon); the reason is logged
            log.warning("config-write to %s failed: %s", filename, exc.strerror)
            text = f"Error during write-config:Unable to open file {filename} for writing"
            raise CommandError(text) from exc
        return envelope.success(
            f"Configuration written to {filename} successful", {"filename": filename, "size": len(data)}
        )

    async def shutdown(args: Args, req: CommandRequest) -> dict[str, Any]:
        asyncio.get_running_loop().call_soon(daemon.request_shutdown)
        return envelope.success("Shutting down.")

    async def dhcp_disable(args: Args, req: CommandRequest) -> dict[str, Any]:
        args = args or {}
        origin = origin_arg(args)
        max_period = max_period_arg(args)
        daemon.network_state.disable(origin, time.time(), max_period)
        if max_period is not None:
            return envelope.success(f"DHCPv4 service disabled for {max_period} seconds")
        return envelope.success("DHCPv4 service disabled")

    async def dhcp_enable(args: Args, req: CommandRequest) -> dict[str, Any]:
        origin = origin_arg(args or {})
        daemon.network_state.enable(origin)
        return envelope.success("DHCP service successfully enabled")

    async def status_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        now = time.time()
        # Kea: "ready" unless configured interfaces could not be opened (none configured is ready).
        failed = bool(daemon.config.interfaces.interfaces) and not daemon.sockets
        status: dict[str, Any] = {
            # "dhcp-state" is hakea's own: who disabled the service (Kea 2.2 has no such key)
            "dhcp-state": {
                "disabled-by": daemon.network_state.origins(),
                "enabled": daemon.network_state.enabled(now),
            },
        }
        if daemon.ha is not None:
            status["high-availability"] = daemon.ha.status(now)
        status["multi-threading-enabled"] = False  # Kea's keys, in Kea's (alphabetical) order
        status["pid"] = os.getpid()
        status["reload"] = int(now - daemon.reloaded)
        status["sockets"] = {"status": "failed" if failed else "ready"}
        status["uptime"] = int(now - daemon.started)
        return envelope.success(None, status)

    for name, handler in {
        "config-get": config_get,
        "config-test": config_test,
        "config-set": config_set,
        "config-reload": config_reload,
        "config-write": config_write,
        "shutdown": shutdown,
        "dhcp-disable": dhcp_disable,
        "dhcp-enable": dhcp_enable,
        "status-get": status_get,
    }.items():
        reg.register(name, handler, replace=True)
    register_statistic_commands(reg, lambda: daemon.stats)
