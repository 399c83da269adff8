"""Sending an approved draft: always to the outbox, and by SMTP when e-mail is configured."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from crisisctl.delivery.config import DeliveryConfig
from crisisctl.delivery.outbox import build_email, split_subject, write_outbox
from crisisctl.delivery.smtp import DeliveryError, deliver
from crisisctl.incident.service import Deliverer, DeliveryOutcome
from crisisctl.incident.state import Draft, IncidentState
from crisisctl.playbook.model import Communication, Playbook


def outbox_folder(db_path: Path, incident: str) -> Path:
    return db_path.parent / "outbox" / incident


def make_deliverer(config: DeliveryConfig, db_path: Path, now: dt.datetime) -> Deliverer:
    def send(
        state: IncidentState, playbook: Playbook, communication: Communication, locale: str, draft: Draft
    ) -> DeliveryOutcome:
        stem = f"{now:%Y%m%dT%H%M%SZ}-{communication.id}" + (f".{locale}" if locale else "")
        folder = outbox_folder(db_path, state.id)
        if communication.channel != "email":
            path = write_outbox(folder, f"{stem}.{communication.channel}.md", draft.text.encode("utf-8"))
            return DeliveryOutcome(True, str(path), f"written for the {communication.channel} channel")
        recipients = config.recipients.get(communication.audience, [])
        subject, body = split_subject(draft.text, communication.title)
        sender = config.smtp.sender if config.smtp else "crisisctl@localhost"
        message = build_email(
            subject=subject, body=body, sender=sender, recipients=recipients, incident=state.id, sent_at=now
        )
        path = write_outbox(folder, f"{stem}.eml", message.as_bytes())
        if config.smtp is None:
            return DeliveryOutcome(True, str(path), "written to the outbox (no SMTP server configured)")
        if not recipients:
            return DeliveryOutcome(
                True, str(path), f"written to the outbox (no recipients for {communication.audience})"
            )
        try:
            answer = deliver(message, recipients, config.smtp)
        except DeliveryError as error:
            return DeliveryOutcome(False, str(path), str(error))
        return DeliveryOutcome(True, str(path), f"delivered to {', '.join(recipients)}: {answer}")

    return send
