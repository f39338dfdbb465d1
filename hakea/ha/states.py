"""The names of the HA states, exactly as Kea 2.2 writes them on the wire and in the configuration.

A partner reports its state in the `ha-heartbeat` answer ("state": "load-balancing"); the
`state-machine` configuration names states to pause in. "unavailable" is not a state a server is
ever in: it is what a server records for a partner it cannot talk to (Kea's HA_UNAVAILABLE_ST).
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    BACKUP = "backup"
    COMMUNICATION_RECOVERY = "communication-recovery"
    HOT_STANDBY = "hot-standby"
    IN_MAINTENANCE = "in-maintenance"
    LOAD_BALANCING = "load-balancing"
    PARTNER_DOWN = "partner-down"
    PARTNER_IN_MAINTENANCE = "partner-in-maintenance"
    PASSIVE_BACKUP = "passive-backup"
    READY = "ready"
    SYNCING = "syncing"
    TERMINATED = "terminated"
    WAITING = "waiting"
    # Partner only: the heartbeat (or another request to the partner) failed.
    UNAVAILABLE = "unavailable"

    @property
    def label(self) -> str:
        """Upper-case form used in Kea's log messages ("LOAD-BALANCING")."""
        return self.value.upper()


# The states a server can be configured to pause in (every state it can itself be in).
SERVER_STATES: frozenset[State] = frozenset(s for s in State if s is not State.UNAVAILABLE)


def parse_state(name: str) -> State:
    """State for a wire/config name; raises ValueError("unsupported HA state 'x'")."""
    try:
        return State(name)
    except ValueError:
        raise ValueError(f"unsupported HA state '{name}'") from None
