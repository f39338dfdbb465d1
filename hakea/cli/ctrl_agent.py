"""hakea-ctrl-agent: the control agent, started like kea-ctrl-agent (-c FILE, -t FILE, -d, -v, -V)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

import click

from hakea import __version__

if TYPE_CHECKING:
    from hakea.control.agent import AgentConfig


def _read_config(path: str) -> AgentConfig:
    from hakea.config.errors import ConfigError
    from hakea.control.agent import load_agent_config_file

    try:
        return load_agent_config_file(path)
    except OSError as exc:
        raise click.ClickException(f"cannot read '{path}': {exc.strerror}") from None
    except ConfigError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


async def _run(config_file: str) -> None:
    from hakea.control.agent import ControlAgent

    config = _read_config(config_file)
    agent = ControlAgent(config, config_file=config_file)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, agent.stopped.set)
    loop.add_signal_handler(signal.SIGINT, agent.stopped.set)

    reloads: set[asyncio.Task[None]] = set()

    def reload() -> None:
        async def do_reload() -> None:
            answer = await agent.registry.dispatch({"command": "config-reload"})
            logging.getLogger("hakea.control.agent").info("SIGHUP: %s", answer.get("text"))

        task = loop.create_task(do_reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)
    try:
        await agent.start()
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {config.http_host}:{config.http_port}: {exc.strerror}"
        ) from None
    try:
        await agent.stopped.wait()
    finally:
        await agent.stop()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c", "config_file", type=click.Path(dir_okay=False), help="Kea Control-agent configuration to run."
)
@click.option("-t", "test_file", type=click.Path(dir_okay=False), help="Check a configuration and exit.")
@click.option("-d", "debug", is_flag=True, help="Debug logging.")
@click.option("-v", "version", is_flag=True, help="Print the version and exit.")
@click.option("-V", "extended_version", is_flag=True, help="Print the extended version and exit.")
def main(
    config_file: str | None, test_file: str | None, debug: bool, version: bool, extended_version: bool
) -> None:
    """The hakea control agent: HTTP in front of the daemons' UNIX control sockets."""
    if version:
        click.echo(__version__)
        return
    if extended_version:
        click.echo(f"{__version__}\nhakea-ctrl-agent (Python {sys.version.split()[0]})")
        return
    if test_file:
        _read_config(test_file)
        click.echo(f"{test_file}: configuration check successful")
        return
    if not config_file:
        raise click.UsageError("a configuration file is required (-c FILE)")
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)-5s [%(name)s] %(message)s",
        stream=sys.stderr,
    )
    try:
        import uvloop

        uvloop.run(_run(config_file))
    except ImportError:  # pragma: no cover - uvloop is a dependency, the fallback is for odd platforms
        asyncio.run(_run(config_file))


if __name__ == "__main__":
    main()
