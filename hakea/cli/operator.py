"""hakea: the operator's CLI — status, leases and HA commands against a daemon or a control agent.

Talks to an HTTP URL (a daemon's own listener or a control agent; ``--service`` picks the daemon) or
to a daemon's UNIX control socket (``--socket``). Tables for people by default, ``--json`` prints the
answer map for scripts. The exit status is the answer's result code (0 success, 1 error,
2 unsupported, 3 empty, 4 conflict); transport and usage errors also exit non-zero.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

DEFAULT_URL = "http://127.0.0.1:8000/"


@dataclass(slots=True)
class Target:
    url: str | None
    socket: str | None
    service: str
    family: int
    auth: tuple[str, str] | None
    ca: str | None
    cert: str | None
    key: str | None
    timeout: float
    as_json: bool

    def command(self, name: str) -> str:
        """lease4-* becomes lease6-* for -6."""
        return name.replace("lease4", "lease6") if self.family == 6 else name


async def _call(
    target: Target, command: str, arguments: dict[str, Any] | None, client: Any = None
) -> dict[str, Any]:
    from hakea.control.envelope import single_answer

    cmd: dict[str, Any] = {"command": command}
    if arguments is not None:
        cmd["arguments"] = arguments
    if target.socket:
        from hakea.control.unix_client import send_unix_command

        response = await send_unix_command(target.socket, cmd, target.timeout)
    else:
        assert target.url is not None and client is not None
        cmd["service"] = [target.service]
        response = await client.post_command(target.url, cmd, target.timeout)
    try:
        return single_answer(response)
    except ValueError as exc:
        raise click.ClickException(f"unexpected answer: {exc}") from None


def _client(target: Target) -> Any:
    from hakea.control.http_client import HttpCommandClient

    ssl_context = None
    if target.url and target.url.startswith("https:"):
        from hakea.control.tls import client_context

        ssl_context = client_context(target.ca, target.cert, target.key)
    return HttpCommandClient(pool_size=1, auth=target.auth, ssl_context=ssl_context)


def run_commands(target: Target, calls: Sequence[tuple[str, dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """Run commands in order on one connection; transport errors become ClickException."""
    import asyncio

    from hakea.control.errors import TransportError

    async def go() -> list[dict[str, Any]]:
        client = None if target.socket else _client(target)
        try:
            return [await _call(target, name, args, client) for name, args in calls]
        finally:
            if client is not None:
                await client.close()

    try:
        return asyncio.run(go())
    except TransportError as exc:
        raise click.ClickException(str(exc)) from None


def _emit(target: Target, answer: dict[str, Any], human: str | None = None) -> None:
    if target.as_json:
        import msgspec

        click.echo(msgspec.json.format(msgspec.json.encode(answer), indent=2).decode())
    elif human is not None:
        click.echo(human)
    elif "text" in answer:
        click.echo(answer["text"])
    sys.exit(answer.get("result", 1) if isinstance(answer.get("result"), int) else 1)


def format_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """Plain aligned columns (rich is not needed for this, and it costs 50 ms to import)."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_fields(fields: dict[str, Any]) -> str:
    width = max((len(k) for k in fields), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in fields.items())


def _expires(lease: dict[str, Any]) -> str:
    cltt, lft = lease.get("cltt"), lease.get("valid-lft")
    if isinstance(cltt, int) and isinstance(lft, int):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(cltt + lft))
    return ""


_STATES = {0: "default", 1: "declined", 2: "expired-reclaimed"}


def lease_table(leases: Sequence[dict[str, Any]], family: int) -> str:
    if family == 6:
        headers = ["address", "type", "duid", "iaid", "subnet", "valid-lft", "expires", "state", "hostname"]
        rows = [
            [
                lease.get("ip-address", "")
                + (f"/{lease['prefix-len']}" if lease.get("type") == "IA_PD" else ""),
                lease.get("type"),
                lease.get("duid"),
                lease.get("iaid"),
                lease.get("subnet-id"),
                lease.get("valid-lft"),
                _expires(lease),
                _STATES.get(lease.get("state", 0), lease.get("state")),
                lease.get("hostname"),
            ]
            for lease in leases
        ]
    else:
        headers = [
            "address",
            "hw-address",
            "client-id",
            "subnet",
            "valid-lft",
            "expires",
            "state",
            "hostname",
        ]
        rows = [
            [
                lease.get("ip-address"),
                lease.get("hw-address"),
                lease.get("client-id"),
                lease.get("subnet-id"),
                lease.get("valid-lft"),
                _expires(lease),
                _STATES.get(lease.get("state", 0), lease.get("state")),
                lease.get("hostname"),
            ]
            for lease in leases
        ]
    return format_table(rows, headers)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", envvar="HAKEA_URL", default=None, help=f"Server or control-agent URL [{DEFAULT_URL}].")
@click.option(
    "--socket", "socket_path", envvar="HAKEA_SOCKET", default=None, help="Daemon UNIX control socket."
)
@click.option("--service", default=None, help="Daemon behind a control agent [dhcp4, or dhcp6 with -6].")
@click.option("-6", "v6", is_flag=True, help="DHCPv6: lease6 commands, service dhcp6.")
@click.option("--user", envvar="HAKEA_USER", default=None, help="Basic-auth user.")
@click.option("--password", envvar="HAKEA_PASSWORD", default="", help="Basic-auth password.")
@click.option("--ca", default=None, help="Trust anchor for https URLs.")
@click.option("--cert", default=None, help="Client certificate for https URLs.")
@click.option("--key", default=None, help="Client key for https URLs.")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait for an answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
def main(
    ctx: click.Context,
    url: str | None,
    socket_path: str | None,
    service: str | None,
    v6: bool,
    user: str | None,
    password: str,
    ca: str | None,
    cert: str | None,
    key: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Operate a hakea (or Kea) DHCP server."""
    if url and socket_path:
        raise click.UsageError("--url and --socket are exclusive")
    ctx.obj = Target(
        url=None if socket_path else (url or DEFAULT_URL),
        socket=socket_path,
        service=service or ("dhcp6" if v6 else "dhcp4"),
        family=6 if v6 else 4,
        auth=(user, password) if user else None,
        ca=ca,
        cert=cert,
        key=key,
        timeout=timeout,
        as_json=as_json,
    )


@main.command()
@click.pass_obj
def status(target: Target) -> None:
    """Server status (status-get)."""
    answer = run_commands(target, [("status-get", None)])[0]
    args = answer.get("arguments") or {}
    human = None
    if answer.get("result") == 0 and isinstance(args, dict):
        fields = {k: v for k, v in args.items() if k != "high-availability"}
        if isinstance(fields.get("sockets"), dict):
            fields["sockets"] = fields["sockets"].get("status", fields["sockets"])
        state = fields.get("dhcp-state")
        if isinstance(state, dict):  # hakea's own key: who holds the DHCP service disabled
            by = ", ".join(map(str, state.get("disabled-by") or []))
            fields["dhcp-state"] = "enabled" if state.get("enabled") else f"disabled (by {by or '?'})"
        human = format_fields(fields)
        ha = args.get("high-availability")
        if isinstance(ha, list) and ha:
            human += "\n\n" + ha_summary(ha)
    _emit(target, answer, human)


@main.group()
def leases() -> None:
    """List, show, add and delete leases."""


@leases.command("list")
@click.option("--subnet-id", type=int, multiple=True, help="Only these subnets (lease4-get-all).")
@click.option("--limit", type=int, default=None, help="Stop after this many leases.")
@click.option("--page-size", type=click.IntRange(1, 1000000), default=1000, show_default=True)
@click.pass_obj
def leases_list(target: Target, subnet_id: tuple[int, ...], limit: int | None, page_size: int) -> None:
    """All leases, paged with lease4-get-page (or lease4-get-all for --subnet-id)."""
    import asyncio

    from hakea.control.errors import TransportError

    async def collect() -> dict[str, Any]:
        client = None if target.socket else _client(target)
        try:
            if subnet_id:
                return await _call(
                    target, target.command("lease4-get-all"), {"subnets": list(subnet_id)}, client
                )
            found: list[dict[str, Any]] = []
            start: str = "start"
            while True:
                answer = await _call(
                    target, target.command("lease4-get-page"), {"from": start, "limit": page_size}, client
                )
                if answer.get("result") not in (0, 3):
                    return answer
                page = (answer.get("arguments") or {}).get("leases", [])
                found.extend(page)
                if len(page) < page_size or (limit is not None and len(found) >= limit):
                    break
                start = page[-1]["ip-address"]
            result = 0 if found else 3
            text = f"{len(found)} IPv{target.family} lease(s) found."
            return {"arguments": {"count": len(found), "leases": found}, "result": result, "text": text}
        finally:
            if client is not None:
                await client.close()

    try:
        answer = asyncio.run(collect())
    except TransportError as exc:
        raise click.ClickException(str(exc)) from None
    args = answer.get("arguments") or {}
    found = args.get("leases", []) if isinstance(args, dict) else []
    if limit is not None:
        found = found[:limit]
        if isinstance(args, dict) and "leases" in args:
            args["leases"], args["count"] = found, len(found)
    human = None
    if answer.get("result") in (0, 3):
        human = lease_table(found, target.family) + f"\n{len(found)} lease(s)"
    _emit(target, answer, human)


def _address_args(address: str) -> dict[str, Any]:
    return {"ip-address": address}


@leases.command("get")
@click.argument("address")
@click.pass_obj
def leases_get(target: Target, address: str) -> None:
    """One lease by address (lease4-get)."""
    args = _address_args(address)
    if target.family == 6:
        args["type"] = "IA_NA"
    answer = run_commands(target, [(target.command("lease4-get"), args)])[0]
    lease = answer.get("arguments")
    human = format_fields(lease) if answer.get("result") == 0 and isinstance(lease, dict) else None
    _emit(target, answer, human)


@leases.command("add")
@click.argument("address")
@click.option(
    "--subnet-id", type=int, default=None, help="Subnet id (Kea finds it from the address if absent)."
)
@click.option("--hw-address", default=None, help="Hardware address (required for DHCPv4).")
@click.option("--client-id", default=None)
@click.option("--duid", default=None, help="DUID (required for DHCPv6).")
@click.option("--iaid", type=int, default=None, help="IAID (required for DHCPv6).")
@click.option("--valid-lft", type=int, default=None)
@click.option("--hostname", default=None)
@click.pass_obj
def leases_add(
    target: Target,
    address: str,
    subnet_id: int | None,
    hw_address: str | None,
    client_id: str | None,
    duid: str | None,
    iaid: int | None,
    valid_lft: int | None,
    hostname: str | None,
) -> None:
    """Add a lease (lease4-add)."""
    if target.family == 4 and not hw_address:
        raise click.UsageError("--hw-address is required for a DHCPv4 lease")
    if target.family == 6 and (not duid or iaid is None):
        raise click.UsageError("--duid and --iaid are required for a DHCPv6 lease")
    args: dict[str, Any] = {"ip-address": address}
    for key, value in (
        ("subnet-id", subnet_id),
        ("hw-address", hw_address),
        ("client-id", client_id),
        ("duid", duid),
        ("iaid", iaid),
        ("valid-lft", valid_lft),
        ("hostname", hostname),
    ):
        if value is not None:
            args[key] = value
    _emit(target, run_commands(target, [(target.command("lease4-add"), args)])[0])


@leases.command("del")
@click.argument("address")
@click.pass_obj
def leases_del(target: Target, address: str) -> None:
    """Delete a lease (lease4-del)."""
    args = _address_args(address)
    if target.family == 6:
        args["type"] = "IA_NA"
    _emit(target, run_commands(target, [(target.command("lease4-del"), args)])[0])


@main.group()
def ha() -> None:
    """High-availability status and operator commands."""


def ha_summary(relationships: Sequence[Any]) -> str:
    """Kea 2.2's status-get "high-availability" section as a table."""
    rows = []
    for rel in relationships:
        if not isinstance(rel, dict):
            continue
        servers = rel.get("ha-servers") or {}
        local = servers.get("local") or {}
        remote = servers.get("remote") or {}
        rows.append(
            [
                rel.get("ha-mode"),
                "local",
                local.get("server-name", ""),
                local.get("role"),
                local.get("state"),
                ",".join(local.get("scopes", [])),
                "",
            ]
        )
        if remote:
            in_touch = "in touch" if remote.get("in-touch") else "not in touch"
            if remote.get("communication-interrupted"):
                in_touch += ", interrupted"
            rows.append(
                [
                    "",
                    "remote",
                    remote.get("server-name", ""),
                    remote.get("role"),
                    remote.get("last-state"),
                    ",".join(remote.get("last-scopes", [])),
                    f"{in_touch}, age {remote.get('age', '?')} s, unacked {remote.get('unacked-clients', 0)}",
                ]
            )
    headers = ["mode", "server", "name", "role", "state", "scopes", "partner"]
    if not any(row[2] for row in rows):  # Kea 2.2's status-get names no server: drop the column
        headers.pop(2)
        rows = [row[:2] + row[3:] for row in rows]
    return format_table(rows, headers)


@ha.command("status")
@click.pass_obj
def ha_status(target: Target) -> None:
    """HA state of this server and its partner (from status-get)."""
    answer = run_commands(target, [("status-get", None)])[0]
    args = answer.get("arguments") or {}
    ha_section = args.get("high-availability") if isinstance(args, dict) else None
    if answer.get("result") == 0 and not ha_section:
        answer = {"result": 3, "text": "HA is not configured on this server."}
    human = ha_summary(ha_section) if ha_section else None
    _emit(target, answer, human)


@ha.command("sync")
@click.option("--server", "server_name", default=None, help="Partner to sync from (ha-sync server-name).")
@click.option(
    "--max-period", type=int, default=None, help="Seconds the partner's DHCP service may stay disabled."
)
@click.pass_obj
def ha_sync(target: Target, server_name: str | None, max_period: int | None) -> None:
    """Fetch the partner's leases now (ha-sync)."""
    args: dict[str, Any] = {}
    if server_name:
        args["server-name"] = server_name
    if max_period is not None:
        args["max-period"] = max_period
    _emit(target, run_commands(target, [("ha-sync", args or None)])[0])


@ha.command("scopes")
@click.argument("scopes", nargs=-1)
@click.pass_obj
def ha_scopes(target: Target, scopes: tuple[str, ...]) -> None:
    """Serve exactly these scopes (ha-scopes); none: serve no scope."""
    _emit(target, run_commands(target, [("ha-scopes", {"scopes": list(scopes)})])[0])


@ha.command("continue")
@click.pass_obj
def ha_continue(target: Target) -> None:
    """Resume the HA state machine after a pause (ha-continue)."""
    _emit(target, run_commands(target, [("ha-continue", None)])[0])


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
