"""Masking of personal data before it leaves ``analytics/``: names, phones, ID numbers,
addresses and the phones and ID numbers inside free text.

The rules, each with its reason:

- **Name**: the surname stays (张三 → 张*, 欧阳娜娜 → 欧阳**: a 4+-character name keeps 2);
  an honorific after it (先生, 女士, 老师 …) and a note in brackets ((业主)) stay; every
  digit in a name cell is hidden (李四 13812341234 → 李* ***********).
- **Mobile**: the first 3 and last 4 digits, whatever the separators or country code
  (+86 138-1234-1234, (+86)13812341234, 138 1234 1234 → 138****1234).
- **Other phones** (landlines, short numbers): only the last 4 digits (023-6789 1234 →
  *******1234).
- **Resident ID** (18 characters, the last may be X, or the old 15 digits): the first 3
  (the province and city, shared by millions) and the check character; the birth date and
  sequence are hidden (50010119900307123X → 500**************X).
- **Address**: numerals (Arabic, full-width or Chinese) directly before 号 栋 幢 座 楼 单元
  室 层 户 弄 排 组 门 房 # and the numbers that end the address are hidden; numerals
  elsewhere belong to place names (五一路, 201国道) and stay. An address without Chinese
  characters (123 Main St) has every digit hidden, since its house number comes first.
- **Free text** (``mask_text``): every mobile, landline with an area code and ID number;
  dates, amounts and other numbers stay (2024-05-01, 300元, 第7网格). Descriptions also
  hide house numbers (``mask_description``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

import pandas as pd

# ---------------------------------------------------------------- patterns

# Spaces, and at most one dash or dot, between the digit groups of a phone number.
_GAP = r"[ \t\u00a0\u3000]*[-‐–—－.．·]?[ \t\u00a0\u3000]*"
# The country code before a phone number: +86, 0086, (+86), or 86 written straight on.
_COUNTRY = rf"(?:[(（]\s*(?:\+|00)?86\s*[)）]{_GAP}|(?:\+|00)86{_GAP}|86)"
# A mobile number, 1[3-9]x xxxx xxxx, grouped 3-4-4 by any separator.
_MOBILE = re.compile(
    rf"(?<![\d+])(?:{_COUNTRY})?(?P<head>1[3-9]\d){_GAP}\d{{4}}{_GAP}(?P<tail>\d{{4}})(?!\d)"
)
# A landline with its area code: 023-6789 1234, (023)67891234, +86 23 6789 1234.
_LANDLINE = re.compile(
    rf"(?<![\d+])(?:(?:\+|00)86{_GAP})?"
    rf"(?P<number>[(（]?0?\d{{2,3}}[)）]?{_GAP}\d{{3,4}}{_GAP}\d{{4}})(?!\d)"
)
# A resident ID number: 18 characters (maybe spaced 6-8-4, the last maybe X) or 15 digits.
_ID_NUMBER = re.compile(
    r"(?<!\d)(?P<head>\d{3})(?P<hidden>\d{3} ?\d{8} ?\d{3}|\d{11})(?P<last>[\dXx])(?!\d)"
)
# A cell holding one phone number and nothing else: digits, separators, brackets, a plus.
_NUMBER_ONLY = re.compile(r"[\d\s+()（）\-‐–—－.．·]*\d[\d\s+()（）\-‐–—－.．·]*")
# The international prefix at the start of a phone cell: +86, 0086, (+86).
_COUNTRY_START = re.compile(r"^[(（]?\s*(?:\+|00)86\s*[)）]?")
# A run of 5 or more digits: a number too long to show whole.
_LONG_NUMBER = re.compile(r"\d{5,}")

# Digits in any script and Chinese numerals, as house numbers are written.
_NUMERAL = r"\d一二三四五六七八九十百千零〇两壹贰叁肆伍陆柒捌玖拾佰"
_LETTER = r"A-Za-zＡ-Ｚａ-ｚ"
# One building, unit or room number: 12, 十二, ２, 12A, A12, or a lone letter (A栋).
_HOUSE = rf"(?:[{_LETTER}]?[{_NUMERAL}]+[{_LETTER}]?|[{_LETTER}])"
# Numbers joined by dashes or slashes (3-2-501), not the tail of a longer number, of a number
# already masked (138****1234) or of a date (5月1号).
_HOUSE_RUN = rf"(?<![{_NUMERAL}{_LETTER}月*]){_HOUSE}(?:[-－—/]{_HOUSE})*"
# What follows a house number in an address.
_ADDRESS_MARK = r"号(?![线码])|栋|幢|座|楼|单元|室|层|户|弄|排|组|门|房|#|＃"
# What follows a house number in free text (层 户 组 are counts there: 200户, 3层).
_TEXT_MARK = r"号(?![线码])|栋|幢|座|单元|室|#|＃"
# A house number directly before an address word: 桂花路[12]号[3]栋[2]单元.
_ADDRESS_NUMBER = re.compile(rf"{_HOUSE_RUN}(?=\s*(?:{_ADDRESS_MARK}))")
# The same in free text.
_TEXT_NUMBER = re.compile(rf"{_HOUSE_RUN}(?=\s*(?:{_TEXT_MARK}))")
# Numbers that end an address (…2单元[501], …小区[3-2-501]), before any closing punctuation.
_TRAILING_NUMBER = re.compile(
    rf"(?<![{_NUMERAL}{_LETTER}*])[{_LETTER}]?[{_NUMERAL}]+[{_LETTER}]?"
    rf"(?:[\s\-－—/#＃]+[{_LETTER}]?[{_NUMERAL}]+[{_LETTER}]?)*(?=[\s,，.。]*$)"
)
# A character of a house number, hidden one for one.
_HOUSE_CHAR = re.compile(rf"[{_NUMERAL}{_LETTER}]")
# A Chinese character: an address without one is written the Western way.
_HAN = re.compile(r"[\u3400-\u9fff]")

# A note in brackets after a name, kept: 张三(业主).
_BRACKETED = re.compile(r"([(（\[【][^)）\]】]*[)）\]】])")
# A Chinese name (with the · of transliterated names) or a Latin word.
_NAME_WORD = re.compile(r"[\u3400-\u9fff·•・]+|[A-Za-z]+")
# Words after a surname that are no part of the name, kept: 王先生, 欧阳娜娜女士.
HONORIFICS = ("先生", "女士", "小姐", "老师", "师傅", "阿姨", "大爷", "大妈", "大姐", "大哥",
              "同志", "奶奶", "爷爷", "经理", "主任", "书记")  # fmt: skip


def _blank(value: object) -> bool:
    return (
        value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip()
    )


def _is_text(dtype) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _stars(match: re.Match) -> str:
    return _HOUSE_CHAR.sub("*", match.group())


# ---------------------------------------------------------------- names


def _masked_given_name(word: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳**, 王五先生 → 王*先生, John → J***."""
    if word.isascii():
        return word[0] + "*" * (len(word) - 1)
    suffix = next((h for h in HONORIFICS if word.endswith(h)), "")
    name = word[: len(word) - len(suffix)]
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * max(len(name) - keep, 0) + suffix


def _mask_names(text: str) -> str:
    """Every name-like word of ``text`` masked; notes in brackets left as they are."""
    parts = _BRACKETED.split(text)
    for i in range(0, len(parts), 2):  # the odd parts are the bracketed notes
        parts[i] = _NAME_WORD.sub(lambda m: _masked_given_name(m.group()), parts[i])
    return "".join(parts)


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜女士 → 欧阳**女士, 张三(业主) → 张*(业主); no digit is shown."""
    if _blank(name):
        return None
    return _mask_names(re.sub(r"\d", "*", str(name).strip()))


# ---------------------------------------------------------------- phones and ID numbers


def _mobile_masked(match: re.Match) -> str:
    return f"{match['head']}****{match['tail']}"


def _last_4(digits: str) -> str:
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def _landline_masked(match: re.Match) -> str:
    return _last_4(re.sub(r"\D", "", match["number"]))


def _id_masked(match: re.Match) -> str:
    return match["head"] + "*" * len(match["hidden"].replace(" ", "")) + match["last"]


def mask_text(text: str | None) -> str | None:
    """``text`` with every mobile, landline (with area code) and resident ID number masked;
    everything else, dates and amounts included, left as it is."""
    if not isinstance(text, str):
        return text
    text = _ID_NUMBER.sub(_id_masked, text)
    text = _MOBILE.sub(_mobile_masked, text)
    return _LANDLINE.sub(_landline_masked, text)


def mask_phone(phone: str | None) -> str | None:
    """+86 138-1234-1234 → 138****1234; other numbers keep their last 4 digits; a cell
    holding more than one number has each masked and its names masked too."""
    if _blank(phone):
        return None
    text = str(phone).strip()
    mobile = _MOBILE.fullmatch(text)
    if mobile:
        return _mobile_masked(mobile)
    if _NUMBER_ONLY.fullmatch(text):
        return _last_4(re.sub(r"\D", "", _COUNTRY_START.sub("", text)))
    text = _LONG_NUMBER.sub(lambda m: _last_4(m.group()), mask_text(text))
    return _mask_names(text)


def mask_id_number(number: str | None) -> str | None:
    """50010119900307123X → 500**************X; any other identifier (a passport number)
    keeps only its first and last characters."""
    if _blank(number):
        return None
    text = str(number).strip()
    resident = _ID_NUMBER.fullmatch(re.sub(r"[\s-]", "", text))
    if resident:
        return _id_masked(resident)
    if len(text) <= 2:
        return text
    return text[0] + "*" * (len(text) - 2) + text[-1]


# ---------------------------------------------------------------- addresses and free text


def mask_address(address: str | None) -> str | None:
    """桂花路十二号三栋二单元501 → 桂花路**号*栋*单元***: house, building, unit and room
    numbers hidden, the road and area names (五一路) kept."""
    if _blank(address):
        return None
    text = mask_text(str(address).strip())
    if not _HAN.search(text):
        return re.sub(r"\d", "*", text)
    text = _ADDRESS_NUMBER.sub(_stars, text)
    return _TRAILING_NUMBER.sub(_stars, text)


def mask_description(text: str | None) -> str | None:
    """Free text with phones and ID numbers masked and house numbers hidden (住3栋 → 住*栋);
    counts, dates and amounts (200户, 5月1号, 300元) stay."""
    if _blank(text):
        return None
    return _TEXT_NUMBER.sub(_stars, mask_text(str(text)))


MASKERS: dict[str, Callable[[object], str | None]] = {
    "reporter_name": mask_name,
    "reporter_phone": mask_phone,
    "address": mask_address,
    "description": mask_description,
    "id_number": mask_id_number,
}

# ---------------------------------------------------------------- headers

# How a header reads as personal: (kind, Chinese words found anywhere, English words found at
# the start of a word). First match wins: an ID before a phone (身份证号码), a phone before a
# name (联系人电话), an address before a name (联系人地址), a contact name before a contact.
_HEADER_WORDS = (
    ("id_number", "身份证 证件号 证件编号",
     r"id\s?(?:card|no|num|number)\b identity national\s?id\b passport ssn\b"),
    ("reporter_phone", "电话 手机 座机 传真 来电号码 联系号码 联系方式",
     r"phone tele?phone cell\s?phone mobile tel\b fax\b"),
    ("address", "地址 住址 住所 门牌 居住地 地点", r"address addr\b residence"),
    ("reporter_name", "姓名 名字 联系人 来电人 反映人 诉求人 投诉人 举报人 报案人 "
                      "申请人 当事人 户主 业主",
     r"(?:reporter|caller|contact|customer|citizen|resident|person|full|first|last|given|family)"
     r"\s?name\b surname contact\s?person caller complainant applicant"),
    ("reporter_phone", "", r"contact"),
    ("description", "内容 描述 详情 备注 说明 诉求 留言 意见 标题 主题",
     r"desc content detail remark note comment message text\b summary subject title"),
)  # fmt: skip
_HEADER_PATTERNS = tuple(
    (kind, re.compile("|".join([*chinese.split(), rf"\b(?:{'|'.join(english.split())})"])))
    for kind, chinese, english in _HEADER_WORDS
)


def personal_kind(header: str) -> str | None:
    """The key of ``MASKERS`` a column headed ``header`` needs (手机号码 → reporter_phone,
    id_card → id_number), or None when the header does not read as personal."""
    text = unicodedata.normalize("NFKC", str(header))
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).lower()  # camelCase → camel case
    text = re.sub(r"[^0-9a-z\u3400-\u9fff]+", " ", text)
    text = re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", text)
    return next((kind for kind, pattern in _HEADER_PATTERNS if pattern.search(text)), None)


def mask_frame(
    df: pd.DataFrame, kinds: Mapping[str, str] | None = None, *, everywhere: bool = False
) -> pd.DataFrame:
    """A copy of ``df`` with every personal column masked: those ``kinds`` maps to a key of
    ``MASKERS``, those named as a key, and those whose header reads as personal (联系电话,
    mobile); with ``everywhere``, phones and ID numbers in every other text column too."""
    kinds = kinds or {}
    out = df.copy()
    for j, column in enumerate(out.columns):
        kind = kinds.get(column) or (column if column in MASKERS else personal_kind(column))
        if kind in MASKERS:
            masker = MASKERS[kind]
        elif everywhere and _is_text(out.dtypes.iloc[j]):
            masker = mask_text
        else:
            continue
        out.isetitem(j, out.iloc[:, j].map(masker))
    return out
