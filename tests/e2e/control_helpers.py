"""Helpers for the control-channel end-to-end tests (tests/e2e/test_control_*.py): ISC's kea-shell,
Kea 2.2 reference processes, one-server HA configurations (the daemon's own HTTP listener with an
absent partner) and raw transports that do not go through hakea's own client code.

Every process is started through tests.e2e.lab.Procs (kept by PID, stopped by PID).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LEASE_CMDS
from tests.e2e.lab import VENV_BIN, Procs, wait_until

KEA_SHELL = shutil.which("kea-shell") or "/usr/sbin/kea-shell"
KEA_DHCP4 = shutil.which("kea-dhcp4") or "/usr/sbin/kea-dhcp4"
KEA_CTRL_AGENT = shutil.which("kea-ctrl-agent") or "/usr/sbin/kea-ctrl-agent"
HA_HOOK = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so"
HAKEA_CTRL_AGENT = str(VENV_BIN / "hakea-ctrl-agent")
HAKEA = str(VENV_BIN / "hakea")

NO_ARGS: Any = object()  # a command sent without "arguments"


def installed(*paths: str) -> bool:
    return all(os.access(p, os.X_OK) for p in paths)


# ---- kea-shell --------------------------------------------------------------------------------------


def shell_stdin(arguments: Any) -> str:
    """kea-shell reads the arguments from stdin WITHOUT the outer braces and wraps them itself;
    two blanks give an empty map, nothing gives no "arguments" at all."""
    if arguments is NO_ARGS:
        return ""
    assert isinstance(arguments, dict)
    return json.dumps(arguments)[1:-1] if arguments else "  "


def kea_shell(
    port: int,
    command: str,
    arguments: Any = NO_ARGS,
    *,
    host: str = "127.0.0.1",
    service: str | None = "dhcp4",
    extra: tuple[str, ...] = (),
    timeout: float = 20.0,
) -> subprocess.CompletedProcess[str]:
    argv = [KEA_SHELL, "--host", host, "--port", str(port), "--timeout", "10", *extra]
    if service:
        argv += ["--service", service]
    return subprocess.run(
        [*argv, command], input=shell_stdin(arguments), capture_output=True, text=True, timeout=timeout
    )


def kea_shell_answer(port: int, command: str, arguments: Any = NO_ARGS, **kw: Any) -> dict[str, Any]:
    """The single answer of kea-shell's output, which must be Kea's list of one."""
    done = kea_shell(port, command, arguments, **kw)
    assert done.returncode == 0, f"kea-shell {command}: {done.stdout}{done.stderr}"
    answer = json.loads(done.stdout)
    assert isinstance(answer, list) and len(answer) == 1, done.stdout
    assert isinstance(answer[0], dict)
    return answer[0]


# ---- configurations ---------------------------------------------------------------------------------


def dhcp4_config(
    workdir: Path,
    name: str,
    *,
    interfaces: list[str] | None = None,
    subnets: list[dict[str, Any]] | None = None,
    hooks: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Kea 2.2 "Dhcp4" map run unchanged by kea-dhcp4 or hakea-dhcp4."""
    config: dict[str, Any] = {
        "interfaces-config": {"interfaces": interfaces or [], "dhcp-socket-type": "udp"},
        "control-socket": {"socket-type": "unix", "socket-name": str(workdir / f"{name}.sock")},
        "lease-database": {
            "type": "memfile",
            "persist": True,
            "lfc-interval": 0,
            "name": str(workdir / f"{name}-leases4.csv"),
        },
        "hooks-libraries": [{"library": LEASE_CMDS}, *(hooks or [])],
        "valid-lifetime": 4000,
        "subnet4": subnets
        if subnets is not None
        else [
            {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.200"}]},
            {"id": 2, "subnet": "10.0.0.0/24"},
        ],
        "loggers": [
            {
                "name": "kea-dhcp4",
                "severity": "WARN",
                "output_options": [{"output": str(workdir / f"{name}-kea.log")}],
            }
        ],
        **extra,
    }
    return {"Dhcp4": config}


def ha_one_server(
    this_url: str,
    partner_url: str,
    *,
    this: dict[str, Any] | None = None,
    partner: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Kea 2.2's HA hook for a hot-standby primary whose standby is absent: the daemon serves its
    peer URL (this_url) itself and goes partner-down after max-response-delay."""
    relationship: dict[str, Any] = {
        "this-server-name": "server1",
        "mode": "hot-standby",
        "heartbeat-delay": 1000,
        "max-response-delay": 2000,
        "max-ack-delay": 1000,
        "max-unacked-clients": 0,
        **extra,
        "peers": [
            {"name": "server1", "url": this_url, "role": "primary", **(this or {})},
            {"name": "server2", "url": partner_url, "role": "standby", **(partner or {})},
        ],
    }
    return {"library": HA_HOOK, "parameters": {"high-availability": [relationship]}}


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, indent=1))
    return path


# ---- processes ---------------------------------------------------------------------------------------


def kea_env(workdir: Path) -> dict[str, str]:
    lock = workdir / "kea-lock"
    lock.mkdir(exist_ok=True)
    return {"KEA_PIDFILE_DIR": str(workdir), "KEA_LOCKFILE_DIR": str(lock)}


def start_kea_dhcp4(
    procs: Procs, name: str, config: Path, sock: Path, timeout: float = 10.0
) -> subprocess.Popen[bytes]:
    p = procs.start(name, [KEA_DHCP4, "-c", str(config)], env=kea_env(procs.workdir))

    def ready() -> bool:
        if p.poll() is not None:
            raise AssertionError(f"{name} exited with {p.returncode}:\n{procs.log(name)}")
        try:
            return unix_command(sock, {"command": "version-get"}, timeout=1.0).get("result") == 0
        except OSError:
            return False

    wait_until(ready, timeout, what=f"{name} control socket")
    return p


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_agent(
    procs: Procs, name: str, argv: list[str], host: str, port: int, timeout: float = 10.0
) -> subprocess.Popen[bytes]:
    """A control agent (hakea-ctrl-agent or kea-ctrl-agent); ready when its port accepts."""
    p = procs.start(name, argv, env=kea_env(procs.workdir))

    def ready() -> bool:
        if p.poll() is not None:
            raise AssertionError(f"{name} exited with {p.returncode}:\n{procs.log(name)}")
        return port_open(host, port)

    wait_until(ready, timeout, what=f"{name} listening on {host}:{port}")
    return p


def agent_config(host: str, port: int, sock: Path, **extra: Any) -> dict[str, Any]:
    return {
        "Control-agent": {
            "http-host": host,
            "http-port": port,
            "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": str(sock)}},
            "loggers": [
                {"name": "kea-ctrl-agent", "severity": "WARN", "output_options": [{"output": "stdout"}]}
            ],
            **extra,
        }
    }


# ---- raw transports (independent of hakea.control) ---------------------------------------------


def unix_raw(sock: Path, data: bytes, timeout: float = 5.0) -> Any:
    """One request on a Kea-style UNIX control socket: read until the answer is complete JSON."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock))
        s.sendall(data)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            try:
                return json.loads(buf)
            except ValueError:
                continue
    return json.loads(buf)


def unix_command(sock: Path, body: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    answer = unix_raw(sock, json.dumps(body).encode(), timeout)
    assert isinstance(answer, dict), answer
    return answer


class Http:
    """One persistent HTTP/1.1 connection (http.client), Kea-style POSTs of JSON commands."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        auth: tuple[str, str] | None = None,
        context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
    ) -> None:
        if context is None:
            self.conn: http.client.HTTPConnection = http.client.HTTPConnection(host, port, timeout=timeout)
        else:
            self.conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        self.headers = {"Content-Type": "application/json"}
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def post_raw(self, body: bytes) -> tuple[int, bytes]:
        self.conn.request("POST", "/", body=body, headers=self.headers)
        r = self.conn.getresponse()
        return r.status, r.read()

    def post(self, body: dict[str, Any]) -> Any:
        status, data = self.post_raw(json.dumps(body).encode())
        assert status == 200, (status, data)
        return json.loads(data)

    def command(
        self, command: str, arguments: Any = NO_ARGS, service: str | None = "dhcp4"
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"command": command}
        if service:
            body["service"] = [service]
        if arguments is not NO_ARGS:
            body["arguments"] = arguments
        answer = self.post(body)
        assert isinstance(answer, list) and len(answer) == 1, answer
        assert isinstance(answer[0], dict)
        return answer[0]

    def close(self) -> None:
        self.conn.close()


def hakea_cli(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    """The `hakea` operator CLI."""
    return subprocess.run([HAKEA, *args], capture_output=True, text=True, timeout=timeout)


# ---- certificates made by the test (openssl CLI) --------------------------------------------------


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


_NEW_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout")  # + key file


def make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed EC CA: (certificate, key)."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl(
        "req",
        "-x509",
        *_NEW_EC_KEY,
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


def make_leaf(directory: Path, name: str, ca: tuple[Path, Path], *, server: bool) -> tuple[Path, Path]:
    """A certificate signed by `ca` for 127.0.0.1 / localhost: (certificate, key)."""
    cert, key, csr, ext = (directory / f"{name}.{s}" for s in ("pem", "key", "csr", "ext"))
    _openssl(
        "req",
        *_NEW_EC_KEY,
        key,
        "-out",
        csr,
        "-subj",
        f"/CN={name}",
    )
    ext.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        f"extendedKeyUsage={'serverAuth' if server else 'clientAuth'}\n"
    )
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
