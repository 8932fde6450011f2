"""The label programme pages, as every role, and the association's programme form."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from trustlabel.accounts.tests.roles import ROLES, client_for, get_as
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.models import Programme

from .conftest import make_programme, png_upload

BASE = "/portal/integrity/programmes/"

# anonymous, admin, staff, outsider, distributor, inspector, association
PAGES = {
    "": (302, 200, 200, 200, 403, 403, 200),
    "?page=2": (302, 200, 200, 200, 403, 403, 200),
    "{programme}/": (302, 200, 200, 200, 403, 403, 200),
    "999999/": (302, 404, 404, 404, 403, 403, 404),
    "new/": (302, 403, 403, 403, 403, 403, 200),
    "{programme}/edit/": (302, 403, 403, 403, 403, 403, 200),
    "999999/edit/": (302, 403, 403, 403, 403, 403, 404),
}


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(world, programme, url, role):
    get_as(world, role, BASE + url.format(programme=programme.pk), PAGES[url])


def form(**changes) -> dict:
    today = timezone.localdate()
    return {
        "code": "qm-2026",
        "name": "2026年质量月",
        "name_en": "Quality Month 2026",
        "kind": "quality_month",
        "year": str(today.year),
        "requirements": "质量诚信承诺书\n标准自我声明",
        "required_documents": ["business_licence", "inspection_report"],
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=30)).isoformat(),
        "valid_until": (today + dt.timedelta(days=365)).isoformat(),
        "label_quota": "50000",
        "issue_on_approval": "on",
        "mark": png_upload((60, 30), "red"),
        **changes,
    }


@pytest.mark.parametrize("role", ROLES)
def test_only_the_association_defines_a_programme(world, role):
    response = client_for(world, role).post(BASE + "new/", form())
    created = Programme.objects.filter(code="qm-2026").first()
    if role == "association":
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}{created.pk}/"
        assert created.required_documents == ["business_licence", "inspection_report"]
        assert created.label_quota == 50000 and created.issue_on_approval
        assert created.mark.name.startswith("programmes/mark")
        assert created.requirements == "质量诚信承诺书\n标准自我声明"
    else:
        assert response.status_code == (302 if role == "anonymous" else 403)
        assert created is None


@pytest.mark.parametrize("role", ROLES)
def test_only_the_association_changes_a_programme(world, programme, role):
    response = client_for(world, role).post(
        f"{BASE}{programme.pk}/edit/",
        form(code=programme.code, name="改名", label_quota="", issue_on_approval=""),
    )
    programme.refresh_from_db()
    if role == "association":
        assert response.status_code == 302
        assert programme.name == "改名"
        assert programme.label_quota is None
        assert programme.issue_on_approval is False
    else:
        assert response.status_code == (302 if role == "anonymous" else 403)
        assert programme.name == "2026年“3·15”质量诚信承诺活动"


def test_the_form_shows_document_kinds_as_checkboxes_and_keeps_the_mark(world, programme):
    client = client_for(world, "association")
    body = client.get(f"{BASE}{programme.pk}/edit/").content.decode()
    assert 'type="checkbox" name="required_documents" value="business_licence"' in body
    assert 'value="business_licence" id="id_required_documents_0" checked' in body
    assert 'name="mark"' in body and 'enctype="multipart/form-data"' in body
    client.post(BASE + "new/", form())
    created = Programme.objects.get(code="qm-2026")
    mark = created.mark.name
    fields = form(name="再改")
    del fields["mark"]  # no new upload: the mark stays
    assert client.post(f"{BASE}{created.pk}/edit/", fields).status_code == 302
    created.refresh_from_db()
    assert (created.name, created.mark.name) == ("再改", mark)
    fields["mark-clear"] = "on"
    assert client.post(f"{BASE}{created.pk}/edit/", fields).status_code == 302
    created.refresh_from_db()
    assert not created.mark


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"closes_on": "2000-01-01"}, "Applications must close on or after the day they open."),
        ({"code": "315-2026"}, "Label programme with this Code already exists."),
        ({"code": "bad code"}, "Enter a valid “slug”"),
        ({"year": "1999"}, "Ensure this value is greater than or equal to 2000."),
        ({"required_documents": ["passport"]}, "Select a valid choice. passport is not one"),
        ({"label_quota": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"mark": SimpleUploadedFile("mark.png", b"not an image")}, "Upload a valid image."),
        ({"kind": ""}, "This field is required."),
    ],
)
def test_the_form_refuses_bad_input(world, programme, changes, message):
    client = client_for(world, "association")
    response = client.post(BASE + "new/", form(**changes))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'value="2026年质量月"' in body
    assert not Programme.objects.filter(name="2026年质量月").exists()


def test_the_code_cannot_change_once_enterprises_applied(world, programme):
    flow.do_start_application(world.enterprise.actor, programme, [world.product])
    client = client_for(world, "association")
    response = client.post(f"{BASE}{programme.pk}/edit/", form(code="315-new"))
    assert response.status_code == 200
    assert "The code cannot change once enterprises have applied" in response.content.decode()
    programme.refresh_from_db()
    assert programme.code == "315-2026"


def test_the_list_shows_each_programme_and_where_the_enterprise_stands(world, programme):
    other = make_programme(world.association.actor, code="qm-2026", kind="quality_month")
    flow.do_start_application(world.enterprise.actor, programme, [world.product])
    body = client_for(world, "admin").get(BASE).content.decode()
    assert "3.15 quality-integrity commitment 2026" in body  # the English name, in English
    assert "Quality Month" in body
    assert f'href="/portal/integrity/applications/{programme.applications.get().pk}/">Draft' in body
    assert "100000" in body
    outsider = client_for(world, "outsider").get(BASE).content.decode()
    assert "Draft" not in outsider  # another enterprise's application is not shown
    association = client_for(world, "association").get(BASE).content.decode()
    assert f'href="/portal/integrity/applications/?programme={programme.pk}">1</a>' in association
    assert f'href="/portal/integrity/applications/?programme={other.pk}">0</a>' in association
    assert 'href="/portal/integrity/programmes/new/"' in association


def test_the_detail_offers_apply_while_open_and_nothing_else(world, programme, reviewers):
    url = f"{BASE}{programme.pk}/"
    client = client_for(world, "admin")
    body = client.get(url).content.decode()
    assert "质量诚信承诺书、标准自我声明、营业执照" in body
    assert "Business licence" in body
    assert f'href="/portal/integrity/applications/new/{programme.pk}/"' in body
    application = flow.do_start_application(world.enterprise.actor, programme, [world.product])
    body = client.get(url).content.decode()
    assert 'id="apply"' not in body  # one open application at a time
    assert f'href="/portal/integrity/applications/{application.pk}/">v1' in body
    flow.do_withdraw(world.enterprise.actor, application)
    assert 'id="apply"' in client.get(url).content.decode()
    from .conftest import approved_application

    approved = approved_application(world, programme, reviewers)
    body = client.get(url).content.decode()
    assert 'id="apply"' not in body
    assert "revise the commitment in force" in body
    assert f'href="/portal/integrity/applications/{approved.pk}/">Open it' in body
    closed = make_programme(
        world.association.actor,
        code="old",
        opens_on=timezone.localdate() - dt.timedelta(days=60),
        closes_on=timezone.localdate() - dt.timedelta(days=30),
    )
    body = client.get(f"{BASE}{closed.pk}/").content.decode()
    assert "Applications are not open now." in body and 'id="apply"' not in body
    association = client_for(world, "association").get(url).content.decode()
    assert 'id="apply"' not in association
    assert f'href="{BASE}{programme.pk}/edit/"' in association


def test_the_pages_speak_chinese(world, programme):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.enterprise.user)
    for url in (BASE, f"{BASE}{programme.pk}/"):
        body = client.get(url).content.decode()
        assert '<html lang="zh-hans">' in body
        assert "产品" in body  # the portal's navigation, in Chinese
        assert "2026年“3·15”质量诚信承诺活动" in body  # the programme's Chinese name
        assert "3.15 quality-integrity commitment 2026" not in body
