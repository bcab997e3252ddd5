"""Real services the alert tests talk to, all started in-process by the tests themselves: an SMTP server
(aiosmtpd, plain or with STARTTLS + login on a self-signed certificate), and helpers for sources that misbehave
in the ways monitoring must notice."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from flightpipe.core.errors import SourceError
from flightpipe.core.layout import Board
from flightpipe.sources.base import FetchedBoard
from flightpipe.sources.simulated.model import SimulatedSource

SMTP_USER, SMTP_PASSWORD = "alerts@example.com", "s3cret-smtp-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A port nobody listens on: connecting is refused at once."""
    return free_port()


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        self.messages.append(message_from_bytes(content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        self.received.set()
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox
    ca_file: Path | None = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, inbox)
    finally:
        controller.stop()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def _authenticator(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    # handled=False: let the server answer 535 itself (the default means "I already answered").
    return AuthResult(success=ok, handled=False)


def _tls_controller(tmp_path: Path, *, implicit: bool) -> tuple[Controller, Inbox, Path]:
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    inbox = Inbox()
    tls: dict[str, Any] = (
        # aiosmtpd does not count implicit TLS as TLS for its AUTH check, though the whole session is encrypted.
        {"ssl_context": context, "auth_require_tls": False}
        if implicit
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), authenticator=_authenticator, auth_required=True, **tls
    )
    return controller, inbox, cert_file


@pytest.fixture
def tls_smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """STARTTLS required, and login required over TLS, as a real submission port (587) is set up."""
    controller, inbox, cert_file = _tls_controller(tmp_path, implicit=False)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, inbox, ca_file=cert_file)
    finally:
        controller.stop()


@pytest.fixture
def ssl_smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """TLS from the first byte and login required, as on port 465."""
    controller, inbox, cert_file = _tls_controller(tmp_path, implicit=True)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, inbox, ca_file=cert_file)
    finally:
        controller.stop()


class ScriptedSource:
    """The simulated source, with boards that misbehave: slow, empty, failing, or with broken records."""

    name, format = "simulated", "aviationstack"

    def __init__(
        self,
        *,
        seed: int = 20240601,
        slow: dict[tuple[str, str], float] | None = None,
        empty: set[tuple[str, str]] | None = None,
        failing: dict[tuple[str, str], Exception] | None = None,
        broken: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.inner = SimulatedSource(seed=seed)
        self.slow = slow or {}
        self.empty = empty or set()
        self.failing = failing or {}
        self.broken = broken or {}

    def fetch_board(self, icao: str, day: dt.date, board: Board, *, as_of: dt.datetime) -> FetchedBoard:
        which = (icao, str(board))
        if which in self.slow:
            time.sleep(self.slow[which])
        if which in self.failing:
            raise self.failing[which]
        if which in self.empty:
            return FetchedBoard(
                pages=[{"pagination": {"limit": 100, "offset": 0, "count": 0, "total": 0}, "data": []}],
                requests=[{"method": "GET", "url": f"simulated://aviationstack/v1/flights?icao={icao}"}],
            )
        fetched = self.inner.fetch_board(icao, day, board, as_of=as_of)
        for record in fetched.pages[0]["data"][: self.broken.get(which, 0)]:
            record["departure"]["scheduled"] = "not a time"
        return fetched


def source_down(icao: str, board: str) -> ScriptedSource:
    return ScriptedSource(failing={(icao, board): SourceError(f"{icao} {board}: HTTP 503 from the source")})
