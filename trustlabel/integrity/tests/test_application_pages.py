"""The application and review pages: every page and every POST as every role, and what
each page shows and refuses."""

import re

import pytest
from django.test import Client

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.models import User
from trustlabel.accounts.tests.roles import ROLES, client_for, get_as, status_of
from trustlabel.catalog import actions as catalog
from trustlabel.conftest import MINIMAL_PDF, PASSWORD, pdf_upload
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.models import (
    Application,
    CommitmentItem,
    DeclaredStandard,
    ReviewStep,
    SupportingDocument,
)

from .conftest import STATEMENTS, approved_application, fill_application, make_programme

BASE = "/portal/integrity/"


@pytest.fixture
def scene(world, programme, reviewers):
    """A complete draft (with a standard's PDF), a submitted application and an approved
    one of the world's enterprise, each to its own programme, and a programme not yet
    applied to."""
    maker = world.enterprise.actor
    draft = fill_application(maker, flow.do_start_application(maker, programme, [world.product]))
    covered = draft.covered_products.get()
    standard = covered.standards.get(kind="national")
    flow.do_declare_standard(
        maker,
        covered,
        "national",
        standard.number,
        standard.name,
        text=pdf_upload("gb7725.pdf", MINIMAL_PDF + b"%gb7725"),
        standard=standard,
    )
    submitted = fill_application(
        maker,
        flow.do_start_application(
            maker, make_programme(world.association.actor, code="qm-2026"), [world.product]
        ),
    )
    flow.do_submit(maker, submitted, "请审核")
    approved = approved_application(
        world, make_programme(world.association.actor, code="ssq-2026"), reviewers
    )
    second = catalog.do_create_product(world.enterprise.organisation, "6901234567885", "定频空调")
    return {
        "draft": draft.pk,
        "submitted": submitted.pk,
        "approved": approved.pk,
        "covered": covered.pk,
        "standard": standard.pk,
        "document": draft.documents.get().pk,
        "programme": programme.pk,
        "fresh": make_programme(world.association.actor, code="new-2026").pk,
        "second_product": second.pk,
        "product": world.product.pk,
    }


# anonymous, admin, staff, outsider, distributor, inspector, association
READ = (302, 200, 200, 404, 403, 403, 200)
WRITE_PAGE = (302, 200, 200, 404, 403, 403, 403)
PAGES = {
    "applications/": (302, 200, 200, 200, 403, 403, 200),
    "applications/?programme={programme}&status=draft": (302, 200, 200, 200, 403, 403, 200),
    "applications/?programme=x&status=nonsense&enterprise=0": (302, 200, 200, 200, 403, 403, 200),
    "applications/new/{fresh}/": (302, 200, 200, 200, 403, 403, 403),
    "applications/new/999999/": (302, 404, 404, 404, 403, 403, 403),
    "applications/{draft}/": READ,
    "applications/{approved}/": READ,
    "applications/999999/": (302, 404, 404, 404, 403, 403, 404),
    "applications/{draft}/commitment/": WRITE_PAGE,
    "applications/{draft}/products/": WRITE_PAGE,
    "applications/{draft}/products/{covered}/standards/new/": WRITE_PAGE,
    "applications/{draft}/products/{covered}/standards/{standard}/": WRITE_PAGE,
    "applications/{draft}/documents/": WRITE_PAGE,
    "applications/{draft}/documents/{document}/": READ,
    "applications/{draft}/standards/{standard}/text/": READ,
    # Not editable once submitted or approved: back to the application's page.
    "applications/{submitted}/commitment/": (302, 302, 302, 404, 403, 403, 403),
    "applications/{approved}/documents/": (302, 302, 302, 404, 403, 403, 403),
    "applications/{approved}/products/": (302, 302, 302, 404, 403, 403, 403),
    "reviews/": (302, 403, 403, 403, 403, 403, 200),
    "reviews/?programme={programme}&status=submitted": (302, 403, 403, 403, 403, 403, 200),
}


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(world, scene, url, role):
    response = get_as(world, role, BASE + url.format(**scene), PAGES[url])
    if role != "anonymous" and response.status_code == 302:
        assert response["Location"].startswith(BASE + "applications/")


def commitment_form(**changes) -> dict:
    return {
        **STATEMENTS,
        "service_note": "全国联保",
        "promises-TOTAL_FORMS": "3",
        "promises-INITIAL_FORMS": "0",
        "promises-0-topic": "response_time",
        "promises-0-text": "24小时内上门",
        "promises-1-topic": "",
        "promises-1-text": "",
        "promises-2-topic": "",
        "promises-2-text": "",
        **changes,
    }


def standard_form(**changes) -> dict:
    rows = {"indicators-TOTAL_FORMS": "3", "indicators-INITIAL_FORMS": "0"}
    for i in range(3):
        for field in ("name", "value", "unit", "test_method"):
            rows[f"indicators-{i}-{field}"] = ""
    return {
        "kind": "group",
        "number": "T/CAS 115-2020",
        "name": "家用电器团体标准",
        "status": "in_force",
        **rows,
        **changes,
    }


def _standards(scene):
    return set(
        DeclaredStandard.objects.filter(covered_id=scene["covered"]).values_list(
            "number", flat=True
        )
    )


# What each POST sends and how to see it was done.
POSTS = {
    "start": (
        "applications/new/{fresh}/",
        lambda s: {"products": [s["product"]]},
        lambda s: Application.objects.filter(programme_id=s["fresh"]).exists(),
    ),
    "commitment": (
        "applications/{draft}/commitment/",
        lambda s: commitment_form(laws="我们遵守全部法规"),
        lambda s: (
            Application.objects.get(pk=s["draft"]).statements.get(item="laws").how
            == "我们遵守全部法规"
        ),
    ),
    "products": (
        "applications/{draft}/products/",
        lambda s: {"products": [s["product"], s["second_product"]]},
        lambda s: Application.objects.get(pk=s["draft"]).covered_products.count() == 2,
    ),
    "declare": (
        "applications/{draft}/products/{covered}/standards/new/",
        lambda s: standard_form(),
        lambda s: "T/CAS 115-2020" in _standards(s),
    ),
    "correct": (
        "applications/{draft}/products/{covered}/standards/{standard}/",
        lambda s: standard_form(kind="national", number="GB/T 7725-2022", name="新名称"),
        lambda s: DeclaredStandard.objects.get(pk=s["standard"]).name == "新名称",
    ),
    "remove-standard": (
        "applications/{draft}/products/{covered}/standards/{standard}/remove/",
        lambda s: {},
        lambda s: not DeclaredStandard.objects.filter(pk=s["standard"]).exists(),
    ),
    "upload": (
        "applications/{draft}/documents/",
        lambda s: {"kind": "certification", "title": "ISO 9001", "file": pdf_upload("iso.pdf")},
        lambda s: SupportingDocument.objects.filter(title="ISO 9001").exists(),
    ),
    "remove-document": (
        "applications/{draft}/documents/{document}/remove/",
        lambda s: {},
        lambda s: not SupportingDocument.objects.filter(pk=s["document"]).exists(),
    ),
    "submit": (
        "applications/{draft}/submit/",
        lambda s: {"submit-comment": "请审核"},
        lambda s: Application.objects.get(pk=s["draft"]).status == "submitted",
    ),
    "withdraw": (
        "applications/{draft}/withdraw/",
        lambda s: {"withdraw-comment": "暂不参加"},
        lambda s: Application.objects.get(pk=s["draft"]).status == "withdrawn",
    ),
    "revise": (
        "applications/{approved}/revise/",
        lambda s: {},
        lambda s: Application.objects.filter(revises_id=s["approved"]).exists(),
    ),
    "review": (
        "applications/{submitted}/review/",
        lambda s: {"review-action": "start", "review-comment": ""},
        lambda s: Application.objects.get(pk=s["submitted"]).status == "in_review",
    ),
}
ENTERPRISE_POST = (302, 302, 302, 404, 403, 403, 403)
EXPECTED_POSTS = {name: ENTERPRISE_POST for name in POSTS if name not in ("start", "review")} | {
    # Another enterprise may apply, but only for its own products.
    "start": (302, 302, 302, 200, 403, 403, 403),
    "review": (302, 403, 403, 403, 403, 403, 302),
}


@pytest.mark.parametrize("name", POSTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_post_as_every_role(world, scene, name, role):
    url, data, done = POSTS[name]
    expected = status_of(role, EXPECTED_POSTS[name])
    steps = ReviewStep.objects.count()
    response = client_for(world, role).post(BASE + url.format(**scene), data(scene))
    assert response.status_code == expected, response.content[:500]
    allowed = expected == 302 and role != "anonymous"
    assert done(scene) == allowed
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if not allowed:
        assert ReviewStep.objects.count() == steps


@pytest.mark.parametrize(
    "url",
    [
        "applications/{draft}/submit/",
        "applications/{draft}/withdraw/",
        "applications/{approved}/revise/",
        "applications/{submitted}/review/",
        "applications/{draft}/documents/{document}/remove/",
        "applications/{draft}/products/{covered}/standards/{standard}/remove/",
    ],
)
def test_steps_are_posts_only(world, scene, url):
    assert client_for(world, "admin").get(BASE + url.format(**scene)).status_code == 405


def test_the_application_page_shows_the_whole_content(world, scene):
    body = client_for(world, "association").get(f"{BASE}applications/{scene['draft']}/")
    body = body.content.decode()
    for item in CommitmentItem:
        assert str(item.label) in body
        assert STATEMENTS[item.value] in body
    assert "24小时内响应" in body and "整机保修六年" in body and "全国联保" in body
    assert "变频空调" in body and "6901234567892" in body
    assert "GB/T 7725-2022" in body and "Q/GREE 001-2024" in body
    assert "能效比" in body and "≥4.5" in body and "W/W" in body and "GB/T 4214.1" in body
    text_url = f"{BASE}applications/{scene['draft']}/standards/{scene['standard']}/text/"
    assert f'href="{text_url}"' in body
    document_url = f"{BASE}applications/{scene['draft']}/documents/{scene['document']}/"
    assert f'href="{document_url}">营业执照' in body
    assert '<span class="status status-draft">Draft</span>' in body
    assert 'id="missing"' not in body  # complete
    assert "maker" in body and "珠海示例电器股份有限公司" in body  # the trail: who, whose
    # The association reads but neither edits nor reviews a draft.
    assert 'id="steps"' not in body
    assert "/commitment/" not in body


def test_the_enterprise_sees_its_steps_and_what_is_missing(world, programme):
    maker = world.enterprise.actor
    application = flow.do_start_application(maker, programme, [world.product])
    client = client_for(world, "staff")
    url = f"{BASE}applications/{application.pk}/"
    body = client.get(url).content.decode()
    assert 'id="missing"' in body
    assert "Say how you keep the commitment “Keep products traceable”." in body
    assert "Declare at least one standard that 变频空调 follows." in body
    assert f'href="{url}commitment/"' in body and 'id="submit-form"' in body
    response = client.post(f"{url}submit/", {"submit-comment": "请审核"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="refusals"' in body
    assert "Attach the required document: Business licence." in body
    application.refresh_from_db()
    assert application.status == "draft"
    assert application.steps.count() == 1


def test_a_whole_review_through_the_pages(world, scene, reviewers):
    url = f"{BASE}applications/{scene['submitted']}/"
    first = client_for(world, "association")
    second = Client(HTTP_ACCEPT_LANGUAGE="en")
    second.force_login(reviewers[1].user)
    queue = first.get(f"{BASE}reviews/").content.decode()
    assert f'href="{url}"' in queue and f'href="{BASE}applications/{scene["draft"]}/"' not in queue
    body = first.get(url).content.decode()
    assert 'value="start"' in body and 'value="approve"' not in body
    assert first.post(f"{url}review/", {"review-action": "start"}).status_code == 302
    body = first.get(url).content.decode()
    assert 'value="approve"' in body and 'value="return"' in body and 'value="start"' not in body
    response = first.post(f"{url}review/", {"review-action": "approve", "review-comment": "齐全"})
    assert response.status_code == 302
    body = first.get(url, follow=True).content.decode()
    assert "You gave the first approval: a second reviewer must give the final one." in body
    assert 'value="approve"' not in body
    queue = first.get(f"{BASE}reviews/").content.decode()
    assert "you: a second reviewer must approve" in queue
    assert "you: a second reviewer" not in second.get(f"{BASE}reviews/").content.decode()
    # Should the first reviewer post an approval anyway, the page says why it is refused.
    response = first.post(f"{url}review/", {"review-action": "approve"})
    assert response.status_code == 200
    assert "a second reviewer must give the final one" in response.content.decode()
    assert Application.objects.get(pk=scene["submitted"]).status == "second_review"
    body = second.get(url).content.decode()
    assert "association gave the first approval" in body and 'value="approve"' in body
    response = second.post(f"{url}review/", {"review-action": "approve", "review-comment": "同意"})
    assert response.status_code == 302
    body = second.get(url).content.decode()
    assert "in force" in body and 'id="certificate"' in body
    assert "Recorded in the public ledger" in body or "Being recorded" in body
    trail = body.split('id="trail"')[1]
    for text in ("Submitted → In review", "First approval", "齐全", "reviewer-2", "同意"):
        assert text in trail
    assert "中国质量检验协会" in trail


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"review-action": "return", "review-comment": " "}, "Give the reason"),
        ({"review-action": "reject"}, "Give the reason"),
        (
            {"review-action": "start"},
            "This step is not possible while the application is in review",
        ),
        ({"review-action": "bogus"}, "Choose one of the review steps offered."),
        ({}, "Choose one of the review steps offered."),
    ],
)
def test_a_refused_review_step_is_explained(world, scene, reviewers, data, message):
    flow.do_start_review(reviewers[1], Application.objects.get(pk=scene["submitted"]))
    steps = ReviewStep.objects.count()
    client = client_for(world, "association")
    response = client.post(f"{BASE}applications/{scene['submitted']}/review/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body.split('id="refusals"')[1]
    assert 'id="review-form"' in body  # to try again
    assert Application.objects.get(pk=scene["submitted"]).status == "in_review"
    assert ReviewStep.objects.count() == steps


def test_a_returned_application_is_edited_and_resubmitted(world, scene, reviewers):
    submitted = Application.objects.get(pk=scene["submitted"])
    flow.do_start_review(reviewers[0], submitted)
    flow.do_return(reviewers[0], submitted, "请补充维修承诺")
    client = client_for(world, "admin")
    url = f"{BASE}applications/{submitted.pk}/"
    body = client.get(url).content.decode()
    assert "请补充维修承诺" in body and "Resubmit" in body
    data = commitment_form(**{"promises-1-topic": "repair", "promises-1-text": "终身维修"})
    assert client.post(f"{url}commitment/", data).status_code == 302
    assert client.post(f"{url}submit/", {"submit-comment": "已补充"}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert list(submitted.service_promises.values_list("topic", "text")) == [
        ("response_time", "24小时内上门"),
        ("repair", "终身维修"),
    ]
    assert submitted.steps.last().action == "resubmit"


def test_a_revision_through_the_pages(world, scene):
    client = client_for(world, "admin")
    response = client.post(f"{BASE}applications/{scene['approved']}/revise/")
    revision = Application.objects.get(revises_id=scene["approved"])
    assert response["Location"] == f"{BASE}applications/{revision.pk}/"
    body = client.get(response["Location"]).content.decode()
    assert f'href="{BASE}applications/{scene["approved"]}/">v1</a>' in body
    assert "<strong>v2</strong>" in body and "revised by this one" in body
    old = client.get(f"{BASE}applications/{scene['approved']}/").content.decode()
    assert f'href="{BASE}applications/{revision.pk}/">v2</a>' in old
    assert "in force" in old and "revises this one" in old
    assert 'id="revise-form"' not in old  # one revision at a time
    response = client.post(f"{BASE}applications/{scene['approved']}/revise/")
    assert response.status_code == 200
    assert "already has an open application" in response.content.decode()


def test_the_commitment_form(world, scene):
    client = client_for(world, "admin")
    url = f"{BASE}applications/{scene['draft']}/commitment/"
    body = client.get(url).content.decode()
    assert body.count("<textarea") == len(CommitmentItem) + 1
    assert STATEMENTS["traceability"] in body and 'value="整机保修六年"' in body
    cases = [
        ({"promises-0-topic": ""}, "Choose the topic of this commitment."),
        ({"laws": "法" * 2001}, "Ensure this value has at most 2000 characters"),
        ({"promises-0-text": "保" * 501}, "Ensure this value has at most 500 characters"),
        ({"promises-0-topic": "bribery"}, "Select a valid choice."),
        ({"promises-TOTAL_FORMS": ""}, "ManagementForm data is missing or has been tampered with"),
    ]
    for changes, message in cases:
        response = client.post(url, commitment_form(**changes))
        assert response.status_code == 200
        assert message in response.content.decode(), changes
    how = Application.objects.get(pk=scene["draft"]).statements.get(item="laws").how
    assert how == STATEMENTS["laws"]
    response = client.post(url, commitment_form(laws="", safety="  "))
    assert response.status_code == 302
    answered = set(
        Application.objects.get(pk=scene["draft"]).statements.values_list("item", flat=True)
    )
    assert answered == set(CommitmentItem.values) - {"laws", "safety"}


def test_the_products_form_offers_only_own_products(world, scene):
    other = catalog.do_create_product(world.outsider.organisation, "6901234567878", "饼干")
    client = client_for(world, "admin")
    url = f"{BASE}applications/{scene['draft']}/products/"
    body = client.get(url).content.decode()
    assert "定频空调" in body and "饼干" not in body
    assert f'value="{scene["product"]}" id="id_products_0" checked' in body
    response = client.post(url, {"products": [other.pk]})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    response = client.post(url, {})
    assert "Choose at least one product." in response.content.decode()
    assert client.post(url, {"products": [scene["second_product"]]}).status_code == 302
    covered = Application.objects.get(pk=scene["draft"]).covered_products.get()
    assert covered.product_id == scene["second_product"]


def test_the_standard_form(world, scene):
    client = client_for(world, "admin")
    base = f"{BASE}applications/{scene['draft']}/products/{scene['covered']}/standards/"
    enterprise = DeclaredStandard.objects.get(covered_id=scene["covered"], kind="enterprise")
    body = client.get(f"{base}{enterprise.pk}/").content.decode()
    assert 'value="Q/GREE 001-2024"' in body and 'value="能效比"' in body
    assert body.count('name="indicators-') >= 4 * 5  # two rows given, three empty
    cases = [
        ({"number": "CAS 115-2020"}, "CAS 115-2020 is not the number of a Group standard (T/)"),
        ({"number": "GB/T 7725-2022", "kind": "national"}, "already declares GB/T 7725-2022"),
        (
            {"indicators-0-name": "噪声", "indicators-0-value": ""},
            "Indicator row 1 needs at least a name and a value.",
        ),
        ({"kind": "military"}, "Select a valid choice."),
        ({"indicators-0-unit": "W" * 31}, "Ensure this value has at most 30 characters"),
    ]
    for changes, message in cases:
        response = client.post(f"{base}new/", standard_form(**changes))
        assert response.status_code == 200
        assert message in response.content.decode(), changes
    response = client.post(
        f"{base}new/",
        {**standard_form(), "text": pdf_upload("t.txt", b"plain")},
    )
    assert "File extension “txt” is not allowed." in response.content.decode()
    assert _standards(scene) == {"GB/T 7725-2022", "Q/GREE 001-2024"}
    rows = {
        "kind": "enterprise",
        "number": "Q/GREE 002-2025",
        "name": "新企业标准",
        "indicators-0-name": "制冷量",
        "indicators-0-value": "3500",
        "indicators-0-unit": "W",
        "indicators-0-test_method": "GB/T 7725",
    }
    assert client.post(f"{base}new/", standard_form(**rows)).status_code == 302
    declared = DeclaredStandard.objects.get(number="Q/GREE 002-2025")
    assert list(declared.indicators.values_list("name", "value", "unit", "test_method")) == [
        ("制冷量", "3500", "W", "GB/T 7725")
    ]


def test_documents_are_uploaded_downloaded_and_removed(world, scene):
    client = client_for(world, "staff")
    url = f"{BASE}applications/{scene['draft']}/documents/"
    response = client.post(url, {"kind": "inspection_report", "title": "", "file": ""})
    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 2
    response = client.post(
        url, {"kind": "other", "title": "图片", "file": pdf_upload("a.exe", b"MZ")}
    )
    assert "File extension “exe” is not allowed." in response.content.decode()
    content = MINIMAL_PDF + b"%report"
    response = client.post(
        url,
        {
            "kind": "inspection_report",
            "title": "型式检验报告",
            "file": pdf_upload("r.pdf", content),
        },
    )
    assert response.status_code == 302
    document = SupportingDocument.objects.get(title="型式检验报告")
    download = client.get(f"{url}{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"].startswith("attachment;")
    for role in ("outsider", "distributor", "inspector"):
        assert client_for(world, role).get(f"{url}{document.pk}/").status_code in (403, 404)
    assert client.post(f"{url}{document.pk}/remove/").status_code == 302
    assert not SupportingDocument.objects.filter(pk=document.pk).exists()


def test_the_standard_text_is_served_to_the_enterprise_and_the_association(world, scene):
    url = f"{BASE}applications/{scene['draft']}/standards/{scene['standard']}/text/"
    for role in ("admin", "association"):
        response = client_for(world, role).get(url)
        assert b"".join(response.streaming_content).endswith(b"%gb7725")
    assert client_for(world, "outsider").get(url).status_code == 404
    no_text = DeclaredStandard.objects.get(covered_id=scene["covered"], kind="enterprise")
    url = f"{BASE}applications/{scene['draft']}/standards/{no_text.pk}/text/"
    assert client_for(world, "admin").get(url).status_code == 404


def test_an_approved_application_cannot_be_edited_through_the_pages(world, scene):
    client = client_for(world, "admin")
    approved = Application.objects.get(pk=scene["approved"])
    covered = approved.covered_products.get()
    standard = covered.standards.first()
    before = approved.content_sha256
    response = client.post(
        f"{BASE}applications/{approved.pk}/products/{covered.pk}/standards/{standard.pk}/remove/"
    )
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert "This application is approved: it can no longer be changed." in body
    response = client.post(
        f"{BASE}applications/{approved.pk}/commitment/", commitment_form(), follow=True
    )
    assert "it can no longer be changed" in response.content.decode()
    assert DeclaredStandard.objects.filter(pk=standard.pk).exists()
    approved.refresh_from_db()
    assert approved.content_sha256 == before
    assert approved.statements.get(item="laws").how == STATEMENTS["laws"]


def test_starting_an_application_through_the_pages(world, scene):
    client = client_for(world, "admin")
    url = f"{BASE}applications/new/{scene['fresh']}/"
    assert "定频空调" in client.get(url).content.decode()
    response = client.post(url, {})
    assert "Choose at least one product." in response.content.decode()
    response = client.post(url, {"products": [scene["product"]]})
    application = Application.objects.get(programme_id=scene["fresh"])
    assert response["Location"] == f"{BASE}applications/{application.pk}/commitment/"
    response = client.post(url, {"products": [scene["product"]]})
    assert response.status_code == 200
    assert "already has an open application" in response.content.decode()
    body = client_for(world, "outsider").get(url).content.decode()
    assert "has no products registered yet" in body


# A link to one application (the menu links to the list itself).
APPLICATION_LINK = re.compile(r'href="/portal/integrity/applications/\d+/"')


def test_the_lists_are_scoped_and_filtered(world, scene, reviewers):
    accounts.do_create_user("outsider-2", world.outsider.organisation, password=PASSWORD)
    theirs = catalog.do_create_product(world.outsider.organisation, "6901234567878", "饼干")
    flow.do_start_application(
        world.outsider.actor, Application.objects.get(pk=scene["draft"]).programme, [theirs]
    )
    enterprise = client_for(world, "admin").get(f"{BASE}applications/").content.decode()
    assert len(APPLICATION_LINK.findall(enterprise)) == 3
    outsider = client_for(world, "outsider").get(f"{BASE}applications/").content.decode()
    assert len(APPLICATION_LINK.findall(outsider)) == 1
    association = client_for(world, "association")
    body = association.get(f"{BASE}applications/").content.decode()
    assert len(APPLICATION_LINK.findall(body)) == 4
    body = association.get(
        f"{BASE}applications/?programme={scene['programme']}&status=draft"
    ).content.decode()
    assert "别家食品有限公司" in body and body.count("<tr>") == 1 + 2
    body = association.get(f"{BASE}applications/?status=approved").content.decode()
    assert f'href="/portal/integrity/applications/{scene["approved"]}/"' in body
    assert f'href="/portal/integrity/applications/{scene["draft"]}/"' not in body


def test_the_pages_speak_chinese(world, scene):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.association.user)
    for url in (
        f"{BASE}applications/",
        f"{BASE}applications/{scene['draft']}/",
        f"{BASE}reviews/",
    ):
        body = client.get(url).content.decode()
        assert '<html lang="zh-hans">' in body
        assert "会员" in body  # the portal's navigation, in Chinese
    staff = User.objects.get(username="maker-staff")
    client.force_login(staff)
    body = client.get(f"{BASE}applications/{scene['draft']}/commitment/").content.decode()
    assert '<html lang="zh-hans">' in body and "产品" in body
