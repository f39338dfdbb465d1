"""The commands both daemons answer about themselves (Kea 2.2 names, arguments and answer texts):
configuration, service enable/disable, shutdown, status and statistics.

commands4 and commands6 name what differs per family (a CommandFamily); lease commands live in
lease_cmds4/6, HA's in ha4/6, argument checks in command_args. The answers are Kea 2.2's for both
daemons (kea-dhcp4 and kea-dhcp6 answer these commands alike but for the names in the texts:
tests/e2e/test_control_commands.py and test_control_commands6.py).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hakea.config.errors import ConfigError
from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRequest
from hakea.leases.store import LeaseStoreError
from hakea.server.command_args import max_period_arg, origin_arg
from hakea.server.statistic_cmds import register_statistic_commands

if TYPE_CHECKING:
    from hakea.server.daemon_base import AnyDaemon

Args = dict[str, Any] | None
Handler = Callable[[Args, CommandRequest], Awaitable[dict[str, Any]]]


def dhcp4_interfaces(config: Any) -> tuple[str, ...]:
    """The interface names of "interfaces-config" in a Dhcp4Config."""
    names: tuple[str, ...] = config.interfaces.interfaces
    return names


@dataclass(frozen=True, slots=True)
class CommandFamily:
    section: str  # "Dhcp4": the map config-set and config-test take
    service: str  # "DHCPv4": what dhcp-disable says it disabled
    load: Callable[[dict[str, Any]], Any]  # a {"Dhcp4": {...}} map to the typed configuration
    interfaces: Callable[[Any], tuple[str, ...]] = dhcp4_interfaces  # the configured interface names


async def reload_from_file(daemon: AnyDaemon) -> dict[str, Any]:
    """config-reload and SIGHUP: the configuration file again."""
    try:
        config = daemon.read_config(daemon.config_path)
    except ConfigError as exc:
        return envelope.error(f"Config reload failed: {exc}")
    return await apply_config(daemon, config)


async def apply_config(daemon: AnyDaemon, config: Any) -> dict[str, Any]:
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


def write_config(daemon: AnyDaemon, filename: str) -> dict[str, Any]:
    """config-write's success answer, the running configuration written to `filename` (through a
    temporary file, so a reader never sees half of it); OSError when it cannot be written."""
    data = envelope.encode(daemon.config.raw)
    tmp = f"{filename}.tmp{os.getpid()}"
    Path(tmp).write_bytes(data)
    os.replace(tmp, filename)
    return envelope.success(
        f"Configuration written to {filename} successful", {"filename": filename, "size": len(data)}
    )


def daemon_handlers(daemon: AnyDaemon, family: CommandFamily) -> dict[str, Handler]:
    """The handlers, by command name, as Kea 2.2 answers them."""

    async def config_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        return envelope.success(None, daemon.config.raw)  # Kea 2.2: no text

    def parse_new(args: Args) -> Any:
        if args is None:  # "arguments": {} is answered as missing the section (Kea 2.2, seen)
            raise CommandError("Missing mandatory 'arguments' parameter.")
        if family.section not in args:
            raise CommandError(f"Missing mandatory '{family.section}' parameter.")
        if not isinstance(args[family.section], dict):
            raise CommandError(f"'{family.section}' parameter expected to be a map.")
        try:
            return family.load(args)
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc

    async def config_test(args: Args, req: CommandRequest) -> dict[str, Any]:
        parse_new(args)
        return envelope.success(
            "Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were "
            "sanity checked, but not applied."
        )

    async def config_set(args: Args, req: CommandRequest) -> dict[str, Any]:
        return await apply_config(daemon, parse_new(args))

    async def config_reload(args: Args, req: CommandRequest) -> dict[str, Any]:
        return await reload_from_file(daemon)

    async def config_write(args: Args, req: CommandRequest) -> dict[str, Any]:
        filename = (args or {}).get("filename", daemon.config_path)
        if not isinstance(filename, str):
            raise CommandError("passed parameter 'filename' is not a string")
        filename = filename or daemon.config_path  # Kea: an empty name means the config file
        try:
            return write_config(daemon, filename)
        except OSError as exc:  # Kea 2.2's text (no space after the colon); the reason is logged
            daemon.log.warning("config-write to %s failed: %s", filename, exc.strerror)
            text = f"Error during write-config:Unable to open file {filename} for writing"
            raise CommandError(text) from exc

    async def shutdown(args: Args, req: CommandRequest) -> dict[str, Any]:
        asyncio.get_running_loop().call_soon(daemon.request_shutdown)
        return envelope.success("Shutting down.")

    async def dhcp_disable(args: Args, req: CommandRequest) -> dict[str, Any]:
        args = args or {}
        origin = origin_arg(args)
        max_period = max_period_arg(args)
        daemon.network_state.disable(origin, time.time(), max_period)
        if max_period is not None:
            return envelope.success(f"{family.service} service disabled for {max_period} seconds")
        return envelope.success(f"{family.service} service disabled")

    async def dhcp_enable(args: Args, req: CommandRequest) -> dict[str, Any]:
        origin = origin_arg(args or {})
        daemon.network_state.enable(origin)
        return envelope.success("DHCP service successfully enabled")

    async def status_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        now = time.time()
        # Kea: "ready" unless configured interfaces could not be opened (none configured is ready).
        failed = bool(family.interfaces(daemon.config)) and not daemon.sockets
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

    return {
        "config-get": config_get,
        "config-test": config_test,
        "config-set": config_set,
        "config-reload": config_reload,
        "config-write": config_write,
        "shutdown": shutdown,
        "dhcp-disable": dhcp_disable,
        "dhcp-enable": dhcp_enable,
        "status-get": status_get,
    }


def register(daemon: AnyDaemon, family: CommandFamily) -> None:
    """The daemon's own commands and statistic-*."""
    for name, handler in daemon_handlers(daemon, family).items():
        daemon.registry.register(name, handler, replace=True)
    register_statistic_commands(daemon.registry, lambda: daemon.stats)
