"""Announcements: drafts, attachments, publication that freezes the approved list into the
ledger, the public pages and the Atom feed, as every role."""

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import ApiKey
from trustlabel.accounts.tests.roles import ROLES, client_for, get_as
from trustlabel.conftest import MINIMAL_PDF, pdf_upload
from trustlabel.integrity.actions import announcements as actions
from trustlabel.integrity.actions import do_update_member
from trustlabel.integrity.actions.certificates import do_revoke_certificate
from trustlabel.integrity.models import Announcement, Attachment
from trustlabel.integrity.tests.conftest import (
    approved_enterprise,
    make_programme,
)
from trustlabel.ledger import records
from trustlabel.ledger.actions import do_integrate
from trustlabel.ledger.models import Entry
from trustlabel.regions.models import Division

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
USCC = "91440400192548256N"


def atom(response) -> ET.Element:
    """Our own feed, parsed by the standard library as any reader's would."""
    assert response.status_code == 200, response.content[:300]
    return ET.fromstring(response.content)  # noqa: S314 - the feed this test just made


def draft(world, **changes) -> Announcement:
    fields = {
        "title": "关于公布2026年质量诚信承诺企业名单的公告",
        "title_en": "Enterprises approved in the 2026 commitment programme",
        "body": "经审核，下列企业通过。\n\n特此公告。",
        "body_en": "After review, the enterprises below are approved.\n\nHereby announced.",
        **changes,
    }
    return actions.do_save_announcement(world.association.actor, **fields)


def listing(world, programme) -> Announcement:
    """A published announcement of the programme's approved list."""
    announcement = draft(world, programme=programme, lists_approved=True)
    return actions.do_publish(world.association.actor, announcement)


@pytest.fixture
def with_uscc(world):
    """The maker's register entry with its credit code and region."""
    do_update_member(
        world.association.actor,
        world.enterprise.organisation.member,
        uscc=USCC,
        region=Division.objects.get(code="440402"),
    )


# --- publication -----------------------------------------------------------------------------


def test_publication_freezes_the_approved_list(world, with_uscc, approved, programme, reviewers):
    announcement = listing(world, programme)
    certificate = approved.certificate
    assert announcement.published_at is not None
    assert announcement.approved == [
        {
            "certificate": certificate.number,
            "enterprise": "珠海示例电器股份有限公司",
            "enterprise_en": "Maker",
            "uscc": USCC,
            "region_code": "440402",
            "region": "广东省珠海市香洲区",
            "region_en": "Xiangzhou District, Zhuhai, Guangdong",
            "products": [
                {
                    "gtin": "06901234567892",
                    "name": "变频空调",
                    "name_en": "Inverter air conditioner",
                }
            ],
        }
    ]

    approved_enterprise(
        programme, reviewers, 1, name="后来通过电器有限公司", name_en="Later Appliances"
    )
    assert len(actions.approved_list(programme)) == 2
    announcement.refresh_from_db()
    assert [row["enterprise"] for row in announcement.approved] == ["珠海示例电器股份有限公司"]
    body = client_for(world, "anonymous").get(f"/integrity/announcements/{announcement.pk}/")
    text = body.content.decode()
    assert certificate.number in text and USCC in text
    assert "Later Appliances" not in text and "后来通过电器有限公司" not in text


def test_the_ledger_records_what_was_published(world, approved, programme):
    announcement = draft(world, programme=programme, lists_approved=True)
    attachment = actions.do_add_attachment(
        world.association.actor, announcement, "名单", pdf_upload("list.pdf")
    )
    announcement = actions.do_publish(world.association.actor, announcement)
    entry = records.entry_of(announcement, "announcement")
    record = json.loads(bytes(entry.data))
    canonical = json.dumps(
        announcement.approved, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert record["kind"] == "announcement"
    assert record["approved_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert record["approved_count"] == 1
    assert record["attachments"] == [attachment.sha256]
    assert record["programme"] == programme.code
    texts = {k: getattr(announcement, k) for k in ("title", "title_en", "body", "body_en")}
    texts_json = json.dumps(texts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert record["texts_sha256"] == hashlib.sha256(texts_json.encode()).hexdigest()

    do_integrate()
    body = client_for(world, "anonymous").get(f"/integrity/announcements/{announcement.pk}/")
    entry.refresh_from_db()
    assert f'data-ledger-index="{entry.index}"' in body.content.decode()


def test_the_list_leaves_out_revoked_and_replaced_certificates(world, approved, programme):
    assert len(actions.approved_list(programme)) == 1
    do_revoke_certificate(world.association.actor, approved.certificate, "虚假承诺")
    assert actions.approved_list(programme) == []
    announcement = draft(world, programme=programme, lists_approved=True)
    with pytest.raises(ValidationError, match="no list to publish"):
        actions.do_publish(world.association.actor, announcement)
    assert Announcement.objects.get(pk=announcement.pk).published_at is None


def test_a_list_needs_a_programme(world):
    with pytest.raises(ValidationError) as refused:
        draft(world, lists_approved=True)
    assert refused.value.message_dict["programme"] == [
        "Choose the programme whose approved enterprises are to be listed."
    ]


def test_a_general_announcement_publishes_without_a_list(world, approved):
    announcement = actions.do_publish(world.association.actor, draft(world))
    assert announcement.approved == []
    assert records.entry_of(announcement, "announcement") is not None


def changes(actor, announcement, attachment) -> list:
    """Every change `actor` may try on an announcement that exists, each to call."""
    return [
        lambda: actions.do_save_announcement(actor, announcement, title="改过的标题"),
        lambda: actions.do_add_attachment(actor, announcement, "新附件", pdf_upload()),
        lambda: actions.do_remove_attachment(actor, attachment),
        lambda: actions.do_delete_announcement(actor, announcement),
        lambda: actions.do_publish(actor, announcement),
    ]


def test_a_published_announcement_cannot_change(world, programme, approved):
    association = world.association.actor
    announcement = draft(world)
    attachment = actions.do_add_attachment(association, announcement, "附件", pdf_upload())
    actions.do_publish(association, announcement)
    for attempt in changes(association, announcement, attachment):
        with pytest.raises(ValidationError, match="publish a new announcement"):
            attempt()
    announcement.refresh_from_db()
    assert announcement.title == "关于公布2026年质量诚信承诺企业名单的公告"
    assert announcement.attachments.count() == 1
    subject = records.subject_of(announcement)
    assert Entry.objects.filter(subject=subject, kind="announcement").count() == 1


@pytest.mark.parametrize("role", ["enterprise", "outsider", "distributor", "inspector"])
def test_only_the_association_writes_announcements(world, role):
    announcement = draft(world)
    attachment = actions.do_add_attachment(
        world.association.actor, announcement, "附件", pdf_upload()
    )
    actor = world.parties()[role].actor
    attempts = [
        lambda: actions.do_save_announcement(actor, title="冒充的公告"),
        *changes(actor, announcement, attachment),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    announcement.refresh_from_db()
    assert (announcement.published_at, announcement.attachments.count()) == (None, 1)


def test_an_association_api_key_may_write_and_publish(world):
    key = ApiKey.objects.get(organisation=world.association.organisation)
    actor = Actor.of_api_key(key)
    announcement = actions.do_save_announcement(actor, title="通过接口写的公告")
    assert announcement.created_by is None
    assert actions.do_publish(actor, announcement).is_published


# --- attachments -----------------------------------------------------------------------------


def test_attachments_are_hashed_sized_and_served_once_published(world, approved):
    announcement = draft(world)
    pdf = actions.do_add_attachment(
        world.association.actor, announcement, "名单 全文", pdf_upload("名单.pdf")
    )
    csv = actions.do_add_attachment(
        world.association.actor,
        announcement,
        "企业名单",
        SimpleUploadedFile("list.csv", "企业,证书\n示例,1\n".encode()),
    )
    assert pdf.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert pdf.size == len(MINIMAL_PDF)
    # Stored under a random name, not the uploaded one.
    assert pdf.file.name.startswith("announcements/") and "名单" not in pdf.file.name
    assert pdf.file.name.endswith(".pdf") and csv.file.name.endswith(".csv")

    anonymous = client_for(world, "anonymous")
    url = f"/integrity/announcements/attachments/{pdf.pk}/"
    assert anonymous.get(url).status_code == 404  # a draft's file is not public
    checked = client_for(world, "association").get(
        f"/portal/integrity/announcements/attachments/{pdf.pk}/"
    )
    assert b"".join(checked.streaming_content) == MINIMAL_PDF

    actions.do_publish(world.association.actor, announcement)
    response = anonymous.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=utf-8''%E5%90%8D%E5%8D%95_%E5%85%A8%E6%96%87.pdf"
        in (response["Content-Disposition"])
    )
    assert b"".join(response.streaming_content) == MINIMAL_PDF
    response = anonymous.get(f"/integrity/announcements/attachments/{csv.pk}/")
    assert response["Content-Type"] == "text/csv"
    assert b"".join(response.streaming_content).decode() == "企业,证书\n示例,1\n"

    page = anonymous.get(f"/integrity/announcements/{announcement.pk}/").content.decode()
    assert pdf.sha256 in page and csv.sha256 in page
    assert f"{len(MINIMAL_PDF)}\xa0bytes" in page


def test_a_removed_attachment_is_gone(world, django_capture_on_commit_callbacks):
    announcement = draft(world)
    attachment = actions.do_add_attachment(
        world.association.actor, announcement, "附件", pdf_upload()
    )
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world, "association").post(
            f"/portal/integrity/announcements/attachments/{attachment.pk}/remove/"
        )
    assert response["Location"] == f"/portal/integrity/announcements/{announcement.pk}/edit/"
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.exists(name)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "File extension “exe” is not allowed."),
        ("list.pdf", b"<html>not a pdf</html>", "is named .pdf but its content is not"),
        ("photo.png", MINIMAL_PDF, "is named .png but its content is not"),
        ("list.csv", b"a,b\x00\x01", "is named .csv but its content is not"),
        (
            "huge.pdf",
            b"%PDF-" + b"0" * (20 * 1024 * 1024),
            "The file is 20.1 MB; a file may be at most 20 MB.",
        ),
        ("empty.pdf", b"", "The submitted file is empty."),
    ],
)
def test_bad_attachments_are_refused_with_a_clear_message(world, name, content, message):
    announcement = draft(world)
    response = client_for(world, "association").post(
        f"/portal/integrity/announcements/{announcement.pk}/attachments/",
        {"title": "附件", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert announcement.attachments.count() == 0


def test_an_empty_file_is_refused_by_the_action_too(world):
    with pytest.raises(ValidationError, match=r"The file is empty\."):
        actions.do_add_attachment(
            world.association.actor, draft(world), "附件", SimpleUploadedFile("a.pdf", b"")
        )


# --- public pages and feed -------------------------------------------------------------------


def test_the_body_is_escaped_and_split_into_paragraphs(world):
    body = "第一段<script>alert(1)</script>\n\n第二段第一行\n第二行 & <b>粗体</b>"
    announcement = actions.do_publish(world.association.actor, draft(world, body=body, body_en=""))
    client = client_for(world, "anonymous")
    page = client.get(
        f"/integrity/announcements/{announcement.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "<script>alert" not in page and "<b>粗体" not in page
    assert "<p>第一段&lt;script&gt;alert(1)&lt;/script&gt;</p>" in page
    assert "<p>第二段第一行<br>第二行 &amp; &lt;b&gt;粗体&lt;/b&gt;</p>" in page
    # English readers get the Chinese text when there is no English one.
    english = client.get(f"/integrity/announcements/{announcement.pk}/").content.decode()
    assert "<p>第一段&lt;script&gt;" in english

    feed = atom(client.get("/integrity/announcements/feed/"))
    summary = feed.find(f"{ATOM}entry/{ATOM}summary")
    assert summary.get("type") == "html"
    assert "&lt;script&gt;" in summary.text and "<script>" not in summary.text


def test_the_feed_is_valid_atom(world, programme, approved):
    published = listing(world, programme)
    draft(world, title="尚未发布的草稿", title_en="An unpublished draft")
    response = client_for(world, "anonymous").get("/integrity/announcements/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = atom(response)
    assert feed.tag == f"{ATOM}feed"
    assert feed.get(XML_LANG) == "en"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}").text
    dt.datetime.fromisoformat(feed.find(f"{ATOM}updated").text)
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["alternate"] == "http://testserver/integrity/announcements/"
    assert links["self"] == "http://testserver/integrity/announcements/feed/"
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "Association"

    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    url = f"http://testserver/integrity/announcements/{published.pk}/"
    assert entry.find(f"{ATOM}id").text == url
    assert entry.find(f"{ATOM}link").get("href") == url
    assert (
        entry.find(f"{ATOM}title").text == "Enterprises approved in the 2026 commitment programme"
    )
    updated = dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
    assert abs(updated - published.published_at) < dt.timedelta(seconds=1)
    assert entry.find(f"{ATOM}published").text
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "Association"
    assert entry.find(f"{ATOM}summary").text.startswith("After review")
    assert b"An unpublished draft" not in response.content
    assert "尚未发布的草稿".encode() not in response.content


def test_the_feed_speaks_the_readers_language(world, approved):
    actions.do_publish(world.association.actor, draft(world))
    response = client_for(world, "anonymous").get(
        "/integrity/announcements/feed/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    feed = atom(response)
    assert feed.get(XML_LANG) == "zh-hans"
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "中国质量检验协会"
    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "关于公布2026年质量诚信承诺企业名单的公告"
    assert entry.find(f"{ATOM}summary").text.startswith("经审核")


def test_the_feed_and_the_list_filter_by_programme(world, programme, approved):
    other = make_programme(world.association.actor, code="qm-2026", name="质量月活动")
    listed = listing(world, programme)
    general = actions.do_publish(
        world.association.actor,
        draft(world, title="质量月通知", title_en="Quality Month", programme=other),
    )
    client = client_for(world, "anonymous")
    feed = atom(client.get(f"/integrity/announcements/feed/?programme={other.pk}"))
    ids = [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]
    assert ids == [f"http://testserver/integrity/announcements/{general.pk}/"]
    for wrong in ("abc", "99999"):
        assert client.get(f"/integrity/announcements/feed/?programme={wrong}").status_code == 404

    page = client.get(f"/integrity/announcements/?programme={programme.pk}").content.decode()
    assert f"/integrity/announcements/{listed.pk}/" in page
    assert f"/integrity/announcements/{general.pk}/" not in page
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Announcements (Atom feed)" '
        f'href="/integrity/announcements/feed/?programme={programme.pk}">'
    ) in page
    # An unknown programme in the filter shows everything rather than failing.
    page = client.get("/integrity/announcements/?programme=99999").content.decode()
    assert f"/integrity/announcements/{general.pk}/" in page


def test_the_public_list_shows_published_announcements_by_page(world):
    for number in range(21):
        actions.do_publish(
            world.association.actor, draft(world, title=f"第{number:02d}号公告", title_en="")
        )
    hidden = draft(world, title="尚未发布的草稿")
    client = client_for(world, "anonymous")
    first = client.get("/integrity/announcements/").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Announcements (Atom feed)" '
        'href="/integrity/announcements/feed/">'
    ) in first
    assert first.count('<h2><a href="/integrity/announcements/') == 20
    assert "第20号公告" in first and "第00号公告" not in first  # newest first
    second = client.get("/integrity/announcements/?page=2").content.decode()
    assert second.count('<h2><a href="/integrity/announcements/') == 1
    assert "第00号公告" in second
    assert "尚未发布的草稿" not in first + second
    assert client.get(f"/integrity/announcements/{hidden.pk}/").status_code == 404


# --- the portal's pages ------------------------------------------------------------------------


def test_the_association_writes_and_publishes_through_the_pages(
    world, with_uscc, programme, approved
):
    client = client_for(world, "association")
    response = client.post(
        "/portal/integrity/announcements/new/",
        {
            "title": "公告",
            "title_en": "Notice",
            "body": "正文",
            "body_en": "Text",
            "programme": programme.pk,
            "lists_approved": "on",
        },
    )
    announcement = Announcement.objects.get()
    assert response["Location"] == f"/portal/integrity/announcements/{announcement.pk}/edit/"
    edit = f"/portal/integrity/announcements/{announcement.pk}/edit/"
    response = client.post(
        f"/portal/integrity/announcements/{announcement.pk}/attachments/",
        {"title": "名单", "file": pdf_upload()},
    )
    assert response["Location"] == edit
    page = client.get(edit).content.decode()
    assert "名单" in page and "Preview and publish" in page

    preview = client.get(f"/portal/integrity/announcements/{announcement.pk}/publish/")
    text = preview.content.decode()
    assert approved.certificate.number in text and USCC in text
    assert "can no longer be changed or deleted" in text
    assert Announcement.objects.get().published_at is None  # a preview publishes nothing

    response = client.post(f"/portal/integrity/announcements/{announcement.pk}/publish/")
    assert response["Location"] == edit
    announcement.refresh_from_db()
    assert announcement.is_published and len(announcement.approved) == 1
    page = client.get(edit).content.decode()
    assert "A published announcement can no longer be changed" in page
    assert 'name="title"' not in page and "Remove" not in page

    response = client.post(edit, {"title": "改过的标题", "body": ""})
    assert response.status_code == 200
    assert "publish a new announcement" in response.content.decode()
    assert Announcement.objects.get().title == "公告"
    response = client.get(f"/portal/integrity/announcements/{announcement.pk}/publish/")
    assert response["Location"] == edit


def test_the_pages_refuse_bad_input_clearly(world, programme):
    client = client_for(world, "association")
    response = client.post(
        "/portal/integrity/announcements/new/", {"title": "", "lists_approved": "on"}
    )
    text = response.content.decode()
    assert response.status_code == 200 and "This field is required." in text
    response = client.post(
        "/portal/integrity/announcements/new/", {"title": "名单", "lists_approved": "on"}
    )
    assert "Choose the programme whose approved enterprises are to be listed." in (
        response.content.decode()
    )
    announcement = draft(world, programme=programme, lists_approved=True)
    url = f"/portal/integrity/announcements/{announcement.pk}/publish/"
    preview = client.get(url).content.decode()
    assert "No enterprise holds a valid certificate of this programme." in preview
    response = client.post(url)
    assert response.status_code == 200
    assert "there is no list to publish" in response.content.decode()
    assert client.post("/portal/integrity/announcements/99999/publish/").status_code == 404


def test_a_draft_can_be_deleted_with_its_files(world, django_capture_on_commit_callbacks):
    announcement = draft(world)
    attachment = actions.do_add_attachment(
        world.association.actor, announcement, "附件", pdf_upload()
    )
    storage, name = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world, "association").post(
            f"/portal/integrity/announcements/{announcement.pk}/delete/"
        )
    assert response["Location"] == "/portal/integrity/announcements/"
    assert not Announcement.objects.exists()
    assert not storage.exists(name)


# --- every page, every role --------------------------------------------------------------------


@pytest.fixture
def scene(world, programme, approved):
    association = world.association.actor
    published = draft(world, programme=programme, lists_approved=True)
    shown = actions.do_add_attachment(association, published, "名单", pdf_upload())
    actions.do_publish(association, published)
    hidden = draft(world, title="草稿")
    secret = actions.do_add_attachment(association, hidden, "草稿附件", pdf_upload())
    return {
        "published": published.pk,
        "draft": hidden.pk,
        "shown": shown.pk,
        "secret": secret.pk,
        "programme": programme.pk,
    }


# anonymous, admin, staff, outsider, distributor, inspector, association
PORTAL = (302, 403, 403, 403, 403, 403, 200)
PUBLIC = (200,) * 7
NOWHERE = (404,) * 7
PAGES = {
    "/portal/integrity/announcements/": PORTAL,
    "/portal/integrity/announcements/?page=2": PORTAL,
    "/portal/integrity/announcements/new/": PORTAL,
    "/portal/integrity/announcements/{draft}/edit/": PORTAL,
    "/portal/integrity/announcements/{published}/edit/": PORTAL,
    "/portal/integrity/announcements/{draft}/publish/": PORTAL,
    "/portal/integrity/announcements/{published}/publish/": (302, 403, 403, 403, 403, 403, 302),
    "/portal/integrity/announcements/attachments/{secret}/": PORTAL,
    "/portal/integrity/announcements/99999/edit/": (302, 403, 403, 403, 403, 403, 404),
    "/integrity/announcements/": PUBLIC,
    "/integrity/announcements/?programme={programme}&page=1": PUBLIC,
    "/integrity/announcements/feed/": PUBLIC,
    "/integrity/announcements/feed/?programme={programme}": PUBLIC,
    "/integrity/announcements/{published}/": PUBLIC,
    "/integrity/announcements/attachments/{shown}/": PUBLIC,
    "/integrity/announcements/{draft}/": NOWHERE,
    "/integrity/announcements/attachments/{secret}/": NOWHERE,
    "/integrity/announcements/99999/": NOWHERE,
}


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(world, scene, url, role):
    get_as(world, role, url.format(**scene), PAGES[url])


def _posts(scene):
    """Each write of the portal, with its form data."""
    return {
        "new": ("/portal/integrity/announcements/new/", {"title": "冒充的公告"}),
        "edit": (f"/portal/integrity/announcements/{scene['draft']}/edit/", {"title": "改过"}),
        "attach": (
            f"/portal/integrity/announcements/{scene['draft']}/attachments/",
            {"title": "附件", "file": pdf_upload()},
        ),
        "remove": (f"/portal/integrity/announcements/attachments/{scene['secret']}/remove/", {}),
        "publish": (f"/portal/integrity/announcements/{scene['draft']}/publish/", {}),
        "delete": (f"/portal/integrity/announcements/{scene['draft']}/delete/", {}),
    }


@pytest.mark.parametrize("write", ["new", "edit", "attach", "remove", "publish", "delete"])
@pytest.mark.parametrize("role", ROLES)
def test_every_write_as_every_role(world, scene, write, role):
    url, data = _posts(scene)[write]
    response = client_for(world, role).post(url, data)
    expected = {"anonymous": 302, "association": 302}.get(role, 403)
    assert response.status_code == expected, response.content[:300]
    hidden = Announcement.objects.filter(pk=scene["draft"]).first()
    if role != "association":
        assert hidden.title == "草稿" and hidden.published_at is None
        assert hidden.attachments.count() == 1
        assert Announcement.objects.count() == 2
    elif write == "delete":
        assert hidden is None
    elif write == "publish":
        assert hidden.published_at is not None
    elif write == "edit":
        assert hidden.title == "改过"


def test_the_public_endpoints_take_no_writes(world, scene):
    client = client_for(world, "association")
    for url in (
        "/integrity/announcements/",
        f"/integrity/announcements/{scene['published']}/",
        f"/integrity/announcements/attachments/{scene['shown']}/",
    ):
        assert client.post(url).status_code == 405


# --- languages ---------------------------------------------------------------------------------


def test_the_public_page_in_english_and_chinese(world, with_uscc, scene):
    client = client_for(world, "anonymous")
    url = f"/integrity/announcements/{scene['published']}/"
    english = client.get(url).content.decode()
    assert '<html lang="en">' in english
    assert "Enterprises approved in the 2026 commitment programme" in english
    assert "1 approved enterprise" in english and "Attachments" in english
    assert "Maker" in english and "Xiangzhou District, Zhuhai, Guangdong" in english
    assert "Inverter air conditioner (06901234567892)" in english
    assert "3.15 quality-integrity commitment 2026" in english
    assert "Unified social credit code" in english

    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert "关于公布2026年质量诚信承诺企业名单的公告" in chinese
    assert "珠海示例电器股份有限公司" in chinese and "广东省珠海市香洲区" in chinese
    assert "变频空调 (06901234567892)" in chinese
    assert "2026年“3·15”质量诚信承诺活动" in chinese
    assert "统一社会信用代码" in chinese  # the catalogue's words for the table head
    assert "特此公告" in chinese and "Hereby announced" not in chinese


def test_the_portal_pages_in_english_and_chinese(world, scene, programme):
    client = client_for(world, "association")
    listing_draft = draft(world, programme=programme, lists_approved=True)
    # Words the catalogue already has, on each page: the templates are translated.
    pages = {
        "/portal/integrity/announcements/": ("Status", "状态"),
        f"/portal/integrity/announcements/{scene['draft']}/edit/": ("Remove", "移除"),
        f"/portal/integrity/announcements/{listing_draft.pk}/publish/": ("Enterprise", "企业"),
    }
    for url, (english_word, chinese_word) in pages.items():
        english = client.get(url).content.decode()
        chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert '<html lang="en">' in english and '<html lang="zh-hans">' in chinese
        assert f">{english_word}<" in english
        assert f">{chinese_word}<" in chinese and f">{english_word}<" not in chinese
