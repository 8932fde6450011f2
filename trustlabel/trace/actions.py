"""Every write of the trace app: capturing EPCIS events, commissioning label orders,
recalls."""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Lot
from trustlabel.codes.models import LabelOrder
from trustlabel.copying import write_bound
from trustlabel.ledger import records as ledger

from .capture import (
    Outcome,
    collector_paused,
    prepare_all,
    store,
    store_document,
    time_text,
)
from .documents import GS1_CONTEXT
from .identifiers import epc_key
from .labels import label_of, labels_of, lot_class
from .logistics import contents, contents_known, index_events, last_destination, party_iri
from .models import (
    CaptureJob,
    Commissioning,
    DiversionAlert,
    Event,
    PublicTrace,
    Recall,
    read_json,
)
from .schema import Problem, document_problems, event_problems


def tl_namespace() -> str:
    """The deployment's EPCIS extension namespace (its own address: a namespace must be
    an IRI its owner controls): which label order an event commissions, which recall."""
    return f"{settings.TRUSTLABEL_BASE_URL}/epcis/ns/"


class CaptureRefused(Exception):
    """Nothing was captured; `problems` says why, event by event and field by field."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


class EventConflict(CaptureRefused):
    """An event with this ID and other content is stored already."""


@transaction.atomic
def do_capture_event(actor: Actor, event) -> tuple[Event, bool]:
    """One event (POST /epcis/events): the stored event, and whether it is new (False:
    the same event was stored before). Stored with what is derived from it (containments,
    movements), in one transaction."""
    problems = event_problems(event)
    if problems:
        raise CaptureRefused(problems)
    prepared, problems = prepare_all([event], None, [None])
    if problems:
        raise CaptureRefused(problems)
    outcome = store(prepared, actor.organisation)
    if outcome.conflicts:
        raise EventConflict(outcome.conflicts)
    index_events(outcome.stored, outcome.epcs, outcome.packed)
    return (outcome.stored or outcome.already)[0], bool(outcome.stored)


def do_start_capture(actor: Actor, document, behaviour: str, text: str | None = None) -> CaptureJob:
    """A document (POST /epcis/capture), checked now and stored by a worker. `text`: the
    document as it came (JSON), kept as it is rather than written again.

    Anything wrong with the document itself refuses it whole; so does any wrong event
    when the whole document is to be rolled back. With `proceed`, the wrong events are
    noted in the job and the others stored."""
    problems = document_problems(document)
    if any(p.event is None for p in problems) or (
        problems and behaviour == CaptureJob.ErrorBehaviour.ROLLBACK
    ):
        raise CaptureRefused(problems)
    from .tasks import run_capture

    with transaction.atomic():
        job = CaptureJob.objects.create(
            organisation=actor.organisation,
            error_behaviour=behaviour,
            event_count=len(document["epcisBody"]["eventList"]),
            errors=[p.as_dict() for p in problems],
        )
        text = text or json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        write_bound(job, "document", text)
        transaction.on_commit(lambda: run_capture.enqueue(str(job.pk)))
    return job


class _Undo(Exception):
    pass


def do_run_capture(job_id: str) -> None:
    """Store a capture job's events; in `rollback` mode all or none of them."""
    job = CaptureJob.objects.filter(pk=job_id, running=True).first()
    if job is None:
        return  # done already (a task run twice) or gone
    with collector_paused():
        document = read_json(job.document)
        events = document["epcisBody"]["eventList"]
        skipped = {e["event"] for e in job.errors}
        places = [i for i in range(len(events)) if i not in skipped]
        rollback = job.error_behaviour == CaptureJob.ErrorBehaviour.ROLLBACK
        outcome, problems = Outcome(), []
        try:
            with transaction.atomic():
                outcome, problems = store_document(
                    [events[i] for i in places],
                    document.get("@context"),
                    places,
                    job.organisation,
                    job,
                    rollback,
                )
                if problems and rollback:
                    raise _Undo
                index_events(outcome.stored, outcome.epcs, outcome.packed)
        except _Undo:
            outcome = Outcome()
        stored_count = len(outcome.stored)
        del document, events, outcome  # freed here, before the collector walks them
    job.errors = [*job.errors, *(p.as_dict() for p in problems)]
    job.stored_count = stored_count
    job.success = not job.errors
    job.running = False
    job.finished_at = timezone.now()
    job.document = ""  # stored as events now, or refused: the copy is not kept
    job.save()


@transaction.atomic
def do_commission_order(
    actor: Actor, order: LabelOrder, first: int = 1, last: int | None = None
) -> Commissioning:
    """Commission labels `first` to `last` (1-based places in the order; all by default):
    one ObjectEvent (ADD, commissioning, active) for the lot's class with their number,
    never a list of the codes, which would hand out valid codes to anyone who reads it.
    The label order is named in the event's ILMD (our extension)."""
    if not actor.can_manage(order.organisation_id):
        raise PermissionDenied
    last = order.quantity if last is None else last
    if not 1 <= first <= last <= order.quantity:
        raise ValidationError(
            _("Labels %(first)d to %(last)d are not in this order of %(quantity)d.")
            % {"first": first, "last": last, "quantity": order.quantity}
        )
    start, end = order.serial_start + first - 1, order.serial_start + last
    # Runs never overlap, which lets a check find the one run that may cover a code.
    LabelOrder.objects.select_for_update().filter(pk=order.pk).first()
    if order.commissionings.filter(serial_start__lt=end, serial_end__gt=start).exists():
        raise ValidationError(_("Some of these labels are commissioned already."))
    event = {
        "@context": [GS1_CONTEXT, {"tl": tl_namespace()}],
        "type": "ObjectEvent",
        **_event_clock(),
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [{"epcClass": lot_class(order.lot), "quantity": last - first + 1}],
        "ilmd": {
            "tl:labelOrder": f"{settings.TRUSTLABEL_BASE_URL}/label-orders/{order.pk}",
            "tl:layout": order.layout,
            "tl:firstLabel": first,
            "tl:lastLabel": last,
        },
    }
    stored, _new = do_capture_event(actor, event)
    return Commissioning.objects.create(
        order=order,
        event=stored,
        key_version=order.key_version_id,
        serial_start=start,
        serial_end=end,
    )


def _event_clock() -> dict:
    """eventTime and eventTimeZoneOffset of an event happening now, in local time."""
    now = timezone.localtime()
    offset = now.strftime("%z")
    return {"eventTime": time_text(now), "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}"}


@transaction.atomic
def do_open_recall(
    actor: Actor, lots: list[Lot], reason: str, hazard: str, instructions: str, contact: str
) -> Recall:
    """Recall lots of the enterprise's products: from now on every check of their labels
    answers "recalled" with the instructions, on every channel. Recorded as an EPCIS
    event (disposition "recalled") naming the lots."""
    if not actor.is_enterprise:
        raise PermissionDenied
    if not lots:
        raise ValidationError(_("Choose the lots to recall."))
    if any(not actor.can_manage(lot.product.organisation_id) for lot in lots):
        raise ValidationError(_("You can recall only lots of your own products."))
    texts = {"reason": reason, "hazard": hazard, "instructions": instructions, "contact": contact}
    missing = [name for name, text in texts.items() if not text.strip()]
    if missing:
        raise ValidationError(
            {name: _("This is needed for a recall.") for name in missing}, code="required"
        )
    recall = Recall.objects.create(
        organisation=actor.organisation,
        opened_by=actor.user,
        **{name: text.strip() for name, text in texts.items()},
    )
    recall.lots.set(lots)
    event = {
        "@context": [GS1_CONTEXT, {"tl": tl_namespace()}],
        "type": "ObjectEvent",
        **_event_clock(),
        "action": "OBSERVE",
        "disposition": "recalled",
        "quantityList": [{"epcClass": lot_class(lot)} for lot in lots],
        "tl:recall": f"{settings.TRUSTLABEL_BASE_URL}/recalls/{recall.pk}",
    }
    recall.event, _new = do_capture_event(actor, event)
    recall.save(update_fields=["event"])
    ledger.recall_opened(recall)
    return recall


@transaction.atomic
def do_close_recall(actor: Actor, recall: Recall) -> Recall:
    """End a recall: checks answer as before it."""
    if not actor.can_manage(recall.organisation_id):
        raise PermissionDenied
    if recall.closed_at is None:
        recall.closed_at = timezone.now()
        recall.save(update_fields=["closed_at"])
    return recall


# --- Packing and logistics ----------------------------------------------------------------


class Step:
    """What a scan on the logistics page records."""

    RECEIVE = "receive"
    SHIP = "ship"
    STORE = "store"
    PICK = "pick"
    CHOICES = (
        (RECEIVE, gettext_lazy("Receive")),
        (SHIP, gettext_lazy("Ship to")),
        (STORE, gettext_lazy("Into the warehouse")),
        (PICK, gettext_lazy("Out of the warehouse")),
    )
    BIZ_STEPS = {RECEIVE: "receiving", SHIP: "shipping", STORE: "storing", PICK: "picking"}
    DISPOSITIONS = {
        RECEIVE: "in_progress",
        SHIP: "in_transit",
        STORE: "sellable_not_accessible",
        PICK: "in_progress",
    }


def _may_handle_goods(actor: Actor) -> None:
    if actor.organisation.kind not in (
        actor.organisation.Kind.ENTERPRISE,
        actor.organisation.Kind.DISTRIBUTOR,
    ):
        raise PermissionDenied


@transaction.atomic
def do_pack(actor: Actor, parent: str, children: list[str]) -> Event:
    """Pack items (or cases) into a case (or pallet): an AggregationEvent ADD. Items must
    be labels of the enterprise's products, or goods the distributor holds."""
    _may_handle_goods(actor)
    parent, children = epc_key(parent), [epc_key(c) for c in dict.fromkeys(children)]
    if not children:
        raise ValidationError(_("Scan what goes into the case or pallet."), code="empty")
    if parent in children:
        raise ValidationError(_("A case cannot be packed into itself."), code="self")
    _check_handled(actor, children)
    event = {
        "@context": [GS1_CONTEXT],
        "type": "AggregationEvent",
        **_event_clock(),
        "action": "ADD",
        "bizStep": "packing",
        "disposition": "in_progress",
        "parentID": parent,
        "childEPCs": children,
        "readPoint": {"id": party_iri(actor.organisation)},
    }
    stored, _new = do_capture_event(actor, event)
    return stored


@transaction.atomic
def do_move(
    actor: Actor, step: str, epcs: list[str], counterpart: Organisation | None = None
) -> Event:
    """Receive, ship, store or pick cases, pallets or items: one ObjectEvent with the
    organisation as the source (shipping) or destination (receiving) and, for shipping,
    the counterpart as destination. Receiving names the sender, when the goods were
    shipped here."""
    _may_handle_goods(actor)
    epcs = [epc_key(e) for e in dict.fromkeys(epcs)]
    if step not in Step.BIZ_STEPS:
        raise ValidationError(_("Choose what to record."), code="step")
    if not epcs:
        raise ValidationError(_("Scan at least one label."), code="empty")
    me = party_iri(actor.organisation)
    lists: dict = {}
    if step == Step.SHIP:
        if counterpart is None or counterpart.kind not in (
            Organisation.Kind.DISTRIBUTOR,
            Organisation.Kind.ENTERPRISE,
        ):
            raise ValidationError(_("Choose the distributor to ship to."), code="destination")
        if counterpart.pk == actor.organisation.pk:
            raise ValidationError(_("Goods cannot be shipped to yourselves."), code="destination")
        _check_handled(actor, epcs)
        lists = {
            "sourceList": [{"type": "owning_party", "source": me}],
            "destinationList": [{"type": "owning_party", "destination": party_iri(counterpart)}],
        }
    elif step == Step.RECEIVE:
        _check_handled(actor, epcs)
        senders = {m.source for e in epcs if (m := last_destination(e)) and m.source}
        lists = {"destinationList": [{"type": "owning_party", "destination": me}]}
        if len(senders) == 1:
            lists["sourceList"] = [{"type": "owning_party", "source": party_iri(senders.pop())}]
    else:
        _check_handled(actor, epcs)
    event = {
        "@context": [GS1_CONTEXT],
        "type": "ObjectEvent",
        **_event_clock(),
        "epcList": epcs,
        "action": "OBSERVE",
        "bizStep": Step.BIZ_STEPS[step],
        "disposition": Step.DISPOSITIONS[step],
        "readPoint": {"id": me},
        "bizLocation": {"id": me},
        **lists,
    }
    stored, _new = do_capture_event(actor, event)
    return stored


def _check_known(epcs: list[str]) -> None:
    """Every identifier is one of our labels or a case or pallet that was packed."""
    unknown = [e for e in epcs if label_of(e) is None and not contents_known(e)]
    if unknown:
        raise ValidationError(
            _("Not known here (never packed, or not one of our labels): %(codes)s")
            % {"codes": ", ".join(unknown[:10])},
            code="unknown",
        )


def _check_handled(actor: Actor, epcs: list[str]) -> None:
    """An enterprise handles its own products; a distributor what was shipped to it (to
    receive it, or to ship it on): nobody can take goods into their name by scanning
    another's labels."""
    _check_known(epcs)
    if actor.is_enterprise:
        now = timezone.now()
        foreign = [
            e
            for e in epcs
            if any(
                label.order.organisation_id != actor.organisation.pk
                for label in labels_of(contents([e], now)).values()
            )
        ]
        message = _("These hold products of another enterprise: %(codes)s")
    else:
        foreign = [
            e
            for e in epcs
            if (move := last_destination(e)) is None or move.destination_id != actor.organisation.pk
        ]
        message = _("These were not shipped to you: %(codes)s")
    if foreign:
        raise ValidationError(message % {"codes": ", ".join(foreign[:10])}, code="not_yours")


# --- Diversion alerts and the public trace ----------------------------------------------


@transaction.atomic
def do_decide_alert(actor: Actor, alert: DiversionAlert, state: str, note: str) -> DiversionAlert:
    """The enterprise works through an alert: confirms it (diverted), dismisses it (not
    diverted), or opens it again; confirming or dismissing needs a note saying why."""
    if not actor.can_manage(alert.organisation_id):
        raise PermissionDenied
    if state not in DiversionAlert.State.values:
        raise ValidationError(_("Choose open, confirmed or dismissed."), code="state")
    note = note.strip()
    if state != DiversionAlert.State.OPEN and not note:
        raise ValidationError({"note": _("Say why, in a note.")}, code="required")
    alert.state, alert.note = state, note
    alert.decided_by, alert.decided_at = actor.user, timezone.now()
    alert.save(update_fields=["state", "note", "decided_by", "decided_at"])
    return alert


def do_set_public_trace(
    actor: Actor, production: bool, inspection: bool, shipping: bool
) -> PublicTrace:
    """Which steps of the journey the enterprise's verification pages show consumers."""
    if not actor.is_enterprise:
        raise PermissionDenied
    settings_row, _created = PublicTrace.objects.update_or_create(
        organisation=actor.organisation,
        defaults={"production": production, "inspection": inspection, "shipping": shipping},
    )
    return settings_row
