"""Delivering an e-mail over SMTP (STARTTLS by default) and keeping the server's answer."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from crisisctl.delivery.config import SmtpSettings


class DeliveryError(Exception):
    """The server could not be reached or refused the message."""


def deliver(message: EmailMessage, recipients: list[str], settings: SmtpSettings) -> str:
    """Send and return the server's final answer, e.g. `250 2.0.0 Ok: queued as 1A2B`."""
    client: smtplib.SMTP | None = None
    try:
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=settings.tls_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=settings.tls_context())
            client.ehlo()
        credentials = settings.credentials()
        if credentials:
            client.login(*credentials)
        code, answer = client.mail(settings.sender)
        if code != 250:
            raise DeliveryError(f"{code} {answer.decode(errors='replace')}")
        for recipient in recipients:
            code, answer = client.rcpt(recipient)
            if code not in (250, 251):
                raise DeliveryError(f"{recipient}: {code} {answer.decode(errors='replace')}")
        # SMTP lines end in CRLF; smtplib leaves a bytes message's endings as they are.
        code, answer = client.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        if code != 250:
            raise DeliveryError(f"{code} {answer.decode(errors='replace')}")
        return f"{code} {answer.decode(errors='replace')}"
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    finally:
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
