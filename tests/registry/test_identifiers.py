"""GB 32100 credit codes, GB/T 2260 region codes and JJG/JJF codes (pure checks)."""

import pytest

from jiliang.core import identifiers as ids

# Real unified social credit codes, as printed on the companies' business licences.
REAL_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_validate(code):
    assert ids.validate_credit_code(code) == code
    assert ids.validate_credit_code(code.lower()) == code  # normalised to capitals


@pytest.mark.parametrize("code", REAL_CODES)
def test_any_single_changed_character_is_caught(code):
    for position in range(18):
        for replacement in "0A":
            if code[position] == replacement:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(ids.IdentifierError):
                ids.validate_credit_code(changed)


@pytest.mark.parametrize(
    "code, reason",
    [
        ("91440300192203821", "18 characters"),
        ("914403001922038217", "check character is '7' but should be '6'"),
        ("9144030019220382I6", "not allowed"),
        ("Z14403001922038216", "registration authority"),
        ("9144A3001922038216", "region code"),
    ],
)
def test_bad_credit_codes_say_why(code, reason):
    with pytest.raises(ids.IdentifierError, match=reason):
        ids.validate_credit_code(code)


def test_make_credit_code_round_trips():
    assert ids.make_credit_code("91440300192203821") == "914403001922038216"


@pytest.mark.parametrize(
    "code, level, parent", [("330000", "province", None), ("330100", "city", "330000"), ("330106", "county", "330100")]
)
def test_region_levels(code, level, parent):
    assert ids.region_level(code) == level
    assert ids.region_parent_code(code) == parent


@pytest.mark.parametrize("code", ["33010", "3301000", "ABCDEF", "000000"])
def test_bad_region_codes(code):
    with pytest.raises(ids.IdentifierError):
        ids.region_level(code)


def test_specification_codes():
    assert ids.parse_specification_code("JJG 443-2023") == ("JJG", "443", 2023)
    assert ids.parse_specification_code("JJF 1059.1-2012") == ("JJF", "1059.1", 2012)
    for bad in ["GBX 443-2023", "JJG 443", "JJG 443-23", "JJG 443-1800", "JJF(哈) 1-2019"]:
        with pytest.raises(ids.IdentifierError):
            ids.parse_specification_code(bad)


def test_a_bad_credit_code_is_said_in_chinese_and_in_english():
    from jiliang.messages import reason

    with pytest.raises(ids.IdentifierError) as refused:
        ids.validate_credit_code("914403001922038217")
    assert reason(refused.value, "zh-hans") == "校验码为 '7'，应为 '6'"
    assert reason(refused.value, "en") == "check character is '7' but should be '6'"
