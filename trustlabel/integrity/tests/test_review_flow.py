"""The review workflow as a state machine.

Every step is tried from every state by every kind of actor. The expected outcome comes
from the table in `expected()` below, written from the workflow's rules and not from the
code: a refused step raises PermissionDenied (the actor may never take it) or
ValidationError (not in this state), writes no ReviewStep and changes nothing; an allowed
one writes exactly one step with its from/to status, user, organisation and comment.
`available_steps`, which the pages use to offer buttons, must agree with the table.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import ApiKey, User
from trustlabel.catalog import actions as catalog
from trustlabel.conftest import PASSWORD, pdf_upload
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.actions import do_update_member
from trustlabel.integrity.models import (
    Application,
    Certificate,
    CommitmentItem,
    DeclaredStandard,
    Member,
    ReviewStep,
)
from trustlabel.storage import private_storage

from .conftest import approved_application, fill_application, make_programme

Status = Application.Status
Step = ReviewStep.Action

ACTORS = [
    "admin",
    "staff",
    "outsider",
    "outsider_staff",
    "distributor",
    "inspector",
    "first_reviewer",
    "second_reviewer",
    "association_key",
]
STATES = [
    "draft",
    "submitted",
    "in_review",
    "second_review",
    "returned",
    "approved",
    "superseded",
    "rejected",
    "withdrawn",
]
CONTENT = [
    "save_commitment",
    "set_products",
    "declare_standard",
    "remove_standard",
    "attach_document",
    "remove_document",
]
TRANSITIONS = ["submit", "withdraw", "revise", "start_review", "return", "reject", "approve"]
OK = "allowed"


def expected(state: str, action: str, actor: str):
    """The workflow's rules: the enterprise's own people hold the pen in draft and
    returned; named association people review; approval takes two different people."""
    own = actor in ("admin", "staff")
    reviewer = actor in ("first_reviewer", "second_reviewer")
    if action in CONTENT or action == "submit":
        if not own:
            return PermissionDenied
        return OK if state in ("draft", "returned") else ValidationError
    if action == "withdraw":
        if not own:
            return PermissionDenied
        return OK if state in ("draft", "submitted", "returned") else ValidationError
    if action == "revise":
        if not own:
            return PermissionDenied
        return OK if state == "approved" else ValidationError
    if not reviewer:
        return PermissionDenied
    if action == "start_review":
        return OK if state == "submitted" else ValidationError
    if action in ("return", "reject"):
        return OK if state in ("in_review", "second_review") else ValidationError
    assert action == "approve"
    if state == "in_review":
        return OK
    if state == "second_review":  # the first reviewer gave the first approval
        return OK if actor == "second_reviewer" else ValidationError
    return ValidationError


# What each allowed transition writes: (from state) -> (step, to status).
WRITES = {
    ("submit", "draft"): (Step.SUBMIT, Status.SUBMITTED),
    ("submit", "returned"): (Step.RESUBMIT, Status.SUBMITTED),
    ("withdraw", "*"): (Step.WITHDRAW, Status.WITHDRAWN),
    ("start_review", "*"): (Step.START_REVIEW, Status.IN_REVIEW),
    ("return", "*"): (Step.RETURN, Status.RETURNED),
    ("reject", "*"): (Step.REJECT, Status.REJECTED),
    ("approve", "in_review"): (Step.FIRST_APPROVAL, Status.SECOND_REVIEW),
    ("approve", "second_review"): (Step.APPROVE, Status.APPROVED),
}

# The step names `available_steps` offers, by action tried here.
OFFERED_AS = {**{action: "edit" for action in CONTENT}, "start_review": "start_review"}


@pytest.fixture
def actors(world, reviewers):
    world.second_product = catalog.do_create_product(
        world.enterprise.organisation, "6901234567885", "定频空调"
    )
    outsider_staff = accounts.do_create_user(
        "outsider-staff", world.outsider.organisation, role=User.Role.STAFF, password=PASSWORD
    )
    return {
        "admin": world.enterprise.actor,
        "staff": Actor.of_user(world.enterprise_staff),
        "outsider": world.outsider.actor,
        "outsider_staff": Actor.of_user(outsider_staff),
        "distributor": world.distributor.actor,
        "inspector": world.inspector.actor,
        "first_reviewer": reviewers[0],
        "second_reviewer": reviewers[1],
        "association_key": Actor.of_api_key(
            ApiKey.objects.get(organisation=world.association.organisation)
        ),
    }


def application_in(state: str, world, reviewers) -> Application:
    """An application of the world's enterprise brought to `state` through the actions."""
    maker = world.enterprise.actor
    first, second = reviewers
    programme = make_programme(world.association.actor)
    if state in ("approved", "superseded"):
        application = approved_application(world, programme, reviewers)
        if state == "superseded":
            revision = flow.do_start_revision(maker, application)
            flow.do_submit(maker, revision)
            flow.do_start_review(first, revision)
            flow.do_approve(first, revision)
            flow.do_approve(second, revision)
        return Application.objects.get(pk=application.pk)
    application = flow.do_start_application(maker, programme, [world.product])
    fill_application(maker, application)
    if state == "withdrawn":
        flow.do_withdraw(maker, application, "不再参加")
    if state in ("submitted", "in_review", "second_review", "returned", "rejected"):
        flow.do_submit(maker, application)
    if state in ("in_review", "second_review", "returned", "rejected"):
        flow.do_start_review(first, application)
    if state == "second_review":
        flow.do_approve(first, application, "材料齐全")
    if state == "returned":
        flow.do_return(first, application, "请补充检验报告")
    if state == "rejected":
        flow.do_reject(first, application, "不符合条件")
    return Application.objects.get(pk=application.pk)


def take(action: str, actor: Actor, application: Application, world):
    """Try one step; the comment names the actor so the audit trail can be checked."""
    comment = f"{action} by {actor.label()}"
    standard = DeclaredStandard.objects.filter(covered__application=application).first()
    covered = application.covered_products.first()
    document = application.documents.first()
    steps = {
        "save_commitment": lambda: flow.do_save_commitment(
            actor, application, {CommitmentItem.LAWS: "改写的承诺"}, [], "改写"
        ),
        "set_products": lambda: flow.do_set_products(actor, application, [world.second_product]),
        "declare_standard": lambda: flow.do_declare_standard(
            actor, covered, "group", "T/CAS 115-2020", "团体标准"
        ),
        "remove_standard": lambda: flow.do_remove_standard(actor, standard),
        "attach_document": lambda: flow.do_attach_document(
            actor, application, "inspection_report", "检验报告", pdf_upload("r.pdf")
        ),
        "remove_document": lambda: flow.do_remove_document(actor, document),
        "submit": lambda: flow.do_submit(actor, application, comment),
        "withdraw": lambda: flow.do_withdraw(actor, application, comment),
        "revise": lambda: flow.do_start_revision(actor, application),
        "start_review": lambda: flow.do_start_review(actor, application, comment),
        "return": lambda: flow.do_return(actor, application, comment),
        "reject": lambda: flow.do_reject(actor, application, comment),
        "approve": lambda: flow.do_approve(actor, application, comment),
    }
    steps[action]()
    return comment


def content_of(application: Application) -> tuple:
    """Everything the enterprise wrote, to see whether a step changed it."""
    application.refresh_from_db()
    standards = DeclaredStandard.objects.filter(covered__application=application)
    return (
        application.status,
        application.service_note,
        application.first_approval_by_id,
        sorted(application.statements.values_list("item", "how")),
        sorted(application.service_promises.values_list("topic", "text")),
        sorted(application.covered_products.values_list("product_id", flat=True)),
        sorted(standards.values_list("number", "kind", "status")),
        sorted(application.documents.values_list("kind", "title")),
    )


class Undo(Exception):
    """Rolls one attempt back, so every actor starts from the same state."""


def attempt(state, action, actor_name, actor, application, world):
    outcome = expected(state, action, actor_name)
    before = content_of(application)
    steps_before = set(ReviewStep.objects.values_list("pk", flat=True))
    try:
        with transaction.atomic():
            if outcome is OK:
                comment = take(action, actor, application, world)
                new_steps = list(ReviewStep.objects.exclude(pk__in=steps_before))
                check_allowed(state, action, actor, application, before, new_steps, comment)
            else:
                with pytest.raises(outcome):
                    take(action, actor, application, world)
                assert set(ReviewStep.objects.values_list("pk", flat=True)) == steps_before
                assert content_of(application) == before
            raise Undo
    except Undo:
        pass


def check_allowed(state, action, actor, application, before, new_steps, comment):
    if action in CONTENT:
        assert new_steps == [], "editing content is not a step of the review"
        assert content_of(application) != before
        return
    assert len(new_steps) == 1, new_steps
    (step,) = new_steps
    assert step.user_id == (actor.user.pk if actor.user else None)
    assert step.organisation_id == actor.organisation.pk
    if action == "revise":
        revision = Application.objects.get(revises=application)
        assert (step.application_id, step.action, step.from_status, step.to_status) == (
            revision.pk,
            Step.CREATE,
            "",
            Status.DRAFT,
        )
        assert revision.version == application.version + 1
        assert content_of(application) == before, "the approved version stays as it was"
        return
    action_done, to_status = WRITES.get((action, state)) or WRITES[(action, "*")]
    assert step.application_id == application.pk
    assert (step.action, step.from_status, step.to_status) == (action_done, state, to_status)
    assert step.comment == comment
    application.refresh_from_db()
    assert application.status == to_status


@pytest.mark.parametrize("action", CONTENT + TRANSITIONS)
@pytest.mark.parametrize("state", STATES)
def test_every_step_from_every_state_by_every_actor(world, reviewers, actors, state, action):
    application = application_in(state, world, reviewers)
    assert application.status == (Status.APPROVED if state == "superseded" else state)
    assert (application.superseded_at is not None) == (state == "superseded")
    for name, actor in actors.items():
        attempt(state, action, name, actor, application, world)


@pytest.mark.parametrize("state", STATES)
def test_the_pages_offer_exactly_the_allowed_steps(world, reviewers, actors, state):
    application = application_in(state, world, reviewers)
    for name, actor in actors.items():
        offered = flow.available_steps(actor, application)
        for action in CONTENT + TRANSITIONS:
            allowed = expected(state, action, name) is OK
            assert (OFFERED_AS.get(action, action) in offered) == allowed, (name, action)


# --- the rules in detail --------------------------------------------------------------------


@pytest.fixture
def application(world, programme) -> Application:
    """A new, empty application of the world's enterprise for its product."""
    return flow.do_start_application(world.enterprise.actor, programme, [world.product])


@pytest.fixture
def in_review(world, application, reviewers) -> Application:
    """The application completed, submitted and taken up by the first reviewer."""
    fill_application(world.enterprise.actor, application)
    flow.do_submit(world.enterprise.actor, application)
    flow.do_start_review(reviewers[0], application)
    return application


def test_the_audit_trail_of_a_whole_review(world, application, reviewers):
    maker, (first, second) = world.enterprise.actor, reviewers
    fill_application(maker, application)
    flow.do_submit(maker, application, "请审核")
    flow.do_start_review(first, application)
    flow.do_return(first, application, "请补充售后承诺")
    flow.do_submit(maker, application, "已补充")
    flow.do_start_review(second, application)
    flow.do_approve(second, application, "初审通过")
    flow.do_approve(first, application, "同意")
    trail = list(
        application.steps.values_list(
            "action", "from_status", "to_status", "user__username", "organisation_id", "comment"
        )
    )
    maker_org, association = world.enterprise.organisation.pk, world.association.organisation.pk
    assert trail == [
        ("create", "", "draft", "maker", maker_org, ""),
        ("submit", "draft", "submitted", "maker", maker_org, "请审核"),
        ("start_review", "submitted", "in_review", "association", association, ""),
        ("return", "in_review", "returned", "association", association, "请补充售后承诺"),
        ("resubmit", "returned", "submitted", "maker", maker_org, "已补充"),
        ("start_review", "submitted", "in_review", "reviewer-2", association, ""),
        ("first_approval", "in_review", "second_review", "reviewer-2", association, "初审通过"),
        ("approve", "second_review", "approved", "association", association, "同意"),
    ]
    application.refresh_from_db()
    assert application.is_current
    assert application.first_approval_by.username == "reviewer-2"
    assert len(application.content_sha256) == 64
    assert Certificate.objects.get(application=application).state() == Certificate.State.VALID


def test_a_reviewer_cannot_approve_alone(in_review, reviewers):
    application, (first, _second) = in_review, reviewers
    flow.do_approve(first, application)
    with pytest.raises(ValidationError, match="a second reviewer must give the final one"):
        flow.do_approve(first, application)
    application.refresh_from_db()
    assert application.status == Status.SECOND_REVIEW
    assert not Certificate.objects.filter(application=application).exists()


def test_returning_voids_the_first_approval(world, in_review, reviewers):
    maker, application, (first, second) = world.enterprise.actor, in_review, reviewers
    flow.do_approve(first, application)
    flow.do_return(second, application, "售后承诺太笼统")
    application.refresh_from_db()
    assert application.first_approval_by is None
    flow.do_submit(maker, application)
    flow.do_start_review(second, application)
    flow.do_approve(second, application)  # counts as a first approval again
    application.refresh_from_db()
    assert application.status == Status.SECOND_REVIEW
    assert application.first_approval_by == second.user


@pytest.mark.parametrize("step", [flow.do_return, flow.do_reject])
@pytest.mark.parametrize("comment", ["", "   "])
def test_returning_and_rejecting_need_a_reason(in_review, reviewers, step, comment):
    application, (first, _second) = in_review, reviewers
    count = ReviewStep.objects.count()
    with pytest.raises(ValidationError, match="Give the reason"):
        step(first, application, comment)
    assert ReviewStep.objects.count() == count
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW


def test_a_revision_replaces_the_approved_version_only_when_approved(world, approved, reviewers):
    maker, (first, second) = world.enterprise.actor, reviewers
    old_certificate = approved.certificate
    revision = flow.do_start_revision(maker, approved)
    assert (revision.version, revision.revises_id, revision.status) == (2, approved.pk, "draft")
    # The draft holds a copy of everything the approved version promised.
    assert revision.statements.count() == len(CommitmentItem)
    assert revision.documents.get().sha256 == approved.documents.get().sha256
    standards = DeclaredStandard.objects.filter(covered__application=revision)
    assert sorted(standards.values_list("number", flat=True)) == [
        "GB/T 7725-2022",
        "Q/GREE 001-2024",
    ]
    assert standards.get(kind="enterprise").indicators.count() == 2
    flow.do_save_commitment(
        maker,
        revision,
        {item: f"新版：{item}" for item in CommitmentItem.values},
        [("warranty", "整机保修八年")],
    )
    flow.do_submit(maker, revision, "延长保修")
    flow.do_start_review(first, revision)
    flow.do_approve(first, revision)
    # Until the revision is approved, the old version is what the enterprise promises.
    assert flow.current_application(world.enterprise.organisation.pk, approved.programme) == (
        approved
    )
    with pytest.raises(ValidationError, match="already has an open application"):
        flow.do_start_revision(maker, approved)
    flow.do_approve(second, revision)
    approved.refresh_from_db()
    revision.refresh_from_db()
    assert approved.superseded_at is not None and not approved.is_current
    assert approved.status == Status.APPROVED
    assert revision.is_current
    assert flow.current_application(world.enterprise.organisation.pk, approved.programme) == (
        revision
    )
    supersede = approved.steps.last()
    assert (supersede.action, supersede.from_status, supersede.to_status) == (
        Step.SUPERSEDE,
        Status.APPROVED,
        Status.APPROVED,
    )
    assert supersede.comment == "Replaced by version 2"
    old_certificate.refresh_from_db()
    assert old_certificate.superseded_by == revision.certificate
    assert old_certificate.state() == Certificate.State.SUPERSEDED
    assert revision.certificate.state() == Certificate.State.VALID
    assert revision.content_sha256 != approved.content_sha256
    with pytest.raises(ValidationError, match="Only the commitment in force"):
        flow.do_start_revision(maker, approved)


def test_a_withdrawn_revision_leaves_the_approved_version_in_force(world, approved):
    maker = world.enterprise.actor
    revision = flow.do_start_revision(maker, approved)
    flow.do_withdraw(maker, revision, "暂不修改")
    approved.refresh_from_db()
    assert approved.is_current
    assert approved.certificate.state() == Certificate.State.VALID
    # The enterprise may revise again; the withdrawn version keeps its number.
    again = flow.do_start_revision(maker, approved)
    assert (again.version, again.revises_id) == (3, approved.pk)
    assert list(approved.revisions.order_by("version")) == [revision, again]


def test_an_abolished_standard_blocks_submission(world, application):
    maker = world.enterprise.actor
    fill_application(maker, application)
    covered = application.covered_products.get()
    flow.do_declare_standard(
        maker, covered, "national", "GB 4706.1-1998", "家用电器安全", status="abolished"
    )
    with pytest.raises(ValidationError) as refused:
        flow.do_submit(maker, application)
    assert refused.value.messages == [
        "GB 4706.1-1998 is abolished: declare the standard that replaced it."
    ]
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert application.steps.count() == 1


def test_a_standard_refused_for_its_indicators_leaves_no_uploaded_text(world, application):
    covered = application.covered_products.get()
    storage = private_storage()

    def texts() -> set[str]:
        return set(storage.listdir("standards")[1]) if storage.exists("standards") else set()

    before = texts()
    with pytest.raises(ValidationError) as refused:
        flow.do_declare_standard(
            world.enterprise.actor,
            covered,
            "enterprise",
            "Q/GREE 003-2025",
            "企业标准",
            text=pdf_upload("standard.pdf"),
            indicators=[{"name": "噪声", "value": ""}],
        )

    assert refused.value.messages == ["Indicator row 1 needs at least a name and a value."]
    assert not covered.standards.filter(number="Q/GREE 003-2025").exists()
    assert texts() == before


def test_a_missing_required_document_blocks_submission(world):
    maker = world.enterprise.actor
    programme = make_programme(
        world.association.actor, required_documents=["business_licence", "inspection_report"]
    )
    application = flow.do_start_application(maker, programme, [world.product])
    fill_application(maker, application)  # attaches the business licence only
    with pytest.raises(ValidationError) as refused:
        flow.do_submit(maker, application)
    assert refused.value.messages == ["Attach the required document: Inspection report."]


def test_an_empty_application_lists_everything_missing(world, application):
    maker = world.enterprise.actor
    flow.do_declare_standard(
        maker, application.covered_products.get(), "enterprise", "Q/GREE 002-2024", "企业标准"
    )
    missing = flow.missing_parts(application)
    assert len(missing) == len(CommitmentItem) + 2
    assert "Say how you keep the commitment “Keep products traceable”." in missing
    assert (
        "Give the indicator table of the enterprise standard Q/GREE 002-2024 "
        "or upload its text as PDF."
    ) in missing
    assert "Attach the required document: Business licence." in missing


@pytest.mark.parametrize(
    ("kind", "number", "stored"),
    [
        ("national", "GB/T 7725-2022", "GB/T 7725-2022"),
        ("national", "gb  4706.1-2005", "GB 4706.1-2005"),
        ("national", "GB/Z 20000.1-2014", "GB/Z 20000.1-2014"),
        ("industry", "QB/T 1587-2019", "QB/T 1587-2019"),
        ("industry", "SN/T 0001-2016", "SN/T 0001-2016"),
        ("group", "T/CAS 115-2020", "T/CAS 115-2020"),
        ("enterprise", "Q/GREE 001-2024", "Q/GREE 001-2024"),
        ("enterprise", "q/91440400 JH001", "Q/91440400 JH001"),
    ],
)
def test_standard_numbers_accepted_by_kind(world, application, kind, number, stored):
    maker = world.enterprise.actor
    standard = flow.do_declare_standard(
        maker, application.covered_products.get(), kind, number, "名称"
    )
    assert standard.number == stored


@pytest.mark.parametrize(
    ("kind", "number", "example"),
    [
        ("national", "GB/T 7725", "GB/T 7725-2022"),
        ("national", "QB/T 1587-2019", "GB/T 7725-2022"),
        ("industry", "GB/T 7725-2022", "QB/T 1587-2019"),
        ("industry", "Q/T 1587-2019", "QB/T 1587-2019"),
        ("group", "CAS 115-2020", "T/CAS 115-2020"),
        ("enterprise", "GREE 001-2024", "Q/GREE 001-2024"),
    ],
)
def test_standard_numbers_refused_by_kind(world, application, kind, number, example):
    maker = world.enterprise.actor
    with pytest.raises(ValidationError) as refused:
        flow.do_declare_standard(maker, application.covered_products.get(), kind, number, "名称")
    (message,) = refused.value.message_dict["number"]
    assert message.startswith(f"{number} is not the number of a")
    assert message.endswith(f"e.g. {example}.")
    assert not DeclaredStandard.objects.filter(covered__application=application).exists()


def test_a_standard_is_declared_once_per_product(world, application):
    maker = world.enterprise.actor
    covered = application.covered_products.get()
    flow.do_declare_standard(maker, covered, "national", "GB/T 7725-2022", "房间空气调节器")
    with pytest.raises(ValidationError, match="already declares GB/T 7725-2022"):
        flow.do_declare_standard(maker, covered, "national", "gb/t 7725-2022", "重复")


def test_indicator_rows_need_a_name_and_a_value_and_fit(world, application):
    maker = world.enterprise.actor
    covered = application.covered_products.get()
    with pytest.raises(ValidationError, match="Indicator row 2 needs at least a name and a value"):
        flow.do_declare_standard(
            maker,
            covered,
            "enterprise",
            "Q/GREE 001-2024",
            "企业标准",
            indicators=[{"name": "能效比", "value": "4.5"}, {"name": "噪声", "value": ""}],
        )
    with pytest.raises(ValidationError, match="unit may hold at most 30 characters"):
        flow.do_declare_standard(
            maker,
            covered,
            "enterprise",
            "Q/GREE 001-2024",
            "企业标准",
            indicators=[{"name": "能效比", "value": "4.5", "unit": "W" * 31}],
        )
    assert not DeclaredStandard.objects.filter(covered=covered).exists()


def test_commitment_texts_must_fit(world, application):
    maker = world.enterprise.actor
    with pytest.raises(ValidationError, match="at most 500 characters"):
        flow.do_save_commitment(maker, application, {}, [("warranty", "保" * 501)])
    with pytest.raises(ValidationError, match="at most 2000 characters"):
        flow.do_save_commitment(maker, application, {"laws": "法" * 2001})
    with pytest.raises(ValidationError, match="needs a topic and its text"):
        flow.do_save_commitment(maker, application, {}, [("warranty", "  ")])
    with pytest.raises(ValidationError, match="Unknown commitment item"):
        flow.do_save_commitment(maker, application, {"bribery": "没有"})


def test_starting_an_application(world, programme, reviewers):
    maker = world.enterprise.actor
    outsider = world.outsider.actor
    with pytest.raises(ValidationError, match="only for your own products"):
        flow.do_start_application(outsider, programme, [world.product])
    with pytest.raises(ValidationError, match="at least one product"):
        flow.do_start_application(maker, programme, [])
    with pytest.raises(PermissionDenied):
        flow.do_start_application(world.association.actor, programme, [world.product])
    with pytest.raises(PermissionDenied):
        flow.do_start_application(world.distributor.actor, programme, [world.product])
    application = flow.do_start_application(maker, programme, [world.product])
    with pytest.raises(ValidationError, match="already has an open application"):
        flow.do_start_application(maker, programme, [world.product])
    flow.do_withdraw(maker, application)
    approved_application(world, programme, reviewers)
    with pytest.raises(ValidationError, match="revise that commitment instead"):
        flow.do_start_application(maker, programme, [world.product])


def test_a_closed_programme_takes_no_applications(world):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    programme = make_programme(
        world.association.actor,
        opens_on=today + dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=5),
    )
    with pytest.raises(ValidationError, match="are open from"):
        flow.do_start_application(world.enterprise.actor, programme, [world.product])
    assert not Application.objects.exists()


def test_only_the_association_defines_programmes(world, programme):
    for party in (world.enterprise, world.outsider, world.distributor, world.inspector):
        with pytest.raises(PermissionDenied):
            flow.do_save_programme(party.actor, programme, name="改名")
    programme.refresh_from_db()
    assert programme.name == "2026年“3·15”质量诚信承诺活动"


def test_a_programme_code_stays_once_enterprises_apply(world, programme):
    association = world.association.actor
    flow.do_save_programme(association, programme, code="315-2026a")
    flow.do_start_application(world.enterprise.actor, programme, [world.product])
    with pytest.raises(ValidationError) as refused:
        flow.do_save_programme(association, programme, code="315-2026b")
    assert "code" in refused.value.message_dict
    flow.do_save_programme(association, programme, code="315-2026a", name="新名称")
    programme.refresh_from_db()
    assert (programme.code, programme.name) == ("315-2026a", "新名称")


@pytest.mark.parametrize("standing", ["suspended", "lapsed"])
def test_a_member_not_in_good_standing_cannot_apply(world, programme, standing):
    member = Member.objects.get(organisation=world.enterprise.organisation)
    do_update_member(world.association.actor, member, status=standing)
    with pytest.raises(ValidationError, match="only from members in good standing"):
        flow.do_start_application(world.enterprise.actor, programme, [world.product])
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("licence.pdf", b"<html>not a pdf</html>", "is named .pdf but its content is not"),
        ("licence.pdf", b"", "The file is empty."),
        ("licence.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024), "a file may be at most 20 MB"),
    ],
)
def test_uploads_are_checked_before_they_are_kept(world, application, name, content, message):
    maker = world.enterprise.actor
    upload = SimpleUploadedFile(name, content, "application/pdf")
    with pytest.raises(ValidationError, match=message):
        flow.do_attach_document(maker, application, "business_licence", "营业执照", upload)
    assert not application.documents.exists()
    covered = application.covered_products.get()
    upload.seek(0)
    with pytest.raises(ValidationError, match=message) as refused:
        flow.do_declare_standard(
            maker, covered, "enterprise", "Q/GREE 001-2024", "企业标准", text=upload
        )
    assert "text" in refused.value.message_dict
    assert not covered.standards.exists()
