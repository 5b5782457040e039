"""Amounts in Chinese capitals (大写金额) and in figures, as decision documents print them."""

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documents.numerals import amount_in_chinese_capitals, format_yuan

CAPITAL_DIGITS = {digit: value for value, digit in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}
FRACTION = re.compile(
    r"(?:(?P<jiao>[壹贰叁肆伍陆柒捌玖])角)?(?:零?(?P<fen>[壹贰叁肆伍陆柒捌玖])分)?"
)


def parse_whole_yuan(words: str) -> int:
    """Read 壹万零壹亿零伍 back as 1000100000005: an independent reader, not the writer reversed."""
    total = below_yi = section = digit = 0
    for character in words:
        if character in CAPITAL_DIGITS:
            digit = CAPITAL_DIGITS[character]
        elif character in SMALL_UNITS:
            section += digit * SMALL_UNITS[character]
            digit = 0
        elif character == "万":
            below_yi += (section + digit) * 10**4
            section = digit = 0
        elif character == "亿":
            total += (below_yi + section + digit) * 10**8
            below_yi = section = digit = 0
        else:
            raise ValueError(f"not a capital numeral: {character}")
    return total + below_yi + section + digit


def parse_capitals(words: str) -> Decimal:
    whole, has_yuan, fraction = words.partition("元")
    if not has_yuan:
        whole, fraction = "", words
    fraction = fraction.removesuffix("整").removeprefix("零")
    match = FRACTION.fullmatch(fraction)
    assert match is not None, words
    jiao = CAPITAL_DIGITS[match["jiao"]] if match["jiao"] else 0
    fen = CAPITAL_DIGITS[match["fen"]] if match["fen"] else 0
    return parse_whole_yuan(whole) + Decimal(jiao) / 10 + Decimal(fen) / 100


amounts_up_to_a_trillion = st.decimals(
    min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False
)


def test_twelve_million_is_written_with_qian_and_bai_before_wan():
    assert amount_in_chinese_capitals(Decimal("12000000")) == "壹仟贰佰万元整"


def test_a_gap_of_zeros_after_wan_is_written_as_one_ling():
    assert amount_in_chinese_capitals(Decimal("10005")) == "壹万零伍元整"


def test_jiao_after_a_zero_units_digit_is_preceded_by_ling_and_not_followed_by_zheng():
    assert amount_in_chinese_capitals(Decimal("1000000.50")) == "壹佰万元零伍角"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # The examples of the People's Bank of China rules for filling in bills.
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("16.15", "壹拾陆元壹角伍分"),
    ],
    ids=lambda value: value,
)
def test_matches_the_pboc_examples(amount, words):
    assert amount_in_chinese_capitals(Decimal(amount)) == words


def test_a_leading_ten_is_written_yi_shi():
    assert amount_in_chinese_capitals(Decimal("100000")) == "壹拾万元整"


def test_zero_within_a_group_is_written_once():
    assert amount_in_chinese_capitals(Decimal("1010")) == "壹仟零壹拾元整"


def test_a_gap_across_the_yi_group_is_written_as_one_ling():
    assert amount_in_chinese_capitals(Decimal("100010000")) == "壹亿零壹万元整"


def test_a_full_wan_group_after_yi_needs_no_ling():
    assert amount_in_chinese_capitals(Decimal("120003000")) == "壹亿贰仟万叁仟元整"


def test_a_trillion_is_written_wan_yi():
    assert amount_in_chinese_capitals(Decimal("1000000000000")) == "壹万亿元整"


def test_wan_inside_the_yi_count_keeps_its_ling():
    assert amount_in_chinese_capitals(Decimal("1000100000000")) == "壹万零壹亿元整"


def test_zero_yuan_is_ling_yuan_zheng():
    assert amount_in_chinese_capitals(Decimal("0")) == "零元整"


def test_less_than_one_yuan_is_written_without_ling_yuan():
    assert amount_in_chinese_capitals(Decimal("0.50")) == "伍角"


def test_fen_alone_is_written_without_ling():
    assert amount_in_chinese_capitals(Decimal("0.05")) == "伍分"


def test_a_zero_jiao_between_yuan_and_fen_is_written_as_ling():
    assert amount_in_chinese_capitals(Decimal("12.05")) == "壹拾贰元零伍分"


def test_trailing_zero_decimal_places_are_accepted():
    assert amount_in_chinese_capitals(Decimal("1.500")) == "壹元伍角"


def test_an_integer_amount_is_accepted():
    assert amount_in_chinese_capitals(20) == "贰拾元整"


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        amount_in_chinese_capitals(Decimal("-1"))


def test_more_than_two_decimal_places_are_refused():
    with pytest.raises(ValueError, match="two decimal places"):
        amount_in_chinese_capitals(Decimal("1.005"))


def test_a_float_is_refused():
    with pytest.raises(TypeError, match="Decimal"):
        amount_in_chinese_capitals(1.5)  # type: ignore[arg-type]


def test_not_a_number_is_refused():
    with pytest.raises(ValueError, match="finite"):
        amount_in_chinese_capitals(Decimal("NaN"))


def test_amounts_of_ten_thousand_trillion_and_more_are_refused():
    with pytest.raises(ValueError, match="beyond"):
        amount_in_chinese_capitals(Decimal(10) ** 16)


@given(amounts_up_to_a_trillion)
def test_capitals_read_back_as_the_same_amount(amount):
    assert parse_capitals(amount_in_chinese_capitals(amount)) == amount


@given(amounts_up_to_a_trillion)
def test_zheng_ends_the_words_exactly_when_there_are_no_jiao_and_fen(amount):
    assert amount_in_chinese_capitals(amount).endswith("整") == (amount == amount.to_integral())


@given(amounts_up_to_a_trillion)
def test_ling_is_never_doubled_nor_placed_before_a_unit(amount):
    words = amount_in_chinese_capitals(amount)
    if words != "零元整":
        assert not re.search("零[零拾佰仟万亿元角分]", words)
        assert not words.endswith("零")


def test_figures_have_the_yuan_sign_thousands_separators_and_two_decimals():
    assert format_yuan(Decimal("12000000")) == "¥12,000,000.00"


def test_figures_of_less_than_one_yuan_keep_the_leading_zero():
    assert format_yuan(Decimal("0.5")) == "¥0.50"


def test_negative_figures_put_the_sign_before_the_yuan_sign():
    assert format_yuan(Decimal("-5")) == "-¥5.00"


def test_figures_refuse_more_than_two_decimal_places():
    with pytest.raises(ValueError, match="two decimal places"):
        format_yuan(Decimal("0.001"))


@given(amounts_up_to_a_trillion)
def test_figures_read_back_as_the_same_amount(amount):
    assert Decimal(format_yuan(amount).removeprefix("¥").replace(",", "")) == amount
