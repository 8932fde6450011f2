"""The division list: the MCA's 2025 table as shipped, in memory and in the database."""

import csv
import gzip
import hashlib
import json
from io import StringIO

import pytest
from django.core.management import call_command

from trustlabel.regions import divisions
from trustlabel.regions.actions import do_load_divisions, do_set_sales_regions
from trustlabel.regions.divisions import DATA_DIR, DIVISIONS_CSV
from trustlabel.regions.models import Division


def test_it_ships_the_list_it_says_it_does():
    provenance = divisions.provenance()
    assert provenance["source_table"] == "Xzqh20251231"
    assert provenance["data_as_of"] == "2025-12-31"
    assert provenance["sha256"] == hashlib.sha256(DIVISIONS_CSV.read_bytes()).hexdigest()
    assert provenance["counts_by_level"] == {"1": 33, "2": 333, "3": 2845}


def test_it_has_33_provinces_333_prefectures_and_2845_counties(division_table):
    counts = {level: Division.objects.filter(level=level).count() for level in (1, 2, 3)}
    assert counts == {1: 33, 2: 333, 3: 2845}
    in_memory = [entry.level for entry in divisions.read_csv()]
    assert [in_memory.count(level) for level in (1, 2, 3)] == [33, 333, 2845]


def test_it_links_every_division_to_a_listed_parent_one_level_up_or_more(division_table):
    for entry in divisions.read_csv():
        if entry.level == 1:
            assert entry.parent is None, entry
        else:
            parent = divisions.get(entry.parent)
            assert parent is not None and parent.level < entry.level, entry
    chain = Division.objects.get(code="440106")
    assert [chain.parent.code, chain.parent.parent.code, chain.parent.parent.parent] == [
        "440100",
        "440000",
        None,
    ]


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("419001", "410000"),  # 济源市: county level directly under Henan, no 419000
        ("429021", "420000"),  # 神农架林区
        ("659011", "650000"),  # 新星市, new in 2025
        ("110101", "110000"),  # 东城区: municipalities have no prefecture level
        ("500157", "500000"),  # 两江新区, which took 江北区 and 渝北区
    ],
)
def test_it_follows_the_mca_parents_not_the_digits(code, parent):
    assert divisions.get(code).parent == parent
    assert divisions.get(code[:4] + "00") is None


def test_it_knows_no_retired_or_placeholder_code():
    for code in ("500105", "500112", "419000", "110100", "710000"):
        assert divisions.get(code) is None


@pytest.mark.parametrize(
    ("code", "english"),
    [
        ("140400", "Changzhi"),
        ("140428", "Zhangzi County"),
        ("610000", "Shaanxi"),
        ("140000", "Shanxi"),
        ("150000", "Inner Mongolia"),
        ("540000", "Xizang"),
        ("450000", "Guangxi"),
        ("650000", "Xinjiang"),
        ("650100", "Urumqi"),
        ("150100", "Hohhot"),
        ("540100", "Lhasa"),
        ("810000", "Hong Kong"),
        ("820000", "Macao"),
        ("211300", "Chaoyang"),
        ("371722", "Shan County"),
        ("341621", "Guoyang County"),
        ("141024", "Hongtong County"),
        ("510682", "Shifang"),
        ("511527", "Junlian County"),
        ("410621", "Xun County"),
        ("410122", "Zhongmou County"),
        ("411100", "Luohe"),
        ("540300", "Qamdo"),
        ("510100", "Chengdu"),
        ("360730", "Ningdu County"),
        ("610100", "Xi'an"),
        ("341500", "Lu'an"),
        ("440106", "Tianhe District"),
        ("419001", "Jiyuan"),
        ("513400", "Liangshan Autonomous Prefecture"),
        ("522300", "Qianxinan Autonomous Prefecture"),
        ("450328", "Longsheng Autonomous County"),
        ("150521", "Ke'erqin Left Middle Banner"),
        ("152200", "Hinggan League"),
        ("653100", "Kashgar Prefecture"),
        ("310115", "Pudong New Area"),
        ("441803", "Qingxin District"),
        ("429021", "Shennongjia Forestry District"),
        ("140109", "Wanbolin District"),
        ("141100", "Lüliang"),
    ],
)
def test_it_names_the_tricky_ones_in_english(code, english):
    assert divisions.get(code).name_en == english


def test_it_keeps_every_override_reviewed_against_the_list():
    with open(DATA_DIR / "overrides.csv", encoding="utf-8", newline="") as f:
        overrides = list(csv.DictReader(f))
    assert len(overrides) >= 50
    for row in overrides:
        entry = divisions.get(row["code"])
        assert (entry.name, entry.name_en) == (row["name"], row["name_en"])


def test_it_upserts_the_list_again_and_reports_retired_codes_in_use(division_table, world):
    Division.objects.filter(code="440106").update(name_en="Wrong")
    Division.objects.create(code="500112", name="渝北区", name_en="Yubei District", level=3)
    do_set_sales_regions(world.distributor.organisation, ["500112", "440000"])

    result = do_load_divisions()

    assert result["added"] == 0
    assert result["retired"] == ["500112"]
    assert result["retired_in_use"] == [(world.distributor.organisation.name, "500112")]
    assert Division.objects.get(code="440106").name_en == "Tianhe District"
    assert Division.objects.count() == 3212


def test_it_has_a_command_that_loads_the_list(division_table):
    Division.objects.filter(code="659012").delete()
    out = StringIO()
    call_command("load_divisions", stdout=out)
    assert "1 divisions added, 3210 updated (data as of 2025-12-31)" in out.getvalue()
    assert Division.objects.get(code="659012").name == "白杨市"


def test_it_ships_boundaries_with_their_licence():
    boundaries = DATA_DIR / "boundaries"
    notice = (boundaries / "NOTICE").read_text()
    assert "LGPL" in notice and "DCW-GMT" in notice
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (boundaries / "COPYING.LESSER").read_text()
    with gzip.open(boundaries / "provinces.geojson.gz", "rt") as f:
        codes = {feature["properties"]["code"] for feature in json.load(f)["features"]}
    assert codes == {entry.code for entry in divisions.children(None)}
