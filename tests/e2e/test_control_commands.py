"""Every command of the control-channel issue, with good and bad arguments, against real processes.

One table (CASES) runs in order, as a story that starts and ends with no leases:

* against a real kea-dhcp4 2.2 with libdhcp_lease_cmds.so on its UNIX socket, which checks that the
  table holds Kea's own answers (texts compared without the "(<wire>:line:col)" position Kea's JSON
  getters append);
* through ISC's kea-shell -> hakea-ctrl-agent -> hakea-dhcp4's UNIX socket (answers are lists);
* through ISC's kea-shell straight to a second hakea-dhcp4's own HTTP listener: a one-server HA
  configuration (libdhcp_ha.so, hot-standby primary whose standby is absent) opens it on the
  server's peer URL.

The two kea-shell runs go to two daemons at once (kea-shell costs ~90 ms of CPU per command).
Where hakea deliberately answers differently, the case says so (`hakea_text`); docs/kea-interop.md
lists the differences. Envelope errors (malformed commands kea-shell cannot send) are checked over
raw sockets against kea-dhcp4 and kea-ctrl-agent; shutdown comes last.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import free_tcp_port, start_hakea
from tests.e2e.control_helpers import (
    HAKEA_CTRL_AGENT,
    KEA_CTRL_AGENT,
    KEA_DHCP4,
    KEA_SHELL,
    NO_ARGS,
    Http,
    agent_config,
    dhcp4_config,
    ha_one_server,
    installed,
    kea_shell_answer,
    start_agent,
    start_kea_dhcp4,
    unix_command,
    unix_raw,
    write_json,
)
from tests.e2e.lab import Procs

pytestmark = pytest.mark.e2e

HOST = "127.0.0.1"
HW1, HW2, HW3 = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"
CID1 = "01:02:03:04"
ANY: Any = object()  # text not compared
SAME: Any = object()  # hakea answers Kea's text
CLTT1 = 2_000_000_000 - 4000  # lease 1 is added with "expire", so its cltt is known

# The commands the issue lists; list-commands must name them all (lease4-resend-ddns is out of scope).
ISSUE_COMMANDS = {
    "list-commands",
    "version-get",
    "build-report",
    "status-get",
    "config-get",
    "config-test",
    "config-set",
    "config-reload",
    "config-write",
    "shutdown",
    "dhcp-disable",
    "dhcp-enable",
    "statistic-get",
    "statistic-get-all",
    "statistic-reset",
    "lease4-add",
    "lease4-get",
    "lease4-get-all",
    "lease4-get-page",
    "lease4-get-by-hw-address",
    "lease4-get-by-client-id",
    "lease4-get-by-hostname",
    "lease4-update",
    "lease4-del",
    "lease4-wipe",
}


@dataclass
class Target:
    """One server the table runs against, and how the table reaches it."""

    name: str
    workdir: Path
    config: dict[str, Any]
    send: Callable[[str, Any, bool], dict[str, Any]] = field(repr=False)  # (command, arguments, kea-shell?)

    @property
    def config_path(self) -> Path:
        return self.workdir / f"{self.name}.json"

    @property
    def written(self) -> Path:
        return self.workdir / f"{self.name}-written.json"


Value = Any  # a value, or a callable(Target) -> value


@dataclass(frozen=True)
class Case:
    command: str
    arguments: Value = NO_ARGS
    result: int = 0
    text: Value = None  # Kea 2.2's text (None: the answer has no text; ANY: not compared)
    hakea_text: Value = SAME  # hakea's text where it deliberately differs
    check: Callable[[Any], None] | None = None  # applied to the answer's "arguments"


def own_config(t: Target) -> dict[str, Any]:
    return t.config


def fmt(template: str) -> Callable[[Target], str]:
    return lambda t: template.format(written=t.written, config=t.config_path)


# ---- checks on "arguments" ----------------------------------------------------------------------


def leases_are(*addresses: str, count: bool = False) -> Callable[[Any], None]:
    def check(args: Any) -> None:
        assert [le["ip-address"] for le in args["leases"]] == list(addresses), args
        if count:
            assert args["count"] == len(addresses) and list(args) == ["count", "leases"], args

    return check


def lease_is(expected: dict[str, Any]) -> Callable[[Any], None]:
    def check(args: Any) -> None:
        got = dict(args)
        if "cltt" not in expected:
            assert isinstance(got.pop("cltt"), int)
        assert got == expected, got
        assert list(args) == sorted(args), "Kea writes lease keys in alphabetical order"

    return check


def has_keys(*keys: str) -> Callable[[Any], None]:
    def check(args: Any) -> None:
        assert set(keys) <= set(args), args

    return check


def stat_is(name: str, value: int) -> Callable[[Any], None]:
    def check(args: Any) -> None:
        assert args[name][0][0] == value, args

    return check


def lists_issue_commands(args: Any) -> None:
    assert set(args) >= ISSUE_COMMANDS, ISSUE_COMMANDS - set(args)
    assert args == sorted(args)


def status_ok(args: Any) -> None:
    assert {"pid", "uptime", "reload", "multi-threading-enabled", "sockets"} <= set(args), args
    assert args["sockets"] == {"status": "ready"} and args["multi-threading-enabled"] is False


def pool_unchanged(args: Any) -> None:
    pool = args["Dhcp4"]["subnet4"][0]["pools"][0]["pool"]
    assert pool.replace(" ", "") == "192.0.2.10-192.0.2.200", pool  # Kea writes it without blanks


def empty(args: Any) -> None:
    assert args == {}, args


# ---- the table ------------------------------------------------------------------------------------

BAD_POOL = {
    "Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "10.0.0.1 - 10.0.0.5"}]}]}
}
L1 = {
    "ip-address": "192.0.2.20",
    "hw-address": HW1,
    "client-id": CID1,
    "hostname": "Host-A.Example.org",
    "expire": 2_000_000_000,
    "valid-lft": 4000,
}
L1_JSON = {
    "client-id": CID1,
    "cltt": CLTT1,
    "fqdn-fwd": False,
    "fqdn-rev": False,
    "hostname": "host-a.example.org",
    "hw-address": HW1,
    "ip-address": "192.0.2.20",
    "state": 0,
    "subnet-id": 1,
    "valid-lft": 4000,
}
KEA_BAD_POOL = (
    "subnet configuration failed: a pool of type V4, with the following address range: "
    "10.0.0.1-10.0.0.5 does not match the prefix of a subnet: 192.0.2.0/24 to which it is being added"
)
HAKEA_BAD_POOL = (  # hakea names the offending key instead
    "Dhcp4/subnet4[0]/pools[0]/pool: pool 10.0.0.1-10.0.0.5 does not match the prefix of its subnet "
    "192.0.2.0/24"
)
NEW = {"ip-address": "192.0.2.22", "hw-address": HW3}  # a valid lease, spoiled one way per case
MISSING_CMD = "Mandatory 'subnet-id' parameter missing."
NOT_A_MAP_LEASE = "Parameters missing or are not a map."
NO_ARGS_BY = "Command arguments missing or a not a map."
BAD_FROM = "'from' parameter value is neither 'start' keyword nor a valid IPv4 address"
BAD_TYPE = "invalid type specified for parameter '{}'"
RANGE = "out of range value ({}) specified for parameter '{}'"
NO_LEASE_30 = (
    "failed to update the lease with address 192.0.2.30 either because the lease has been deleted "
    "or it has changed in the database, in both cases a retry might succeed"
)
STATES = "supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)"
IDENT_TYPES = "the only supported values are: address, hw-address, duid"


def add(**spoil: Any) -> dict[str, Any]:
    return {k: v for k, v in {**NEW, **spoil}.items() if v is not None}


CASES: list[tuple[str, Case]] = [
    # ---- server commands
    ("list-commands", Case("list-commands", check=lists_issue_commands)),
    ("version-get", Case("version-get", text=ANY, check=has_keys("extended"))),
    ("build-report", Case("build-report", text=ANY)),
    ("status-get", Case("status-get", check=status_ok)),
    ("status-get/ignored-args", Case("status-get", {"x": 1}, check=status_ok)),
    ("unknown-command", Case("foo-bar", result=2, text="'foo-bar' command not supported.")),
    ("config-get", Case("config-get", check=pool_unchanged)),
    ("config-test/no-args", Case("config-test", result=1, text="Missing mandatory 'arguments' parameter.")),
    ("config-test/no-Dhcp4", Case("config-test", {"Foo": {}}, 1, "Missing mandatory 'Dhcp4' parameter.")),
    (
        "config-test/Dhcp4-int",
        Case("config-test", {"Dhcp4": 5}, 1, "'Dhcp4' parameter expected to be a map."),
    ),
    (
        "config-test/bad-pool",
        Case(
            "config-test",
            BAD_POOL,
            1,
            KEA_BAD_POOL,
            HAKEA_BAD_POOL,
        ),
    ),
    (
        "config-test/wrong-type",
        Case(
            "config-test",
            {"Dhcp4": {"valid-lifetime": "x"}},
            1,
            "intValue() called on non-integer Element in",
            "Dhcp4/valid-lifetime: expected an integer, got string",
        ),
    ),
    (
        "config-test/unknown-key",
        Case(
            "config-test",
            {"Dhcp4": {"no-such-key": 1}},
            1,
            "unsupported global configuration parameter: no-such-key",
            "Dhcp4/no-such-key: unsupported parameter",
        ),
    ),
    (
        "config-test/good",
        Case(
            "config-test",
            own_config,
            0,
            "Configuration seems sane. Control-socket, "
            "hook-libraries, and D2 configuration were sanity checked, but not applied.",
        ),
    ),
    ("config-set/no-args", Case("config-set", result=1, text="Missing mandatory 'arguments' parameter.")),
    ("config-set/no-Dhcp4", Case("config-set", {"Foo": {}}, 1, "Missing mandatory 'Dhcp4' parameter.")),
    (
        "config-set/bad-pool",
        Case(
            "config-set",
            BAD_POOL,
            1,
            KEA_BAD_POOL,
            HAKEA_BAD_POOL,
        ),
    ),
    ("config-get/kept-after-bad-set", Case("config-get", check=pool_unchanged)),
    ("config-set/good", Case("config-set", own_config, 0, "Configuration successful.")),
    ("config-reload", Case("config-reload", text="Configuration successful.")),
    (
        "config-write/filename",
        Case(
            "config-write",
            lambda t: {"filename": str(t.written)},
            0,
            fmt("Configuration written to {written} successful"),
            check=has_keys("filename", "size"),
        ),
    ),
    (
        "config-write/default-file",
        Case("config-write", text=fmt("Configuration written to {config} successful")),
    ),
    (
        "config-write/filename-int",
        Case("config-write", {"filename": 5}, 1, "passed parameter 'filename' is not a string"),
    ),
    (
        "config-write/unwritable",
        Case(
            "config-write",
            {"filename": "/nonexistent/dir/x.json"},
            1,
            "Error during write-config:Unable to open file /nonexistent/dir/x.json for writing",
        ),
    ),
    ("dhcp-disable", Case("dhcp-disable", text="DHCPv4 service disabled")),
    ("dhcp-enable", Case("dhcp-enable", text="DHCP service successfully enabled")),
    (
        "dhcp-disable/max-period",
        Case("dhcp-disable", {"max-period": 5}, 0, "DHCPv4 service disabled for 5 seconds"),
    ),
    (
        "dhcp-disable/max-period-0",
        Case("dhcp-disable", {"max-period": 0}, 1, "'max-period' must be positive integer"),
    ),
    (
        "dhcp-disable/max-period-str",
        Case("dhcp-disable", {"max-period": "5"}, 1, "'max-period' argument must be a number"),
    ),
    ("dhcp-disable/origin-ha", Case("dhcp-disable", {"origin": "ha-partner"}, 0, "DHCPv4 service disabled")),
    (
        "dhcp-disable/origin-foo",
        Case("dhcp-disable", {"origin": "foo"}, 1, "invalid value used for 'origin' parameter: foo"),
    ),
    ("dhcp-disable/origin-int", Case("dhcp-disable", {"origin": 5}, 1, "'origin' argument must be a string")),
    (
        "dhcp-enable/origin-ha",
        Case("dhcp-enable", {"origin": "ha-partner"}, 0, "DHCP service successfully enabled"),
    ),
    (
        "dhcp-enable/origin-foo",
        Case("dhcp-enable", {"origin": "foo"}, 1, "invalid value used for 'origin' parameter: foo"),
    ),
    ("dhcp-enable/origin-int", Case("dhcp-enable", {"origin": 1}, 1, "'origin' argument must be a string")),
    ("dhcp-enable/again", Case("dhcp-enable", text="DHCP service successfully enabled")),
    (
        "statistic-get",
        Case(
            "statistic-get",
            {"name": "subnet[1].total-addresses"},
            0,
            check=stat_is("subnet[1].total-addresses", 191),
        ),
    ),
    ("statistic-get/unknown", Case("statistic-get", {"name": "nope"}, 0, check=empty)),
    ("statistic-get/no-args", Case("statistic-get", result=1, text="Missing mandatory 'name' parameter.")),
    ("statistic-get/no-name", Case("statistic-get", {"x": 1}, 1, "Missing mandatory 'name' parameter.")),
    (
        "statistic-get/name-int",
        Case("statistic-get", {"name": 5}, 1, "'name' parameter expected to be a string."),
    ),
    (
        "statistic-get-all",
        Case("statistic-get-all", check=has_keys("pkt4-received", "subnet[2].total-addresses")),
    ),
    (
        "statistic-reset",
        Case("statistic-reset", {"name": "pkt4-received"}, 0, "Statistic 'pkt4-received' reset."),
    ),
    (
        "statistic-get/after-reset",
        Case("statistic-get", {"name": "pkt4-received"}, check=stat_is("pkt4-received", 0)),
    ),
    ("statistic-reset/unknown", Case("statistic-reset", {"name": "nope"}, 1, "No 'nope' statistic found")),
    (
        "statistic-reset/no-args",
        Case("statistic-reset", result=1, text="Missing mandatory 'name' parameter."),
    ),
    (
        "statistic-reset/name-int",
        Case("statistic-reset", {"name": 1}, 1, "'name' parameter expected to be a string."),
    ),
    # ---- lease4-add
    ("lease4-wipe/start", Case("lease4-wipe", result=3, text="Deleted 0 IPv4 lease(s) from subnet(s) 1 2")),
    ("lease4-add", Case("lease4-add", L1, 0, "Lease for address 192.0.2.20, subnet-id 1 added.")),
    ("lease4-add/exists", Case("lease4-add", L1, 1, "IPv4 lease already exists.")),
    (
        "lease4-add/subnet-valid-lft",
        Case(
            "lease4-add",
            {"ip-address": "192.0.2.21", "hw-address": HW2, "subnet-id": 1, "valid-lft": 100},
            0,
            "Lease for address 192.0.2.21, subnet-id 1 added.",
        ),
    ),
    (
        "lease4-add/subnet-2",
        Case(
            "lease4-add",
            {"ip-address": "10.0.0.5", "hw-address": HW3},
            0,
            "Lease for address 10.0.0.5, subnet-id 2 added.",
        ),
    ),
    (
        "lease4-add/declined-no-hw",
        Case(
            "lease4-add",
            {"ip-address": "192.0.2.23", "hw-address": "", "state": 1},
            0,
            "Lease for address 192.0.2.23, subnet-id 1 added.",
        ),
    ),
    (
        "lease4-add/context-comment",
        Case(
            "lease4-add",
            {"ip-address": "192.0.2.24", "hw-address": HW1, "user-context": {"a": 1}, "comment": "hi"},
            0,
            "Lease for address 192.0.2.24, subnet-id 1 added.",
        ),
    ),
    ("lease4-add/no-args", Case("lease4-add", result=1, text="no parameters specified for the command")),
    ("lease4-add/empty-args", Case("lease4-add", {}, 1, "missing parameter 'ip-address'")),
    ("lease4-add/no-ip", Case("lease4-add", {"hw-address": HW1}, 1, "missing parameter 'ip-address'")),
    (
        "lease4-add/bad-ip",
        Case(
            "lease4-add",
            add(**{"ip-address": "192.0.2.300"}),
            1,
            "Failed to convert '192.0.2.300' to address: Failed to convert string to address "
            "'192.0.2.300': Invalid argument",
        ),
    ),
    ("lease4-add/ip-int", Case("lease4-add", add(**{"ip-address": 5}), 1, BAD_TYPE.format("ip-address"))),
    (
        "lease4-add/ip-v6",
        Case(
            "lease4-add", add(**{"ip-address": "2001:db8::1"}), 1, "Non-IPv4 address specified: 2001:db8::1"
        ),
    ),
    (
        "lease4-add/no-hw",
        Case("lease4-add", {"ip-address": "192.0.2.22"}, 1, "missing parameter 'hw-address'"),
    ),
    (
        "lease4-add/hw-bad-digit",
        Case(
            "lease4-add",
            add(**{"hw-address": "zz:zz"}),
            1,
            "'z' is not a valid hexadecimal digit in decoded string 'zz:zz'",
        ),
    ),
    (
        "lease4-add/hw-bad-format",
        Case("lease4-add", add(**{"hw-address": "xyz"}), 1, "invalid format of the decoded string 'xyz'"),
    ),
    ("lease4-add/hw-int", Case("lease4-add", add(**{"hw-address": 5}), 1, BAD_TYPE.format("hw-address"))),
    (
        "lease4-add/hw-too-long",
        Case(
            "lease4-add",
            add(**{"hw-address": ":".join(["01"] * 21)}),
            1,
            "address vector size exceeds MAX_HWADDR_LEN",
        ),
    ),
    (
        "lease4-add/unknown-subnet",
        Case(
            "lease4-add",
            add(**{"subnet-id": 7}),
            1,
            "Invalid subnet-id: No IPv4 subnet with subnet-id=7 currently configured.",
        ),
    ),
    (
        "lease4-add/wrong-subnet",
        Case(
            "lease4-add",
            add(**{"subnet-id": 2}),
            1,
            "The address 192.0.2.22 does not belong to subnet 10.0.0.0/24, subnet-id=2",
        ),
    ),
    (
        "lease4-add/no-subnet",
        Case(
            "lease4-add",
            add(**{"ip-address": "172.16.0.1"}),
            1,
            "subnet-id not specified and failed to find a subnet for address 172.16.0.1",
        ),
    ),
    ("lease4-add/subnet-str", Case("lease4-add", add(**{"subnet-id": "1"}), 1, BAD_TYPE.format("subnet-id"))),
    (
        "lease4-add/subnet-negative",
        Case("lease4-add", add(**{"subnet-id": -1}), 1, RANGE.format(-1, "subnet-id")),
    ),
    (
        "lease4-add/valid-lft-str",
        Case("lease4-add", add(**{"valid-lft": "x"}), 1, BAD_TYPE.format("valid-lft")),
    ),
    (
        "lease4-add/client-id-bad",
        Case("lease4-add", add(**{"client-id": "qq"}), 1, "'qq' is not a valid string of hexadecimal digits"),
    ),
    (
        "lease4-add/client-id-short",
        Case(
            "lease4-add", add(**{"client-id": "01"}), 1, "client-id is too short (1), at least 2 is required"
        ),
    ),
    (
        "lease4-add/client-id-empty",
        Case("lease4-add", add(**{"client-id": ""}), 1, "Empty DUIDs are not allowed"),
    ),
    ("lease4-add/state-7", Case("lease4-add", add(state=7), 1, f"Invalid state value: 7, {STATES}")),
    ("lease4-add/state-str", Case("lease4-add", add(state="x"), 1, BAD_TYPE.format("state"))),
    ("lease4-add/state-negative", Case("lease4-add", add(state=-1), 1, RANGE.format(-1, "state"))),
    ("lease4-add/fqdn-str", Case("lease4-add", add(**{"fqdn-fwd": "yes"}), 1, BAD_TYPE.format("fqdn-fwd"))),
    (
        "lease4-add/fqdn-no-hostname",
        Case(
            "lease4-add",
            add(**{"fqdn-fwd": True}),
            1,
            "No hostname specified and either forward or reverse fqdn was set to true.",
        ),
    ),
    ("lease4-add/hostname-int", Case("lease4-add", add(hostname=5), 1, BAD_TYPE.format("hostname"))),
    (
        "lease4-add/expire-negative",
        Case("lease4-add", add(expire=-5), 1, "expiration time must be positive for address 192.0.2.22"),
    ),
    (
        "lease4-add/expire-before-lft",
        Case(
            "lease4-add",
            add(expire=10, **{"valid-lft": 100}),
            1,
            "expiration time must be greater than valid lifetime for address 192.0.2.22",
        ),
    ),
    (
        "lease4-add/context-int",
        Case("lease4-add", add(**{"user-context": 5}), 1, "Invalid user context '5' is not a JSON map."),
    ),
    (
        "lease4-add/no-identifier",
        Case(
            "lease4-add",
            add(**{"hw-address": ""}),
            1,
            "Lease4: 192.0.2.22, state: default has neither hardware address or client id",
        ),
    ),
    # ---- lease4-get
    (
        "lease4-get",
        Case("lease4-get", {"ip-address": "192.0.2.20"}, 0, "IPv4 lease found.", check=lease_is(L1_JSON)),
    ),
    (
        "lease4-get/context",
        Case(
            "lease4-get",
            {"ip-address": "192.0.2.24"},
            0,
            "IPv4 lease found.",
            check=lease_is(
                {
                    "fqdn-fwd": False,
                    "fqdn-rev": False,
                    "hostname": "",
                    "hw-address": HW1,
                    "ip-address": "192.0.2.24",
                    "state": 0,
                    "subnet-id": 1,
                    "user-context": {"a": 1, "comment": "hi"},
                    "valid-lft": 4000,
                }
            ),
        ),
    ),
    (
        "lease4-get/declined",
        Case(
            "lease4-get",
            {"ip-address": "192.0.2.23"},
            0,
            "IPv4 lease found.",
            check=lease_is(
                {
                    "fqdn-fwd": False,
                    "fqdn-rev": False,
                    "hostname": "",
                    "hw-address": "",
                    "ip-address": "192.0.2.23",
                    "state": 1,
                    "subnet-id": 1,
                    "valid-lft": 4000,
                }
            ),
        ),
    ),
    ("lease4-get/none", Case("lease4-get", {"ip-address": "192.0.2.99"}, 3, "Lease not found.")),
    (
        "lease4-get/bad-ip",
        Case(
            "lease4-get",
            {"ip-address": "bad"},
            1,
            "Failed to convert string to address 'bad': Invalid argument",
        ),
    ),
    (
        "lease4-get/ip-v6",
        Case("lease4-get", {"ip-address": "2001:db8::1"}, 1, "Invalid IPv4 address specified: 2001:db8::1"),
    ),
    ("lease4-get/ip-int", Case("lease4-get", {"ip-address": 5}, 1, "'ip-address' is not a string.")),
    ("lease4-get/no-args", Case("lease4-get", result=1, text=NOT_A_MAP_LEASE)),
    ("lease4-get/empty-args", Case("lease4-get", {}, 1, MISSING_CMD)),
    (
        "lease4-get/hw-address",
        Case(
            "lease4-get",
            {"identifier-type": "hw-address", "identifier": HW2, "subnet-id": 1},
            0,
            "IPv4 lease found.",
            check=lease_is(
                {
                    "fqdn-fwd": False,
                    "fqdn-rev": False,
                    "hostname": "",
                    "hw-address": HW2,
                    "ip-address": "192.0.2.21",
                    "state": 0,
                    "subnet-id": 1,
                    "valid-lft": 100,
                }
            ),
        ),
    ),
    (
        "lease4-get/hw-address-other-subnet",
        Case(
            "lease4-get",
            {"identifier-type": "hw-address", "identifier": HW2, "subnet-id": 2},
            3,
            "Lease not found.",
        ),
    ),
    (
        "lease4-get/client-id",
        Case(
            "lease4-get",
            {"identifier-type": "client-id", "identifier": CID1, "subnet-id": 1},
            0,
            "IPv4 lease found.",
            check=lease_is(L1_JSON),
        ),
    ),
    (
        "lease4-get/duid",
        Case(
            "lease4-get",
            {"identifier-type": "duid", "identifier": CID1, "subnet-id": 1},
            1,
            "Query by duid is not allowed in v4.",
        ),
    ),
    (
        "lease4-get/type-foo",
        Case(
            "lease4-get",
            {"identifier-type": "foo", "identifier": CID1, "subnet-id": 1},
            1,
            f"Incorrect identifier type: foo, {IDENT_TYPES}",
        ),
    ),
    (
        "lease4-get/no-subnet",
        Case("lease4-get", {"identifier-type": "hw-address", "identifier": HW1}, 1, MISSING_CMD),
    ),
    (
        "lease4-get/subnet-str",
        Case(
            "lease4-get",
            {"identifier-type": "hw-address", "identifier": HW1, "subnet-id": "1"},
            1,
            "'subnet-id' parameter is not integer.",
        ),
    ),
    (
        "lease4-get/no-identifier",
        Case(
            "lease4-get",
            {"identifier-type": "hw-address", "subnet-id": 1},
            1,
            "No 'ip-address' provided and 'identifier' is either missing or not a string.",
        ),
    ),
    (
        "lease4-get/type-int",
        Case(
            "lease4-get",
            {"identifier-type": 1, "identifier": HW1, "subnet-id": 1},
            1,
            "No 'ip-address' provided and 'identifier-type' is either missing or not a string.",
        ),
    ),
    (
        "lease4-get/identifier-bad",
        Case(
            "lease4-get",
            {"identifier-type": "hw-address", "identifier": "xyz", "subnet-id": 1},
            1,
            "invalid format of the decoded string 'xyz'",
        ),
    ),
    # ---- lease4-get-all / lease4-get-page
    (
        "lease4-get-all",
        Case(
            "lease4-get-all",
            text="5 IPv4 lease(s) found.",
            check=leases_are("10.0.0.5", "192.0.2.20", "192.0.2.21", "192.0.2.23", "192.0.2.24"),
        ),
    ),
    (
        "lease4-get-all/subnet",
        Case(
            "lease4-get-all",
            {"subnets": [1]},
            0,
            "4 IPv4 lease(s) found.",
            check=leases_are("192.0.2.20", "192.0.2.21", "192.0.2.23", "192.0.2.24"),
        ),
    ),
    (
        "lease4-get-all/subnets-2-1",
        Case(
            "lease4-get-all",
            {"subnets": [2, 1]},
            0,
            "5 IPv4 lease(s) found.",
            check=leases_are("10.0.0.5", "192.0.2.20", "192.0.2.21", "192.0.2.23", "192.0.2.24"),
        ),
    ),
    (
        "lease4-get-all/unknown-subnet",
        Case("lease4-get-all", {"subnets": [99]}, 3, "0 IPv4 lease(s) found.", check=leases_are()),
    ),
    ("lease4-get-all/empty-args", Case("lease4-get-all", {}, 1, "'subnets' parameter not specified")),
    (
        "lease4-get-all/subnets-str",
        Case("lease4-get-all", {"subnets": "x"}, 1, "'subnets' parameter must be a list"),
    ),
    (
        "lease4-get-all/subnets-strs",
        Case("lease4-get-all", {"subnets": ["a"]}, 1, "listed subnet identifiers must be numbers"),
    ),
    (
        "lease4-get-page/start",
        Case(
            "lease4-get-page",
            {"from": "start", "limit": 2},
            0,
            "2 IPv4 lease(s) found.",
            check=leases_are("10.0.0.5", "192.0.2.20", count=True),
        ),
    ),
    (
        "lease4-get-page/from",
        Case(
            "lease4-get-page",
            {"from": "192.0.2.20", "limit": 2},
            0,
            "2 IPv4 lease(s) found.",
            check=leases_are("192.0.2.21", "192.0.2.23", count=True),
        ),
    ),
    (
        "lease4-get-page/last",
        Case(
            "lease4-get-page",
            {"from": "192.0.2.23", "limit": 2},
            0,
            "1 IPv4 lease(s) found.",
            check=leases_are("192.0.2.24", count=True),
        ),
    ),
    (
        "lease4-get-page/past-end",
        Case(
            "lease4-get-page",
            {"from": "192.0.2.24", "limit": 2},
            3,
            "0 IPv4 lease(s) found.",
            check=leases_are(count=True),
        ),
    ),
    ("lease4-get-page/from-bad", Case("lease4-get-page", {"from": "bad", "limit": 2}, 1, BAD_FROM)),
    (
        "lease4-get-page/from-v6",
        Case(
            "lease4-get-page",
            {"from": "2001:db8::1", "limit": 2},
            1,
            "'from' parameter value 2001:db8::1 is not an IPv4 address",
        ),
    ),
    (
        "lease4-get-page/from-int",
        Case("lease4-get-page", {"from": 5, "limit": 2}, 1, "'from' parameter must be a string"),
    ),
    ("lease4-get-page/no-from", Case("lease4-get-page", {"limit": 2}, 1, "'from' parameter not specified")),
    (
        "lease4-get-page/no-limit",
        Case("lease4-get-page", {"from": "start"}, 1, "'limit' parameter not specified"),
    ),
    (
        "lease4-get-page/limit-0",
        Case(
            "lease4-get-page", {"from": "start", "limit": 0}, 1, "page size of retrieved leases must not be 0"
        ),
    ),
    (
        "lease4-get-page/limit-negative",
        Case(
            "lease4-get-page",
            {"from": "start", "limit": -1},
            1,
            "page size of retrieved leases must not be greater than 4294967295",
        ),
    ),
    (
        "lease4-get-page/limit-str",
        Case("lease4-get-page", {"from": "start", "limit": "2"}, 1, "'limit' parameter must be a number"),
    ),
    (
        "lease4-get-page/no-args",
        Case("lease4-get-page", result=1, text="no parameters specified for the lease4-get-page command"),
    ),
    # ---- lease4-get-by-*
    (
        "by-hw-address",
        Case(
            "lease4-get-by-hw-address",
            {"hw-address": HW1},
            0,
            "2 IPv4 lease(s) found.",
            check=leases_are("192.0.2.20", "192.0.2.24"),
        ),
    ),
    (
        "by-hw-address/none",
        Case(
            "lease4-get-by-hw-address",
            {"hw-address": "02:00:00:00:00:99"},
            3,
            "0 IPv4 lease(s) found.",
            check=leases_are(),
        ),
    ),
    (
        "by-hw-address/bad",
        Case(
            "lease4-get-by-hw-address",
            {"hw-address": "zz:zz"},
            1,
            "'z' is not a valid hexadecimal digit in decoded string 'zz:zz'",
        ),
    ),
    (
        "by-hw-address/int",
        Case("lease4-get-by-hw-address", {"hw-address": 5}, 1, "'hw-address' parameter must be a string"),
    ),
    (
        "by-hw-address/missing",
        Case("lease4-get-by-hw-address", {"x": 1}, 1, "'hw-address' parameter not specified"),
    ),
    ("by-hw-address/no-args", Case("lease4-get-by-hw-address", result=1, text=NO_ARGS_BY)),
    (
        "by-client-id",
        Case(
            "lease4-get-by-client-id",
            {"client-id": CID1},
            0,
            "1 IPv4 lease(s) found.",
            check=leases_are("192.0.2.20"),
        ),
    ),
    (
        "by-client-id/none",
        Case("lease4-get-by-client-id", {"client-id": "09:09"}, 3, "0 IPv4 lease(s) found."),
    ),
    (
        "by-client-id/bad",
        Case(
            "lease4-get-by-client-id",
            {"client-id": "xyz"},
            1,
            "'xyz' is not a valid string of hexadecimal digits",
        ),
    ),
    (
        "by-client-id/int",
        Case("lease4-get-by-client-id", {"client-id": 5}, 1, "'client-id' parameter must be a string"),
    ),
    (
        "by-client-id/missing",
        Case("lease4-get-by-client-id", {"x": 1}, 1, "'client-id' parameter not specified"),
    ),
    ("by-client-id/no-args", Case("lease4-get-by-client-id", result=1, text=NO_ARGS_BY)),
    (
        "by-hostname",
        Case(
            "lease4-get-by-hostname",
            {"hostname": "HOST-A.example.org"},
            0,
            "1 IPv4 lease(s) found.",
            check=leases_are("192.0.2.20"),
        ),
    ),
    ("by-hostname/none", Case("lease4-get-by-hostname", {"hostname": "nope"}, 3, "0 IPv4 lease(s) found.")),
    (
        "by-hostname/empty",
        Case("lease4-get-by-hostname", {"hostname": ""}, 1, "'hostname' parameter is empty"),
    ),
    (
        "by-hostname/int",
        Case("lease4-get-by-hostname", {"hostname": 5}, 1, "'hostname' parameter must be a string"),
    ),
    (
        "by-hostname/missing",
        Case("lease4-get-by-hostname", {"x": 1}, 1, "'hostname' parameter not specified"),
    ),
    ("by-hostname/no-args", Case("lease4-get-by-hostname", result=1, text=NO_ARGS_BY)),
    # ---- lease4-update
    (
        "lease4-update",
        Case("lease4-update", {**L1, "hostname": "host-b.example.org"}, 0, "IPv4 lease updated."),
    ),
    (
        "lease4-get/updated",
        Case(
            "lease4-get",
            {"ip-address": "192.0.2.20"},
            0,
            "IPv4 lease found.",
            check=lease_is({**L1_JSON, "hostname": "host-b.example.org"}),
        ),
    ),
    (
        "lease4-update/no-lease",
        Case("lease4-update", {"ip-address": "192.0.2.30", "hw-address": HW3}, 1, NO_LEASE_30),
    ),
    (
        "lease4-update/force-create",
        Case(
            "lease4-update",
            {"ip-address": "192.0.2.30", "hw-address": HW3, "force-create": True},
            0,
            "IPv4 lease added.",
        ),
    ),
    (
        "lease4-update/force-create-str",
        Case("lease4-update", {**NEW, "force-create": "yes"}, 1, BAD_TYPE.format("force-create")),
    ),
    (
        "lease4-update/no-args",
        Case("lease4-update", result=1, text="no parameters specified for lease4-update command"),
    ),
    ("lease4-update/empty-args", Case("lease4-update", {}, 1, "missing parameter 'ip-address'")),
    (
        "lease4-update/no-hw",
        Case("lease4-update", {"ip-address": "192.0.2.20"}, 1, "missing parameter 'hw-address'"),
    ),
    (
        "lease4-update/unknown-subnet",
        Case(
            "lease4-update",
            {**L1, "subnet-id": 9},
            1,
            "Invalid subnet-id: No IPv4 subnet with subnet-id=9 currently configured.",
        ),
    ),
    (
        "lease4-update/ip-v6",
        Case(
            "lease4-update", {**L1, "ip-address": "2001:db8::1"}, 1, "Non-IPv4 address specified: 2001:db8::1"
        ),
    ),
    (
        "lease4-update/as-kea-ha-sends",
        Case(  # a declined lease, exactly as a Kea 2.2 partner sends it
            "lease4-update",
            {
                "expire": 2_000_000_000,
                "force-create": True,
                "fqdn-fwd": False,
                "fqdn-rev": False,
                "hostname": "",
                "hw-address": "",
                "ip-address": "192.0.2.40",
                "state": 1,
                "subnet-id": 1,
                "valid-lft": 4000,
            },
            0,
            "IPv4 lease added.",
        ),
    ),
    # ---- lease4-del
    ("lease4-del", Case("lease4-del", {"ip-address": "192.0.2.30"}, 0, "IPv4 lease deleted.")),
    ("lease4-del/again", Case("lease4-del", {"ip-address": "192.0.2.30"}, 3, "IPv4 lease not found.")),
    (
        "lease4-del/bad-ip",
        Case(
            "lease4-del",
            {"ip-address": "bad"},
            1,
            "Failed to convert string to address 'bad': Invalid argument",
        ),
    ),
    (
        "lease4-del/ip-v6",
        Case("lease4-del", {"ip-address": "2001:db8::1"}, 1, "Invalid IPv4 address specified: 2001:db8::1"),
    ),
    (
        "lease4-del/hw-address",
        Case(
            "lease4-del",
            {"identifier-type": "hw-address", "identifier": HW2, "subnet-id": 1},
            0,
            "IPv4 lease deleted.",
        ),
    ),
    (
        "lease4-del/hw-address-none",
        Case(
            "lease4-del",
            {"identifier-type": "hw-address", "identifier": HW2, "subnet-id": 1},
            3,
            "IPv4 lease not found.",
        ),
    ),
    (
        "lease4-del/duid",
        Case(
            "lease4-del",
            {"identifier-type": "duid", "identifier": CID1, "subnet-id": 1},
            1,
            "Delete by duid is not allowed in v4.",
        ),
    ),
    (
        "lease4-del/type-foo",
        Case(
            "lease4-del",
            {"identifier-type": "foo", "identifier": "01", "subnet-id": 1},
            1,
            f"Incorrect identifier type: foo, {IDENT_TYPES}",
        ),
    ),
    ("lease4-del/no-args", Case("lease4-del", result=1, text=NOT_A_MAP_LEASE)),
    ("lease4-del/empty-args", Case("lease4-del", {}, 1, MISSING_CMD)),
    # ---- lease4-wipe
    (
        "lease4-wipe/unknown-subnet",
        Case("lease4-wipe", {"subnet-id": 99}, 3, "Deleted 0 IPv4 lease(s) from subnet(s) 99"),
    ),
    ("lease4-wipe/subnet-str", Case("lease4-wipe", {"subnet-id": "x"}, 1, BAD_TYPE.format("subnet-id"))),
    ("lease4-wipe/subnet-negative", Case("lease4-wipe", {"subnet-id": -1}, 1, RANGE.format(-1, "subnet-id"))),
    (
        "lease4-wipe/subnet-2",
        Case("lease4-wipe", {"subnet-id": 2}, 0, "Deleted 1 IPv4 lease(s) from subnet(s) 2"),
    ),
    ("lease4-wipe", Case("lease4-wipe", text="Deleted 4 IPv4 lease(s) from subnet(s) 1 2")),
    (
        "lease4-wipe/nothing-left",
        Case("lease4-wipe", result=3, text="Deleted 0 IPv4 lease(s) from subnet(s) 1 2"),
    ),
    (
        "lease4-get-all/empty",
        Case("lease4-get-all", result=3, text="0 IPv4 lease(s) found.", check=leases_are()),
    ),
    (
        "lease4-get-page/empty",
        Case(
            "lease4-get-page",
            {"from": "start", "limit": 10},
            3,
            "0 IPv4 lease(s) found.",
            check=leases_are(count=True),
        ),
    ),
]


# ---- running the table ----------------------------------------------------------------------------

_POSITION = re.compile(r"\s?\(<wire>:\d+:\d+\)$")


def resolve(value: Any, target: Target) -> Any:
    return value(target) if callable(value) else value


def mismatch(case: Case, answer: dict[str, Any], target: Target, kea: bool) -> str | None:
    """Why `answer` is not what the case expects, or None."""
    if answer.get("result") != case.result:
        return f"result {answer.get('result')} != {case.result}: {str(answer)[:300]}"
    want = case.text if kea or case.hakea_text is SAME else case.hakea_text
    want = resolve(want, target)
    if want is not ANY:
        got = answer.get("text")
        if kea and isinstance(got, str):
            got = _POSITION.sub("", got)  # "... Element in (<wire>:0:69)" -> "... Element in"
        if got != want:
            return f"text {got!r} != {want!r}"
    if case.check is not None:
        try:
            case.check(answer.get("arguments"))
        except (AssertionError, KeyError, TypeError) as exc:
            return f"arguments: {str(exc)[:300]} in {str(answer)[:300]}"
    return None


def through_kea_shell() -> set[str]:
    """The cases kea-shell sends (it costs ~0.1 s of CPU a command): for each command, the first
    case of each result code; the others go as kea-shell would send them, over one persistent
    connection to the same listener."""
    seen: set[tuple[str, int]] = set()
    chosen = set()
    for name, case in CASES:
        if (case.command, case.result) not in seen:
            seen.add((case.command, case.result))
            chosen.add(name)
    return chosen


SHELL_CASES = through_kea_shell()


def run_table(target: Target, kea: bool = False) -> list[str]:
    failures = []
    for name, case in CASES:
        answer = target.send(case.command, resolve(case.arguments, target), name in SHELL_CASES)
        why = mismatch(case, answer, target, kea)
        if why is not None:
            failures.append(f"{target.name} {name}: {why}")
    return failures


# ---- fixtures -------------------------------------------------------------------------------------


@dataclass
class Setup:
    procs: Procs
    workdir: Path
    via_agent: Target  # kea-shell -> hakea-ctrl-agent -> hakea-dhcp4 (UNIX socket)
    via_listener: Target  # kea-shell -> hakea-dhcp4's own HTTP listener (HA peer URL)
    agent_port: int
    listener_port: int
    sockets: dict[str, Path]
    daemons: list[subprocess.Popen[bytes]]


def sender(port: int) -> Callable[[str, Any, bool], dict[str, Any]]:
    http = Http(HOST, port)

    def send(command: str, arguments: Any, shell: bool) -> dict[str, Any]:
        if shell:
            return kea_shell_answer(port, command, arguments)
        return http.command(command, arguments)

    return send


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    if not installed(KEA_SHELL):
        pytest.skip("kea-shell (Debian package kea-ctrl-agent) is not installed")
    agent_port, listener_port = free_tcp_port(), free_tcp_port()
    partner = f"http://{HOST}:{free_tcp_port()}/"  # nobody listens there
    a = dhcp4_config(workdir, "hakea-a")
    b = dhcp4_config(workdir, "hakea-b", hooks=[ha_one_server(f"http://{HOST}:{listener_port}/", partner)])
    socks = {"a": workdir / "hakea-a.sock", "b": workdir / "hakea-b.sock"}
    daemons = [
        start_hakea(procs, "hakea-a", write_json(workdir / "hakea-a.json", a), socks["a"]),
        start_hakea(procs, "hakea-b", write_json(workdir / "hakea-b.json", b), socks["b"]),
    ]
    conf = write_json(workdir / "hakea-ca.json", agent_config(HOST, agent_port, socks["a"]))
    start_agent(procs, "hakea-ctrl-agent", [HAKEA_CTRL_AGENT, "-c", str(conf)], HOST, agent_port)
    yield Setup(
        procs,
        workdir,
        Target("hakea-a", workdir, a, sender(agent_port)),
        Target("hakea-b", workdir, b, sender(listener_port)),
        agent_port,
        listener_port,
        socks,
        daemons,
    )


@pytest.fixture(scope="module")
def kea(workdir: Path, procs: Procs) -> Target:
    """kea-dhcp4 2.2 with lease_cmds on a UNIX socket: the reference the table is checked against."""
    if not installed(KEA_DHCP4):
        pytest.skip("kea-dhcp4 is not installed")
    config = dhcp4_config(workdir, "kea")
    sock = workdir / "kea.sock"
    start_kea_dhcp4(procs, "kea-dhcp4", write_json(workdir / "kea.json", config), sock)

    def send(command: str, arguments: Any, shell: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"command": command}
        if arguments is not NO_ARGS:
            body["arguments"] = arguments
        return unix_command(sock, body)

    return Target("kea", workdir, config, send)


# ---- tests ----------------------------------------------------------------------------------------


def test_the_table_holds_kea_2_2_answers(kea: Target) -> None:
    failures = run_table(kea, kea=True)
    assert not failures, "\n".join(failures)


def test_the_table_through_kea_shell_via_hakea_ctrl_agent_and_on_the_daemon_listener(setup: Setup) -> None:
    """Both paths at once, each against its own daemon: every answer is a list of one and matches
    the table."""
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run_table, [setup.via_agent, setup.via_listener]))
    failures = [f for r in results for f in r]
    assert not failures, "\n".join(failures)
    # The table changed and restored state: the written configuration is the running one.
    written = json.loads(setup.via_agent.written.read_text())
    assert written["Dhcp4"]["subnet4"] == setup.via_agent.config["Dhcp4"]["subnet4"]


ENVELOPE = [
    # (case, body, Kea 2.2's text on a daemon socket and on kea-ctrl-agent)
    (
        "no-command",
        b'{"arguments": {}}',
        "Error during command processing: Invalid answer specified, does not contain mandatory 'command'",
    ),
    (
        "command-int",
        b'{"command": 5}',
        "Error during command processing: 'command' element in command message is not a string",
    ),
    (
        "extra-key",
        b'{"command": "list-commands", "extra": 1}',
        "Error during command processing: Received command contains unsupported parameter 'extra'",
    ),
    (
        "not-a-map",
        b"[1, 2]",
        "Error during command processing: Invalid command Element specified, expected map",
    ),
    ("unknown", b'{"command": "foo"}', "'foo' command not supported."),
]


def test_envelope_errors_on_the_unix_socket_and_the_listener_match_kea(setup: Setup, kea: Target) -> None:
    kea_sock = kea.workdir / "kea.sock"
    http = Http(HOST, setup.listener_port)
    try:
        for name, body, text in ENVELOPE:
            assert unix_raw(kea_sock, body) == {"result": 2 if name == "unknown" else 1, "text": text}, name
            want = {"result": 2 if name == "unknown" else 1, "text": text}
            assert unix_raw(setup.sockets["a"], body) == want, name
            status, data = http.post_raw(body)
            assert (status, json.loads(data)) == (200, [want]), name  # Kea's HA listener: a list of one
        # Malformed JSON: result 1 naming the problem (Kea's own words come from its JSON parser).
        answer = unix_raw(kea_sock, b'{"command": "list-commands"]')
        assert answer["result"] == 1 and "expected" in answer["text"], answer
        answer = unix_raw(setup.sockets["a"], b'{"command": "list-commands"]')
        assert answer["result"] == 1 and answer["text"].startswith("invalid JSON: "), answer
        status, data = http.post_raw(b'{"command": "list-commands"]')
        [answer] = json.loads(data)
        assert status == 200 and answer["result"] == 1 and "invalid JSON" in answer["text"], answer
    finally:
        http.close()


def test_envelope_errors_through_the_agents_match_kea_ctrl_agent(setup: Setup, kea: Target) -> None:
    if not installed(KEA_CTRL_AGENT):
        pytest.skip("kea-ctrl-agent is not installed")
    port = free_tcp_port()
    conf = write_json(setup.workdir / "kea-ca.json", agent_config(HOST, port, kea.workdir / "kea.sock"))
    agent = start_agent(setup.procs, "kea-ctrl-agent", [KEA_CTRL_AGENT, "-c", str(conf)], HOST, port)
    kea_http, hakea_http = Http(HOST, port), Http(HOST, setup.agent_port)
    cases = [
        *ENVELOPE[:4],
        (
            "service-not-a-list",
            b'{"command": "version-get", "service": "dhcp4"}',
            "service value must be a list",
        ),
        ("unknown-forwarded", b'{"command": "foo", "service": ["dhcp4"]}', "'foo' command not supported."),
        (
            "unconfigured-service",
            b'{"command": "version-get", "service": ["dhcp6"]}',
            "forwarding socket is not configured for the server type dhcp6",
        ),
        ("no-args-forwarded", b'{"command": "lease4-get", "service": ["dhcp4"]}', NOT_A_MAP_LEASE),
    ]
    try:
        for name, body, text in cases:
            want = [{"result": 2 if name.startswith("unknown") else 1, "text": text}]
            for http in (kea_http, hakea_http):
                status, data = http.post_raw(body)
                assert (status, json.loads(data)) == (200, want), (name, http is kea_http, data)
        # Malformed JSON: kea-ctrl-agent answers HTTP 400; hakea-ctrl-agent result 1 naming it (the
        # issue's rule), a deliberate difference.
        status, data = kea_http.post_raw(b'{"command": "list-commands"]')
        assert status == 400 and json.loads(data) == {"result": 400, "text": "Bad Request"}
        hakea_http.close()
        hakea_http = Http(HOST, setup.agent_port)
        status, data = hakea_http.post_raw(b'{"command": "list-commands"]')
        [answer] = json.loads(data)
        assert status == 200 and answer["result"] == 1 and answer["text"].startswith("invalid JSON: "), data
    finally:
        kea_http.close()
        hakea_http.close()
        setup.procs.kill(agent, 15)


def test_shutdown_through_kea_shell_on_both_paths(setup: Setup, kea: Target) -> None:
    """Last: each daemon answers Kea's text, then exits (0); hakea-ctrl-agent keeps running and
    answers Kea's "unable to forward" for the daemon that is gone."""
    kea_answer = kea.send("shutdown", NO_ARGS, False)
    assert kea_answer == {"result": 0, "text": "Shutting down."}
    for target in (setup.via_agent, setup.via_listener):
        assert target.send("shutdown", NO_ARGS, True) == kea_answer, target.name
    for p in setup.daemons:
        assert p.wait(timeout=10) == 0
    answer = kea_shell_answer(setup.agent_port, "version-get")
    assert answer["result"] == 1, answer
    assert answer["text"].startswith("unable to forward command to the dhcp4 service: "), answer
    assert answer["text"].endswith(". The server is likely to be offline"), answer
