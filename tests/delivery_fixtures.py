"""Real servers for the delivery tests: an HTTP endpoint and an SMTP server, each started
by the test on a free port in a thread, recording what arrived.

- :class:`Endpoint` answers POSTs from a script of statuses (``[503, 200]``: fail once,
  then accept) with a JSON body, and keeps each request (path, headers, raw body). It
  stands for the lender's SMS gateway, the app's push webhook, and the Alibaba Cloud and
  Tencent Cloud SMS APIs (their SDKs pointed at it with ``endpoint=``).
- :func:`smtp_server` is aiosmtpd's controller (optionally with AUTH and STARTTLS).
- :class:`CapturedSms` is an SMS sender for service tests that read the code sent.

Test modules import it (``from delivery_fixtures import …``) and wrap what they need in
fixtures of their own.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from served import free_port
from yinsi.delivery import DeliveryResult, Outcome, SmsMessage

CODE = re.compile(r"验证码(\d{6})")


class CapturedSms:
    """An SMS sender that keeps ``(phone, text)`` of each message (tests only)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, message: SmsMessage) -> DeliveryResult:
        self.sent.append((message.phone, message.text))
        return DeliveryResult(Outcome.DELIVERED, 1, provider_id=f"captured-{len(self.sent)}")

    def code(self) -> str:
        """The code of the last message."""
        found = CODE.search(self.sent[-1][1])
        assert found, self.sent[-1]
        return found.group(1)


@dataclass
class Arrived:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Endpoint:
    """A local HTTP server: ``statuses`` answered in turn (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    answer: Callable[[Arrived], dict[str, Any]] = field(default=lambda _: {"id": "gw-1"})
    arrived: list[Arrived] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _status(self) -> int:
        n = len(self.arrived) - 1
        return self.statuses[min(n, len(self.statuses) - 1)]


@contextmanager
def running_endpoint() -> Iterator[Endpoint]:
    """A started :class:`Endpoint`, stopped on leaving."""
    state = Endpoint()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            got = Arrived(self.command, self.path, dict(self.headers.items()), body)
            state.arrived.append(got)
            status = state._status()
            reply = json.dumps(state.answer(got) if status < 300 else {"error": "x"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_POST = do_GET = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """What the SMTP server received: ``(mail_from, rcpt_tos, raw message)``."""

    port: int
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _Collect:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def smtp_server(
    *,
    users: dict[str, str] | None = None,
    tls_context: Any = None,
    require_starttls: bool = False,
    ssl_context: Any = None,
) -> Any:
    """A started aiosmtpd controller and its :class:`Mailbox` (stop the controller):
    ``tls_context`` offers STARTTLS, ``ssl_context`` is implicit TLS, ``users`` AUTH."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox(free_port())

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = (
            isinstance(data, LoginPassword)
            and users is not None
            and users.get(data.login.decode()) == data.password.decode()
        )
        if ok:
            box.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = {}
    if users is not None:
        options |= {"authenticator": authenticate, "auth_require_tls": tls_context is not None}
    if tls_context is not None:
        options |= {"tls_context": tls_context, "require_starttls": require_starttls}
    if ssl_context is not None:
        options["ssl_context"] = ssl_context
    controller = Controller(_Collect(box), hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    return controller, box


def self_signed(folder: Any) -> tuple[Any, Any]:
    """A server TLS context with a new self-signed certificate for 127.0.0.1, and a client
    context that trusts exactly it."""
    import datetime as dt
    import ipaddress
    import ssl

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
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client
