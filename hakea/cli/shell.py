"""hakea-shell: a drop-in for kea-shell (same options, same request, same output).

Like kea-shell 2.2, the command's arguments are read from standard input WITHOUT the outer braces
and wrapped as ``"arguments": { <stdin> }``; the request body is built as text exactly as kea-shell
builds it, and the answer body is printed as received::

    echo '"ip-address": "192.0.2.1"' | hakea-shell --service dhcp4 lease4-get
"""

from __future__ import annotations

import asyncio
import http
import sys

import click

from hakea import __version__


def build_body(command: str, services: list[str], args: str) -> str:
    """kea-shell's request body, character for character (its CARequest.generate_body)."""
    content = '{ "command": "' + command + '"'
    services = [s for s in services if s]
    if services:
        content += ', "service": ["' + '","'.join(services) + '"]'
    if len(args) > 1:
        content += ', "arguments": { ' + args + " }"
    return content + " }"


async def _send(
    url: str, body: bytes, timeout: float, auth: tuple[str, str] | None, ca: str, cert: str, key: str
) -> int:
    from hakea.control.errors import RequestTimeout, TransportError
    from hakea.control.http_client import HttpCommandClient

    ssl_context = None
    if ca:
        from hakea.control.tls import TlsConfigError, client_context

        try:
            ssl_context = client_context(ca, cert or None, key or None)
        except TlsConfigError as exc:
            click.echo(f"Failed to run: {exc}")
            return 1
    async with HttpCommandClient(pool_size=1, auth=auth, ssl_context=ssl_context) as client:
        try:
            response = await client.request(url, body, timeout)
        except RequestTimeout:
            click.echo("Connection timeout")
            return 1
        except TransportError as exc:
            click.echo(f"Failed to run: {exc}")
            return 1
    if response.status != 200:
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Error"
        click.echo(f"Failed to run: HTTP Error {response.status}: {reason}")
        return 1
    click.echo(response.body.decode("utf-8", "replace"))
    return 0


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Host of the control agent.")
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port of the control agent.")
@click.option("--path", default="", help='Path of the URL (default: "").')
@click.option("--ca", default="", help="CA file or directory; enables HTTPS.")
@click.option("--cert", default="", help="Client certificate file.")
@click.option("--key", default="", help="Client private key file.")
@click.option("--timeout", type=int, default=10, show_default=True, help="Timeout in seconds.")
@click.option("--service", multiple=True, help="Target service (repeatable); none: the agent itself.")
@click.option("--auth-user", default="", help="Basic HTTP authentication user.")
@click.option("--auth-password", default="", help="Basic HTTP authentication password.")
@click.option("-v", "version", is_flag=True, help="Print the version and exit.")
@click.argument("command", default="list-commands")
def main(
    host: str,
    port: int,
    path: str,
    ca: str,
    cert: str,
    key: str,
    timeout: int,
    service: tuple[str, ...],
    auth_user: str,
    auth_password: str,
    version: bool,
    command: str,
) -> None:
    """Send COMMAND (default list-commands) to a control agent; arguments are read from stdin."""
    if version:
        click.echo(__version__)
        return
    if bool(cert) != bool(key):
        click.echo("--cert and --key must be used together")
        sys.exit(1)
    if cert and not ca:
        click.echo("--cert and --key with HTTPS disabled (no --ca)")
        sys.exit(1)
    args = ""
    if sys.stdin is not None:
        args = sys.stdin.read()
    body = build_body(command, list(service), args).encode("utf-8")
    scheme = "https" if ca else "http"
    url_host = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{url_host}:{port}/{path}"
    auth = (auth_user, auth_password) if auth_user else None
    sys.exit(asyncio.run(_send(url, body, float(timeout), auth, ca, cert, key)))


if __name__ == "__main__":
    main()
