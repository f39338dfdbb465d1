"""HTTP basic authentication and TLS, configured as Kea 2.2 configures them, on real processes, with
certificates made by the test (openssl) and ISC's kea-shell as the client.

* hakea-dhcp4's own HTTP listener (the HA peer URL): the credentials are this server's peer entry
  "basic-auth-user" / "basic-auth-password" (what the partner, reading the same "peers" list, sends
  to it; hakea.server.ha4 `_listen`), TLS the relationship's "trust-anchor" / "cert-file" /
  "key-file" with "require-client-certs". One daemon serves plain HTTP with basic auth, another
  HTTPS with client certificates and basic auth. (Kea 2.2's own dedicated listener enforces the
  client certificate but not the password: docs/kea-interop.md.)
* hakea-ctrl-agent with "authentication" and "trust-anchor" / "cert-file" / "key-file" /
  "cert-required", beside Debian's kea-ctrl-agent with the same configuration in front of the same
  daemon: kea-shell must see the same outcome from both.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import free_tcp_port, start_hakea
from tests.e2e.control_helpers import (
    HAKEA_CTRL_AGENT,
    KEA_CTRL_AGENT,
    KEA_SHELL,
    agent_config,
    dhcp4_config,
    ha_one_server,
    installed,
    kea_shell,
    make_ca,
    make_leaf,
    start_agent,
    write_json,
)
from tests.e2e.lab import Procs

pytestmark = pytest.mark.e2e

HOST = "127.0.0.1"
HA_USER, HA_PASSWORD = "hauser", "s3cret:with:colons"
CA_USER, CA_PASSWORD = "admin", "1234"


@dataclass
class Certs:
    ca: Path
    server: tuple[Path, Path]
    client: tuple[Path, Path]
    rogue_ca: Path
    rogue_client: tuple[Path, Path]  # signed by a CA the servers do not trust

    def client_args(self, rogue: bool = False) -> tuple[str, ...]:
        cert, key = self.rogue_client if rogue else self.client
        return ("--cert", str(cert), "--key", str(key))


@dataclass
class Setup:
    certs: Certs
    plain_port: int  # hakea-dhcp4 listener, http + basic auth
    tls_port: int  # hakea-dhcp4 listener, https + client certificates + basic auth
    agents: dict[str, int]  # "hakea" / "kea" -> port of the agent (https + client certs + auth)


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    if not installed(KEA_SHELL):
        pytest.skip("kea-shell (Debian package kea-ctrl-agent) is not installed")
    ca = make_ca(workdir, "test-ca")
    rogue_ca = make_ca(workdir, "rogue-ca")
    server, client = (
        make_leaf(workdir, "server", ca, server=True),
        make_leaf(workdir, "client", ca, server=False),
    )
    certs = Certs(ca[0], server, client, rogue_ca[0], make_leaf(workdir, "rogue", rogue_ca, server=False))
    credentials = {"basic-auth-user": HA_USER, "basic-auth-password": HA_PASSWORD}
    plain_port, tls_port, absent = free_tcp_port(), free_tcp_port(), free_tcp_port()
    plain = dhcp4_config(
        workdir,
        "auth-plain",
        hooks=[
            ha_one_server(
                f"http://{HOST}:{plain_port}/",
                f"http://{HOST}:{absent}/",
                this=credentials,
                partner=credentials,
            )
        ],
    )
    tls_files = {
        "trust-anchor": str(certs.ca),
        "cert-file": str(certs.server[0]),
        "key-file": str(certs.server[1]),
    }
    secure = dhcp4_config(workdir, "auth-tls", hooks=[ha_one_server(
        f"https://{HOST}:{tls_port}/", f"https://{HOST}:{absent}/", this=credentials, partner=credentials,
        **tls_files, **{"require-client-certs": True})])  # fmt: skip
    sock = workdir / "auth-plain.sock"
    start_hakea(procs, "hakea-auth-plain", write_json(workdir / "auth-plain.json", plain), sock)
    start_hakea(
        procs, "hakea-auth-tls", write_json(workdir / "auth-tls.json", secure), workdir / "auth-tls.sock"
    )
    agents = {}
    for flavor, program in (("hakea", HAKEA_CTRL_AGENT), ("kea", KEA_CTRL_AGENT)):
        if not installed(program):
            continue
        port = free_tcp_port()
        conf = agent_config(
            HOST, port, sock, **tls_files, **{"cert-required": True},
            authentication={"type": "basic", "realm": "kea-control-agent",
                            "clients": [{"user": CA_USER, "password": CA_PASSWORD}]})  # fmt: skip
        path = write_json(workdir / f"{flavor}-ca-tls.json", conf)
        start_agent(procs, f"{flavor}-ctrl-agent-tls", [program, "-c", str(path)], HOST, port)
        agents[flavor] = port
    yield Setup(certs, plain_port, tls_port, agents)


def shell(port: int, *extra: str, command: str = "status-get") -> tuple[int, str]:
    done = kea_shell(port, command, extra=extra)
    return done.returncode, (done.stdout + done.stderr).strip()


def answer_of(output: str) -> dict[str, Any]:
    answer = json.loads(output)
    assert isinstance(answer, list) and len(answer) == 1, output
    assert isinstance(answer[0], dict)
    return answer[0]


def raw_post(
    port: int, headers: dict[str, str], context: ssl.SSLContext | None = None
) -> tuple[int, dict[str, str], bytes]:
    if context is None:
        conn: http.client.HTTPConnection = http.client.HTTPConnection(HOST, port, timeout=10)
    else:
        conn = http.client.HTTPSConnection(HOST, port, timeout=10, context=context)
    try:
        conn.request(
            "POST",
            "/",
            body=b'{"command": "status-get"}',
            headers={"Content-Type": "application/json", **headers},
        )
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_ha_listener_basic_auth_refuses_a_wrong_password(setup: Setup) -> None:
    good = ("--auth-user", HA_USER, "--auth-password", HA_PASSWORD)
    code, out = shell(setup.plain_port, *good)
    assert code == 0, out
    assert answer_of(out)["result"] == 0
    for extra in (("--auth-user", HA_USER, "--auth-password", "wrong"), ("--auth-user", "nobody",
                  "--auth-password", HA_PASSWORD), ()):  # fmt: skip
        code, out = shell(setup.plain_port, *extra)
        assert (code, out) == (1, "Failed to run: HTTP Error 401: Unauthorized"), extra
    # On the wire: Kea's 401 (challenge header and body shape).
    wrong = "Basic " + base64.b64encode(f"{HA_USER}:wrong".encode()).decode()
    status, headers, body = raw_post(setup.plain_port, {"Authorization": wrong})
    assert status == 401 and headers["www-authenticate"].startswith("Basic realm=")
    assert json.loads(body) == {"result": 401, "text": "Unauthorized"}


def test_ha_listener_tls_with_client_certificates(setup: Setup) -> None:
    certs = setup.certs
    https = ("--ca", str(certs.ca))
    good = ("--auth-user", HA_USER, "--auth-password", HA_PASSWORD)
    code, out = shell(setup.tls_port, *https, *certs.client_args(), *good)
    assert code == 0, out
    answer = answer_of(out)
    assert answer["result"] == 0 and answer["arguments"]["high-availability"][0]["ha-mode"] == "hot-standby"
    # A wrong password is still refused over TLS.
    code, out = shell(
        setup.tls_port, *https, *certs.client_args(), "--auth-user", HA_USER, "--auth-password", "x"
    )
    assert (code, out) == (1, "Failed to run: HTTP Error 401: Unauthorized")
    # No client certificate, one from an untrusted CA, a server we do not trust, plain HTTP: refused.
    for extra in ((*https, *good), (*https, *certs.client_args(rogue=True), *good),
                  ("--ca", str(certs.rogue_ca), *certs.client_args(), *good), good):  # fmt: skip
        code, out = shell(setup.tls_port, *extra)
        assert code == 1 and out.startswith("Failed to run: "), (extra, out)
    # The server certificate is the one made here, for 127.0.0.1.
    context = ssl.create_default_context(cafile=str(certs.ca))
    context.load_cert_chain(*map(str, certs.client))
    authorization = "Basic " + base64.b64encode(f"{HA_USER}:{HA_PASSWORD}".encode()).decode()
    status, _, body = raw_post(setup.tls_port, {"Authorization": authorization}, context)
    assert status == 200 and answer_of(body.decode())["result"] == 0


@pytest.mark.parametrize("flavor", ["hakea", "kea"])
def test_control_agent_auth_and_tls_as_kea_ctrl_agent(setup: Setup, flavor: str) -> None:
    """The same configuration run by hakea-ctrl-agent and kea-ctrl-agent, both in front of the same
    hakea-dhcp4: kea-shell sees the same outcome (and, for the 401, the same words)."""
    if flavor not in setup.agents:
        pytest.skip(f"{flavor}-ctrl-agent is not installed")
    port, certs = setup.agents[flavor], setup.certs
    https = ("--ca", str(certs.ca))
    good = ("--auth-user", CA_USER, "--auth-password", CA_PASSWORD)
    code, out = shell(port, *https, *certs.client_args(), *good)
    assert code == 0, out
    answer = answer_of(out)
    assert answer["result"] == 0 and "high-availability" in answer["arguments"]  # the daemon's status-get
    code, out = shell(port, *https, *certs.client_args(), *good, command="lease4-get-all")
    assert code == 0 and answer_of(out)["result"] in (0, 3), out
    wrong: list[tuple[str, ...]] = [("--auth-user", CA_USER, "--auth-password", "12345"), ()]
    for extra in wrong:
        code, out = shell(port, *https, *certs.client_args(), *extra)
        assert (code, out) == (1, "Failed to run: HTTP Error 401: Unauthorized"), extra
    for extra in ((*https, *good), (*https, *certs.client_args(rogue=True), *good), good):
        code, out = shell(port, *extra)
        assert code == 1 and out.startswith("Failed to run: "), (extra, out)
