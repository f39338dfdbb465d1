"""Argument checks shared by the DHCPv4 and DHCPv6 daemons' own commands (commands4, commands6),
with Kea 2.2's error texts."""

from __future__ import annotations

from typing import Any

from hakea.control.registry import CommandError

__all__ = ["ORIGINS", "int_arg", "max_period_arg", "origin_arg"]

ORIGINS = ("user", "ha-partner")  # dhcp-disable/dhcp-enable "origin" values Kea 2.2 accepts


def int_arg(args: dict[str, Any], name: str, minimum: int = 0) -> int:
    """args[name] as an int >= minimum (a bool is not a number here)."""
    value = args[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError(f"'{name}' argument must be a number")
    if value < minimum:
        raise CommandError(f"'{name}' must be greater than or equal to {minimum}")
    return value


def origin_arg(args: dict[str, Any]) -> str:
    """The "origin" argument of dhcp-disable/dhcp-enable (default "user")."""
    origin = args.get("origin", "user")
    if not isinstance(origin, str):
        raise CommandError("'origin' argument must be a string")  # Kea 2.2's texts
    if origin not in ORIGINS:
        raise CommandError(f"invalid value used for 'origin' parameter: {origin or '(empty string)'}")
    return origin


def max_period_arg(args: dict[str, Any]) -> int | None:
    """dhcp-disable's optional "max-period" (seconds), with Kea 2.2's texts."""
    if "max-period" not in args:
        return None
    value = args["max-period"]
    if type(value) is not int:
        raise CommandError("'max-period' argument must be a number")
    if value <= 0:
        raise CommandError("'max-period' must be positive integer")
    return value
