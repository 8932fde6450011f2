"""Benchmark enterprises: the association names up to a hundred participants of a
programme and follows each through the programme's year on one page."""

import datetime as dt
import json
import re
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from trustlabel.accounts.tests.roles import ROLES, client_for
from trustlabel.catalog import actions as catalog
from trustlabel.codes import actions as codes
from trustlabel.integrity.actions import applications as flow
from trustlabel.integrity.actions import benchmarks as actions
from trustlabel.integrity.actions.certificates import do_revoke_certificate
from trustlabel.integrity.benchmark_tracking import overview, tracking
from trustlabel.integrity.models import MAX_BENCHMARKS, Benchmark, BenchmarkNote
from trustlabel.integrity.tests.conftest import (
    approved_application,
    approved_enterprise,
    fill_application,
    make_programme,
)
from trustlabel.trace import actions as trace
from trustlabel.verify.core import CheckContext, verify

RECALL = {
    "reason": "插头绝缘层可能破损",
    "hazard": "触电危险",
    "instructions": "请立即停止使用，拔下插头，联系客服免费更换。",
    "contact": "400-800-1234",
}


@pytest.fixture
def benchmark(world, approved):
    return actions.do_name_benchmark(
        world.association.actor, approved.programme, world.enterprise.organisation, "行业标杆"
    )


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def check(code: str, when: dt.datetime) -> str:
    return verify(code, CheckContext(now=when)).kind


# --- naming ---------------------------------------------------------------------------


def test_it_names_a_participant_with_the_reason(world, benchmark):
    assert benchmark.organisation == world.enterprise.organisation
    assert benchmark.reason == "行业标杆"
    assert benchmark.named_by == world.association.user


def test_it_names_up_to_the_limit_and_refuses_one_more(world, reviewers):
    association = world.association.actor
    # Certificates issued later, in one batch: a hundred approvals need no PDFs here.
    programme = make_programme(association, issue_on_approval=False)
    approved_application(world, programme, reviewers)
    enterprises = [world.enterprise.organisation] + [
        approved_enterprise(programme, reviewers, n) for n in range(MAX_BENCHMARKS)
    ]
    for enterprise in enterprises[:MAX_BENCHMARKS]:
        actions.do_name_benchmark(association, programme, enterprise)
    assert Benchmark.objects.filter(programme=programme).count() == MAX_BENCHMARKS == 100
    with pytest.raises(ValidationError, match="at most 100 benchmark enterprises"):
        actions.do_name_benchmark(association, programme, enterprises[-1])
    response = client_for(world, "association").get(
        reverse("programmes:benchmarks"), {"programme": programme.pk}
    )
    assert b"100 of 100 benchmark enterprises" in response.content
    assert b"All 100 places are taken" in response.content
    assert b'name="organisation"' not in response.content


def test_it_refuses_an_enterprise_without_an_approved_application(world, approved):
    with pytest.raises(ValidationError, match="takes no part in"):
        actions.do_name_benchmark(
            world.association.actor, approved.programme, world.outsider.organisation
        )


def test_it_refuses_an_enterprise_still_in_review(world, programme, reviewers):
    maker = world.enterprise.actor
    application = flow.do_start_application(maker, programme, [world.product])
    fill_application(maker, application)
    flow.do_submit(maker, application)
    flow.do_start_review(reviewers[0], application)
    with pytest.raises(ValidationError, match="takes no part in"):
        actions.do_name_benchmark(world.association.actor, programme, world.enterprise.organisation)


def test_it_refuses_an_organisation_that_is_no_enterprise(world, approved):
    with pytest.raises(ValidationError, match="Only an enterprise"):
        actions.do_name_benchmark(
            world.association.actor, approved.programme, world.distributor.organisation
        )


def test_it_refuses_to_name_the_same_enterprise_twice(world, benchmark):
    with pytest.raises(ValidationError, match="already a benchmark"):
        actions.do_name_benchmark(
            world.association.actor, benchmark.programme, world.enterprise.organisation
        )


def test_a_participant_of_another_programme_is_not_one_of_this(world, approved, reviewers):
    other = make_programme(world.association.actor, code="qm-2026", kind="quality_month")
    with pytest.raises(ValidationError, match="takes no part in"):
        actions.do_name_benchmark(world.association.actor, other, world.enterprise.organisation)


@pytest.mark.parametrize("role", ["enterprise", "outsider", "distributor", "inspector"])
def test_only_the_association_names_notes_and_removes(world, benchmark, role):
    actor = world.parties()[role].actor
    with pytest.raises(PermissionDenied):
        actions.do_name_benchmark(actor, benchmark.programme, world.enterprise.organisation, "自荐")
    with pytest.raises(PermissionDenied):
        actions.do_add_benchmark_note(actor, benchmark, "note", timezone.localdate(), "来访")
    with pytest.raises(PermissionDenied):
        actions.do_remove_benchmark(actor, benchmark)
    assert Benchmark.objects.filter(pk=benchmark.pk).exists()
    assert not benchmark.notes.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer at a time anyway"
)
@pytest.mark.django_db(transaction=True)
def test_two_people_naming_at_once_cannot_pass_the_limit(world, approved, reviewers, monkeypatch):
    programme = approved.programme
    others = [approved_enterprise(programme, reviewers, n) for n in range(2)]
    actions.do_name_benchmark(world.association.actor, programme, world.enterprise.organisation)
    monkeypatch.setattr(actions, "MAX_BENCHMARKS", 2)  # one place left, two people take it
    real_participants = actions.participants

    def slow_participants(programme):
        time.sleep(0.3)  # both would count the place free, were the programme not locked
        return real_participants(programme)

    monkeypatch.setattr(actions, "participants", slow_participants)
    start = threading.Barrier(2)
    outcomes = []

    def name(enterprise):
        start.wait()
        try:
            actions.do_name_benchmark(reviewers[0], programme, enterprise)
            outcomes.append("named")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=name, args=(o,)) for o in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["named", "refused"]
    assert Benchmark.objects.filter(programme=programme).count() == 2


# --- notes and visits -----------------------------------------------------------------


def test_it_records_notes_and_visits_newest_first(world, benchmark):
    association = world.association.actor
    today = timezone.localdate()
    actions.do_add_benchmark_note(association, benchmark, "visit", today, "走访生产线")
    actions.do_add_benchmark_note(
        association, benchmark, "note", today - dt.timedelta(days=3), "企业提交了整改报告"
    )
    notes = tracking(association, benchmark).notes
    assert [(n.kind, n.text) for n in notes] == [
        ("visit", "走访生产线"),
        ("note", "企业提交了整改报告"),
    ]
    assert notes[0].author == world.association.user
    assert overview(association, benchmark.programme)[0].last_visit == today


@pytest.mark.parametrize(
    ("kind", "days", "text", "field", "error"),
    [
        ("call", 0, "电话回访", "kind", "Choose a note or a visit."),
        ("note", 0, "   ", "text", "Write what happened."),
        ("visit", -1, "走访", "on", "The date cannot be in the future."),
        ("note", 0, "长" * 4001, "text", "Keep it under 4000 characters."),
    ],
)
def test_it_refuses_a_bad_note(world, benchmark, kind, days, text, field, error):
    on = timezone.localdate() - dt.timedelta(days=days)
    with pytest.raises(ValidationError) as refused:
        actions.do_add_benchmark_note(world.association.actor, benchmark, kind, on, text)
    assert refused.value.message_dict == {field: [error]}
    assert not BenchmarkNote.objects.exists()


def test_removing_a_benchmark_frees_its_place_and_deletes_its_notes(world, benchmark):
    association = world.association.actor
    actions.do_add_benchmark_note(association, benchmark, "note", timezone.localdate(), "备注")
    actions.do_remove_benchmark(association, benchmark)
    assert not Benchmark.objects.exists()
    assert not BenchmarkNote.objects.exists()
    again = actions.do_name_benchmark(
        association, benchmark.programme, world.enterprise.organisation
    )
    assert again.pk != benchmark.pk


# --- what the page follows ------------------------------------------------------------


@pytest.fixture
def year_of_checks(world, benchmark, settings):
    """Consumers check the enterprise's codes through the year: twice in January (the
    first a few minutes after local midnight on 1 January), a code three times in March
    with at most two checks allowed (a suspected copy); one check late on 31 December of
    the year before and one of the outsider's codes, neither of which counts."""
    settings.TRUSTLABEL_COPY_CHECK_LIMIT = 2
    year = benchmark.programme.year
    january, march = dt.date(year, 1, 1), dt.date(year, 3, 9)
    assert check(world.code(index=1), at(dt.date(year - 1, 12, 31), 23, 50)) == "genuine"
    assert check(world.code(index=2), at(january, 0, 10)) == "genuine"
    assert check(world.code(index=2), at(january + dt.timedelta(days=20), 9)) == (
        "genuine_checked_before"
    )
    copied = world.code(world.scratch_order, 7)
    kinds = [check(copied, at(march, 12, minute)) for minute in range(3)]
    assert kinds == ["genuine", "genuine_checked_before", "suspected_copy"]
    biscuits = catalog.do_create_product(world.outsider.organisation, "4006381333931", "饼干")
    lot = catalog.do_create_lot(biscuits, "B1", january, 100, "别家工厂")
    order = codes.do_create_label_order(world.outsider.actor, biscuits, lot, 10, "open", "issue")
    assert check(world.code(order, 0), at(march, 8)) == "genuine"
    return benchmark


def test_it_counts_the_years_checks_by_month_and_verdict(world, year_of_checks):
    seen = tracking(world.association.actor, year_of_checks)
    assert seen.check_count == 5
    year = year_of_checks.programme.year
    assert seen.chart["days"][0] == f"{year}-01"
    assert len(seen.chart["days"]) == 12
    assert seen.chart["totals"] == [2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    by_verdict = dict(seen.verdict_totals)
    assert by_verdict == {"Genuine": 2, "Genuine, checked before": 2, "Suspected copy": 1}


def test_it_shows_the_suspected_copies_of_the_year(world, year_of_checks):
    seen = tracking(world.association.actor, year_of_checks)
    assert seen.copy_count == 1
    [copy] = seen.latest_copies
    assert copy.order == world.scratch_order
    assert copy.label_number == 8
    assert copy.stats.copy_reason == "count"


def test_the_page_shows_the_checks_and_copies(world, year_of_checks):
    response = client_for(world, "association").get(
        reverse("programmes:benchmark", args=[year_of_checks.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<dd id="check-count">5</dd>' in page
    assert '<dd id="copy-count">1</dd>' in page
    chart = json.loads(
        re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page).group(1)
    )
    assert chart["totals"][:3] == [2, 0, 3]
    months = page.split('<table id="months"')[1].split("</table>")[0]
    year = year_of_checks.programme.year
    assert re.search(rf"<tr><td>{year}-03</td>(<td>\d+</td>)+<td>3</td></tr>", months)
    assert 'class="copy reason-count"' in page
    assert "vendor/echarts.min.js" in page
    first, last = f"{year}-01-01", f"{year}-12-31"
    assert f"date_from={first}&amp;date_to={last}" in page


def test_the_page_says_so_when_nothing_happened(world, benchmark):
    response = client_for(world, "association").get(
        reverse("programmes:benchmark", args=[benchmark.pk])
    )
    assert b"No checks in this period." in response.content
    assert b"No suspected copies this year." in response.content
    assert b"No recalls opened this year." in response.content
    assert b"No notes or visits yet." in response.content
    assert b"chart-data" not in response.content


def test_it_lists_the_recalls_with_their_state_and_progress(world, benchmark):
    maker = world.enterprise.actor
    first = trace.do_open_recall(maker, [world.lot], **RECALL)
    other_lot = catalog.do_create_lot(world.product, "L2", world.lot.production_date, 10, "二厂")
    second = trace.do_open_recall(maker, [other_lot], **{**RECALL, "reason": "遥控器电池漏液"})
    assert verify(world.code(index=9)).kind == "recalled"
    trace.do_close_recall(maker, first)
    seen = tracking(world.association.actor, benchmark)
    assert dict(seen.verdict_totals) == {"Recalled": 1}  # checks of recalled goods count too
    assert [r.pk for r in seen.recalls] == [second.pk, first.pk]
    assert seen.open_recalls == 1
    response = client_for(world, "association").get(
        reverse("programmes:benchmark", args=[benchmark.pk])
    )
    page = response.content.decode()
    assert page.count('class="recall recall-open"') == 1
    assert page.count('class="recall recall-closed"') == 1
    assert reverse("trace:recall", args=[first.pk]) in page
    assert "遥控器电池漏液" in page
    # The progress page the link leads to opens for the association.
    assert (
        client_for(world, "association").get(reverse("trace:recall", args=[first.pk])).status_code
        == 200
    )
    [row] = overview(world.association.actor, benchmark.programme)
    assert (row.recalls, row.open_recalls) == (2, 1)


def test_the_certificate_state_follows_a_revocation(world, benchmark, approved):
    association = world.association.actor
    [certificate] = tracking(association, benchmark).certificates
    assert certificate.current_state == "valid"
    assert overview(association, benchmark.programme)[0].certificate.current_state == "valid"
    do_revoke_certificate(association, approved.certificate, "抽检不合格")
    [certificate] = tracking(association, benchmark).certificates
    assert certificate.current_state == "revoked"
    assert overview(association, benchmark.programme)[0].certificate.current_state == "revoked"
    response = client_for(world, "association").get(
        reverse("programmes:benchmark", args=[benchmark.pk])
    )
    assert b'class="certificate certificate-revoked"' in response.content
    assert "抽检不合格".encode() in response.content
    listing = client_for(world, "association").get(reverse("programmes:benchmarks"))
    assert b"certificate-revoked" in listing.content


def test_the_overview_agrees_with_the_page(world, year_of_checks):
    association = world.association.actor
    trace.do_open_recall(world.enterprise.actor, [world.lot], **RECALL)
    [row] = overview(association, year_of_checks.programme)
    seen = tracking(association, year_of_checks)
    assert (row.checks, row.copies, row.recalls, row.open_recalls) == (
        seen.check_count,
        seen.copy_count,
        len(seen.recalls),
        seen.open_recalls,
    )
    assert (row.checks, row.copies) == (5, 1)
    assert row.last_visit is None
    listing = client_for(world, "association").get(reverse("programmes:benchmarks"))
    table = listing.content.decode().split('<table id="benchmarks">')[1]
    assert '<td class="checks">5</td>' in table
    assert '<td class="copies">1</td>' in table
    assert "1 still open" in table


def test_the_overview_takes_the_same_queries_however_many_benchmarks(world, approved, reviewers):
    association = world.association.actor
    programme = approved.programme
    actions.do_name_benchmark(association, programme, world.enterprise.organisation)
    trace.do_open_recall(world.enterprise.actor, [world.lot], **RECALL)
    verify(world.code(index=3))

    client = client_for(world, "association")

    def queries() -> tuple[int, list]:
        with CaptureQueriesContext(connection) as done:
            rows = overview(association, programme)
            response = client.get(reverse("programmes:benchmarks"), {"programme": programme.pk})
        assert response.status_code == 200
        return len(done), rows

    one, rows = queries()
    assert len(rows) == 1
    for n in range(4):
        other = approved_enterprise(programme, reviewers, n)
        benchmark = actions.do_name_benchmark(association, programme, other)
        actions.do_add_benchmark_note(association, benchmark, "visit", timezone.localdate(), "走访")
    five, rows = queries()
    assert len(rows) == 5
    assert five == one


def test_the_overview_runs_in_five_queries(world, benchmark, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        rows = overview(world.association.actor, benchmark.programme)
    assert len(rows) == 1


# --- the pages --------------------------------------------------------------------------

DENIED = {"anonymous": 302, "association": None}  # everyone else: 403


def expect(role: str, allowed: int) -> int:
    return allowed if role == "association" else DENIED.get(role, 403)


def assert_refused(response, role: str):
    if role == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opening_the_pages(world, benchmark, role):
    client = client_for(world, role)
    listing = client.get(reverse("programmes:benchmarks"))
    page = client.get(reverse("programmes:benchmark", args=[benchmark.pk]))
    assert listing.status_code == expect(role, 200)
    assert page.status_code == expect(role, 200)
    if role == "association":
        assert world.enterprise.organisation.name.encode() in listing.content
        assert world.enterprise.organisation.name.encode() in page.content
        assert "行业标杆".encode() in page.content
    else:
        assert_refused(listing, role)
        assert_refused(page, role)
        assert b'id="check-count"' not in page.content
        assert "行业标杆".encode() not in page.content  # the reason it was named


@pytest.mark.parametrize("role", ROLES)
def test_each_role_naming_a_benchmark(world, approved, role):
    programme = approved.programme
    response = client_for(world, role).post(
        f"{reverse('programmes:benchmarks')}?programme={programme.pk}",
        {"organisation": world.enterprise.organisation.pk, "reason": "行业标杆"},
    )
    assert response.status_code == expect(role, 302)
    named = Benchmark.objects.filter(programme=programme)
    if role == "association":
        assert named.get().reason == "行业标杆"
        assert response["Location"].endswith(f"?programme={programme.pk}")
    else:
        assert_refused(response, role)
        assert not named.exists()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_recording_a_visit(world, benchmark, role):
    response = client_for(world, role).post(
        reverse("programmes:benchmark", args=[benchmark.pk]),
        {"kind": "visit", "on": timezone.localdate().isoformat(), "text": "走访质检实验室"},
    )
    assert response.status_code == expect(role, 302)
    if role == "association":
        assert benchmark.notes.get().text == "走访质检实验室"
    else:
        assert_refused(response, role)
        assert not benchmark.notes.exists()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_removing_a_benchmark(world, benchmark, role):
    response = client_for(world, role).post(
        reverse("programmes:benchmark-remove", args=[benchmark.pk])
    )
    assert response.status_code == expect(role, 302)
    if role == "association":
        assert not Benchmark.objects.exists()
    else:
        assert_refused(response, role)
        assert Benchmark.objects.filter(pk=benchmark.pk).exists()


def test_removing_takes_a_post(world, benchmark):
    response = client_for(world, "association").get(
        reverse("programmes:benchmark-remove", args=[benchmark.pk])
    )
    assert response.status_code == 405
    assert Benchmark.objects.filter(pk=benchmark.pk).exists()


def test_an_unknown_benchmark_is_not_found(world, benchmark):
    client = client_for(world, "association")
    assert client.get(reverse("programmes:benchmark", args=[benchmark.pk + 1])).status_code == 404
    assert (
        client.post(reverse("programmes:benchmark-remove", args=[benchmark.pk + 1])).status_code
        == 404
    )


def test_the_picker_offers_only_participants_not_yet_named(world, approved, reviewers):
    programme = approved.programme
    other = approved_enterprise(programme, reviewers, 1)
    actions.do_name_benchmark(world.association.actor, programme, other)
    response = client_for(world, "association").get(
        reverse("programmes:benchmarks"), {"programme": programme.pk}
    )
    picker = response.content.decode().split('name="organisation"')[1].split("</select>")[0]
    assert world.enterprise.organisation.name in picker
    assert other.name not in picker
    assert world.outsider.organisation.name not in picker
    assert b"1 of 100 benchmark enterprises" in response.content


def test_naming_a_non_participant_by_hand_shows_the_error(world, approved):
    response = client_for(world, "association").post(
        f"{reverse('programmes:benchmarks')}?programme={approved.programme.pk}",
        {"organisation": world.outsider.organisation.pk},
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Benchmark.objects.exists()


def test_a_bad_visit_shows_the_error_beside_its_field(world, benchmark):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(world, "association").post(
        reverse("programmes:benchmark", args=[benchmark.pk]),
        {"kind": "visit", "on": tomorrow.isoformat(), "text": "计划走访"},
    )
    assert response.status_code == 200
    assert b"The date cannot be in the future." in response.content
    assert not benchmark.notes.exists()


def test_the_list_chooses_the_programme(world, approved, reviewers):
    association = world.association.actor
    other = make_programme(association, code="qm-2026", kind="quality_month", name="质量月活动")
    actions.do_name_benchmark(association, approved.programme, world.enterprise.organisation)
    client = client_for(world, "association")
    chosen = client.get(reverse("programmes:benchmarks"), {"programme": approved.programme.pk})
    assert b'<tr class="benchmark">' in chosen.content
    empty = client.get(reverse("programmes:benchmarks"), {"programme": other.pk})
    assert b'<tr class="benchmark">' not in empty.content
    assert b"No benchmark enterprises named yet." in empty.content
    unknown = client.get(reverse("programmes:benchmarks"), {"programme": "999999"})
    assert unknown.status_code == 200
    assert b"Select a valid choice" in unknown.content


def test_without_a_programme_the_list_says_so(world):
    response = client_for(world, "association").get(reverse("programmes:benchmarks"))
    assert response.status_code == 200
    assert b"There is no programme yet" in response.content


def test_the_pages_in_chinese(world, year_of_checks):
    client = client_for(world, "association")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(reverse("programmes:benchmark", args=[year_of_checks.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert '<html lang="zh-hans">' in text
    assert "疑似复制码" in text  # Suspected copies
    assert "正品" in text  # the verdict in the monthly table
    assert year_of_checks.programme.name in text
    listing = client.get(reverse("programmes:benchmarks"))
    assert listing.status_code == 200
    assert "查询次数" in listing.content.decode()  # Checks


def test_the_visit_form_offers_today_in_either_language(world, benchmark):
    client = client_for(world, "association")
    today = timezone.localdate().isoformat()
    for language in ("en", "zh-hans"):
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        page = client.get(reverse("programmes:benchmark", args=[benchmark.pk]))
        assert f'type="date" name="on" value="{today}"'.encode() in page.content
