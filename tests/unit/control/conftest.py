"""Shared fixtures for the control-channel tests: TLS material, a served registry."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hakea.control.http_server import HttpCommandServer, registry_handler
from hakea.control.registry import CommandRegistry, CommandRequest


@dataclass
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_cert: Path  # signed by a CA the server does not trust
    rogue_key: Path


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def _make_ca(d: Path, name: str) -> tuple[Path, Path]:
    key, cert = d / f"{name}.key", d / f"{name}.pem"
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    return cert, key


def _make_leaf(d: Path, name: str, ca: tuple[Path, Path], server: bool) -> tuple[Path, Path]:
    key, csr, cert, ext = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.pem", d / f"{name}.ext"
    _openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        f"/CN={name}",
    )
    usage = "serverAuth" if server else "clientAuth"
    ext.write_text(f"subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage={usage}\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca[0],
        "-CAkey",
        ca[1],
        "-CAcreateserial",
        "-out",
        cert,
        "-days",
        "2",
        "-extfile",
        ext,
    )
    return cert, key


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    d = tmp_path_factory.mktemp("tls")
    ca = _make_ca(d, "test-ca")
    rogue_ca = _make_ca(d, "rogue-ca")
    server = _make_leaf(d, "server", ca, server=True)
    client = _make_leaf(d, "client", ca, server=False)
    rogue = _make_leaf(d, "rogue", rogue_ca, server=False)
    return TlsFiles(ca[0], server[0], server[1], client[0], client[1], rogue[0], rogue[1])


def make_registry() -> CommandRegistry:
    """A registry with a few daemon-like commands used across the tests."""
    registry = CommandRegistry()

    async def echo(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        return {
            "arguments": {
                "echo": arguments,
                "transport": request.transport,
                "remote": request.remote_address,
                "user": request.user,
                "service": request.service,
            },
            "result": 0,
            "text": "echoed",
        }

    registry.register("echo", echo)
    return registry


@pytest.fixture
async def served_registry() -> AsyncIterator[tuple[CommandRegistry, HttpCommandServer]]:
    registry = make_registry()
    server = HttpCommandServer(registry_handler(registry))
    await server.start("127.0.0.1", 0)
    yield registry, server
    await server.close()
