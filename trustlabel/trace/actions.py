"""Every write of the trace app: capturing EPCIS events, commissioning label orders,
recalls."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor
from trustlabel.catalog.models import Lot
from trustlabel.codes.models import LabelOrder

from .capture import Outcome, prepare_all, store, time_text
from .documents import GS1_CONTEXT
from .identifiers import dl_escape
from .models import CaptureJob, Commissioning, Event, Recall
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


def do_capture_event(actor: Actor, event) -> tuple[Event, bool]:
    """One event (POST /epcis/events): the stored event, and whether it is new (False:
    the same event was stored before)."""
    problems = event_problems(event)
    if problems:
        raise CaptureRefused(problems)
    prepared, problems = prepare_all([event], None, [None])
    if problems:
        raise CaptureRefused(problems)
    outcome = store(prepared, actor.organisation)
    if outcome.conflicts:
        raise EventConflict(outcome.conflicts)
    return (outcome.stored or outcome.already)[0], bool(outcome.stored)


def do_start_capture(actor: Actor, document, behaviour: str) -> CaptureJob:
    """A document (POST /epcis/capture), checked now and stored by a worker.

    Anything wrong with the document itself refuses it whole; so does any wrong event
    when the whole document is to be rolled back. With `proceed`, the wrong events are
    noted in the job and the others stored."""
    problems = document_problems(document)
    if any(p.event is None for p in problems) or (
        problems and behaviour == CaptureJob.ErrorBehaviour.ROLLBACK
    ):
        raise CaptureRefused(problems)
    from .tasks import run_capture

    job = CaptureJob.objects.create(
        organisation=actor.organisation,
        error_behaviour=behaviour,
        document=document,
        event_count=len(document["epcisBody"]["eventList"]),
        errors=[p.as_dict() for p in problems],
    )
    transaction.on_commit(lambda: run_capture.enqueue(str(job.pk)))
    return job


class _Undo(Exception):
    pass


def do_run_capture(job_id: str) -> None:
    """Store a capture job's events; in `rollback` mode all or none of them."""
    job = CaptureJob.objects.filter(pk=job_id, running=True).first()
    if job is None:
        return  # done already (a task run twice) or gone
    events = job.document["epcisBody"]["eventList"]
    skipped = {e["event"] for e in job.errors}
    places = [i for i in range(len(events)) if i not in skipped]
    prepared, problems = prepare_all(
        [events[i] for i in places], job.document.get("@context"), places
    )
    rollback = job.error_behaviour == CaptureJob.ErrorBehaviour.ROLLBACK
    outcome = Outcome()
    if not (problems and rollback):
        places = [place for place in places if place not in {p.event for p in problems}]
        try:
            with transaction.atomic():
                outcome = store(prepared, job.organisation, job)
                conflicts = [_placed(p, places) for p in outcome.conflicts]
                problems += conflicts
                if conflicts and rollback:
                    raise _Undo
        except _Undo:
            outcome = Outcome()
    job.errors = [*job.errors, *(p.as_dict() for p in problems)]
    job.stored_count = len(outcome.stored)
    job.success = not job.errors
    job.running = False
    job.finished_at = timezone.now()
    job.document = None  # stored as events now, or refused: the copy is not kept
    job.save()


def _placed(problem: Problem, places: list[int]) -> Problem:
    """A problem about the n-th event stored, named by its place in the document."""
    return Problem(places[problem.event], problem.field, problem.message)


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


def lot_class(lot: Lot) -> str:
    """A lot as an EPC class (LGTIN), as a GS1 Digital Link."""
    return f"https://id.gs1.org/01/{lot.product.gtin}/10/{dl_escape(lot.lot_number)}"


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
