"""TLS on the listener and the client, with certificates made by openssl for the test."""

from __future__ import annotations

import pytest

from hakea.control.errors import TransportError
from hakea.control.http_client import HttpCommandClient
from hakea.control.http_server import HttpCommandServer, registry_handler
from hakea.control.tls import TlsConfig, TlsConfigError, client_context, parse_tls, server_context

from .conftest import TlsFiles, make_registry


async def tls_server(tls_files: TlsFiles, cert_required: bool = True) -> HttpCommandServer:
    config = TlsConfig(
        str(tls_files.ca), str(tls_files.server_cert), str(tls_files.server_key), cert_required
    )
    server = HttpCommandServer(registry_handler(make_registry()), ssl_context=server_context(config))
    await server.start("127.0.0.1", 0)
    return server


async def test_mutual_tls_round_trip(tls_files: TlsFiles) -> None:
    server = await tls_server(tls_files)
    assert server.url.startswith("https://127.0.0.1:")
    ctx = client_context(str(tls_files.ca), str(tls_files.client_cert), str(tls_files.client_key))
    async with HttpCommandClient(ssl_context=ctx) as client:
        [answer] = await client.post_command(server.url, {"command": "echo"}, 5)
    assert answer["arguments"]["transport"] == "https"
    await server.close()


async def test_client_without_certificate_is_refused_when_required(tls_files: TlsFiles) -> None:
    server = await tls_server(tls_files)
    async with HttpCommandClient(ssl_context=client_context(str(tls_files.ca))) as client:
        with pytest.raises(TransportError):
            await client.post_command(server.url, {"command": "echo"}, 5)
    await server.close()


async def test_client_certificate_from_another_ca_is_refused(tls_files: TlsFiles) -> None:
    server = await tls_server(tls_files)
    ctx = client_context(str(tls_files.ca), str(tls_files.rogue_cert), str(tls_files.rogue_key))
    async with HttpCommandClient(ssl_context=ctx) as client:
        with pytest.raises(TransportError):
            await client.post_command(server.url, {"command": "echo"}, 5)
    await server.close()


async def test_cert_required_false_accepts_anonymous_clients(tls_files: TlsFiles) -> None:
    server = await tls_server(tls_files, cert_required=False)
    async with HttpCommandClient(ssl_context=client_context(str(tls_files.ca))) as client:
        assert (await client.post_command(server.url, {"command": "echo"}, 5))[0]["result"] == 0
    await server.close()


async def test_client_refuses_a_server_it_does_not_trust(tls_files: TlsFiles) -> None:
    server = await tls_server(tls_files, cert_required=False)
    # The rogue CA did not sign the server certificate.
    ctx = client_context(str(tls_files.rogue_cert.parent / "rogue-ca.pem"))
    async with HttpCommandClient(ssl_context=ctx) as client:
        with pytest.raises(TransportError, match="TLS handshake"):
            await client.post_command(server.url, {"command": "echo"}, 5)
    await server.close()


def test_trust_anchor_directory(tls_files: TlsFiles) -> None:
    # A directory trust-anchor is loaded as a CA path (Kea accepts both forms).
    client_context(str(tls_files.ca.parent), check_hostname=False)


def test_parse_tls_kea_keys() -> None:
    assert parse_tls({}, "x") is None
    config = parse_tls({"trust-anchor": "ca", "cert-file": "c", "key-file": "k"}, "x")
    assert config == TlsConfig("ca", "c", "k", True)
    assert parse_tls(
        {"trust-anchor": "ca", "cert-file": "c", "key-file": "k", "cert-required": False}, "x"
    ) == (TlsConfig("ca", "c", "k", False))
    with pytest.raises(TlsConfigError, match="missing key-file"):
        parse_tls({"trust-anchor": "ca", "cert-file": "c"}, "Control-agent")
    with pytest.raises(TlsConfigError, match="cert-required: must be a boolean"):
        parse_tls({"cert-required": "yes"}, "Control-agent")


def test_unreadable_files_are_config_errors(tmp_path: object) -> None:
    with pytest.raises(TlsConfigError, match="cannot load"):
        server_context(TlsConfig("/nonexistent/ca", "/nonexistent/c", "/nonexistent/k"))
    with pytest.raises(TlsConfigError, match="together"):
        client_context("ca", cert_file="c")
