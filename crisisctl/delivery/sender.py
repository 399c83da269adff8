"""The courier behind `comms send`: always to the outbox, and by SMTP when e-mail is configured."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from crisisctl.delivery.config import DeliveryConfig, NotifyTarget
from crisisctl.delivery.notify import post, require_apprise
from crisisctl.delivery.outbox import (
    Outbox,
    build_email,
    message_id,
    refuse_header_injection,
    split_subject,
)
from crisisctl.delivery.smtp import DeliveryError, DeliveryUncertainError, deliver
from crisisctl.errors import LogError, RefusedError, UsageError
from crisisctl.incident.dispatch import DeliveryOutcome, DispatchOrder
from crisisctl.wholefile import holds


class Courier:
    """Builds each order's message the same way every time, so a resend is the same message."""

    def __init__(self, config: DeliveryConfig, db_path: Path) -> None:
        self.config = config
        self.outbox = Outbox.beside(db_path, group_shared=config.group_shared_outbox)

    def _payload(self, order: DispatchOrder, sender: str) -> tuple[str, bytes]:
        """The outbox file's name and bytes; both derive from the delivery id and the draft alone."""
        communication = order.communication
        stem = f"{order.delivery_id[:16]}-{communication.id}" + (f".{order.locale}" if order.locale else "")
        if communication.channel != "email":
            return f"{stem}.{communication.channel}.md", order.draft.text.encode("utf-8")
        subject, body = split_subject(order.draft.text, communication.title)
        message = build_email(
            subject=subject,
            body=body,
            sender=sender,
            incident=order.incident,
            sent_at=order.at,
            delivery_id=order.delivery_id,
        )
        return f"{stem}.eml", message.as_bytes()

    def _sender(self) -> str:
        return self.config.smtp.sender if self.config.smtp else "crisisctl@localhost"

    def _by_smtp(self, order: DispatchOrder) -> bool:
        return order.communication.channel == "email" and self.config.smtp is not None and bool(self._recipients(order))

    def _recipients(self, order: DispatchOrder) -> list[str]:
        return self.config.recipients.get(order.communication.audience, [])

    def _target(self, order: DispatchOrder) -> NotifyTarget | None:
        """The notification target configured for the notice's channel (sms, chat, webhook), if any."""
        name = self.config.channels.get(order.communication.channel)
        return self.config.targets[name] if name else None

    def route(self, order: DispatchOrder) -> dict[str, Any]:
        """Checked before the intent is recorded: a refusal here sends and records nothing."""
        sender = self._sender()
        if order.communication.channel == "email":
            # Addresses go into headers and SMTP commands, where a line break would inject more.
            for address in [sender, *self._recipients(order)]:
                refuse_header_injection(address, "address")
                if not address.isascii():
                    raise RefusedError(
                        f"the address {address!r} is not plain ASCII, which SMTP without SMTPUTF8 cannot carry",
                        "write an international domain as xn--… in the configuration",
                    )
        target = self._target(order)
        if target is not None:
            target.url()  # set, and Apprise installed: checked before the intent is recorded
            require_apprise(target)
        self.outbox.prepare(order.incident)
        name, payload = self._payload(order, sender)
        route: dict[str, Any] = {
            "outbox": str(self.outbox.path_for(order.incident, name)),
            "outbox_sha256": hashlib.sha256(payload).hexdigest(),
            "via": "smtp" if self._by_smtp(order) else "target" if target else "outbox",
        }
        if target is not None:
            route["target"] = target.name
        if order.communication.channel == "email":
            route["message_id"] = message_id(order.delivery_id)
            route["sender"] = sender
            route["recipients"] = self._recipients(order) if self._by_smtp(order) else []
        return route

    def deliver(self, order: DispatchOrder, route: dict[str, Any]) -> DeliveryOutcome:
        """Deliver by the recorded route, so a resend is the very message the intent describes."""
        if route["via"] == "smtp" and self.config.smtp is None:
            raise UsageError(
                "this delivery went by SMTP, and no [smtp] server is configured now", "configure it, then resend"
            )
        name, payload = self._payload(order, str(route.get("sender", self._sender())))
        try:
            path = self.outbox.write(order.incident, name, payload)
        except LogError as error:  # before anything left crisisctl: nothing was delivered
            return DeliveryOutcome("failed", error.message, str(self.outbox.path_for(order.incident, name)))
        if route["via"] == "outbox":
            return DeliveryOutcome("sent", self._outbox_only_detail(order), str(path))
        if route["via"] == "target":
            return self._by_target(order, str(route["target"]), str(path))
        assert self.config.smtp is not None  # checked above
        recipients = list(route["recipients"])
        try:
            answer = deliver(payload, recipients, self.config.smtp)
        except DeliveryError as error:
            return DeliveryOutcome("failed", str(error), str(path))
        except DeliveryUncertainError as error:
            return DeliveryOutcome("unknown", str(error), str(path))
        return DeliveryOutcome(
            "sent", f"delivered to {len(recipients)} recipient(s) as blind copies: {answer}", str(path)
        )

    def _by_target(self, order: DispatchOrder, name: str, path: str) -> DeliveryOutcome:
        target = self.config.targets.get(name)
        if target is None:
            raise UsageError(
                f"this delivery went through the notification target {name}, which is not configured now",
                f"configure [notify.{name}], then resend",
            )
        result = post(target, order.communication.title, order.draft.text)
        return DeliveryOutcome(result.status, result.detail, path)

    def _outbox_only_detail(self, order: DispatchOrder) -> str:
        if order.communication.channel != "email":
            return f"written for the {order.communication.channel} channel"
        if self.config.smtp is None:
            return "written to the outbox (no SMTP server configured)"
        return f"written to the outbox (no recipients for {order.communication.audience})"

    def proof(self, route: dict[str, Any]) -> bool | None:
        """An outbox-only delivery is its file; an SMTP one cannot be seen from here."""
        if route.get("via") != "outbox":
            return None
        return holds(Path(route["outbox"]), str(route["outbox_sha256"]))
