"""Identifiers of the Chinese measurement system, checked without I/O.

- GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters, the last a
  check character computed modulo 31 over a 31-character alphabet without I, O, Z, S, V.
- GB/T 2260 administrative division code (行政区划代码): six digits, province XX0000,
  city XXXX00, county XXXXXX.
- JJG / JJF specification codes with their year, e.g. "JJG 443-2023".
"""

from __future__ import annotations

import re

from jiliang.core.errors import ReasonError

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CODE_ALPHABET)}
# Registration authority (first character) and the organisation types it may register.
_CREDIT_AUTHORITIES = set("123456789ANY")


class IdentifierError(ReasonError):
    """An identifier that does not satisfy its standard; the message says why."""


def credit_code_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = 0
    for position, char in enumerate(first17):
        if char not in _CREDIT_VALUE:
            raise IdentifierError(
                f"character {char!r} at position {position + 1} is not allowed "
                "(GB 32100 uses digits and capitals without I, O, Z, S, V)",
                code="credit_code_character",
                char=repr(char),
                position=position + 1,
            )
        total += _CREDIT_VALUE[char] * _CREDIT_WEIGHTS[position]
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """Return the normalised code or raise IdentifierError naming the reason."""
    if not isinstance(code, str):
        raise IdentifierError("must be a string of 18 characters", code="credit_code_not_text")
    code = code.strip().upper()
    if len(code) != 18:
        raise IdentifierError(f"must be 18 characters, got {len(code)}", code="credit_code_length", got=len(code))
    if code[0] not in _CREDIT_AUTHORITIES:
        raise IdentifierError(
            f"registration authority code {code[0]!r} is not defined in GB 32100", code="credit_code_authority", got=repr(code[0])
        )
    if not code[2:8].isdigit():
        raise IdentifierError("characters 3–8 must be the six-digit GB/T 2260 region code", code="credit_code_region")
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            f"check character is {code[17]!r} but should be {expected!r}",
            code="credit_code_check",
            got=repr(code[17]),
            expected=repr(expected),
        )
    return code


def make_credit_code(first17: str) -> str:
    """Complete 17 characters with their check character (used by the demo generator)."""
    return first17 + credit_code_check_character(first17)


REGION_LEVELS = ("province", "city", "county")


def region_level(code: str) -> str:
    """The level of a GB/T 2260 code: province, city or county."""
    if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
        raise IdentifierError("must be a six-digit GB/T 2260 code", code="region_code_format")
    if code[:2] == "00":
        raise IdentifierError("province part 00 does not exist", code="region_code_province")
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def region_parent_code(code: str) -> str | None:
    """The code of the enclosing region, or None for a province."""
    level = region_level(code)
    if level == "province":
        return None
    if level == "city":
        return code[:2] + "0000"
    return code[:4] + "00"


# National (JJG/JJF), local (JJG(京), JJF(浙): issued by a province's administration) and
# departmental (JJG(铁道): by a State Council department) metrology specifications
# (计量法 第十条; 计量法实施细则 第十一条), and GB / GB/T standards used as a method basis.
SPECIFICATION_CODE = re.compile(r"^(?:(JJG|JJF)(?:[(（]([\u4e00-\u9fff]{1,6})[)）])?|(GB(?:/T|/Z)?))\s?(\d+(?:\.\d+)*)-(\d{4})$")
# One-character issuers are provinces (地方计量检定规程/校准规范); longer ones are departments.
PROVINCE_ABBREVIATIONS = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")


def parse_specification_code(code: str) -> tuple[str, str, int]:
    """Split "JJG 443-2023" into ("JJG", "443", 2023); "JJF(浙) 1166-2019" into ("JJF(浙)",
    "1166", 2019); "GB/T 27025-2019" into ("GB/T", "27025", 2019)."""
    match = SPECIFICATION_CODE.match(code.strip() if isinstance(code, str) else "")
    if not match:
        raise IdentifierError(
            'must look like "JJG 443-2023", "JJF 1059.1-2012", a local or departmental code '
            '"JJF(浙) 1166-2019", "JJG(铁道) 123-2010", or a standard "GB/T 27025-2019"',
            code="specification_code_format",
            examples='"JJG 443-2023", "JJF 1059.1-2012", "JJF(浙) 1166-2019", "JJG(铁道) 123-2010", "GB/T 27025-2019"',
        )
    family, issuer, standard, number, year = match.groups()
    if issuer and len(issuer) == 1 and issuer not in PROVINCE_ABBREVIATIONS:
        raise IdentifierError(
            f"{issuer!r} is not a province's abbreviation (a local code reads JJF(浙) …)",
            code="specification_code_issuer",
            issuer=repr(issuer),
            example="JJF(浙) …",
        )
    if not 1950 <= int(year) <= 2100:
        raise IdentifierError(f"year {year} is not plausible", code="specification_code_year", year=year)
    prefix = standard or (f"{family}({issuer})" if issuer else family)
    return prefix, number, int(year)


def specification_scope(code: str) -> str:
    """national, local (a province's), departmental, or standard (GB, GB/T)."""
    prefix, _number, _year = parse_specification_code(code)
    if prefix.startswith("GB"):
        return "standard"
    if "(" not in prefix:
        return "national"
    return "local" if len(prefix) == 6 else "departmental"
