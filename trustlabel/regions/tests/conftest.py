"""Fixtures of the regions tests: the division table, a tiny county boundary file and a
tiny IP database, all made here (no file from outside the repository)."""

import json

import pytest
from mmdb_writer import MmdbF64, MmdbU16, MMDBWriter
from netaddr import IPSet

from trustlabel.regions.actions import do_load_divisions
from trustlabel.regions.models import Division

# Two adjacent 0.1° squares in Guangzhou with the codes of real districts: 越秀区 to the
# west of 113.30°E, 天河区 to the east (not their real shapes), and one in Chongqing
# under a code the MCA list has retired (渝北区, now part of 两江新区).
YUEXIU = [(113.20, 23.10), (113.30, 23.10), (113.30, 23.20), (113.20, 23.20)]
TIANHE = [(113.30, 23.10), (113.40, 23.10), (113.40, 23.20), (113.30, 23.20)]
YUBEI = [(106.60, 29.70), (106.70, 29.70), (106.70, 29.80), (106.60, 29.80)]


def square(code: str, corners) -> dict:
    ring = [list(corner) for corner in [*corners, corners[0]]]
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def write_geojson(path, features) -> str:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return str(path)


@pytest.fixture
def division_table(db):
    """The division table, as the migration filled it; reloaded if a test that flushes
    the database (a browser test) ran before on this worker."""
    if not Division.objects.exists():
        do_load_divisions()


@pytest.fixture
def county_file(tmp_path) -> str:
    return write_geojson(
        tmp_path / "counties.geojson",
        [square("440104", YUEXIU), square("440106", TIANHE), square("500112", YUBEI)],
    )


@pytest.fixture
def with_counties(settings, county_file):
    """The shipped province boundaries and the county squares."""
    settings.TRUSTLABEL_BOUNDARY_FILES = [*settings.TRUSTLABEL_BOUNDARY_FILES, county_file]


def city_record(subdivision: str, names: dict, lat: float, lon: float) -> dict:
    """A GeoIP2 City record (MaxMind's schema, typed as geoip2 expects)."""
    return {
        "country": {"iso_code": "CN", "names": {"en": "China", "zh-CN": "中国"}},
        "subdivisions": [{"iso_code": subdivision, "names": names}],
        "location": {
            "latitude": MmdbF64(lat),
            "longitude": MmdbF64(lon),
            "accuracy_radius": MmdbU16(20),
        },
    }


@pytest.fixture
def ip_db(tmp_path, settings) -> str:
    """A tiny IP database of the documentation ranges (RFC 5737, RFC 3849), in both
    schemas in use, configured as the operator's."""
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-City",
        languages=["en", "zh-CN"],
        description={"en": "TrustLabel test City DB", "zh-CN": "TrustLabel 测试库"},
    )
    networks = {
        # GeoIP2, letter subdivision code: Guangdong
        "192.0.2.0/25": city_record("GD", {"zh-CN": "广东省"}, 23.1291, 113.3240),
        # GeoIP2, old numeric code (as in MaxMind's own test database): Jilin
        "192.0.2.128/25": city_record("22", {"en": "Jilin Sheng", "zh-CN": "吉林"}, 43.88, 125.32),
        # GeoIP2 without a subdivision code, named only
        "198.51.100.0/25": city_record("", {"en": "Inner Mongolia"}, 40.84, 111.75),
        # Hong Kong is a country of its own in IP databases
        "198.51.100.128/25": {"country": {"iso_code": "HK"}},
        # DB-IP City Lite repackaged: flat, English province name
        "203.0.113.0/26": {"country_code": "CN", "state1": "Sichuan", "city": "Chengdu"},
        # flat, a province name nobody uses, but a point: found by the point (Chengdu)
        "203.0.113.64/26": {
            "country_code": "CN",
            "state1": "Somewhere",
            "latitude": MmdbF64(30.6598),
            "longitude": MmdbF64(104.0657),
        },
        # abroad
        "203.0.113.128/25": {"country_code": "GB", "city": "London"},
        "2001:db8::/32": city_record("BJ", {"zh-CN": "北京市"}, 39.9087, 116.3975),
    }
    for network, record in networks.items():
        writer.insert_network(IPSet([network]), record)
    path = str(tmp_path / "city.mmdb")
    writer.to_db_file(path)
    settings.TRUSTLABEL_IP_DB = path
    return path
