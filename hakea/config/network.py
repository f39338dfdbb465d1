"""Parameters shared by the global, shared-network and subnet levels, and their inheritance, for
either family.

Kea 2.2 fills in global defaults, then copies ("derives") inheritable parameters from global to
shared network to subnet before checking each network; hakea does the same with `inherit`, then
checks the effective values of each shared network and subnet as Kea's network parser does
(renew <= rebind, min <= valid <= max, t1 < t2 percents, cache-threshold in (0, 1)). Each family
lists its defaults and inherited keys (network4, network6) from the pieces here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakea.config import keys_common
from hakea.config.errors import ConfigError
from hakea.config.values import AddressFamily, as_list, check_keys, check_length, one_of, parse_ipv4

# Inherited by both families, in this order: the valid lifetime and the timers ...
INHERITED_LIFETIMES = (
    "valid-lifetime",
    "min-valid-lifetime",
    "max-valid-lifetime",
    "renew-timer",
    "rebind-timer",
    "calculate-tee-times",
    "t1-percent",
    "t2-percent",
)
# ... and, after the family's own, the lease cache and reservation lookup settings.
INHERITED_LAST = (
    "cache-threshold",
    "cache-max-age",
    "store-extended-info",
    "reservations-global",
    "reservations-in-subnet",
    "reservations-out-of-pool",
)

_RESERVATION_FLAGS = ("reservations-global", "reservations-in-subnet", "reservations-out-of-pool")
RESERVATION_DEFAULTS: dict[str, Any] = dict(zip(_RESERVATION_FLAGS, (False, True, False), strict=True))
_RESERVATION_MODES: dict[str, tuple[bool, bool, bool]] = {
    "disabled": (False, False, False),
    "off": (False, False, False),
    "out-of-pool": (False, True, True),
    "global": (True, False, False),
    "all": (False, True, False),
}
_REPLACE_CLIENT_NAME = ("never", "always", "when-present", "when-not-present")

SNAME_MAX = 63  # the 64-byte sname field keeps a terminating NUL
FILE_MAX = 127  # the 128-byte file field likewise


def local_values(
    obj: Mapping[str, Any], path: str, warnings: list[str], inherited: tuple[str, ...]
) -> dict[str, Any]:
    """The inheritable values this level sets, with "reservation-mode" turned into the three flags."""
    values = {key: obj[key] for key in inherited if key in obj}
    if "reservation-mode" in obj:
        if any(flag in obj for flag in _RESERVATION_FLAGS):
            raise ConfigError(
                f"{path}/reservation-mode",
                "invalid use of both 'reservation-mode' and one of 'reservations-global', "
                "'reservations-in-subnet' or 'reservations-out-of-pool' parameters",
            )
        mode = one_of(obj, "reservation-mode", path, tuple(_RESERVATION_MODES), "all")
        values.update(zip(_RESERVATION_FLAGS, _RESERVATION_MODES[mode], strict=True))
        warnings.append(
            f"{path}/reservation-mode: deprecated, use reservations-global, reservations-in-subnet "
            "and reservations-out-of-pool"
        )
    return values


def inherit(parent: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    return {**parent, **own}


def check_common(obj: Mapping[str, Any], path: str) -> None:
    """Checks of values a level sets itself (whatever it inherits). The BOOTP fields are DHCPv4
    keys: a DHCPv6 map never has them (its key table refuses them)."""
    if "next-server" in obj:
        parse_ipv4(obj["next-server"], f"{path}/next-server")
    check_length(obj, "server-hostname", path, SNAME_MAX)
    check_length(obj, "boot-file-name", path, FILE_MAX)
    if "ddns-replace-client-name" in obj:
        one_of(obj, "ddns-replace-client-name", path, _REPLACE_CLIENT_NAME, "never")
    if "require-client-classes" in obj:
        for i, name in enumerate(as_list(obj["require-client-classes"], f"{path}/require-client-classes")):
            if not isinstance(name, str) or not name:
                raise ConfigError(f"{path}/require-client-classes[{i}]", "expected a non-empty class name")


def lifetime(
    values: Mapping[str, Any], path: str, name: str = "valid-lifetime"
) -> tuple[int, int, int] | None:
    """Kea's (min, default, max) triplet from name / min-name / max-name, or None if none is set."""
    value = values.get(name)
    low = values.get(f"min-{name}")
    high = values.get(f"max-{name}")
    if value is None and low is None and high is None:
        return None
    if value is None:
        if low is not None and high is not None:
            raise ConfigError(f"{path}/{name}", f"have min-{name} and max-{name} but no {name} (default)")
        value = low if low is not None else high
    assert value is not None
    lo = low if low is not None else value
    hi = high if high is not None else value
    if lo > hi:
        if low is not None and high is not None:
            raise ConfigError(
                f"{path}/min-{name}", f"the value of min-{name} ({lo}) is not less than max-{name} ({hi})"
            )
        if low is not None:
            raise ConfigError(
                f"{path}/min-{name}",
                f"the value of min-{name} ({lo}) is not less than (default) {name} ({value})",
            )
        raise ConfigError(
            f"{path}/max-{name}",
            f"the value of (default) {name} ({value}) is not less than max-{name} ({hi})",
        )
    if not lo <= value <= hi:
        raise ConfigError(
            f"{path}/{name}",
            f"the value of (default) {name} ({value}) is not between min-{name} ({lo}) and max-{name} ({hi})",
        )
    return lo, value, hi


def check_network(values: Mapping[str, Any], path: str) -> tuple[int, int, int]:
    """Kea's network checks on effective values; returns the valid-lifetime triplet."""
    renew = values.get("renew-timer")
    rebind = values.get("rebind-timer")
    if renew is not None and rebind is not None and renew > rebind:
        raise ConfigError(
            f"{path}/renew-timer",
            f"the value of renew-timer ({renew}) is greater than the value of rebind-timer ({rebind})",
        )
    triplet = lifetime(values, path)
    assert triplet is not None  # valid-lifetime always has the global default
    if values.get("calculate-tee-times"):
        t1 = values.get("t1-percent")
        t2 = values.get("t2-percent")
        for key, pct in (("t2-percent", t2), ("t1-percent", t1)):
            if pct is not None and not 0.0 < pct < 1.0:
                raise ConfigError(
                    f"{path}/{key}", f"{pct} is invalid, it must be greater than 0.0 and less than 1.0"
                )
        if t1 is not None and t2 is not None and t1 >= t2:
            raise ConfigError(f"{path}/t1-percent", f"{t1} is invalid, it must be less than t2-percent: {t2}")
    threshold = values.get("cache-threshold")
    if threshold is not None and not 0.0 < threshold < 1.0:
        raise ConfigError(
            f"{path}/cache-threshold",
            f"{threshold} is invalid, it must be greater than 0.0 and less than 1.0",
        )
    return triplet


def timer_warnings(values: Mapping[str, Any], path: str, warnings: list[str]) -> None:
    # Kea accepts these and then leaves the timer out of its replies (T1/T2 must precede expiry).
    valid = values["valid-lifetime"]
    for key in ("rebind-timer", "renew-timer"):
        timer = values.get(key)
        if timer is not None and timer >= valid:
            warnings.append(
                f"{path}/{key}: {timer} is not less than valid-lifetime ({valid}); it will not be sent"
            )


def parse_relay(value: Any, path: str, family: AddressFamily) -> tuple[int, ...]:
    """A "relay" map: the relay agent addresses a subnet or shared network is reached through."""
    if not isinstance(value, dict):
        raise ConfigError(path, "expected a map")
    check_keys(value, path, keys_common.RELAY)
    if "ip-address" in value and "ip-addresses" in value:
        raise ConfigError(path, "specify either ip-address or ip-addresses, not both")
    if "ip-address" in value:
        return (family.parse_address(value["ip-address"], f"{path}/ip-address"),)
    if "ip-addresses" not in value:
        raise ConfigError(path, "relay must contain either ip-address or ip-addresses")
    addresses = []
    for i, text in enumerate(value["ip-addresses"]):
        item_path = f"{path}/ip-addresses[{i}]"
        if not isinstance(text, str):
            raise ConfigError(item_path, "expected a string")
        addresses.append(family.parse_address(text, item_path))
    return tuple(addresses)


def client_class(obj: Mapping[str, Any]) -> str | None:
    name: str = obj.get("client-class", "")
    return name or None
