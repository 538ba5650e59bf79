"""E-mail over SMTP: STARTTLS (default, port 587), implicit TLS (``ssl``, port 465) or
plain (a relay on the local network only); login only when a user name is set.

One connection per message: reminders and incident reports are few, and a fresh
connection is the simplest thing that survives a relay's idle timeout.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid

from yinsi.delivery.messages import DeliveryResult, EmailMessage
from yinsi.delivery.retry import Permanent, Retry, Transient, deliver

__all__ = ["SmtpSender"]

SECURITY = ("starttls", "ssl", "plain")


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        retry: Retry | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        if security not in SECURITY:
            raise ValueError(f"SMTP security {security!r}: one of {', '.join(SECURITY)}")
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self._username, self._password = username, password
        self.retry = retry or Retry()
        self._tls = tls or ssl.create_default_context()

    def send(self, message: EmailMessage) -> DeliveryResult:
        mime = self._mime(message)
        return deliver(lambda: self._try(mime, message.to), self.retry)

    def _mime(self, message: EmailMessage) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mime.set_content(message.body)
        if message.attachment is not None:
            name, content, mime_type = message.attachment
            main, _, sub = mime_type.partition("/")
            mime.add_attachment(
                content, maintype=main, subtype=sub or "octet-stream", filename=name
            )
        return mime

    def _connect(self) -> smtplib.SMTP:
        timeout = self.retry.timeout_s
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=self._tls)
        smtp = smtplib.SMTP(self.host, self.port, timeout=timeout)
        if self.security == "starttls":
            smtp.starttls(context=self._tls)
        return smtp

    def _try(self, mime: MimeMessage, to: str) -> str:
        where = f"{self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self._username:
                    smtp.login(self._username, self._password or "")
                refused = smtp.send_message(mime, self.sender, [to])
        except smtplib.SMTPAuthenticationError:
            raise Permanent(f"SMTP {where} 拒绝登录：检查用户名和密码") from None
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            raise _by_code(code, f"SMTP {where} 拒收该收件人（{code}）") from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, f"SMTP {where} 应答 {exc.smtp_code}") from None
        except smtplib.SMTPNotSupportedError:
            raise Permanent(f"SMTP {where} 不支持 STARTTLS：改用 ssl 或 plain") from None
        except (OSError, smtplib.SMTPException) as exc:
            if isinstance(exc, ssl.SSLError):
                raise Permanent(f"SMTP {where} TLS 失败：{exc.reason}") from None
            kind = "超时" if isinstance(exc, socket.timeout | TimeoutError) else type(exc).__name__
            raise Transient(f"无法连接 SMTP {where}（{kind}）") from None
        if refused:
            raise Permanent(f"SMTP {where} 拒收该收件人")
        return str(mime["Message-ID"])


def _by_code(code: int, text: str) -> Transient | Permanent:
    """4xx SMTP replies are temporary (try again), 5xx permanent."""
    return Transient(text) if 400 <= code < 500 else Permanent(text)
