"""The SMTP mailer (mailer.py) against a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from covisor.app.options import smtp_options
from covisor.config import Config
from covisor.kernel.errors import CovisorError
from covisor.kernel.metrics import Metrics
from covisor.outbox.mailer import Mailer, SmtpOptions
from tests.conftest import ManualClock
from tests.mailbox import free_port, parts, smtp_server


async def test_a_message_arrives_as_multipart_alternative() -> None:
    metrics = Metrics()
    with smtp_server() as (mailbox, port):
        options = SmtpOptions(
            host="127.0.0.1", port=port, tls="none", sender="Shop <help@shop.example>", timeout=5
        )
        mailer = Mailer(options, ManualClock(), metrics)
        assert mailer.enabled
        await mailer.send("ana@example.com", "Your answer", "Hello Ana", "<p>Hello Ana</p>")
        (message,) = await mailbox.wait_for(1)
    assert mailbox.received[0][0] == ["ana@example.com"]
    assert message["From"] == "Shop <help@shop.example>"
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Your answer"
    assert message["Date"] and message["Message-ID"].endswith("@shop.example>")
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "Hello Ana" in text and "<p>Hello Ana</p>" in html
    assert "<img" not in html
    sample = metrics.registry.get_sample_value("covisor_emails_total", {"outcome": "sent"})
    assert sample == 1.0


async def test_an_unreachable_server_is_unavailable_and_counted() -> None:
    metrics = Metrics()
    options = SmtpOptions(
        host="127.0.0.1",
        port=free_port(),
        tls="none",
        sender="help@shop.example",
        timeout=2,
        user="shop",
        password="hunter2",
    )
    mailer = Mailer(options, ManualClock(), metrics)
    with pytest.raises(CovisorError) as refused:
        await mailer.send("ana@example.com", "s", "t", "<p>t</p>")
    assert refused.value.code == "unavailable"
    assert "hunter2" not in repr(options)
    sample = metrics.registry.get_sample_value("covisor_emails_total", {"outcome": "failed"})
    assert sample == 1.0


async def test_without_a_host_nothing_is_sent() -> None:
    mailer = Mailer(smtp_options(Config()), ManualClock())
    assert not mailer.enabled
    with pytest.raises(CovisorError, match="not set up"):
        await mailer.send("ana@example.com", "s", "t", "<p>t</p>")
