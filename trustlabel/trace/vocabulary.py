"""CBV 2.0 vocabulary values in their three spellings.

EPCIS 2.0 JSON writes standard CBV values as bare words ("shipping"); the same values may
come as URNs (urn:epcglobal:cbv:bizstep:shipping, EPCIS 1.x) or as GS1 Web URIs
(https://ref.gs1.org/cbv/BizStep-shipping). The repository indexes them as the bare word,
so a query finds an event whichever spelling either side used.
"""

import functools
import json
from pathlib import Path

SCHEMA_FILE = Path(__file__).parent / "data" / "epcis" / "EPCIS-JSON-Schema.json"

_URN_PREFIXES = {
    "urn:epcglobal:cbv:bizstep:": "bizstep",
    "urn:epcglobal:cbv:disp:": "disp",
    "urn:epcglobal:cbv:btt:": "btt",
    "urn:epcglobal:cbv:sdt:": "sdt",
    "urn:epcglobal:cbv:er:": "er",
}
_WEB_PREFIXES = {
    "https://ref.gs1.org/cbv/BizStep-": "bizstep",
    "https://ref.gs1.org/cbv/Disp-": "disp",
    "https://ref.gs1.org/cbv/BTT-": "btt",
    "https://ref.gs1.org/cbv/SDT-": "sdt",
    "https://ref.gs1.org/cbv/ER-": "er",
}


def short_cbv(value: str) -> str:
    """The bare CBV word for a standard value in any spelling; anything else unchanged."""
    for prefixes in (_URN_PREFIXES, _WEB_PREFIXES):
        for prefix in prefixes:
            if value.startswith(prefix):
                return value[len(prefix) :]
    return value


@functools.cache
def standard_values(definition: str) -> tuple[str, ...]:
    """The CBV 2.0 values GS1's EPCIS schema lists for `bizStep` or `disposition`."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for option in schema["definitions"][definition]["anyOf"]:
        if "enum" in option:
            return tuple(option["enum"])
    return ()
