"""EPC URNs and GS1 Digital Links, both ways (Tag Data Standard 2.x).

Pairs from GS1's EPCIS examples (where both files name the same object), from the TDS's
examples on its GS1 Company Prefix 0614141, escaping cases, and our own labels' SGTINs.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import ean

from trustlabel.trace import identifiers
from trustlabel.trace.identifiers import (
    IdentifierError,
    UnknownCompanyPrefix,
    canonical,
    check_digit,
    dl_to_urn,
    epc_key,
    for_output,
    urn_to_dl,
)

PAIRS = [
    ("urn:epc:idpat:sgtin:4012345.098765.*", "https://id.gs1.org/01/04012345987652"),
    ("urn:epc:class:lgtin:4012345.012345.998877", "https://id.gs1.org/01/04012345123456/10/998877"),
    ("urn:epc:class:lgtin:0614141.077777.987", "https://id.gs1.org/01/00614141777778/10/987"),
    ("urn:epc:id:giai:4000001.111", "https://id.gs1.org/8004/4000001111"),
    ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
    ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
    ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"),
    ("urn:epc:id:sgln:0012345.11111.0", "https://id.gs1.org/414/0012345111112"),
    ("urn:epc:id:grai:4012345.55555.987", "https://id.gs1.org/8003/04012345555554987"),
    ("urn:epc:id:gsrn:0614141.0000010253", "https://id.gs1.org/8018/061414100000102534"),
    ("urn:epc:id:gdti:0614141.00001.1618034", "https://id.gs1.org/253/06141410000121618034"),
    ("urn:epc:id:pgln:4012345.00225", "https://id.gs1.org/417/4012345002256"),
    ("urn:epc:id:sgtin:0614141.812345.6789", "https://id.gs1.org/01/80614141123458/21/6789"),
    ("urn:epc:id:sgcn:4012345.67890.04711", "https://id.gs1.org/255/401234567890104711"),
    (
        "urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345",
        "https://id.gs1.org/8010/06141415PQ7%2FZ43/8011/12345",
    ),
    (
        "urn:epc:id:sgtin:0614141.812345.ABC%2F1%252",
        "https://id.gs1.org/01/80614141123458/21/ABC%2F1%252",
    ),
    (
        "urn:epc:id:sgtin:0614141.812345.A!B(C)*+,:;='",
        "https://id.gs1.org/01/80614141123458/21/A%21B%28C%29%2A%2B%2C%3A%3B%3D%27",
    ),
    ("urn:epc:id:sgtin:0614141.812345.x-y_z.1", "https://id.gs1.org/01/80614141123458/21/x-y_z.1"),
    (
        "urn:epc:id:sgtin:6901234.056789.00000000000000000001",
        "https://id.gs1.org/01/06901234567892/21/00000000000000000001",
    ),
    ("urn:epc:id:sgtin:95060001343.05.X1", "https://id.gs1.org/01/09506000134352/21/X1"),
]


@pytest.mark.parametrize(("urn", "link"), PAIRS)
def test_it_translates_both_ways(urn, link):
    assert urn_to_dl(urn) == link
    assert dl_to_urn(link) == urn
    assert epc_key(urn) == epc_key(link) == link


@pytest.mark.parametrize(
    ("link", "urn"),
    [
        (
            "https://verify.example.org/01/06901234567892/21/18466336470967229231?17=271231",
            "urn:epc:id:sgtin:6901234.056789.18466336470967229231",
        ),
        ("https://id.gs1.org/01/6901234567892/21/7", "urn:epc:id:sgtin:6901234.056789.7"),
        ("https://example.com/253/4012345000054987", "urn:epc:id:gdti:4012345.00005.987"),
    ],
)
def test_it_reads_links_on_any_host(link, urn):
    assert dl_to_urn(link) == urn


@pytest.mark.parametrize(
    "link",
    [
        "https://id.gs1.org/01/06961234567896/21/1",  # GS1 China 6961: not in GS1's table
        "https://id.gs1.org/01/02012345678903/21/1",  # a restricted circulation number
    ],
)
def test_it_does_not_guess_an_unknown_company_prefix(link):
    with pytest.raises(UnknownCompanyPrefix):
        dl_to_urn(link)
    assert for_output(link, "Always_EPC_URN") == link  # given back as captured


@pytest.mark.parametrize(
    "value",
    [
        "urn:epc:id:sgtin:0614141.812345",  # no serial
        "https://id.gs1.org/01/06901234567893/21/1",  # wrong check digit
        "urn:epc:idpat:sgtin:0614141.*.*",  # no Digital Link form
        "urn:epc:id:sgtin:0614141.107346.%FF",  # not UTF-8
        "urn:epc:id:sgtin:0614141.107346.%zz",  # not an escape
        "http://[abc/01/09506000134352",  # not a URI
        "https://example.com/8004/",  # no key
        "https://example.com/01/09506000134352/21/%E2%82",  # not UTF-8
    ],
)
def test_it_refuses_what_is_not_a_key(value):
    with pytest.raises(IdentifierError):
        canonical(value)


def test_other_identifiers_are_kept_as_they_are():
    for value in ("urn:uuid:0c7e4d6e-63b9-4d0c-8d5e-8f0a1a7e2d11", "https://example.org/x"):
        assert epc_key(value) == value


def test_output_follows_the_clients_format():
    urn, link = PAIRS[4]
    assert for_output(urn) == link  # no header: Digital Links
    assert for_output(link, "Always_EPC_URN") == urn
    assert for_output(urn, "Never_Translates") == urn


@given(st.text(alphabet="0123456789", max_size=20))
def test_check_digits_are_stdnums(digits):
    assert check_digit(digits) == ean.calc_check_digit(digits)


@pytest.mark.parametrize("digits", ["０６９０１２３４５６７８９", "069012345678x"])
def test_check_digits_of_other_characters_are_stdnums_too(digits):
    try:
        expected = ean.calc_check_digit(digits)
    except ValueError:
        with pytest.raises(ValueError):
            check_digit(digits)
    else:
        assert check_digit(digits) == expected


def test_a_canonical_link_needs_its_check_digit_every_time():
    good = "https://id.gs1.org/01/06901234567892/21/1"
    assert canonical(good) == good
    with pytest.raises(IdentifierError):
        canonical(good.replace("92/21/1", "93/21/1"))  # its check digit cached, this one wrong


def test_a_value_that_is_not_a_key_is_read_once(monkeypatch):
    """What is not a GS1 key is remembered as such: an invalid SSCC in an event is read
    for its hash and then for its index key, and each reading cost 20 microseconds."""
    identifiers._canonical_or_error.cache_clear()
    readings = []
    read = identifiers._canonical
    monkeypatch.setattr(identifiers, "_canonical", lambda s: readings.append(s) or read(s))
    bad = "https://id.gs1.org/00/106141412345678907"  # its check digit is 8
    for _ in range(2):
        with pytest.raises(IdentifierError, match="check digit"):
            canonical(bad)
        assert epc_key(bad) == bad
    assert readings == [bad]
    assert identifiers._canonical_or_error(bad).__traceback__ is None  # no frames kept


@given(
    st.builds(
        str.__add__,
        st.sampled_from(
            [
                "urn:epc:id:sscc:",
                "urn:epc:id:sgtin:",
                "urn:epc:id:sgln:",
                "urn:epc:class:lgtin:",
                "urn:epc:id:pgln:",
                "urn:epc:idpat:sgtin:",
                "https://id.gs1.org/",
                "https://x.org/01/",
            ]
        ),
        st.text(alphabet="0123456789.*/%AZaz-", max_size=40),
    )
)
@settings(max_examples=500)
def test_anything_that_looks_like_a_key_is_read_or_refused_as_such(text):
    """No input makes the translation fail otherwise than with IdentifierError, which
    callers turn into a message naming the field."""
    try:
        key = epc_key(text)
    except IdentifierError:
        return
    assert key == epc_key(key)  # a key read is canonical
