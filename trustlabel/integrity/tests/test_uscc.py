import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import uscc

from trustlabel.integrity.uscc import validate_uscc

# Published codes: Lenovo (Beijing), Gree Electric (Zhuhai), Tencent (Shenzhen).
PUBLISHED = ["91110000600037341L", "91440400192548256N", "9144030071526726XG"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_it_accepts_published_codes(code):
    validate_uscc(code)


def refusal(code: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_uscc(code)
    return caught.value


def test_it_says_when_the_length_is_wrong():
    error = refusal("91110000600037341")
    assert error.code == "uscc_length"
    assert error.messages == [
        "91110000600037341 is not a valid unified social credit code: "
        "it has 17 characters instead of 18."
    ]


@pytest.mark.parametrize("code", ["A1110000600037341L", "91110000600037341I", "9111000060003734 L"])
def test_it_says_when_a_character_is_wrong(code):
    error = refusal(code)
    assert error.code == "uscc_characters"
    assert "first 8 characters are digits" in error.messages[0]


def test_it_wants_capitals():
    assert refusal("91110000600037341l").code == "uscc_characters"


def test_it_says_when_the_check_character_is_wrong():
    error = refusal("91110000600037341M")
    assert error.code == "uscc_check"
    assert error.messages == [
        "91110000600037341M is not a valid unified social credit code: "
        "its check character (the last one) does not match the others."
    ]


def test_it_agrees_with_the_check_character_stdnum_computes():
    base = "91440402MA4W1234K"
    validate_uscc(base + uscc.calc_check_digit(base))
