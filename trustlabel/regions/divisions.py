"""The division list in memory: 3,211 rows read once per process from the vendored CSV.

The same file fills the Division table (migration, `trustlabel load_divisions`), so the
map and the table agree for a given release; the map needs no database and serves the
lookups on every check (`covers`, `place_name`) in microseconds.
"""

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DIVISIONS_CSV = DATA_DIR / "divisions.csv"

# Codes that polygon data sets still use for divisions the MCA list has since renamed or
# merged (docs/research/regions.md §2.5), so that an operator's boundary file keeps
# working. Codes not here and not in the list roll up to an ancestor that is.
RENAMED = {
    "320602": "320613",  # 崇川区 (Nantong), recoded 2020
    "421023": "421088",  # 监利县 -> 监利市
    "500105": "500157",  # 江北区 (Chongqing) -> 两江新区
    "500112": "500157",  # 渝北区 (Chongqing) -> 两江新区
    "540422": "540481",  # 米林县 -> 米林市
}


@dataclass(frozen=True, slots=True)
class Entry:
    code: str
    parent: str | None
    level: int
    name: str
    name_en: str


def read_csv(path: Path = DIVISIONS_CSV) -> list[Entry]:
    with open(path, encoding="utf-8", newline="") as f:
        return [
            Entry(
                row["code"], row["parent"] or None, int(row["level"]), row["name"], row["name_en"]
            )
            for row in csv.DictReader(f)
        ]


def provenance() -> dict:
    """Where the list comes from: source table, data_as_of, SHA-256 of the CSV."""
    return json.loads((DATA_DIR / "divisions.provenance.json").read_text(encoding="utf-8"))


@cache
def _index() -> tuple[dict[str, Entry], dict[str | None, list[Entry]]]:
    by_code, children = {}, {}
    for entry in read_csv():
        by_code[entry.code] = entry
        children.setdefault(entry.parent, []).append(entry)
    return by_code, children


def get(code: str) -> Entry | None:
    return _index()[0].get(code)


def children(code: str | None) -> list[Entry]:
    """The divisions directly under `code`, by code; None: the provinces."""
    return _index()[1].get(code, [])


def chain(code: str) -> list[Entry]:
    """The division and its ancestors, most specific first; empty for an unknown code."""
    entries = []
    entry = get(code)
    while entry is not None:
        entries.append(entry)
        entry = get(entry.parent) if entry.parent else None
    return entries


def resolve(code: str) -> str | None:
    """The listed division a code from elsewhere stands for: itself, its new code, or the
    nearest listed ancestor by the digits (a Hong Kong district 810001 -> 810000);
    None when nothing is listed (Taiwan)."""
    if get(code) is not None:
        return code
    code = RENAMED.get(code, code)
    for candidate in (code, code[:4] + "00", code[:2] + "0000"):
        if get(candidate) is not None:
            return candidate
    return None
