"""Place lookup: points, stated divisions and IP addresses, against sales regions."""

import math

import pytest

from trustlabel.regions import places
from trustlabel.regions.actions import do_set_sales_regions
from trustlabel.regions.boundaries import haversine_km
from trustlabel.regions.places import Located

from .conftest import square, write_geojson

# The research memo's five known points (docs/research/regions.md §2.2).
KNOWN_POINTS = [
    ((39.9087, 116.3975), "110000"),  # Tiananmen
    ((31.2304, 121.4737), "310000"),  # People's Square, Shanghai
    ((23.1291, 113.3240), "440000"),  # Tianhe, Guangzhou
    ((30.6598, 104.0657), "510000"),  # Chengdu
    ((43.8256, 87.6168), "650000"),  # Urumqi
]


@pytest.mark.parametrize(("point", "province"), KNOWN_POINTS)
def test_it_places_the_known_points_in_their_province(point, province):
    assert places.locate_point(*point) == Located(province, 1, "gps")


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [(22.2800, 114.1600, "810000"), (22.1900, 113.5400, "820000"), (36.06, 103.83, "620000")],
)
def test_it_places_hong_kong_macao_and_the_interior(lat, lon, code):
    assert places.locate_point(lat, lon).code == code


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(35.68, 139.69), (25.03, 121.56), (0, 0), (91, 0), (math.nan, 100.0), (30.0, 181.0)],
)
def test_it_places_nothing_outside_china_or_off_the_map(lat, lon):
    """Tokyo; Taipei (the MCA list publishes no code for Taiwan); nonsense."""
    assert places.locate_point(lat, lon) is None


def test_it_keeps_the_source_and_accuracy_it_was_given():
    located = places.locate_point(23.1291, 113.3240, source="stated", accuracy_m=35.0)
    assert located == Located("440000", 1, "stated", 35.0)


def test_it_finds_the_county_when_a_county_file_is_configured(with_counties):
    assert places.locate_point(23.15, 113.35) == Located("440106", 3, "gps")
    assert places.locate_point(23.15, 113.25) == Located("440104", 3, "gps")
    # in Guangdong but in neither square: the province, from the shipped file
    assert places.locate_point(23.05, 113.35) == Located("440000", 1, "gps")


def test_it_maps_a_retired_code_of_a_boundary_file_to_the_current_one(with_counties):
    """渝北区 (500112) became part of 两江新区 (500157) in the 2025 list."""
    assert places.locate_point(29.75, 106.65) == Located("500157", 3, "gps")


def test_it_rolls_a_code_missing_from_the_list_up_to_its_parent(settings, tmp_path):
    """A Hong Kong district (Amap's 810001) counts as Hong Kong, and a Taiwan polygon
    as nothing at all."""
    corners = [(114.10, 22.25), (114.20, 22.25), (114.20, 22.30), (114.10, 22.30)]
    taiwan = [(121.5, 25.0), (121.6, 25.0), (121.6, 25.1), (121.5, 25.1)]
    path = write_geojson(
        tmp_path / "hk.geojson", [square("810001", corners), square("710000", taiwan)]
    )
    settings.TRUSTLABEL_BOUNDARY_FILES = [path]
    assert places.locate_point(22.28, 114.15) == Located("810000", 1, "gps")
    assert places.locate_point(25.05, 121.55) is None
    # rolled up for lookups, but a district never stands for all of Hong Kong
    assert places.km_outside(["810000"], 22.28, 114.15) is None


def test_it_measures_zero_inside_a_region():
    assert places.km_outside(["440000"], 23.1291, 113.3240) == 0.0
    assert places.km_outside(["110000", "440000"], 23.1291, 113.3240) == 0.0


def test_it_measures_the_distance_to_the_nearest_region(with_counties):
    # 0.05° east of the 越秀/天河 edge at 23.15°N
    expected = haversine_km(23.15, 113.35, 23.15, 113.30)
    assert 5.0 < expected < 5.2
    assert places.km_outside(["440104"], 23.15, 113.35) == pytest.approx(expected, abs=0.01)
    # the nearer of two regions counts
    assert places.km_outside(["440104", "110000"], 23.15, 113.35) == pytest.approx(
        expected, abs=0.01
    )


def test_it_measures_far_points_on_the_sphere():
    """Changsha is about 300 km north of Guangdong; Beijing's area is 1,800 km away."""
    assert 250 < places.km_outside(["440000"], 28.2282, 112.9388) < 350
    assert 1700 < places.km_outside(["110000"], 23.1291, 113.3240) < 1900


def test_it_measures_a_county_region_by_its_province_without_county_data():
    assert places.boundary_code("440106") == "440000"
    assert places.km_outside(["440106"], 23.05, 113.35) == 0.0
    assert places.km_outside(["440106"], 28.2282, 112.9388) > 250


def test_it_measures_a_county_region_by_its_own_polygon_with_county_data(with_counties):
    assert places.boundary_code("440106") == "440106"
    assert places.km_outside(["440106"], 23.05, 113.35) == pytest.approx(
        haversine_km(23.05, 113.35, 23.10, 113.35), abs=0.01
    )


def test_it_measures_a_division_by_its_children_when_they_cover_it(settings, tmp_path):
    """三沙市 (460300) has two districts; given both, it is their union."""
    xisha = [(111.0, 16.0), (112.0, 16.0), (112.0, 17.0), (111.0, 17.0)]
    nansha = [(112.0, 16.0), (113.0, 16.0), (113.0, 17.0), (112.0, 17.0)]
    path = write_geojson(
        tmp_path / "sansha.geojson", [square("460302", xisha), square("460303", nansha)]
    )
    settings.TRUSTLABEL_BOUNDARY_FILES = [path]
    assert places.boundary_code("460300") == "460300"
    assert places.km_outside(["460300"], 16.5, 112.9) == 0.0
    assert places.km_outside(["460300"], 16.5, 113.5) == pytest.approx(
        haversine_km(16.5, 113.5, 16.5, 113.0), abs=0.01
    )


def test_it_measures_nothing_it_cannot_resolve(settings, county_file):
    settings.TRUSTLABEL_BOUNDARY_FILES = [county_file]  # two districts, no provinces
    assert places.km_outside(["440100"], 23.15, 113.35) is None  # 9 districts missing
    assert places.km_outside(["999999"], 23.15, 113.35) is None
    assert places.km_outside([], 23.15, 113.35) is None
    assert places.boundary_code("440000") is None


@pytest.mark.parametrize(
    ("regions", "code", "covered"),
    [
        (["440000"], "440106", True),
        (["440100"], "440106", True),
        (["440106"], "440106", True),
        (["440106"], "440100", False),  # a county does not cover its city
        (["440100"], "441900", False),  # 东莞 is not in 广州
        (["410000"], "419001", True),  # 济源: under Henan with no city between
        (["110000"], "110105", True),  # 朝阳区 in Beijing
        (["220100"], "110105", False),
        ([], "440106", False),
        (["440000", "110000"], "110101", True),
        (["440000"], "999999", False),
        (["999999"], "999999", True),
    ],
)
def test_it_covers_a_place_by_any_region_above_it(regions, code, covered):
    assert places.covers(regions, code) is covered


def test_it_takes_a_stated_division():
    assert places.locate_division("440106") == Located("440106", 3, "stated")
    assert places.locate_division(" 410000 ", source="gps") == Located("410000", 1, "gps")
    assert places.locate_division("500112") is None  # retired in 2025
    assert places.locate_division("nonsense") is None


@pytest.mark.parametrize(
    ("code", "chinese", "english"),
    [
        ("440106", "广东省广州市天河区", "Tianhe District, Guangzhou, Guangdong"),
        ("110101", "北京市东城区", "Dongcheng District, Beijing"),
        ("419001", "河南省济源市", "Jiyuan, Henan"),
        ("650102", "新疆维吾尔自治区乌鲁木齐市天山区", "Tianshan District, Urumqi, Xinjiang"),
        ("513400", "四川省凉山彝族自治州", "Liangshan Autonomous Prefecture, Sichuan"),
        ("810000", "香港特别行政区", "Hong Kong"),
        ("610100", "陕西省西安市", "Xi'an, Shaanxi"),
    ],
)
def test_it_names_a_place_with_its_ancestors(code, chinese, english):
    assert places.place_name(code, "zh-hans") == chinese
    assert places.place_name(code, "en") == english
    assert places.place_name(code, "en-gb") == english


def test_it_names_an_unknown_code_by_itself():
    assert places.place_name("500112", "en") == "500112"


def test_it_lists_an_organisations_sales_regions(world, division_table):
    organisation = world.distributor.organisation
    assert places.sales_regions(organisation.pk) == []
    do_set_sales_regions(organisation, ["440000", "110101", "419001"])
    assert places.sales_regions(organisation.pk) == ["110101", "419001", "440000"]
    assert places.sales_regions(world.enterprise.organisation.pk) == []


# --- IP addresses: the operator's database ---


def test_it_locates_no_ip_address_without_a_database(settings):
    assert settings.TRUSTLABEL_IP_DB is None
    assert places.locate_ip("192.0.2.1") is None


@pytest.mark.parametrize(
    ("ip", "province"),
    [
        ("192.0.2.7", "440000"),  # ISO 3166-2 letters
        ("192.0.2.200", "220000"),  # numeric code, as in MaxMind's test database
        ("198.51.100.9", "150000"),  # no code, an English name
        ("198.51.100.200", "810000"),  # Hong Kong, a country in IP databases
        ("203.0.113.5", "510000"),  # DB-IP's flat schema, by name
        ("203.0.113.70", "510000"),  # flat, an unknown name but a point
        ("2001:db8::1", "110000"),  # IPv6
    ],
)
def test_it_locates_an_ip_address_to_its_province_only(ip_db, ip, province):
    located = places.locate_ip(ip)
    assert located.code == province
    assert (located.level, located.source) == (1, "ip")


def test_it_passes_on_the_databases_accuracy(ip_db):
    assert places.locate_ip("192.0.2.7").accuracy_m == 20_000
    assert places.locate_ip("203.0.113.5").accuracy_m is None


@pytest.mark.parametrize("ip", ["203.0.113.200", "100.64.0.1", "not an address", ""])
def test_it_locates_no_ip_address_abroad_unknown_or_malformed(ip_db, ip):
    assert places.locate_ip(ip) is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Jilin Sheng", "220000"),
        ("Guangxi Zhuangzu Zizhiqu", "450000"),
        ("Inner Mongolia Autonomous Region", "150000"),
        ("Nei Mongol", "150000"),
        ("Tibet", "540000"),
        ("Shaanxi", "610000"),
        ("Shanxi", "140000"),
        ("广东", "440000"),
        ("宁夏回族自治区", "640000"),
        ("Atlantis", None),
    ],
)
def test_it_knows_provinces_by_the_names_ip_databases_give(name, code):
    assert places.province_named(name) == code
