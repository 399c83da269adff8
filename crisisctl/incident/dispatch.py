"""Sending a notice exactly once: record the intent, deliver, record the outcome; settle the unknown."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal, Protocol

from msgspec import Struct

from crisisctl.clock import format_time
from crisisctl.errors import LogError, RefusedError, UsageError
from crisisctl.incident import communications as comms
from crisisctl.incident import events as ev
from crisisctl.incident.records import NewEvent
from crisisctl.incident.service import IncidentService
from crisisctl.incident.state import Dispatch, Draft, IncidentState, step_views, unmet_dependencies
from crisisctl.playbook.model import Communication, Playbook
from crisisctl.processes import may_still_run, on_this_host, this_process

Outcome = Literal["sent", "failed", "unknown"]


class DispatchOrder(Struct, frozen=True):
    """One delivery of one approved draft; everything needed to build the same message again."""

    delivery_id: str
    incident: str
    communication: Communication
    locale: str
    draft: Draft
    at: dt.datetime  # the stated send time: the message's Date, so a resend is byte for byte the same


class DeliveryOutcome(Struct, frozen=True):
    """What the channel said: sent, failed (nothing left), or unknown (it may have arrived)."""

    status: Outcome
    detail: str
    outbox: str


class Courier(Protocol):
    """The channels behind `comms send`; crisisctl.delivery implements it."""

    def route(self, order: DispatchOrder) -> dict[str, Any]:
        """Where the order will go (recorded in the intent): channel, recipients, outbox file."""
        ...

    def deliver(self, order: DispatchOrder, route: dict[str, Any]) -> DeliveryOutcome:
        """Deliver; a retry of the same order is the same message under the same ids."""
        ...

    def proof(self, route: dict[str, Any]) -> bool | None:
        """Whether the route's own traces prove delivery (True), its absence (False), or cannot tell (None)."""
        ...


class Settlement(Struct, frozen=True):
    """How one delivery ended, as recorded (or, for `unknown`, still open)."""

    incident: str
    communication: str
    locale: str
    delivery_id: str
    status: Outcome
    detail: str
    outbox: str
    seq: int | None
    linked_steps: tuple[tuple[str, str | None], ...] = ()  # (step, None: done by this send | why it stays open)


class DeliveryFailedError(RefusedError):
    """The notice left crisisctl but did not arrive; the failure is recorded and a new send is allowed."""


class DeliveryUnknownError(RefusedError):
    """The notice may have arrived; the intent stays open until `comms reconcile` settles it."""


class DeliveredNotRecordedError(LogError):
    """The notice went out but the log could not record it; the open intent shows it."""


class NoticeDispatcher:
    """`comms send` and `comms reconcile` on top of the incident service's one write path."""

    def __init__(self, service: IncidentService, courier: Courier) -> None:
        self.service = service
        self.courier = courier

    def send(self, incident_id: str, communication_id: str, locale: str | None, *, at: str | None) -> Settlement:
        """Record the intent inside the write lock (so two sends cannot both start), deliver, record the outcome."""
        started: list[tuple[DispatchOrder, dict[str, Any]]] = []

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            communication = comms.require_communication(playbook, communication_id)
            chosen = comms.resolve_locale(communication, locale)
            record = state.communications.get((communication.id, chosen))
            draft = comms.check_send(state, communication, chosen, record, when)
            order = DispatchOrder(uuid.uuid4().hex, state.id, communication, chosen, draft, when)
            route = self.courier.route(order)
            started.append((order, route))
            data = {
                "communication": communication.id,
                "locale": chosen,
                "draft_sha256": draft.sha256,
                "delivery_id": order.delivery_id,
                "channel": communication.channel,
                "route": route,
                "process": this_process(),
            }
            return [NewEvent(state.id, format_time(when), ev.COMM_SENDING, self.service.actor, data)]

        self.service.record(incident_id, at, events_for)
        order, route = started[0]
        return self._deliver(order, route)

    def unsettled(self, incident_id: str) -> list[tuple[Communication, str, Dispatch]]:
        """Deliveries of this incident started but with no recorded outcome."""
        state, playbook = self.service.load(incident_id)
        found = []
        for communication in playbook.communications:
            for locale in communication.locales or ("",):
                record = state.communications.get((communication.id, locale))
                dispatch = record.unsettled() if record else None
                if dispatch is not None:
                    found.append((communication, locale, dispatch))
        return found

    def reconcile(
        self,
        incident_id: str,
        communication_id: str | None,
        locale: str | None,
        verdict: str | None,
        *,
        force: bool = False,
    ) -> list[Settlement]:
        """Settle open deliveries: by their own traces, or by a person's verdict for one communication.
        A delivery whose process may still be running is left alone unless `force`: it may yet succeed."""
        if verdict is not None and communication_id is None:
            raise UsageError(f"--{verdict} needs the communication it is about", "crisisctl comms reconcile INC COMM")
        state, playbook = self.service.load(incident_id)
        chosen: str | None = None
        if communication_id is not None:
            communication = comms.require_communication(playbook, communication_id)
            chosen = comms.resolve_locale(communication, locale)
        open_ones = [
            (communication, loc, dispatch)
            for communication, loc, dispatch in self.unsettled(incident_id)
            if communication_id is None or (communication.id == communication_id and loc == chosen)
        ]
        if verdict is not None and not open_ones:
            raise RefusedError(
                f"{communication_id} has no delivery without an outcome in {state.id}", "nothing to reconcile"
            )
        return [
            self._reconcile_one(state, communication, loc, dispatch, verdict, force)
            for communication, loc, dispatch in open_ones
        ]

    def _reconcile_one(
        self,
        state: IncidentState,
        communication: Communication,
        locale: str,
        dispatch: Dispatch,
        verdict: str | None,
        force: bool,
    ) -> Settlement:
        draft = state.communications[(communication.id, locale)].drafts[dispatch.draft_sha256]
        order = DispatchOrder(dispatch.delivery_id, state.id, communication, locale, draft, dispatch.at)
        outbox = str(dispatch.route.get("outbox", ""))
        if not force and may_still_run(dispatch.process, dispatch.recorded_at, self.service.clock.now()):
            where = f"process {dispatch.process.get('pid')} on {dispatch.process.get('host')}"
            if verdict is not None:
                raise RefusedError(
                    f"the delivery of {comms.describe(communication, locale)} started at "
                    f"{dispatch.recorded_at:%H:%M:%S} UTC may still be under way ({where})",
                    "wait for that send to end; if you know it has stopped, add --force",
                )
            return _still_unknown(order, f"still under way? ({where})", outbox)
        if verdict == "resend":
            return self._deliver(order, dispatch.route)
        who = self.service.actor
        if verdict == "delivered":
            return self._settle(order, DeliveryOutcome("sent", f"reconciled: {who} confirmed it arrived", outbox))
        if verdict == "not-delivered":
            return self._settle(order, DeliveryOutcome("failed", f"reconciled: {who} confirmed it did not", outbox))
        # An outbox file is on the machine that wrote it: elsewhere, its absence proves nothing.
        proven = self.courier.proof(dispatch.route) if on_this_host(dispatch.process) else None
        if proven is None:
            return _still_unknown(
                order, "only a person can tell (an e-mail handed to a server, or a file on another machine)", outbox
            )
        outcome = (
            DeliveryOutcome("sent", "reconciled: the outbox file is there, whole", outbox)
            if proven
            else DeliveryOutcome("failed", "reconciled: the outbox file was never written", outbox)
        )
        return self._settle(order, outcome)

    def _settle(self, order: DispatchOrder, outcome: DeliveryOutcome) -> Settlement:
        """Record the outcome, even on an incident closed meanwhile: it is a fact of the incident."""
        what = comms.describe(order.communication, order.locale)
        if outcome.status == "unknown":
            raise DeliveryUnknownError(
                f"{what} may or may not have been delivered: {outcome.detail}",
                f"find out (the server's log, a recipient), then: crisisctl comms reconcile {order.incident} "
                f"{order.communication.id}{_locale_flag(order)} --delivered, --not-delivered or --resend",
            )
        kind = ev.COMM_SENT if outcome.status == "sent" else ev.COMM_DELIVERY_FAILED
        data: dict[str, Any] = {
            "communication": order.communication.id,
            "locale": order.locale,
            "draft_sha256": order.draft.sha256,
            "delivery_id": order.delivery_id,
            "channel": order.communication.channel,
            "outbox": outcome.outbox,
            "detail": outcome.detail,
        }

        linked: list[tuple[str, str | None]] = []

        def events_for(state: IncidentState, playbook: Playbook, when: dt.datetime) -> list[NewEvent]:
            linked.clear()
            record = state.communications[(order.communication.id, order.locale)]
            earlier = [d for d in record.deliveries if d.delivery_id == order.delivery_id]
            if earlier and (outcome.status == "failed" or any(d.ok for d in earlier)):
                raise RefusedError(f"delivery {order.delivery_id[:12]} of {what} is already settled", "nothing to do")
            if earlier:  # someone settled it as failed while it was still going out: the facts win
                data["corrects"] = earlier[-1].seq
            settled = NewEvent(state.id, format_time(order.at), kind, self.service.actor, data)
            if outcome.status != "sent":
                return [settled]
            finished, staying = linked_steps(state, playbook, order, self.service.actor)
            linked.extend((str(event.data["step"]), None) for event in finished)
            linked.extend(staying)
            return [settled, *finished]

        try:
            state = self.service.record(order.incident, None, events_for, closed_ok=True)
        except LogError as error:
            if outcome.status != "sent":
                raise
            raise DeliveredNotRecordedError(
                f"{what} WAS delivered, but the log could not record it: {error.message}",
                f"do not send it again; when the log is back: crisisctl comms reconcile {order.incident} "
                f"{order.communication.id}{_locale_flag(order)} --delivered",
            ) from None
        settlement = Settlement(
            order.incident,
            order.communication.id,
            order.locale,
            order.delivery_id,
            outcome.status,
            outcome.detail,
            outcome.outbox,
            state.last_seq,
            tuple(linked),
        )
        return settlement

    def _deliver(self, order: DispatchOrder, route: dict[str, Any]) -> Settlement:
        """One delivery attempt, settled; a failure is recorded, then reported as a refusal."""
        settlement = self._settle(order, self.courier.deliver(order, route))
        if settlement.status == "failed":
            raise DeliveryFailedError(
                f"{comms.describe(order.communication, order.locale)} was not delivered: {settlement.detail}",
                "the failure is recorded and the draft and approvals are kept; fix the cause and send again",
            )
        return settlement


def _locale_flag(order: DispatchOrder) -> str:
    return f" --locale {order.locale}" if order.locale else ""


def _still_unknown(order: DispatchOrder, why: str, outbox: str) -> Settlement:
    """A delivery reconcile leaves open, and why; nothing is recorded."""
    return Settlement(
        order.incident, order.communication.id, order.locale, order.delivery_id, "unknown", why, outbox, None
    )


def linked_steps(
    state: IncidentState, playbook: Playbook, order: DispatchOrder, actor: str
) -> tuple[list[NewEvent], list[tuple[str, str]]]:
    """The steps this communication carries out (`communication:` on a step): done by its send, recorded with it,
    once every locale has gone out; and for each step that stays open, why. A finished step is left as it is."""
    communication = order.communication
    unsent = [
        locale
        for locale in communication.locales
        if locale != order.locale
        and ((record := state.communications.get((communication.id, locale))) is None or record.sent() is None)
    ]
    views = step_views(state, playbook, order.at)
    done: list[NewEvent] = []
    staying: list[tuple[str, str]] = []
    for view in views:
        if view.step.communication != communication.id or view.status in ev.FINISHED_STEP_STATUSES:
            continue
        waiting = unmet_dependencies(view.step, views)
        if unsent:
            staying.append((view.step.id, f"{communication.id} is not sent yet in {', '.join(unsent)}"))
        elif view.status == "blocked":
            staying.append((view.step.id, "it is blocked: record it done when it is unblocked"))
        elif waiting:
            staying.append((view.step.id, f"it waits for {', '.join(waiting)}"))
        else:
            data = {"step": view.step.id, "note": f"done by sending {communication.id}"}
            done.append(NewEvent(state.id, format_time(order.at), ev.STEP_DONE, actor, data))
    return done, staying
