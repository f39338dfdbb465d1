"""The control agent: Kea's "Control-agent" — an HTTP front end that forwards commands to daemons.

A command naming daemons in "service" is forwarded to each one over its UNIX control socket, and the
answer is a list with one entry per service, in order. Without "service" (or with an empty list) the
agent answers itself (list-commands, version-get, config-get, ...), still as a list of one.

Kea 2.2 facts matched (Debian kea-ctrl-agent 2.2.0):

* the forwarded command is the received one plus ``"remote-address": <client address>``;
* an unconfigured service: ``forwarding socket is not configured for the server type dhcp6``;
* a dead daemon: ``unable to forward command to the dhcp4 service: No such file or directory. The
  server is likely to be offline`` (or ``Connection refused``);
* an unreadable daemon answer: ``internal server error: unable to parse server's answer to the
  forwarded message: <reason>``;
* a daemon's answer is put into the list as it came (a map, or a nested list);
* an unknown command without "service" gets result 2 with the long hint text below.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hakea.config.ctrl_agent import load_ctrl_agent
from hakea.config.errors import ConfigError
from hakea.control import envelope
from hakea.control.auth import AuthConfigError, BasicAuth, parse_basic_auth
from hakea.control.envelope import CommandParseError
from hakea.control.errors import ConnectError, InvalidResponse, RequestTimeout, TransportError
from hakea.control.http_server import HttpCommandServer, HttpRequestInfo
from hakea.control.registry import CommandError, CommandRegistry, CommandRequest
from hakea.control.tls import TlsConfig, TlsConfigError, server_context
from hakea.control.unix_client import send_unix_command

log = logging.getLogger("hakea.control.agent")

FORWARD_TIMEOUT = 60.0  # seconds to wait for a daemon's answer (lease pages can take a while)

# Kea 2.2's text, verbatim, for an unknown command sent to the agent itself.
_NO_SERVICE_HINT = (
    ' You did not include "service" parameter in the command, which indicates that Kea Control Agent'
    " should process this command rather than forward it to one or more Kea servers. If you aimed to"
    ' send this command to one of the Kea servers you should include the "service" parameter in your'
    ' request, e.g. "service": [ "dhcp4" ] to forward the command to the DHCPv4 server, or'
    ' "service": [ "dhcp4", "dhcp6", "d2" ] to forward it to DHCPv4, DHCPv6 and D2 servers etc.'
)


AgentConfigError = ConfigError  # "path: reason", raised by hakea.config.ctrl_agent


@dataclass(slots=True, frozen=True)
class AgentConfig:
    """What the running agent needs, derived from hakea.config.ctrl_agent's validated config."""

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    control_sockets: dict[str, str] = field(default_factory=dict)  # service -> socket path
    auth: BasicAuth | None = None
    tls: TlsConfig | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # {"Control-agent": {...}} as given


def load_agent_config(
    source: str | Mapping[str, Any], *, base_dir: str | None = None, source_name: str = "<string>"
) -> AgentConfig:
    """Kea's kea-ctrl-agent.conf text (Kea's JSON dialect) or its decoded map; raises ConfigError."""
    warnings: list[str] = []
    parsed = load_ctrl_agent(source, base_dir=base_dir, warnings=warnings, source_name=source_name)
    for warning in warnings:
        log.warning("%s", warning)
    if parsed.hooks_libraries:
        log.warning("Control-agent/hooks-libraries: hook libraries are not supported and are ignored")
    if not parsed.http_host:
        # asyncio would read "" as "every interface"; say so rather than listen everywhere.
        raise ConfigError("Control-agent/http-host", "must not be empty")
    ca = parsed.raw["Control-agent"]
    auth = None
    if parsed.authentication is not None:
        try:
            auth = parse_basic_auth(ca["authentication"], "Control-agent/authentication")
        except AuthConfigError as exc:
            path, _, reason = str(exc).partition(": ")
            raise ConfigError(path, reason) from None
    tls = None
    if parsed.cert_file:
        tls = TlsConfig(parsed.trust_anchor, parsed.cert_file, parsed.key_file, parsed.cert_required)
    sockets = {service: socket.socket_name for service, socket in parsed.control_sockets.items()}
    return AgentConfig(parsed.http_host, parsed.http_port, sockets, auth, tls, parsed.raw)


def load_agent_config_file(path: str) -> AgentConfig:
    """Read and load a configuration file; OSError and ConfigError propagate."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return load_agent_config(text, base_dir=os.path.dirname(os.path.abspath(path)), source_name=path)


class ControlAgent:
    """Owns the agent's HTTP listener and its own command registry."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        config_file: str | None = None,
        forward_timeout: float = FORWARD_TIMEOUT,
    ) -> None:
        self.config = config
        self.config_file = config_file
        self.forward_timeout = forward_timeout
        self.registry = CommandRegistry(product="hakea-ctrl-agent")
        self.server: HttpCommandServer | None = None
        self.stopped = asyncio.Event()
        self._started = time.monotonic()
        self._reloaded = self._started
        self._closing: set[asyncio.Task[None]] = set()
        for name, handler in (
            ("config-get", self._config_get),
            ("config-test", self._config_test),
            ("config-set", self._config_set),
            ("config-reload", self._config_reload),
            ("config-write", self._config_write),
            ("status-get", self._status_get),
            ("shutdown", self._shutdown),
        ):
            self.registry.register(name, handler)

    # listener

    def _new_server(self, config: AgentConfig) -> HttpCommandServer:
        ssl_context = server_context(config.tls) if config.tls is not None else None
        return HttpCommandServer(self.handle, auth=config.auth, ssl_context=ssl_context)

    async def start(self) -> None:
        server = self._new_server(self.config)
        await server.start(self.config.http_host, self.config.http_port)
        self.server = server
        log.info("control agent listening on %s", server.url)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None
        self.stopped.set()

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await self.stopped.wait()
        finally:
            await self.stop()

    async def apply(self, config: AgentConfig) -> None:
        """Switch to a new configuration; raises OSError/TlsConfigError if the new listener fails.

        The listener is replaced only if its address or TLS changed. The new one is bound first and
        the old one closed on a later loop turn, after it has sent the answer to config-set/reload.
        """
        old = self.config
        server = self.server
        if server is not None:
            if (old.http_host, old.http_port, old.tls) != (config.http_host, config.http_port, config.tls):
                new_server = self._new_server(config)
                await new_server.start(config.http_host, config.http_port)
                self.server = new_server
                log.info("control agent now listening on %s", new_server.url)
                loop = asyncio.get_running_loop()
                loop.call_soon(self._close_later, server)
            else:
                server.auth = config.auth
        self.config = config
        self._reloaded = time.monotonic()

    def _close_later(self, server: HttpCommandServer) -> None:
        task = asyncio.get_running_loop().create_task(server.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # request handling

    async def handle(self, body: bytes, info: HttpRequestInfo) -> list[Any]:
        try:
            cmd = envelope.parse_command(body)
        except CommandParseError as exc:
            return [envelope.error(exc.text)]
        if not cmd.service:
            answer = await self.registry.dispatch(
                cmd,
                transport="https" if info.tls else "http",
                remote_address=info.remote_address,
                user=info.user,
            )
            if answer.get("result") == envelope.CONTROL_RESULT_COMMAND_UNSUPPORTED:
                answer["text"] = answer.get("text", "") + _NO_SERVICE_HINT
            return [answer]
        forwarded = cmd.to_dict()
        forwarded["remote-address"] = info.remote_address
        data = envelope.encode(forwarded)
        return [await self.forward(service, data) for service in cmd.service]

    async def forward(self, service: str, data: bytes) -> Any:
        """Send an encoded command to one daemon; failures become Kea's error answers."""
        path = self.config.control_sockets.get(service)
        if path is None:
            return envelope.error(f"forwarding socket is not configured for the server type {service}")
        try:
            return await send_unix_command(path, data, self.forward_timeout)
        except (ConnectError, RequestTimeout) as exc:
            return envelope.error(
                f"unable to forward command to the {service} service: {exc.reason}."
                " The server is likely to be offline"
            )
        except InvalidResponse as exc:
            return envelope.error(
                "internal server error: unable to parse server's answer to the forwarded message: "
                + exc.reason
            )
        except TransportError as exc:  # pragma: no cover - the subclasses above are exhaustive today
            return envelope.error(f"unable to forward command to the {service} service: {exc.reason}")

    # the agent's own commands

    def _check_new_config(self, arguments: dict[str, Any] | None) -> AgentConfig:
        # Kea's texts for the two structural errors; the loader's "path: reason" for the rest.
        if arguments is None:
            raise CommandError("Missing mandatory 'arguments' parameter.")
        if "Control-agent" not in arguments:
            raise CommandError("Missing mandatory 'Control-agent' parameter.")
        try:
            return load_agent_config(arguments)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None

    async def _config_get(self, arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        ca = dict(self.config.raw.get("Control-agent", {}))
        ca.setdefault("http-host", self.config.http_host)
        ca.setdefault("http-port", self.config.http_port)
        ca.setdefault("control-sockets", {})
        ca.setdefault("hooks-libraries", [])
        return envelope.success(arguments={"Control-agent": ca})

    async def _config_test(self, arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        config = self._check_new_config(arguments)
        if config.tls is not None:
            try:
                server_context(config.tls)
            except TlsConfigError as exc:
                raise CommandError(str(exc)) from None
        return envelope.success("Configuration check successful")

    async def _apply(self, config: AgentConfig, failure: str) -> dict[str, Any]:
        try:
            await self.apply(config)
        except (OSError, TlsConfigError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise CommandError(
                f"{failure}: cannot listen on {config.http_host}:{config.http_port}: {reason}"
            ) from None
        return envelope.success("Configuration applied successfully.")

    async def _config_set(self, arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        return await self._apply(self._check_new_config(arguments), "Config set failed")

    async def _config_reload(
        self, arguments: dict[str, Any] | None, request: CommandRequest
    ) -> dict[str, Any]:
        if not self.config_file:
            raise CommandError("Config reload failed: the agent was not started from a configuration file")
        try:
            config = load_agent_config_file(self.config_file)
        except OSError as exc:
            raise CommandError(
                f"Config reload failed: cannot read '{self.config_file}': {exc.strerror}"
            ) from None
        except ConfigError as exc:
            raise CommandError(f"Config reload failed: {exc}") from None
        return await self._apply(config, "Config reload failed")

    async def _config_write(
        self, arguments: dict[str, Any] | None, request: CommandRequest
    ) -> dict[str, Any]:
        filename = (arguments or {}).get("filename", self.config_file)
        if not isinstance(filename, str) or not filename:
            raise CommandError("Unable to determine filename.")
        current = (await self._config_get(None, request))["arguments"]
        text = json.dumps(current, indent=4) + "\n"
        try:
            with open(filename, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            raise CommandError(f"Error during write-config: {exc.strerror}") from None
        return envelope.success(
            f"Configuration written to {filename} successful", {"filename": filename, "size": len(text)}
        )

    async def _status_get(self, arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        now = time.monotonic()
        return envelope.success(
            arguments={
                "pid": os.getpid(),
                "reload": int(now - self._reloaded),
                "uptime": int(now - self._started),
            }
        )

    async def _shutdown(self, arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        # Stop on the next loop turn, after this answer has been written.
        asyncio.get_running_loop().call_soon(self.stopped.set)
        return envelope.success("Control Agent is shutting down")
