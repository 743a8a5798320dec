"""E-mail over SMTP (aiosmtplib): offline answers and transcripts reach shoppers' inboxes.

`Mailer.send(to, subject, text, html)` builds one multipart/alternative message (plain text
first, HTML second; no images, no tracking, no external references) with Date and Message-ID,
and hands it to the configured SMTP server. Without `smtp_host` the mailer is off: `enabled`
is False and `send` raises `unavailable`, so callers check `enabled` first. Every delivery is
counted in `covisor_emails_total{outcome}` (sent, failed). The SMTP password is never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib

from covisor.kernel.clock import Clock
from covisor.kernel.errors import CovisorError
from covisor.kernel.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class SmtpOptions:
    """Delivery settings (from `Config`'s `smtp_*` fields and `mail_from`)."""

    host: str | None
    """None: the mailer is off."""
    port: int
    tls: str
    """`starttls`, `tls` (implicit TLS) or `none`."""
    timeout: float
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "covisor@localhost"


class Mailer:
    def __init__(self, options: SmtpOptions, clock: Clock, metrics: Metrics | None = None) -> None:
        self._options = options
        self._clock = clock
        self._metrics = metrics

    @property
    def enabled(self) -> bool:
        return self._options.host is not None

    def message(self, to: str, subject: str, text: str, html: str) -> EmailMessage:
        """The message `send` delivers: From, To, Subject, Date, Message-ID, text and HTML."""
        options = self._options
        message = EmailMessage()
        message["From"] = options.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.fromtimestamp(self._clock() / 1000.0, UTC))
        domain = parseaddr(options.sender)[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid("covisor", domain=domain)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    async def send(self, to: str, subject: str, text: str, html: str) -> None:
        """Deliver one message to `to`; `unavailable` when e-mail is off or the server
        refuses or cannot be reached."""
        options = self._options
        if options.host is None:
            raise CovisorError("unavailable", "e-mail is not set up on this server")
        message = self.message(to, subject, text, html)
        try:
            await aiosmtplib.send(
                message,
                hostname=options.host,
                port=options.port,
                username=options.user,
                password=options.password if options.user else None,
                use_tls=options.tls == "tls",
                start_tls=options.tls == "starttls",
                timeout=options.timeout,
            )
        # ValueError: aiosmtplib refuses to send a command with a control character, as in an
        # address stored before addresses were checked for them.
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            self._count("failed")
            # The exception text is the server's answer, never the password.
            log.warning("e-mail to the shopper failed: %s", type(exc).__name__)
            raise CovisorError("unavailable", "the e-mail could not be sent") from None
        self._count("sent")

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.emails.labels(outcome).inc()
