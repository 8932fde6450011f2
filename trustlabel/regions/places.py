"""Where a check took place, and whether that is inside a distributor's sales region.

The interface the rest of TrustLabel uses (trace's diversion checks among them). A place
comes from the browser or device (`gps`, WGS-84), from an inspector (`stated`, a division
code) or from the operator's IP database (`ip`, province level only: an IP address
locates a city at best and is sometimes wrong). Everything here is offline and fast:
the division list and the boundary polygons are read once per process.

Work out the division from the unrounded point when the check happens and store the
code: rounding to 0.01° first moves one point in a hundred into another county. Compare
with `km_outside` against a margin (at least 2 km plus the reported accuracy): a tenth
of real places lie within 1 km of a county border. See docs/research/regions.md.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from . import divisions
from .boundaries import boundaries_of, km_to
from .ipdb import database
from .models import SalesRegion

SOURCES = ("gps", "stated", "ip")


@dataclass(frozen=True)
class Located:
    code: str  # 6-digit GB/T 2260 code of the most specific division found
    level: int  # 1 province, 2 prefecture, 3 county
    source: str  # "gps" (browser/device), "stated" (an inspector said so), "ip"
    accuracy_m: float | None = None


def _boundaries():
    return boundaries_of(tuple(str(path) for path in settings.TRUSTLABEL_BOUNDARY_FILES))


def locate_point(
    lat: float, lon: float, source: str = "gps", accuracy_m: float | None = None
) -> Located | None:
    """The most specific division the loaded boundary files put the WGS-84 point in
    (a province with the shipped file alone); None outside China or off the map."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat + lon):
        return None
    found = [divisions.get(code) for code in _boundaries().codes_at(lat, lon)]
    if not found:
        return None
    best = max(found, key=lambda entry: entry.level)
    return Located(best.code, best.level, source, accuracy_m)


def locate_division(code: str, source: str = "stated") -> Located | None:
    """A place stated as a division code; None for a code not in the list."""
    entry = divisions.get(code.strip())
    return Located(entry.code, entry.level, source) if entry else None


def locate_ip(ip: str) -> Located | None:
    """The province of an IP address by the operator's database (TRUSTLABEL_IP_DB);
    None when none is configured, or the database places the address outside China or
    not at all. Never finer than a province: a county from an IP's city centre means
    nothing."""
    path = settings.TRUSTLABEL_IP_DB
    if not path:
        return None
    record = database(str(path)).lookup(ip)
    if record is None:
        return None
    code = _province_of(record)
    if code is None:
        return None
    accuracy_m = record.accuracy_km * 1000 if record.accuracy_km is not None else None
    return Located(code, 1, "ip", accuracy_m)


# ISO 3166-2:CN letters (GeoIP2 since 2018) -> the GB/T 2260 province prefix.
ISO_PROVINCES = {
    "BJ": "11", "TJ": "12", "HE": "13", "SX": "14", "NM": "15", "LN": "21", "JL": "22",
    "HL": "23", "SH": "31", "JS": "32", "ZJ": "33", "AH": "34", "FJ": "35", "JX": "36",
    "SD": "37", "HA": "41", "HB": "42", "HN": "43", "GD": "44", "GX": "45", "HI": "46",
    "CQ": "50", "SC": "51", "GZ": "52", "YN": "53", "XZ": "54", "SN": "61", "GS": "62",
    "QH": "63", "NX": "64", "XJ": "65",
}  # fmt: skip
# Hong Kong and Macao are countries of their own in IP databases.
COUNTRY_PROVINCES = {"HK": "810000", "MO": "820000"}
# Names IP databases give provinces besides the list's own (English from the list).
PROVINCE_ALIASES = {"tibet": "540000", "nei mongol": "150000", "macau": "820000"}


def _province_of(record) -> str | None:
    if record.country in COUNTRY_PROVINCES:
        return COUNTRY_PROVINCES[record.country]
    if record.country != "CN":
        return None
    sub = (record.subdivision_code or "").upper()
    prefix = ISO_PROVINCES.get(sub) or (sub if sub.isdigit() and len(sub) == 2 else None)
    if prefix and divisions.get(prefix + "0000"):
        return prefix + "0000"
    for name in record.subdivision_names:
        if code := province_named(name):
            return code
    # The flat DB-IP schema may name no province the list knows: its point does.
    if record.lat is not None and record.lon is not None:
        located = locate_point(record.lat, record.lon)
        if located is not None:
            return located.code[:2] + "0000"
    return None


def province_named(name: str) -> str | None:
    """The code of a province by a name an IP database gives it: 广东省, 广东, Guangdong,
    "Jilin Sheng", "Guangxi Zhuangzu Zizhiqu", "Inner Mongolia Autonomous Region"."""
    names = _province_names()
    words = name.strip().lower().split()
    for end in range(len(words), 0, -1):  # the longest leading words that are a name
        if code := names.get(" ".join(words[:end])):
            return code
    return None


@cache
def _province_names() -> dict[str, str]:
    names = dict(PROVINCE_ALIASES)
    for entry in divisions.children(None):
        short = entry.name
        for suffix in ("特别行政区", "自治区", "省", "市"):
            short = short.removesuffix(suffix)
        for ethnic in ("壮族", "回族", "维吾尔"):
            short = short.removesuffix(ethnic)
        names.update({entry.name: entry.code, short: entry.code, entry.name_en.lower(): entry.code})
    return names


def covers(region_codes: Iterable[str], code: str) -> bool:
    """Whether a sales region is `code` or one of its ancestors: a province covers its
    counties, including those directly under it (419001 济源市 is in 410000)."""
    regions = set(region_codes)
    return code in regions or any(entry.code in regions for entry in divisions.chain(code))


def km_outside(region_codes: Iterable[str], lat: float, lon: float) -> float | None:
    """How far the point is from the nearest of the regions, in km (0 inside), by the
    polygons the loaded boundary files have. A region finer than those files (a county
    with the province file alone) is measured by its nearest ancestor that has one; see
    `boundary_code`. None when no region can be measured."""
    boundaries = _boundaries()
    areas = [boundaries.region(code) for code in set(region_codes)]
    distances = [km_to(geometry, lat, lon) for _, geometry in filter(None, areas)]
    return min(distances) if distances else None


def boundary_code(code: str) -> str | None:
    """The division whose polygon `km_outside` measures a region `code` by: the code
    itself when the boundary files resolve it, else an ancestor; None for neither."""
    found = _boundaries().region(code)
    return found[0] if found else None


def place_name(code: str, language: str | None) -> str:
    """The division with its ancestors: 广东省广州市天河区, or in English "Tianhe District,
    Guangzhou, Guangdong"; the code itself when it is not in the list."""
    chain = divisions.chain(code)
    if not chain:
        return code
    if (language or "").lower().startswith("en"):
        return ", ".join(entry.name_en for entry in chain)
    return "".join(entry.name for entry in reversed(chain))


def sales_regions(organisation_id: int) -> list[str]:
    """The organisation's sales region codes, in code order."""
    rows = SalesRegion.objects.filter(organisation_id=organisation_id).order_by("division_id")
    return list(rows.values_list("division_id", flat=True))
