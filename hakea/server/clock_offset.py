"""The test-only HA clock offset, shared by the DHCPv4 and DHCPv6 HA adapters (ha4, ha6)."""

from __future__ import annotations

import logging
import os

__all__ = ["TEST_CLOCK_OFFSET_ENV", "read_test_clock_offset"]

log = logging.getLogger("hakea.ha")

TEST_CLOCK_OFFSET_ENV = "HAKEA_TEST_CLOCK_OFFSET"


def read_test_clock_offset() -> float:
    """FOR TESTS ONLY: seconds added to the clock the HA core sees (and so to the heartbeat's
    date-time), read from HAKEA_TEST_CLOCK_OFFSET. It lets the end-to-end tests make two servers
    on one host disagree about the time (clock-skew warning / termination) without faketime.
    DHCP lease times and the daemon's own clock are not affected. Unset or empty: 0."""
    text = os.environ.get(TEST_CLOCK_OFFSET_ENV, "").strip()
    if not text:
        return 0.0
    try:
        return float(text)
    except ValueError:
        log.error("%s=%r is not a number of seconds; ignored", TEST_CLOCK_OFFSET_ENV, text)
        return 0.0
