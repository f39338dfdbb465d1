"""TLS contexts from Kea's parameters: trust-anchor, cert-file, key-file, cert-required.

Kea 2.2 uses the same four names in the control agent and in the HA peers: the three files go
together (all or none); "trust-anchor" may be a CA file or a directory of hashed CA certificates;
"cert-required" (default true) makes the server demand and verify a client certificate.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class TlsConfigError(ValueError):
    """The TLS parameters are inconsistent or unusable; the message names the problem."""


@dataclass(slots=True, frozen=True)
class TlsConfig:
    trust_anchor: str
    cert_file: str
    key_file: str
    cert_required: bool = True


def parse_tls(config: Mapping[str, Any], path: str) -> TlsConfig | None:
    """Read the TLS keys of a Kea map; None when none of the files is configured."""
    values = {k: config.get(k, "") for k in ("trust-anchor", "cert-file", "key-file")}
    for key, value in values.items():
        if not isinstance(value, str):
            raise TlsConfigError(f"{path}/{key}: must be a string")
    given = [k for k, v in values.items() if v]
    cert_required = config.get("cert-required", True)
    if not isinstance(cert_required, bool):
        raise TlsConfigError(f"{path}/cert-required: must be a boolean")
    if not given:
        return None
    if len(given) != 3:
        missing = ", ".join(k for k, v in values.items() if not v)
        raise TlsConfigError(f"{path}: trust-anchor, cert-file and key-file go together; missing {missing}")
    return TlsConfig(values["trust-anchor"], values["cert-file"], values["key-file"], cert_required)


def _load_trust_anchor(ctx: ssl.SSLContext, trust_anchor: str) -> None:
    try:
        if os.path.isdir(trust_anchor):
            ctx.load_verify_locations(capath=trust_anchor)
        else:
            ctx.load_verify_locations(cafile=trust_anchor)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot load trust-anchor '{trust_anchor}': {exc}") from None


def _load_chain(ctx: ssl.SSLContext, cert_file: str, key_file: str) -> None:
    try:
        ctx.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot load cert-file '{cert_file}' / key-file '{key_file}': {exc}") from None


def server_context(tls: TlsConfig) -> ssl.SSLContext:
    """Context for a listener; with cert_required the client must present a certificate we trust."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(ctx, tls.cert_file, tls.key_file)
    _load_trust_anchor(ctx, tls.trust_anchor)
    ctx.verify_mode = ssl.CERT_REQUIRED if tls.cert_required else ssl.CERT_OPTIONAL
    return ctx


def client_context(
    trust_anchor: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    *,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """Context for a client; without trust_anchor the system CA store is used."""
    if bool(cert_file) != bool(key_file):
        raise TlsConfigError("cert-file and key-file must be given together")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if trust_anchor:
        _load_trust_anchor(ctx, trust_anchor)
    else:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
    if cert_file and key_file:
        _load_chain(ctx, cert_file, key_file)
    ctx.check_hostname = check_hostname
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx
