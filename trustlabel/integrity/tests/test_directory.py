"""The public directory: finding participating enterprises and products, their public
pages, and what never shows there."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from stdnum import ean

from trustlabel.accounts.models import Organisation
from trustlabel.accounts.tests.roles import ROLES, client_for
from trustlabel.catalog import actions as catalog
from trustlabel.conftest import make_party
from trustlabel.integrity import directory
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.actions import do_update_member
from trustlabel.integrity.actions.certificates import do_revoke_certificate
from trustlabel.integrity.models import Application, ListedEnterprise, ListedProduct
from trustlabel.integrity.tests.conftest import STATEMENTS, fill_application, make_programme
from trustlabel.integrity.views import directory as views
from trustlabel.regions.models import Division
from trustlabel.verify.ratelimit import Limit

GREE = "珠海格力电器股份有限公司"
GREE_USCC = "91440400192548256N"


def division(code: str) -> Division:
    return Division.objects.get(code=code)


def gtin(body: str) -> str:
    return body + ean.calc_check_digit(body)


def approve(reviewers, maker, application):
    """Through the review to approval, as the association does it."""
    flow.do_submit(maker, application)
    first, second = reviewers
    flow.do_start_review(first, application)
    flow.do_approve(first, application, "材料齐全")
    application = flow.do_approve(second, application, "同意")
    # The actions refresh the directory on approval; calling it again changes nothing.
    directory.refresh_enterprise(application.organisation_id)
    return application


def apply(maker, programme, products, statements=None):
    application = flow.do_start_application(maker, programme, products)
    fill_application(maker, application)
    if statements:
        flow.do_save_commitment(
            maker, application, {**STATEMENTS, **statements}, [("warranty", "整机保修十年")]
        )
    return application


class Scene:
    """Gree (Zhuhai, manufacturing) approved in this year's programme, revised there to
    version 2, and in last year's; the world's enterprise (Hangzhou, trade) approved in
    this year's; an enterprise with a draft only, one rejected, and a revision of Gree's
    commitment still in review."""

    def __init__(self, world, programme, reviewers):
        association = world.association.actor
        self.this_year = programme
        self.last_year = make_programme(
            association,
            code="qm-last",
            name="上年度质量月活动",
            name_en="Quality Month last year",
            kind="quality_month",
            year=timezone.localdate().year - 1,
        )
        self.gree = make_party(Organisation.Kind.ENTERPRISE, GREE, "gree")
        do_update_member(
            association,
            self.gree.organisation.member,
            uscc=GREE_USCC,
            region=division("440402"),
            industry="C",
        )
        org = self.gree.organisation
        self.aircon = catalog.do_create_product(
            org, gtin("690123400001"), "格力变频空调", name_en="Gree inverter air conditioner"
        )
        self.fridge = catalog.do_create_product(org, gtin("690123400002"), "格力冰箱")
        self.unlisted = catalog.do_create_product(org, gtin("690123400003"), "格力电风扇")
        maker = self.gree.actor
        first = apply(maker, programme, [self.aircon], {"laws": "第一版承诺：守法经营"})
        self.v1 = approve(reviewers, maker, first)
        revision = flow.do_start_revision(maker, self.v1)
        flow.do_save_commitment(
            maker,
            revision,
            {**STATEMENTS, "laws": "第二版承诺：守法经营"},
            [("warranty", "整机保修十年")],
        )
        self.v2 = approve(reviewers, maker, revision)
        self.in_review = flow.do_start_revision(maker, self.v2)
        flow.do_save_commitment(
            maker, self.in_review, {**STATEMENTS, "laws": "审核中的承诺，不得公开"}, []
        )
        flow.do_submit(maker, self.in_review)
        self.last = approve(reviewers, maker, apply(maker, self.last_year, [self.fridge]))

        do_update_member(
            association,
            world.enterprise.organisation.member,
            region=division("330106"),
            industry="F",
        )
        self.example = approve(
            reviewers,
            world.enterprise.actor,
            apply(world.enterprise.actor, programme, [world.product]),
        )

        self.drafter = make_party(Organisation.Kind.ENTERPRISE, "草稿家电有限公司", "drafter")
        self.draft_product = catalog.do_create_product(
            self.drafter.organisation, gtin("690123400011"), "草稿空调"
        )
        apply(self.drafter.actor, programme, [self.draft_product])
        self.rejected = make_party(Organisation.Kind.ENTERPRISE, "驳回电器有限公司", "rejected")
        product = catalog.do_create_product(
            self.rejected.organisation, gtin("690123400021"), "驳回空调"
        )
        refused = apply(self.rejected.actor, programme, [product], {"laws": "驳回的承诺"})
        flow.do_submit(self.rejected.actor, refused)
        flow.do_start_review(reviewers[0], refused)
        flow.do_reject(reviewers[0], refused, "材料不全")


@pytest.fixture
def scene(world, programme, reviewers):
    return Scene(world, programme, reviewers)


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def found(url: str, client=None) -> str:
    response = (client or english()).get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def listed(url: str) -> str:
    """The result list of a search page."""
    html = found(url)
    start = html.index('<ul class="results"')
    return html[start : html.index("\n</ul>", start)]


# --- finding enterprises ------------------------------------------------------------------


@pytest.mark.parametrize(
    "q", ["格力", "珠海格力", "格力电器", "力电", "格", "ｇｒｅｅ", "Gree", "gr"]
)
def test_it_finds_an_enterprise_by_a_fragment_of_its_name(scene, q):
    assert GREE in listed(f"/integrity/?q={q}")


@pytest.mark.parametrize("q", ["格电", "力格", "格力空调", "greet", "海尔"])
def test_it_does_not_find_it_by_what_its_name_does_not_hold(scene, q):
    assert GREE not in listed(f"/integrity/?q={q}")


@pytest.mark.parametrize(
    "q", [GREE_USCC, "9144 0400", "91440400", "192548256", "91440400192548256n"]
)
def test_it_finds_an_enterprise_by_its_credit_code(scene, q):
    results = listed(f"/integrity/?q={q}")
    assert GREE in results
    assert "珠海示例电器股份有限公司" not in results


def test_each_filter_narrows_the_enterprises(scene):
    both = ("珠海示例电器股份有限公司", GREE)
    cases = {
        "": both,
        f"programme={scene.this_year.pk}": both,
        f"programme={scene.last_year.pk}": (GREE,),
        f"year={scene.last_year.year}": (GREE,),
        f"year={scene.this_year.year}": both,
        "industry=C": (GREE,),
        "industry=F": ("珠海示例电器股份有限公司",),
        "industry=A": (),
        "valid=on": both,
    }
    for query, expected in cases.items():
        results = listed(f"/integrity/?{query}")
        for name in both:
            assert (name in results) == (name in expected), (query, name)


@pytest.mark.parametrize(
    ("query", "gree", "example"),
    [
        ("province=440000", True, False),  # 广东省
        ("region=440400", True, False),  # 珠海市
        ("region=440402", True, False),  # 香洲区
        ("region=440300", False, False),  # 深圳市
        ("province=330000", False, True),  # 浙江省
        ("region=330100", False, True),  # 杭州市
        ("region=330106", False, True),  # 西湖区
        ("province=440000&region=330106", False, True),  # the code wins over the select
    ],
)
def test_a_region_at_every_level_finds_the_enterprises_seated_in_it(scene, query, gree, example):
    results = listed(f"/integrity/?{query}")
    assert (GREE in results) == gree
    assert ("珠海示例电器股份有限公司" in results) == example


def test_valid_certificates_only_leaves_out_a_revoked_one(scene, world, reviewers):
    certificate = scene.example.certificate
    do_revoke_certificate(reviewers[0], certificate, "抽检不合格")
    assert "珠海示例电器股份有限公司" in listed("/integrity/")
    results = listed("/integrity/?valid=on")
    assert "珠海示例电器股份有限公司" not in results
    assert GREE in results
    # Gree's valid certificate is in this year's programme, and last year's too.
    assert GREE in listed(f"/integrity/?valid=on&programme={scene.last_year.pk}")


def test_valid_certificates_only_leaves_out_an_expired_one(scene):
    certificate = scene.last.certificate
    certificate.valid_from = dt.date(2020, 1, 1)
    certificate.valid_until = dt.date(2020, 12, 31)
    certificate.save(update_fields=["valid_from", "valid_until"])
    assert GREE in listed(f"/integrity/?programme={scene.last_year.pk}")
    assert GREE not in listed(f"/integrity/?valid=on&programme={scene.last_year.pk}")
    assert "Expired" in listed(f"/integrity/?programme={scene.last_year.pk}")


def test_large_counts_are_kept_for_a_minute_and_forgotten_on_a_refresh(
    scene, world, reviewers, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(directory, "CACHE_COUNTS_FROM", 1)
    assert "2 enterprises found" in found("/integrity/")
    do_revoke_certificate(reviewers[0], scene.example.certificate, "抽检不合格")
    # The valid-only count is never taken for the unfiltered one, nor the other way.
    assert "1 enterprise found" in found("/integrity/?valid=on")
    assert "2 enterprises found" in found("/integrity/")
    assert "1 enterprise found" in found("/integrity/?industry=C")
    party = make_party(Organisation.Kind.ENTERPRISE, "新加入电器有限公司", "newcomer")
    product = catalog.do_create_product(party.organisation, gtin("690123400031"), "新空调")
    application = apply(party.actor, scene.this_year, [product])
    with django_capture_on_commit_callbacks(execute=True):
        approve(reviewers, party.actor, application)
    assert "3 enterprises found" in found("/integrity/")


def test_the_list_shows_region_industry_programmes_and_certificate_states(scene):
    results = listed("/integrity/?q=格力")
    assert "Guangdong" in results and "Xiangzhou" in results
    assert "Manufacturing" in results
    assert "3.15 quality-integrity commitment 2026" in results
    assert "Quality Month last year" in results
    assert f'href="/integrity/certificates/{scene.v2.certificate.number}/"' in results
    assert "Valid" in results
    # Version 1's certificate was replaced: the list shows the commitment in force.
    assert scene.v1.certificate.number not in results


def test_the_count_and_pages(scene, world, monkeypatch):
    monkeypatch.setattr(directory, "PER_PAGE", 1)
    first = found("/integrity/?q=珠海")
    assert "2 enterprises found" in first
    assert "Page 1 of 2" in first
    assert 'href="?q=%E7%8F%A0%E6%B5%B7&amp;page=2"' in first
    second = found("/integrity/?q=珠海&page=2")
    assert (GREE in first) != (GREE in second)
    # A page past the end shows the last one; nonsense shows the first.
    assert "Page 2 of 2" in found("/integrity/?q=珠海&page=99")
    assert "Page 1 of 2" in found("/integrity/?q=珠海&page=abc")


def test_nothing_found_says_so(scene):
    html = found("/integrity/?q=不存在的企业")
    assert "0 enterprises found" in html
    assert "No participating enterprise matches." in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("region=999999", "No province, city or county has the code 999999."),
        ("region=abc", "No province, city or county has the code abc."),
        ("province=990000", "Select a valid choice."),
        ("programme=99999", "Select a valid choice."),
        ("year=1800", "Select a valid choice."),
        ("industry=Z", "Select a valid choice."),
        (f"q={'长' * 101}", "Ensure this value has at most 100 characters"),
    ],
)
def test_bad_input_is_explained(scene, query, message):
    html = found(f"/integrity/?{query}")
    assert message in html
    assert 'class="results"' not in html


# --- finding products ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "aircon", "fridge", "example"),
    [
        ("q=空调", True, False, True),
        ("q=变频空调", True, False, True),
        ("q=格力", True, True, False),
        ("q=inverter", True, False, True),
        ("q=690123400001", True, False, False),  # the GTIN-13 without its check digit
        ("q=06901234000012", False, False, False),  # another GTIN-14 (wrong check digit)
        ("q=6901234", True, True, True),  # the beginning of the GTINs
        ("programme={last}", False, True, False),
        ("year={this}", True, False, True),
        ("province=440000", True, True, False),
        ("region=440402", True, True, False),
        ("region=330106", False, False, True),
        ("industry=C", True, True, False),
        ("industry=F&q=空调", False, False, True),
    ],
)
def test_products_are_found_by_name_gtin_programme_year_region_and_industry(
    scene, world, query, aircon, fridge, example
):
    query = query.format(last=scene.last_year.pk, this=scene.this_year.year)
    results = listed(f"/integrity/products/?{query}")
    assert ("格力变频空调" in results) == aircon
    assert ("格力冰箱" in results) == fridge
    assert (f'href="/integrity/products/{world.product.pk}/"' in results) == example
    # Products no approved application covers never show.
    assert "格力电风扇" not in results and "草稿空调" not in results and "驳回空调" not in results


def test_a_product_is_found_by_its_full_gtin(scene):
    assert "格力变频空调" in listed(f"/integrity/products/?q={scene.aircon.gtin}")
    assert "格力变频空调" in listed(f"/integrity/products/?q={scene.aircon.gtin[1:]}")


def test_the_product_list_shows_maker_region_programmes_and_certificates(scene):
    results = listed("/integrity/products/?q=格力变频空调")
    assert GREE in results
    assert "Xiangzhou" in results
    assert scene.aircon.gtin in results
    assert f'href="/integrity/certificates/{scene.v2.certificate.number}/"' in results
    assert "replaced version" in results  # it was in version 1 too
    assert (
        "valid" not in found("/integrity/products/").split('class="search"')[1].split("</form>")[0]
    )


# --- the public pages ---------------------------------------------------------------------


def test_an_enterprise_page_shows_its_commitments_declarations_certificates_and_status(scene):
    html = found(f"/integrity/enterprises/{scene.gree.organisation.pk}/")
    assert GREE in html and "Gree" in html
    assert GREE_USCC in html
    assert "Guangdong" in html and "Manufacturing" in html
    assert '<dd id="membership">Active</dd>' in html
    # Each programme, with the commitment in force, its service promises and products.
    assert "3.15 quality-integrity commitment 2026" in html and "Quality Month last year" in html
    assert "第二版承诺：守法经营" in html
    assert "整机保修十年" in html
    assert "格力变频空调" in html and "格力冰箱" in html
    assert "GB/T 7725-2022" in html and "Q/GREE 001-2024" in html
    assert "能效比" in html and "≥4.5" in html and "W/W" in html
    # Certificates, with their state and the public check page.
    for application in (scene.v2, scene.last):
        number = application.certificate.number
        assert f'href="/integrity/certificates/{number}/"' in html
    assert "state-valid" in html


def test_the_enterprise_page_shows_the_version_history(scene):
    from trustlabel.ledger.records import entry_of

    html = found(f"/integrity/enterprises/{scene.gree.organisation.pk}/")
    history = html[html.index('class="history"') :]
    assert 'class="version-1"' in history and 'class="version-2"' in history
    assert scene.v1.content_sha256 in history and scene.v2.content_sha256 in history
    replaced_on = timezone.localtime(scene.v2.approved_at).strftime("%Y-%m-%d")
    assert f"Replaced on {replaced_on}" in history
    assert "Current" in history
    # What version 1 promised stays readable, with its (replaced) certificate.
    assert "第一版承诺：守法经营" in history
    assert scene.v1.certificate.number in history
    assert "Replaced by a newer certificate" in history
    for version in (scene.v1, scene.v2):
        entry = entry_of(version, "commitment")
        assert entry is not None
        marker = f'data-ledger-index="{entry.index if entry.index is not None else ""}"'
        assert marker in history


def test_anyone_can_hash_an_approved_commitment_and_match_the_ledger(scene, anon):
    import hashlib
    import json

    from trustlabel.ledger.records import entry_of

    for version in (scene.v1, scene.v2):
        response = anon.get(f"/integrity/commitments/{version.pk}.json")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        digest = hashlib.sha256(response.content).hexdigest()
        assert digest == version.content_sha256
        recorded = json.loads(bytes(entry_of(version, "commitment").data))
        assert digest in json.dumps(recorded)
        assert json.loads(response.content)["version"] == version.version
    html = found(f"/integrity/enterprises/{scene.gree.organisation.pk}/")
    assert f'href="/integrity/commitments/{scene.v1.pk}.json"' in html
    # Nothing not approved is served.
    for party in (scene.drafter, scene.rejected):
        for application in Application.objects.filter(organisation=party.organisation):
            assert application.status != "approved"
            url = f"/integrity/commitments/{application.pk}.json"
            assert anon.get(url).status_code == 404


def test_a_product_page_shows_its_maker_programmes_declarations_and_certificate(scene):
    html = found(f"/integrity/products/{scene.aircon.pk}/")
    assert "格力变频空调" in html and scene.aircon.gtin in html
    assert f'href="/integrity/enterprises/{scene.gree.organisation.pk}/"' in html
    assert "3.15 quality-integrity commitment 2026" in html
    assert "GB/T 7725-2022" in html and "能效比" in html
    assert f'href="/integrity/certificates/{scene.v2.certificate.number}/"' in html
    assert "Current" in html and "replaced version" in html
    assert "Manufacturing" in html


def test_non_participants_are_not_found(scene, world):
    for url in (
        f"/integrity/enterprises/{scene.drafter.organisation.pk}/",
        f"/integrity/enterprises/{scene.rejected.organisation.pk}/",
        f"/integrity/enterprises/{world.outsider.organisation.pk}/",
        f"/integrity/enterprises/{world.distributor.organisation.pk}/",
        f"/integrity/enterprises/{world.association.organisation.pk}/",
        "/integrity/enterprises/999999/",
        f"/integrity/products/{scene.unlisted.pk}/",
        f"/integrity/products/{scene.draft_product.pk}/",
        "/integrity/products/999999/",
    ):
        assert english().get(url).status_code == 404, url
    everything = listed("/integrity/") + listed("/integrity/products/")
    for name in (
        "草稿家电有限公司",
        "驳回电器有限公司",
        "别家食品有限公司",
        "草稿空调",
        "驳回空调",
    ):
        assert name not in everything


def test_no_draft_rejected_or_in_review_content_leaks(scene, world):
    pages = [
        f"/integrity/enterprises/{scene.gree.organisation.pk}/",
        f"/integrity/products/{scene.aircon.pk}/",
        "/integrity/?q=格力",
        "/integrity/products/?q=格力",
        "/integrity/?q=审核中",
        "/integrity/?q=驳回",
    ]
    html = "".join(found(url) for url in pages)
    assert "审核中的承诺" not in html
    assert "驳回的承诺" not in html
    assert "version-3" not in html
    scene.in_review.refresh_from_db()
    assert scene.in_review.status == "submitted"


def test_the_search_rows_follow_approvals_and_the_member_register(scene, world):
    """What `refresh_enterprise` keeps: rows only for what is approved, and the maker's
    region and industry as the register now says."""
    assert set(ListedEnterprise.objects.values_list("name", flat=True)) == {
        GREE,
        "珠海示例电器股份有限公司",
    }
    assert set(ListedProduct.objects.values_list("name", flat=True)) == {
        "格力变频空调",
        "格力冰箱",
        "变频空调",
    }
    do_update_member(
        world.association.actor, scene.gree.organisation.member, region=division("440303")
    )
    directory.refresh_enterprise(scene.gree.organisation.pk)
    assert GREE in listed("/integrity/?region=440300")
    assert GREE not in listed("/integrity/?region=440400")
    assert "格力冰箱" in listed("/integrity/products/?region=440303")


def test_approval_puts_an_enterprise_in_the_directory(world, programme, reviewers):
    """The review's final approval refreshes the directory (actions/applications.py)."""
    maker = world.enterprise.actor
    application = apply(maker, programme, [world.product])
    flow.do_submit(maker, application)
    flow.do_start_review(reviewers[0], application)
    flow.do_approve(reviewers[0], application)
    assert "珠海示例电器股份有限公司" not in listed("/integrity/")
    flow.do_approve(reviewers[1], application)
    assert "珠海示例电器股份有限公司" in listed("/integrity/")
    assert "变频空调" in listed("/integrity/products/?q=空调")


def test_a_page_of_results_costs_the_same_queries_however_many_rows(
    scene, world, reviewers, django_assert_max_num_queries
):
    for i in range(5):
        party = make_party(Organisation.Kind.ENTERPRISE, f"珠海第{i}电器有限公司", f"extra{i}")
        product = catalog.do_create_product(party.organisation, gtin(f"69012350000{i}"), "空调")
        approve(reviewers, party.actor, apply(party.actor, scene.this_year, [product]))
    client = english()
    with django_assert_max_num_queries(14):
        assert "珠海第4电器有限公司" in client.get("/integrity/?q=珠海").content.decode()
    with django_assert_max_num_queries(14):
        assert "珠海第4电器有限公司" in client.get("/integrity/products/?q=空调").content.decode()
    with django_assert_max_num_queries(20):
        client.get(f"/integrity/enterprises/{scene.gree.organisation.pk}/")


# --- everyone may read; searches are limited ----------------------------------------------

PUBLIC_PAGES = [
    "/integrity/",
    "/integrity/?q=格力&province=440000&industry=C&valid=on",
    "/integrity/products/",
    "/integrity/products/?q=空调&region=440402",
    "/integrity/enterprises/{gree}/",
    "/integrity/products/{aircon}/",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_public_page_opens_for_every_role(scene, world, url, role):
    url = url.format(gree=scene.gree.organisation.pk, aircon=scene.aircon.pk)
    response = client_for(world, role).get(url)
    assert response.status_code == 200
    assert "格力" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_nobody_gets_a_non_participant(scene, world, role):
    client = client_for(world, role)
    assert client.get(f"/integrity/enterprises/{scene.drafter.organisation.pk}/").status_code == 404
    assert client.get(f"/integrity/products/{scene.draft_product.pk}/").status_code == 404


def test_the_pages_refuse_to_be_written_to(scene):
    assert english().post("/integrity/", {"q": "格力"}).status_code == 405
    assert english().post(f"/integrity/products/{scene.aircon.pk}/").status_code == 405


def test_searches_are_limited_per_client(scene, monkeypatch):
    monkeypatch.setattr(views, "SEARCHES_PER_CLIENT", Limit("directory-test", 2, 3600))
    client = english()
    assert [client.get("/integrity/?q=格力").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/integrity/products/?q=空调")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert "Too many searches from your address" in html
    assert "格力变频空调" not in html
    # The public pages of an enterprise and a product are not searches.
    assert client.get(f"/integrity/enterprises/{scene.gree.organisation.pk}/").status_code == 200
    # Another address is counted on its own.
    assert client.get("/integrity/?q=格力", REMOTE_ADDR="10.1.2.3").status_code == 200
    chinese = Client().get("/integrity/")
    assert chinese.status_code == 429
    assert chinese["Content-Language"] == "zh-hans"


# --- languages ----------------------------------------------------------------------------


def test_the_pages_speak_chinese_by_default_and_english_on_request(scene):
    chinese = found("/integrity/?q=格力", Client())
    assert '<html lang="zh-hans">' in chinese
    assert "制造业" in chinese  # the industry's name from the catalogue
    assert "广东省珠海市香洲区" in chinese
    assert "2026年“3·15”质量诚信承诺活动" in chinese
    english_html = found("/integrity/?q=格力")
    assert '<html lang="en">' in english_html
    assert "Manufacturing" in english_html
    assert "Xiangzhou District, Zhuhai, Guangdong" in english_html
    assert "3.15 quality-integrity commitment 2026" in english_html
    page = found(f"/integrity/enterprises/{scene.gree.organisation.pk}/", Client())
    assert "第二版承诺：守法经营" in page and "制造业" in page


# --- terms --------------------------------------------------------------------------------


def test_names_become_words_pairs_of_chinese_characters_and_tags():
    assert directory.index_terms("珠海格力 Gree-Electric Ａ１") == [
        "珠海",
        "海格",
        "格力",
        "力",
        "gree",
        "electric",
        "a1",
    ]
    assert directory.query_terms("格力电器 gre") == (
        [("格力", False), ("力电", False), ("电器", False), ("gre", True)],
        ["格力电器"],
    )
    assert directory.query_terms("格") == ([("格", True)], [])
    assert directory.query_terms("%_'\"") == ([], [])
