"""Kea's lease_cmds for DHCPv4 (loaded when "hooks-libraries" names libdhcp_lease_cmds.so).

Answer texts and result codes follow Kea 2.2 (probed against Debian's kea-dhcp4 2.2.0 with
libdhcp_lease_cmds.so; tests/e2e/test_control_commands.py holds the table): result 3 ("empty") when
nothing matches; argument errors carry Kea's words, without the "(<wire>:line:col)" position Kea's
JSON getters append. hakea accepts a few forms Kea refuses (hardware addresses without separators
or with dashes, "cltt" in lease4-add/update); docs/kea-interop.md lists them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRequest
from hakea.leases.json4 import format_ipv4, lease4_to_json
from hakea.leases.model import Lease4, LeaseState
from hakea.server import lease_cmds_common as common
from hakea.server.lease_cmds_common import Args, LeaseAnswers, kea_str, required, typed, uint

if TYPE_CHECKING:
    from hakea.server.dhcp4_daemon import Dhcp4Daemon

NAMES = (
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
)
_STATE_NAMES = {0: "default", 1: "declined", 2: "expired-reclaimed"}


_ANSWERS = LeaseAnswers("IPv4", lease4_to_json)
_found = _ANSWERS.leases


def register(daemon: Dhcp4Daemon, *, enabled: bool) -> None:
    if not enabled:
        common.install(daemon.registry, NAMES, None)
        return

    def store() -> Any:
        assert daemon.store is not None
        return daemon.store

    def lease_from(a: dict[str, Any]) -> Lease4:
        """A lease from lease4-add / lease4-update arguments, checked in Kea 2.2's order (its
        Lease4Parser) with its texts. Defaults as Kea: the subnet from the address, the subnet's
        valid lifetime, cltt now (or expire - valid-lft)."""
        address = common.lease_address(required(a, "ip-address", str), 4)
        hwaddr = common.hwaddr(required(a, "hw-address", str))
        subnet_id = uint(a, "subnet-id") if "subnet-id" in a else 0
        match = common.lease_subnet(daemon.config.subnets, subnet_id, address, "IPv4", format_ipv4, True)
        client_id = common.client_id(typed(a, "client-id", str)) if "client-id" in a else b""
        valid_lft = uint(a, "valid-lft") if "valid-lft" in a else match.valid_lifetime
        cltt = common.lease_cltt(a, format_ipv4(address), valid_lft, time.time())
        fqdn_fwd, fqdn_rev, hostname = common.lease_fqdn(a)
        state = common.lease_state(a)
        context = a.get("user-context")
        if context is not None and not isinstance(context, dict):
            raise CommandError(f"Invalid user context '{kea_str(context)}' is not a JSON map.")
        if "comment" in a:  # Kea keeps a "comment" inside the user context
            context = {**(context or {}), "comment": a["comment"]}
        if not hwaddr and not client_id and state != LeaseState.DECLINED:
            raise CommandError(
                f"Lease4: {format_ipv4(address)}, state: {_STATE_NAMES[state]} has neither hardware "
                "address or client id"
            )
        return Lease4(address, hwaddr, client_id, valid_lft, cltt, match.id, fqdn_fwd, fqdn_rev, hostname,
                      state, dict(context) if context is not None else None)

    def lease4_add(args: Args, req: CommandRequest) -> dict[str, Any]:
        if not args:
            if args is None:
                raise CommandError("no parameters specified for the command")
            raise CommandError("missing parameter 'ip-address'")
        lease = lease_from(args)
        _ANSWERS.add(store(), lease)
        return envelope.success(
            f"Lease for address {format_ipv4(lease.address)}, subnet-id {lease.subnet_id} added."
        )

    def lease4_update(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args is None:
            raise CommandError("no parameters specified for lease4-update command")
        lease = lease_from(args)
        force = typed(args, "force-create", bool) if "force-create" in args else False
        answer = _ANSWERS.update(store(), lease, force)
        if answer is not None:
            return answer
        raise common.update_failed(format_ipv4(lease.address))

    def by_address_or_identifier(a: Args, verb: str) -> Lease4 | None:
        """Kea's lease4-get / lease4-del parameters: "ip-address", or "identifier-type",
        "identifier" and "subnet-id"; None when no lease matches."""
        if a is None:
            raise CommandError("Parameters missing or are not a map.")
        if "ip-address" in a:
            text = a["ip-address"]
            if not isinstance(text, str):
                raise CommandError("'ip-address' is not a string.")
            return store().get(common.query_address(text, 4))  # type: ignore[no-any-return]
        if "subnet-id" not in a:
            raise CommandError("Mandatory 'subnet-id' parameter missing.")
        subnet_id = a["subnet-id"]
        if type(subnet_id) is not int:
            raise CommandError("'subnet-id' parameter is not integer.")
        kind = a.get("identifier-type")
        if not isinstance(kind, str):
            raise CommandError(
                "No 'ip-address' provided and 'identifier-type' is either missing or not a string."
            )
        ident = a.get("identifier")
        if not isinstance(ident, str):
            raise CommandError("No 'ip-address' provided and 'identifier' is either missing or not a string.")
        finders: dict[str, Callable[[bytes, int], list[Lease4]]] = {
            "hw-address": store().get_by_hwaddr,
            "client-id": store().get_by_client_id,
        }
        if kind == "hw-address":
            found = finders[kind](common.hwaddr(ident), subnet_id)
        elif kind == "client-id":
            found = finders[kind](common.client_id(ident), subnet_id)
        elif kind == "duid":
            common.formatted_hex(ident)  # Kea parses it (as a DUID) before refusing the query
            raise CommandError(f"{verb} by duid is not allowed in v4.")
        elif kind == "address":
            return None  # Kea 2.2: an "address" identifier finds nothing ("ip-address" does)
        else:
            raise CommandError(
                f"Incorrect identifier type: {kind}, the only supported values are: address, hw-address, duid"
            )
        return found[0] if found else None

    def lease4_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _ANSWERS.lease(by_address_or_identifier(args, "Query"))

    def lease4_get_all(args: Args, req: CommandRequest) -> dict[str, Any]:
        ids = common.subnet_ids(args)
        leases = list(store().all()) if ids is None else [le for i in ids for le in store().get_by_subnet(i)]
        return _found(leases)

    def lease4_get_page(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args is None:
            raise CommandError("no parameters specified for the lease4-get-page command")
        after = common.page_start(common.page_from(args), 4)
        limit = common.page_size(common.page_limit(args))
        return _ANSWERS.page(store().page(after, limit))

    def lease4_get_by_hw_address(args: Args, req: CommandRequest) -> dict[str, Any]:
        hw = common.hwaddr(common.by_key(args, "hw-address"))
        if not hw:  # Kea lists the leases without a hardware address (declined ones)
            return _found([le for le in store().all() if not le.hwaddr])
        return _found(store().get_by_hwaddr(hw))

    def lease4_get_by_client_id(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _found(store().get_by_client_id(common.client_id(common.by_key(args, "client-id"))))

    def lease4_get_by_hostname(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _found(store().get_by_hostname(common.hostname_arg(args)))

    def lease4_del(args: Args, req: CommandRequest) -> dict[str, Any]:
        lease = by_address_or_identifier(args, "Delete")
        return _ANSWERS.deleted(lease is not None and store().delete(lease.address))

    def lease4_wipe(args: Args, req: CommandRequest) -> dict[str, Any]:
        ids = common.wiped_subnets(args, (s.id for s in daemon.config.subnets))
        return _ANSWERS.wiped(sum(store().wipe(i) for i in ids), ids)

    handlers = {
        "lease4-add": lease4_add,
        "lease4-get": lease4_get,
        "lease4-get-all": lease4_get_all,
        "lease4-get-page": lease4_get_page,
        "lease4-get-by-hw-address": lease4_get_by_hw_address,
        "lease4-get-by-client-id": lease4_get_by_client_id,
        "lease4-get-by-hostname": lease4_get_by_hostname,
        "lease4-update": lease4_update,
        "lease4-del": lease4_del,
        "lease4-wipe": lease4_wipe,
    }
    common.install(daemon.registry, NAMES, handlers)
