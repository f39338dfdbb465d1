"""Kea's statistic-* commands, shared by the DHCPv4 and DHCPv6 daemons (Kea 2.2's texts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRegistry, CommandRequest
from hakea.server.stats import Statistics

Args = dict[str, Any] | None


def _stat_name(args: Args) -> str:
    if not args or "name" not in args:
        raise CommandError("Missing mandatory 'name' parameter.")
    name = args["name"]
    if not isinstance(name, str):
        raise CommandError("'name' parameter expected to be a string.")
    return name


def register_statistic_commands(registry: CommandRegistry, stats: Callable[[], Statistics]) -> None:
    """statistic-get, -get-all, -reset, -reset-all and -remove over the daemon's counters
    (`stats` is called per command, so a daemon may replace its Statistics object)."""

    async def statistic_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        name = _stat_name(args)
        sample = stats().sample(name)
        return envelope.success(None, {} if sample is None else {name: sample})

    async def statistic_get_all(args: Args, req: CommandRequest) -> dict[str, Any]:
        return envelope.success(None, stats().as_kea())

    async def statistic_reset(args: Args, req: CommandRequest) -> dict[str, Any]:
        name = _stat_name(args)
        if not stats().reset(name, time.time()):
            raise CommandError(f"No '{name}' statistic found")
        return envelope.success(f"Statistic '{name}' reset.")

    async def statistic_reset_all(args: Args, req: CommandRequest) -> dict[str, Any]:
        stats().reset(None, time.time())
        return envelope.success("All statistics reset to neutral values.")

    async def statistic_remove(args: Args, req: CommandRequest) -> dict[str, Any]:
        name = _stat_name(args)
        if not stats().remove(name):
            raise CommandError(f"No '{name}' statistic found")
        return envelope.success(f"Statistic '{name}' removed.")

    for name, handler in {
        "statistic-get": statistic_get,
        "statistic-get-all": statistic_get_all,
        "statistic-reset": statistic_reset,
        "statistic-reset-all": statistic_reset_all,
        "statistic-remove": statistic_remove,
    }.items():
        registry.register(name, handler, replace=True)
