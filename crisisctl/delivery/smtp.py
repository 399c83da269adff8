"""Delivering an e-mail over SMTP (STARTTLS by default) and keeping the server's answer."""

from __future__ import annotations

import re
import smtplib

from crisisctl.delivery.config import SmtpSettings


class DeliveryError(Exception):
    """The server could not be reached or refused the message: nothing was delivered."""


class DeliveryUncertainError(Exception):
    """The connection failed after the message was handed over: it may have been delivered."""


_LEADING_DOT = re.compile(rb"(?m)^\.")
_LINE_END = re.compile(rb"\r?\n")


def deliver(message: bytes, recipients: list[str], settings: SmtpSettings) -> str:
    """Send one message (RFC 5322 bytes) to every recipient (the envelope carries them) and return the server's final
    answer, e.g. `250 2.0.0 Ok: queued as 1A2B`, with any recipients the server refused."""
    client: smtplib.SMTP | None = None
    try:
        client = _connect(settings)
        code, answer = client.mail(settings.sender)
        if code != 250:
            raise DeliveryError(f"{code} {_text(answer)}")
        refused = []
        for recipient in recipients:
            code, answer = client.rcpt(recipient)
            if code not in (250, 251):
                refused.append(f"{recipient}: {code} {_text(answer)}")
        if len(refused) == len(recipients):
            raise DeliveryError("every recipient was refused: " + "; ".join(refused))
        code, answer = client.docmd("DATA")
        if code != 354:
            raise DeliveryError(f"{code} {_text(answer)}")
        answer_text = _hand_over(client, message)
        return answer_text + (f"; refused: {'; '.join(refused)}" if refused else "")
    except (OSError, smtplib.SMTPException, ValueError) as error:  # ValueError: text smtplib cannot encode
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    finally:
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
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
    return client


def _hand_over(client: smtplib.SMTP, message: bytes) -> str:
    """Send the message after DATA's 354. From here on a lost connection leaves the outcome unknown:
    the server may have queued the message before its answer was lost."""
    # SMTP lines end in CRLF; a line starting with a dot is doubled; a lone dot ends the data.
    payload = _LEADING_DOT.sub(b"..", _LINE_END.sub(b"\r\n", message))
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    try:
        client.send(payload + b".\r\n")
        code, answer = client.getreply()
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryUncertainError(f"the connection failed after the message was sent ({error})") from None
    if code != 250:
        raise DeliveryError(f"{code} {_text(answer)}")
    return f"{code} {_text(answer)}"


def _text(answer: bytes) -> str:
    return answer.decode(errors="replace")
