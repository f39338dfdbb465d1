"""hakea-dhcp6: the DHCPv6 server, started like kea-dhcp6 (-c FILE, -t FILE, -p PORT, -d, -v)."""

from __future__ import annotations

import sys

import click

from hakea import __version__


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "config_file", type=click.Path(dir_okay=False), help="Kea JSON configuration to run.")
@click.option("-t", "test_file", type=click.Path(dir_okay=False), help="Check a configuration and exit.")
@click.option("-p", "port", type=click.IntRange(0, 65535), default=None, help="Listen on another port.")
@click.option("-P", "client_port", type=click.IntRange(0, 65535), default=None, help="Client port.")
@click.option("-d", "debug", is_flag=True, help="Debug logging.")
@click.option("-v", "version", is_flag=True, help="Print the version and exit.")
@click.option("-V", "extended_version", is_flag=True, help="Print the extended version and exit.")
def main(
    config_file: str | None,
    test_file: str | None,
    port: int | None,
    client_port: int | None,
    debug: bool,
    version: bool,
    extended_version: bool,
) -> None:
    """The hakea DHCPv6 server."""
    if version or extended_version:
        click.echo(__version__)
        return
    from hakea.server.dhcp6_daemon import check_config_file, run_server

    if test_file:
        sys.exit(check_config_file(test_file))
    if not config_file:
        raise click.UsageError("a configuration file is required (-c FILE)")
    sys.exit(run_server(config_file, port=port, client_port=client_port, debug=debug))


if __name__ == "__main__":
    main()
