"""The command line hakea-dhcp4 and hakea-dhcp6 share: started like kea-dhcp4 / kea-dhcp6
(-c FILE, -t FILE, -p PORT, -P PORT, -d, -v, -V)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

import click

from hakea import __version__

_CONTEXT = {"help_option_names": ["-h", "--help"]}


def daemon_command(service: str, daemon_module: str) -> click.Command:
    """The `main` of a daemon: `service` names it in --help ("DHCPv4"); `daemon_module` provides
    check_config_file(path) and run_server(...), imported only when it is needed, so -v and --help
    stay fast."""

    @click.command(context_settings=_CONTEXT, help=f"The hakea {service} server.")
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
        if version or extended_version:
            click.echo(__version__)
            return
        server = importlib.import_module(daemon_module)
        if test_file:
            check_config_file: Callable[[str], int] = server.check_config_file
            sys.exit(check_config_file(test_file))
        if not config_file:
            raise click.UsageError("a configuration file is required (-c FILE)")
        run_server: Callable[..., int] = server.run_server
        sys.exit(run_server(config_file, port=port, client_port=client_port, debug=debug))

    return main
