"""A real SMTP server that speaks STARTTLS or implicit TLS and asks for AUTH, with a self-signed certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mail_tls import TlsServer, TlsServerFactory


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def tls_smtp(certificate: tuple[Path, Path]) -> Iterator[TlsServerFactory]:
    """`tls_smtp("starttls")` or `tls_smtp("ssl")`: a server that requires TLS and then AUTH before mail."""
    cert_file, key_file = certificate
    with ExitStack() as stack:

        def start(mode: str) -> TlsServer:
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_context.load_cert_chain(cert_file, key_file)
            client_context = ssl.create_default_context(cafile=str(cert_file))
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
            server = TlsServer(port=port, client_context=client_context)
            options: dict[str, Any] = {"authenticator": server.authenticate}
            if mode == "starttls":
                options |= {"tls_context": server_context, "require_starttls": True, "auth_require_tls": True}
            else:
                # aiosmtpd only counts STARTTLS as TLS for AUTH; here the whole connection is TLS from the start.
                options |= {"ssl_context": server_context, "auth_require_tls": False}
            controller = Controller(server, hostname="127.0.0.1", port=port, **options)
            controller.start()
            stack.callback(controller.stop)
            return server

        yield start
