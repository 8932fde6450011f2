"""Anti-diversion: how a check's place is compared with the sales region of the
distributor its item was shipped to, and what the enterprise does with the alerts."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from mmdb_writer import MmdbF64, MmdbU16, MMDBWriter
from netaddr import IPSet

from trustlabel.regions import places
from trustlabel.regions.actions import do_set_sales_regions
from trustlabel.trace import actions as trace
from trustlabel.trace.labels import label_epc
from trustlabel.trace.models import DiversionAlert
from trustlabel.verify.core import CheckContext, verify

from .test_logistics import sscc

NANJING = (32.0603, 118.7969)
GUANGZHOU = (23.1291, 113.3240)
# In Anhui, west of Jiangsu: outside it, but not far.
CHUZHOU = (32.30, 118.31)


@pytest.fixture
def shipped(world):
    """Items 0–11 of the open order in a case shipped to the distributor, who sells in
    Jiangsu."""
    do_set_sales_regions(world.distributor.organisation, ["320000"])
    maker = world.enterprise.actor
    items = [label_epc(world.open_order, world.open_order.serial_start + i) for i in range(12)]
    trace.do_pack(maker, sscc(1), items)
    trace.do_move(maker, trace.Step.SHIP, [sscc(1)], world.distributor.organisation)
    return items


def check(world, index: int, **context):
    return verify(world.code(index=index), CheckContext(**context))


def test_a_check_inside_the_region_raises_nothing(world, shipped):
    assert check(world, 0, lat=NANJING[0], lon=NANJING[1]).kind == "genuine"
    assert not DiversionAlert.objects.exists()


def test_a_check_outside_raises_one_alert_however_often_it_is_checked(world, shipped):
    verdict = check(world, 1, lat=GUANGZHOU[0], lon=GUANGZHOU[1])
    assert verdict.kind == "genuine"  # a consumer is not told
    assert verdict.diversion is None
    check(world, 1, lat=GUANGZHOU[0], lon=GUANGZHOU[1])
    alert = DiversionAlert.objects.get()
    assert (alert.check_count, alert.state, alert.epc) == (2, "open", shipped[1])
    assert alert.shipment.biz_step == "shipping"


def test_a_device_location_near_the_border_is_not_evidence_enough(world, shipped):
    km = places.km_outside(["320000"], *CHUZHOU)
    assert 2 < km < 60
    # The device says it may be off by more than that: nothing.
    check(world, 2, lat=CHUZHOU[0], lon=CHUZHOU[1], accuracy_m=(km + 5) * 1000)
    assert not DiversionAlert.objects.exists()
    # Sure of itself: an alert, with the distance.
    check(world, 3, lat=CHUZHOU[0], lon=CHUZHOU[1], accuracy_m=30)
    assert DiversionAlert.objects.get().km_outside == pytest.approx(km)


def test_an_inspector_is_told_with_the_evidence(world, shipped):
    inside = check(world, 4, region="320106", inspector=True)
    assert inside.kind == "genuine"
    outside = check(world, 5, region="440106", inspector=True)
    assert outside.kind == "outside_region"
    assert outside.diversion.distributor == world.distributor.organisation
    assert outside.diversion.expected_regions == ["320000"]
    assert (outside.diversion.observed_region, outside.diversion.observed_source) == (
        "440106",
        "stated",
    )


def test_a_suspected_copy_stays_a_suspected_copy_for_an_inspector(world, shipped, settings):
    settings.TRUSTLABEL_COPY_CHECK_LIMIT = 1
    check(world, 6)
    verdict = check(world, 6, region="440106", inspector=True)
    assert verdict.kind == "suspected_copy"
    assert DiversionAlert.objects.exists()  # the enterprise still learns where it was


def test_no_alert_without_a_shipment_or_a_region(world, shipped):
    check(world, 40, lat=GUANGZHOU[0], lon=GUANGZHOU[1])  # never shipped
    do_set_sales_regions(world.distributor.organisation, [])
    check(world, 7, lat=GUANGZHOU[0], lon=GUANGZHOU[1])  # the distributor may sell anywhere
    assert not DiversionAlert.objects.exists()


def test_labels_not_yet_on_products_raise_nothing(world, shipped):
    from trustlabel.codes import actions as codes

    order = codes.do_create_label_order(
        world.enterprise.actor, world.product, world.lot, 10, "open"
    )
    assert verify(world.code(order), CheckContext(region="440106", inspector=True)).kind == (
        "not_activated"
    )
    assert not DiversionAlert.objects.exists()


@pytest.fixture
def ip_db(tmp_path, settings):
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-City",
        languages=["en"],
        description={"en": "TrustLabel test City DB"},
    )
    for network, region, lat, lon in [
        ("192.0.2.0/25", "GD", 23.1291, 113.3240),
        ("192.0.2.128/25", "JS", 32.0603, 118.7969),
    ]:
        writer.insert_network(
            IPSet([network]),
            {
                "country": {"iso_code": "CN"},
                "subdivisions": [{"iso_code": region}],
                "location": {
                    "latitude": MmdbF64(lat),
                    "longitude": MmdbF64(lon),
                    "accuracy_radius": MmdbU16(50),
                },
            },
        )
    path = tmp_path / "city.mmdb"
    writer.to_db_file(str(path))
    settings.TRUSTLABEL_IP_DB = str(path)


def test_an_ip_address_counts_at_province_level_only(world, shipped, ip_db):
    check(world, 8, client_ip="192.0.2.200")  # Jiangsu
    assert not DiversionAlert.objects.exists()
    Client(REMOTE_ADDR="192.0.2.7").post(
        "/api/v1/verify", {"code": world.code(index=9)}, content_type="application/json"
    )
    alert = DiversionAlert.objects.get()
    assert (alert.observed_region, alert.observed_source, alert.km_outside) == (
        "440000",
        "ip",
        None,
    )


def test_without_an_ip_database_an_address_is_no_place(world, shipped, settings):
    settings.TRUSTLABEL_IP_DB = None
    check(world, 10, client_ip="192.0.2.7")
    assert not DiversionAlert.objects.exists()


@pytest.fixture
def alert(world, shipped):
    check(world, 11, lat=GUANGZHOU[0], lon=GUANGZHOU[1])
    return DiversionAlert.objects.get()


def test_the_enterprise_decides_with_a_note(world, alert):
    with pytest.raises(ValidationError, match="Say why"):
        trace.do_decide_alert(world.enterprise.actor, alert, "dismissed", " ")
    with pytest.raises(ValidationError, match="Choose open"):
        trace.do_decide_alert(world.enterprise.actor, alert, "gone", "x")
    trace.do_decide_alert(world.enterprise.actor, alert, "dismissed", "零售商搬迁，已核实")
    alert.refresh_from_db()
    assert (alert.state, alert.decided_by) == ("dismissed", world.enterprise.user)
    # A new check outside opens a new alert: the dismissed one stays as decided.
    check(world, 11, lat=GUANGZHOU[0] + 0.01, lon=GUANGZHOU[1])
    assert DiversionAlert.objects.filter(state="open").count() == 1


@pytest.mark.parametrize("who", ["outsider", "distributor", "inspector", "association"])
def test_only_the_enterprise_decides(world, alert, who):
    with pytest.raises(PermissionDenied):
        trace.do_decide_alert(getattr(world, who).actor, alert, "confirmed", "x")


def test_a_failing_place_lookup_never_costs_the_consumer_the_verdict(
    world, shipped, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise OSError("boundary file unreadable")

    monkeypatch.setattr("trustlabel.trace.diversion.observe", broken)
    verdict = check(world, 12, lat=GUANGZHOU[0], lon=GUANGZHOU[1])
    assert verdict.kind == "genuine" and verdict.check_count == 1
    assert "diversion check failed" in caplog.text


def test_a_consumer_shares_the_place_after_a_qr_check(world, shipped):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(f"/01/{world.product.gtin}/21/{world.code(index=2)}").content.decode()
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    refused = client.post("/verify/place", {"token": token, "lat": "north", "lon": "1"})
    assert refused.status_code == 400 and refused.json()["detail"] == "The location is not valid."
    forged = client.post("/verify/place", {"token": token + "x", "lat": "23.1", "lon": "113.3"})
    assert forged.status_code == 400 and "check the code again" in forged.json()["detail"]
    assert not DiversionAlert.objects.exists()
    answer = client.post(
        "/verify/place", {"token": token, "lat": GUANGZHOU[0], "lon": GUANGZHOU[1], "accuracy": 20}
    )
    assert answer.status_code == 200 and answer.json()["detail"].startswith("Thank you")
    assert DiversionAlert.objects.get().epc == shipped[2]


def test_sharing_places_is_limited_per_client(world, shipped, settings):
    from trustlabel.verify import views

    client = Client()
    page = client.get(f"/01/{world.product.gtin}/21/{world.code(index=3)}").content.decode()
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    place = {"token": token, "lat": NANJING[0], "lon": NANJING[1]}
    statuses = [
        client.post("/verify/place", place).status_code
        for _ in range(views.PLACES_PER_CLIENT.count + 1)
    ]
    assert statuses[-2:] == [200, 429]


def test_a_failing_lookup_when_sharing_a_place_is_answered_not_crashed(world, shipped, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("boundary file unreadable")

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(f"/01/{world.product.gtin}/21/{world.code(index=4)}").content.decode()
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    monkeypatch.setattr("trustlabel.trace.diversion.observe", broken)
    answer = client.post("/verify/place", {"token": token, "lat": 23.1, "lon": 113.3})
    assert answer.status_code == 503
    assert "could not be recorded" in answer.json()["detail"]
