"""DHCPv6 parameters shared by the global, shared-network and subnet levels, and their inheritance.

As for DHCPv4 (hakea.config.network does the common work), Kea 2.2 fills in the
global defaults, then derives inheritable values global -> shared network -> subnet and checks
the effective values of each network. DHCPv6 adds (checked against kea-dhcp6 2.2.0):
- preferred-lifetime with its min/max bounds, checked as valid-lifetime is;
- calculate-tee-times defaults to true (t1 0.5, t2 0.8), so the percents are always checked;
- rapid-commit and interface-id, set per shared network or subnet (not globally);
- "interface" and "interface-id" may not both be set in one network ("interface (defined for
  locally reachable subnets) and interface-id (defined for subnets reachable via relays) cannot be
  defined at the same time");
- all subnets of a shared network use one interface (the network's, if it names one) and the same
  effective rapid-commit value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakea.config.errors import ConfigError
from hakea.config.network import (
    INHERITED_LAST,
    INHERITED_LIFETIMES,
    RESERVATION_DEFAULTS,
    check_network,
    lifetime,
    timer_warnings,
)

# Kea's SimpleParser6 global defaults.
GLOBAL_DEFAULTS6: dict[str, Any] = {
    "preferred-lifetime": 3600,
    "valid-lifetime": 7200,
    "calculate-tee-times": True,
    "t1-percent": 0.5,
    "t2-percent": 0.8,
    "rapid-commit": False,
    **RESERVATION_DEFAULTS,
}

# What a subnet takes from its shared network, and a shared network from the global level.
# interface, interface-id and rapid-commit exist at network levels only; relay is passed down parsed.
INHERITED6 = (
    "preferred-lifetime",
    "min-preferred-lifetime",
    "max-preferred-lifetime",
    *INHERITED_LIFETIMES,
    "rapid-commit",
    "interface",
    "interface-id",
    *INHERITED_LAST,
)

Triplet = tuple[int, int, int]


def check_network6(values: Mapping[str, Any], path: str) -> tuple[Triplet, Triplet]:
    """Kea's network checks on effective values: the valid and preferred lifetime triplets.

    Kea checks the timers, then preferred-lifetime, then valid-lifetime and the rest.
    """
    renew = values.get("renew-timer")
    rebind = values.get("rebind-timer")
    if renew is not None and rebind is not None and renew > rebind:
        check_network(values, path)  # raises, naming renew-timer
    preferred = lifetime(values, path, "preferred-lifetime")
    assert preferred is not None  # preferred-lifetime always has the global default
    valid = check_network(values, path)
    return valid, preferred


def check_interface_choice(obj: Mapping[str, Any], path: str, what: str) -> None:
    """A network is reached either directly (interface) or through relays (interface-id)."""
    if obj.get("interface") and obj.get("interface-id"):  # Kea: an empty one does not count
        raise ConfigError(
            f"{path}/interface-id",
            "interface (defined for locally reachable subnets) and interface-id (defined for subnets "
            f"reachable via relays) cannot be defined at the same time for {what}",
        )


def lifetime_warnings(values: Mapping[str, Any], path: str, warnings: list[str]) -> None:
    # Kea accepts these; the engine then sends the preferred lifetime capped at the valid one, and
    # leaves out T1/T2 that do not precede the valid lifetime.
    preferred, valid = values["preferred-lifetime"], values["valid-lifetime"]
    if preferred > valid:
        warnings.append(
            f"{path}/preferred-lifetime: {preferred} is greater than valid-lifetime ({valid}); "
            "addresses will be given the valid lifetime as preferred lifetime"
        )
    timer_warnings(values, path, warnings)


class SharedNetworkRules:
    """Kea's consistency checks between the subnets of one shared network."""

    def __init__(self, name: str, obj: Mapping[str, Any]) -> None:
        self.name = name
        self.interface: str = obj.get("interface", "")
        self.rapid_commit: bool | None = None  # the first subnet's effective value

    def check_subnet(self, obj: Mapping[str, Any], path: str, subnet_text: str, rapid_commit: bool) -> None:
        interface: str = obj.get("interface", "")
        if interface:
            if self.interface and interface != self.interface:
                raise ConfigError(
                    f"{path}/interface",
                    f"subnet {subnet_text} has specified interface {interface}, but earlier subnet in "
                    f"the same shared-network or the shared-network itself used {self.interface}",
                )
            self.interface = interface
        if self.rapid_commit is not None and rapid_commit != self.rapid_commit:
            where = f"{path}/rapid-commit" if "rapid-commit" in obj else path
            raise ConfigError(
                where,
                "all subnets in a shared network must have the same rapid-commit value: subnet "
                f"{subnet_text} has rapid-commit {str(rapid_commit).lower()}, but earlier subnet in the "
                "same shared-network or the shared-network itself used rapid-commit "
                f"{str(self.rapid_commit).lower()}",
            )
        self.rapid_commit = rapid_commit
