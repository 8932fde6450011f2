"""GS1 keys as EPC URNs (Tag Data Standard 2.x pure identities) and as GS1 Digital Links.

The repository keeps events as captured and indexes every GS1 key by its canonical Digital
Link (`https://id.gs1.org/...`, GTIN-14, no query): turning a URN into a link needs no
GS1 Company Prefix length, the other way does, and GS1's table of them has gaps. Output
follows the client's `GS1-EPC-Format` (absent: Digital Links). No library on PyPI
translates both ways correctly (docs/trace.md); biip supplies the Company Prefix table and
python-stdnum the check digits.
"""

import functools
import re
from collections.abc import Callable
from urllib.parse import quote, unquote, urlsplit

from biip.gs1_prefixes import GS1CompanyPrefix
from stdnum import ean  # GS1 mod-10 check digit, any length

CANONICAL_BASE = "https://id.gs1.org"


class IdentifierError(ValueError):
    """Not a (supported) EPC URN / GS1 Digital Link, or an invalid one."""


class UnknownCompanyPrefix(IdentifierError):
    """A Digital Link whose GS1 Company Prefix length cannot be found: no URN form."""


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of any number of digits. ASCII digits, the usual case, are
    summed as bytes, five times faster than stdnum (capture checks every serialised GTIN);
    stdnum has the rest, and its errors."""
    if not (digits.isascii() and digits.isdigit()):
        return ean.calc_check_digit(digits)
    odd, even = digits[::-2].encode(), digits[-2::-2].encode()  # weights 3 and 1 from the right
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return str(-total % 10)


# ---------------------------------------------------------------- escaping
# TDS: in EPC URIs, the GS1 AI characters " % & / < > ? must be written as %22 %25 %26
# %2F %3C %3E %3F; the other CSET-82 characters appear literally.
_URN_ESCAPE = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
_CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$")
_CSET39 = re.compile(r"^[#\-/0-9A-Z]*$")


def urn_escape(value: str) -> str:
    return "".join(_URN_ESCAPE.get(c, c) for c in value)


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def urn_unescape(value: str) -> str:
    """Percent-decoding that refuses what is not a valid escape of UTF-8 text."""
    if _BAD_ESCAPE.search(value):
        raise IdentifierError(f"a stray % in {value!r}")
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError as e:
        raise IdentifierError(f"{value!r} does not decode as UTF-8") from e


def dl_escape(value: str) -> str:
    # GS1 Syntax Engine / biip: everything except RFC 3986 unreserved, upper-case hex.
    return quote(value, safe="")


# ---------------------------------------------------------------- GCP lengths
GcpLookup = int | Callable[[str], int | None] | None


def default_gcp_length(key: str) -> int | None:
    """GCP length for the digits that start with the GCP (GTIN-13 body, GLN, ...)."""
    digits = re.match(r"\d*", key).group(0)[:12]
    if not digits:
        return None
    found = GS1CompanyPrefix.extract(digits)
    return len(found.value) if found else None


def _gcp_len(lookup: GcpLookup, key: str) -> int:
    if isinstance(lookup, int):
        n = lookup
    else:
        n = (lookup or default_gcp_length)(key)
        if n is None and lookup is not None:
            n = default_gcp_length(key)
    if n is None:
        raise UnknownCompanyPrefix(f"GS1 Company Prefix length unknown for {key}")
    if not 6 <= n <= 12:
        raise UnknownCompanyPrefix(f"GS1 Company Prefix length {n} outside 6..12")
    return n


# ---------------------------------------------------------------- URN -> DL
_URN = re.compile(r"^urn:epc:(id|class|idpat):([a-z]+):(.*)$")


def _split_gcp(scheme: str, gcp: str, ref: str, total: int) -> None:
    if not (
        gcp.isdigit() and ref.isdigit() and 6 <= len(gcp) <= 12 and len(gcp) + len(ref) == total
    ):
        raise IdentifierError(f"{scheme}: bad company prefix / reference {gcp}.{ref}")


def urn_to_dl(urn: str, *, base: str = CANONICAL_BASE) -> str:
    m = _URN.match(urn)
    if not m:
        raise IdentifierError(f"not an EPC URN: {urn}")
    kind, scheme, body = m.groups()
    nparts = {"sscc": 2, "giai": 2, "gsrn": 2, "gsrnp": 2, "pgln": 2}.get(scheme, 3)
    parts = body.split(".", nparts - 1)  # the last component may itself contain "."
    if len(parts) != nparts:
        raise IdentifierError(f"{scheme}: {nparts} parts separated by '.' expected in {urn}")
    b = base.rstrip("/")

    def val(s: str, charset=_CSET82, maxlen=20) -> str:
        v = urn_unescape(s)
        if not v or len(v) > maxlen or not charset.match(v):
            raise IdentifierError(f"{scheme}: bad value {s!r}")
        return dl_escape(v)

    if (kind in ("id", "idpat") and scheme == "sgtin") or (kind == "class" and scheme == "lgtin"):
        gcp, iref, last = parts
        _split_gcp(scheme, gcp, iref, 13)
        g = iref[0] + gcp + iref[1:]
        gtin = g + check_digit(g)
        if kind == "idpat":
            if last != "*":
                raise IdentifierError("only GCP.IREF.* patterns have a DL form")
            return f"{b}/01/{gtin}"
        if kind == "class":
            return f"{b}/01/{gtin}/10/{val(last)}"
        return f"{b}/01/{gtin}/21/{val(last)}"
    if kind != "id":
        raise IdentifierError(f"unsupported: {urn}")
    if scheme == "sscc":
        gcp, ser = parts
        _split_gcp(scheme, gcp, ser, 17)
        s = ser[0] + gcp + ser[1:]
        return f"{b}/00/{s}{check_digit(s)}"
    if scheme in ("sgln",):
        gcp, loc, ext = parts
        _split_gcp(scheme, gcp, loc, 12)
        gln = gcp + loc + check_digit(gcp + loc)
        return f"{b}/414/{gln}" if ext == "0" else f"{b}/414/{gln}/254/{val(ext)}"
    if scheme == "pgln":
        gcp, party = parts
        _split_gcp(scheme, gcp, party, 12)
        return f"{b}/417/{gcp}{party}{check_digit(gcp + party)}"
    if scheme == "grai":
        gcp, atype, ser = parts
        _split_gcp(scheme, gcp, atype, 12)
        k = "0" + gcp + atype
        return f"{b}/8003/{k}{check_digit(k)}{val(ser, maxlen=16)}"
    if scheme == "giai":
        gcp, ref = parts
        v = urn_unescape(ref)
        if not gcp.isdigit() or len(gcp) + len(v) > 30:
            raise IdentifierError(urn)
        return f"{b}/8004/{gcp}{dl_escape(v)}"
    if scheme in ("gsrn", "gsrnp"):
        gcp, ref = parts
        _split_gcp(scheme, gcp, ref, 17)
        ai = "8018" if scheme == "gsrn" else "8017"
        return f"{b}/{ai}/{gcp}{ref}{check_digit(gcp + ref)}"
    if scheme == "gdti":
        gcp, dtype, ser = parts
        _split_gcp(scheme, gcp, dtype, 12)
        k = gcp + dtype
        return f"{b}/253/{k}{check_digit(k)}{val(ser, maxlen=17)}"
    if scheme == "sgcn":
        gcp, cref, ser = parts
        _split_gcp(scheme, gcp, cref, 12)
        if not ser.isdigit() or len(ser) > 12:
            raise IdentifierError(urn)
        k = gcp + cref
        return f"{b}/255/{k}{check_digit(k)}{ser}"
    if scheme == "cpi":
        gcp, cpref, ser = parts
        ref = urn_unescape(cpref)
        if not _CSET39.match(ref) or len(gcp) + len(ref) > 30 or not ser.isdigit():
            raise IdentifierError(urn)
        return f"{b}/8010/{gcp}{dl_escape(ref)}/8011/{ser}"
    raise IdentifierError(f"unsupported scheme {scheme}")


# ---------------------------------------------------------------- DL -> URN
_KEYS = ("00", "01", "253", "255", "414", "417", "8003", "8004", "8010", "8017", "8018")


def parse_dl(uri: str) -> tuple[str, list[tuple[str, str]]]:
    """(base, [(ai, decoded value), ...]) for the path; query string and fragment dropped."""
    try:
        u = urlsplit(uri)
    except ValueError as e:
        raise IdentifierError(f"not a URI: {uri}") from e
    if u.scheme not in ("http", "https") or not u.netloc:
        raise IdentifierError(f"not a web URI: {uri}")
    segs = u.path.split("/")[1:]
    for i, s in enumerate(segs):
        if s in _KEYS and (len(segs) - i) % 2 == 0:
            break
    else:
        raise IdentifierError(f"no GS1 primary key in {uri}")
    base = f"{u.scheme}://{u.netloc}" + ("/" + "/".join(segs[:i]) if i else "")
    pairs = [(segs[j], urn_unescape(segs[j + 1])) for j in range(i, len(segs), 2)]
    if any(not value for _, value in pairs):
        raise IdentifierError(f"an empty value in {uri}")
    return base, pairs


def dl_to_urn(uri: str, *, gcp_length: GcpLookup = None) -> str:
    _, pairs = parse_dl(uri)
    ai, key = pairs[0]
    q = dict(pairs[1:])
    quals = [a for a, _ in pairs[1:]]

    def need_check(k: str) -> None:
        if not k.isdigit() or k[-1] != check_digit(k[:-1]):
            raise IdentifierError(f"bad check digit in ({ai}) {k}")

    if ai == "01":
        if len(key) in (8, 12, 13):
            key = key.zfill(14)
        if len(key) != 14:
            raise IdentifierError(uri)
        need_check(key)
        n = _gcp_len(gcp_length, key[1:13])
        gcp, iref = key[1 : 1 + n], key[0] + key[1 + n : 13]
        if "21" in q:  # (22)/(10) qualifiers before 21 are dropped: not part of the SGTIN
            return f"urn:epc:id:sgtin:{gcp}.{iref}.{urn_escape(q['21'])}"
        if quals == ["10"]:
            return f"urn:epc:class:lgtin:{gcp}.{iref}.{urn_escape(q['10'])}"
        if not quals:
            return f"urn:epc:idpat:sgtin:{gcp}.{iref}.*"
        raise IdentifierError(f"no EPC for qualifiers {quals}")
    if ai == "00":
        if len(key) != 18:
            raise IdentifierError(uri)
        need_check(key)
        n = _gcp_len(gcp_length, key[1:17])
        return f"urn:epc:id:sscc:{key[1 : 1 + n]}.{key[0]}{key[1 + n : 17]}"
    if ai in ("414", "417"):
        if len(key) != 13:
            raise IdentifierError(uri)
        need_check(key)
        n = _gcp_len(gcp_length, key[:12])
        if ai == "417":
            return f"urn:epc:id:pgln:{key[:n]}.{key[n:12]}"
        ext = q.get("254", "0")
        return f"urn:epc:id:sgln:{key[:n]}.{key[n:12]}.{urn_escape(ext)}"
    if ai == "8003":
        k, ser = key[:14], key[14:]
        if key[0] != "0" or len(k) != 14:
            raise IdentifierError(uri)
        need_check(k)
        n = _gcp_len(gcp_length, k[1:13])
        if not ser:
            return f"urn:epc:idpat:grai:{k[1 : 1 + n]}.{k[1 + n : 13]}.*"
        return f"urn:epc:id:grai:{k[1 : 1 + n]}.{k[1 + n : 13]}.{urn_escape(ser)}"
    if ai == "8004":
        n = _gcp_len(gcp_length, key)
        return f"urn:epc:id:giai:{key[:n]}.{urn_escape(key[n:])}"
    if ai in ("8017", "8018"):
        if len(key) != 18:
            raise IdentifierError(uri)
        need_check(key)
        n = _gcp_len(gcp_length, key)
        s = "gsrn" if ai == "8018" else "gsrnp"
        return f"urn:epc:id:{s}:{key[:n]}.{key[n:17]}"
    if ai == "253":
        k, ser = key[:13], key[13:]
        need_check(k)
        n = _gcp_len(gcp_length, k)
        if not ser:
            return f"urn:epc:idpat:gdti:{k[:n]}.{k[n:12]}.*"
        return f"urn:epc:id:gdti:{k[:n]}.{k[n:12]}.{urn_escape(ser)}"
    if ai == "255":
        k, ser = key[:13], key[13:]
        need_check(k)
        n = _gcp_len(gcp_length, k)
        if not ser:
            return f"urn:epc:idpat:sgcn:{k[:n]}.{k[n:12]}.*"
        return f"urn:epc:id:sgcn:{k[:n]}.{k[n:12]}.{ser}"
    if ai == "8010":
        n = _gcp_len(gcp_length, key)
        ref = key[n:].replace("#", "%23").replace("/", "%2F")
        if "8011" not in q:
            return f"urn:epc:idpat:cpi:{key[:n]}.{ref}.*"
        return f"urn:epc:id:cpi:{key[:n]}.{ref}.{q['8011']}"
    raise IdentifierError(f"unsupported key ({ai})")


# The fixed-length part of each key that ends in a check digit.
_CHECKED_LENGTHS = {"01": 14, "00": 18, "414": 13, "417": 13, "8017": 18, "8018": 18}
_CHECKED_PREFIXES = {"8003": 14, "253": 13, "255": 13}


def _check_key(ai: str, value: str) -> None:
    length = _CHECKED_LENGTHS.get(ai)
    if length is not None and len(value) != length:
        raise IdentifierError(f"({ai}) {value}: {length} digits expected")
    length = length or _CHECKED_PREFIXES.get(ai)
    if length is not None:
        key = value[:length]
        if len(key) != length or not key.isdigit() or key[-1] != check_digit(key[:-1]):
            raise IdentifierError(f"bad check digit in ({ai}) {value}")


def is_urn(s: str) -> bool:
    return s.startswith("urn:epc:")


# Keys that are canonical already, the usual case in a capture: a serialised GTIN or an
# SSCC on id.gs1.org, with only unreserved characters in the serial (nothing to escape).
_CANONICAL_ALREADY = re.compile(
    r"https://id\.gs1\.org/(?:01/(\d{14})/21/[A-Za-z0-9\-._~]{1,20}|00/(\d{18}))"
)


@functools.lru_cache(maxsize=4096)
def _check_digit_right(key: str) -> bool:
    """Whether a GTIN-14 or SSCC ends in its check digit. Cached apart from canonical():
    the serials of one product differ, its GTIN does not."""
    return key[-1] == check_digit(key[:-1])


def canonical(s: str) -> str:
    """GCP-free matching key: the canonical DL (id.gs1.org, GTIN-14, no query)."""
    key = _canonical_or_error(s)
    if isinstance(key, IdentifierError):
        raise type(key)(*key.args)  # a new one each time: a raised error keeps its frames
    return key


@functools.lru_cache(maxsize=1 << 16)
def _canonical_or_error(s: str) -> str | IdentifierError:
    """canonical(s), or why s is not a GS1 key: cached either way, so that a value met
    again (in the event hash, then as an index key) is read once, whatever it is. The
    error is kept without the frames it was raised in."""
    try:
        return _canonical(s)
    except IdentifierError as error:
        return type(error)(*error.args)


def _canonical(s: str) -> str:
    ready = _CANONICAL_ALREADY.fullmatch(s)
    if ready and _check_digit_right(ready[1] or ready[2]):
        return s
    if is_urn(s):
        return urn_to_dl(s)
    _, pairs = parse_dl(s)
    ais = [a for a, _ in pairs]
    # keep only the EPC level: drop CPV (22), and the lot (10) when a serial (21) follows
    pairs = [(a, v) for a, v in pairs if a != "22" and not (a == "10" and "21" in ais)]
    # re-render on id.gs1.org with the DL percent-encoding; zero-pad GTINs
    out = []
    for ai, v in pairs:
        if ai == "01" and len(v) in (8, 12, 13):
            v = v.zfill(14)
        _check_key(ai, v)
        out.append(f"/{ai}/{dl_escape(v)}")
    return CANONICAL_BASE + "".join(out)


def for_output(
    s: str, epc_format: str = "Always_GS1_Digital_Link", *, gcp_length: GcpLookup = None
) -> str:
    if epc_format == "Never_Translates":
        return s
    if epc_format == "Always_EPC_URN":
        if is_urn(s):
            return s
        try:
            return dl_to_urn(s, gcp_length=gcp_length)
        except UnknownCompanyPrefix:
            return s  # no URN possible: give it back as captured
    # Always_GS1_Digital_Link (the default when the header is absent) and No_Preference
    return urn_to_dl(s) if is_urn(s) else s


def epc_key(value: str) -> str:
    """The key the repository indexes an identifier by: the canonical Digital Link of a GS1
    key (URN or link), any other URI as it is."""
    key = _canonical_or_error(value)
    return value if isinstance(key, IdentifierError) else key
