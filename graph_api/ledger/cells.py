"""Reading one cell the way staff type it: dates in several formats, Chinese enum labels,
是/否, numbers that Excel stored as floats, lists separated by 、 or ；, phone and ID numbers.

Each property gets one converter, built once per import, so the per-cell cost is a dict
lookup or a regular expression on the fast path.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from graph_api.domain.model import Prop
from graph_api.domain.values import id_check_digit


class CellError(ValueError):
    """A cell that cannot be read; carries the reason in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


Converter = Callable[[Any], Any]

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (it counts 1900-02-29, so day 61 onwards lines up)
LIST_SPLIT = re.compile(r"[;；、,，|\n]+")
DATE_PARTS = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")
DATE_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")
LOCAL = re.compile(r"^\d{7,8}$")
TRUE = {"是", "有", "true", "yes", "y", "1", "√", "✓", "t"}
FALSE = {"否", "无", "false", "no", "n", "0", "×", "✗", "f"}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 10_000_000 <= value <= 99_991_231 and value == int(value):  # 20210701 typed into Excel is a number
            return parse_date(str(int(value)))
        return _excel_serial(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        match = DATE_PARTS.match(text) or DATE_COMPACT.match(text)
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise CellError("日期不存在", "no such date") from None
        if text.isdigit() and len(text) <= 5:
            return _excel_serial(int(text))
        if len(text) > 10 and text[10] in "T " and text[:10].count("-") == 2:  # 2021-07-01 00:00:00
            return parse_date(text[:10])
    raise CellError("日期格式应为 2021-07-01、2021/7/1 或 2021年7月1日",
                    "a date must look like 2021-07-01, 2021/7/1 or 2021年7月1日")


def _excel_serial(number: float) -> dt.date:
    if not 1 <= number <= 2958465 or number != int(number):  # (NaN fails the range test)
        raise CellError("不是有效的 Excel 日期序号", "not a valid Excel date serial number")
    if number == 60:  # Excel's 1900-02-29, a day that never was
        raise CellError("日期不存在", "no such date")
    if number < 60:  # before Excel's phantom leap day: day 1 is 1900-01-01
        return EXCEL_EPOCH + dt.timedelta(days=int(number) + 1)
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("应为整数", "must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                pass
            else:
                if number.is_integer():
                    return int(number)
    raise CellError("应为整数", "must be a whole number")


def parse_float(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ""))
        except ValueError:
            pass
    raise CellError("应为数字", "must be a number")


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
    raise CellError("应为“是”或“否”", "must be 是 (yes) or 否 (no)")


def parse_text(value: Any) -> str:
    if value.__class__ is str:
        return value.strip()
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise CellError("应为文本", "must be text")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a room number or code Excel stored as a number
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        raise CellError("应为文本，不是日期", "must be text, not a date")
    raise CellError("应为文本", "must be text")


def parse_phone(value: Any) -> str:
    text = parse_text(value)
    if MOBILE.match(text):
        return text  # the common case, already clean
    # full-width digits (１３９…) and dashes or spaces inside a mobile (139-0000-1234) as staff type them
    text = re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", text))
    if text.startswith("+86"):
        text = text[3:]
    if MOBILE.match(text.replace("-", "")):
        return text.replace("-", "")
    if LANDLINE.match(text) or LOCAL.match(text):
        return text
    raise CellError("电话号码格式不对：应为11位手机号（1开头）或带区号的固定电话",
                    "not a phone number: 11-digit mobile starting with 1, or a landline with area code")


def id_number_problem(text: str) -> tuple[str, str] | None:
    """Why an 18-digit resident ID number (GB 11643) is not valid, or None."""
    if len(text) != 18 or not text[:17].isdigit() or text[17] not in "0123456789X":
        return ("身份证号应为18位（最后一位可为X）", "an ID number has 18 characters (the last may be X)")
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return ("身份证号中的出生日期不存在", "the birth date inside the ID number does not exist")
    if id_check_digit(text[:17]) != text[17]:
        return ("身份证号校验码不对", "the ID number's check digit is wrong")
    return None


def parse_id_number(value: Any) -> str:
    if isinstance(value, float):  # Excel keeps 15 digits of a number: the last ones are already lost
        raise CellError("身份证号被存成了数字，后几位已丢失：请将该列设为文本格式后重新填写",
                        "the ID number was stored as a number and lost its last digits: format the column as text")
    text = parse_text(value).upper()
    problem = id_number_problem(text)
    if problem:
        raise CellError(*problem)
    return text


def enum_converter(enum_type: Any) -> Converter:
    by_label: dict[str, str] = {}
    for member in enum_type:
        # 高风险（每周走访） is also typed as 高风险: the label before its bracketed note counts
        # and 高中/中专 as 高中 or 中专: each part of a label joined with / counts too
        for label in (member.value, member.zh, member.en, member.zh.split("（")[0], *member.zh.split("/")):
            by_label[label.strip().lower()] = member.value
            by_label[label.strip()] = member.value

    allowed_zh = "、".join(m.zh for m in enum_type)
    allowed_en = ", ".join(m.value for m in enum_type)

    def convert(value: Any) -> str:
        if isinstance(value, str):
            found = by_label.get(value) or by_label.get(value.strip().lower())
            if found is not None:
                return found
        raise CellError(f"不是允许的取值：{allowed_zh}", f"not one of {allowed_en}")

    return convert


FORMATS: dict[str, Converter] = {"phone": parse_phone, "cn_id": parse_id_number}
#: properties whose text has a checked format, by property name
FORMAT_OF_PROP = {"phone": "phone", "idNumber": "cn_id"}


def converter(prop: Prop) -> Converter:
    """The function turning one cell (not blank) into the store value of ``prop``."""
    if prop.is_enum:
        scalar = enum_converter(prop.type)
    elif prop.type is dt.date:
        scalar = parse_date
    elif prop.type is int:
        scalar = parse_int
    elif prop.type is float:
        scalar = parse_float
    elif prop.type is bool:
        scalar = parse_bool
    else:
        scalar = FORMATS.get(FORMAT_OF_PROP.get(prop.name, ""), parse_text)
    if not prop.many:
        return scalar

    def convert_list(value: Any) -> list[Any]:
        items = value if isinstance(value, list) else LIST_SPLIT.split(parse_text(value))
        out = []
        for item in items:
            if is_blank(item):
                continue
            converted = scalar(item)
            if converted not in out:
                out.append(converted)
        return out

    return convert_list


def split_keys(value: Any) -> list[str]:
    """The business keys in a relationship cell, in order, each once."""
    if isinstance(value, list):
        items = [parse_text(v) for v in value if not is_blank(v)]
    else:
        items = LIST_SPLIT.split(parse_text(value))
    return list(dict.fromkeys(i.strip() for i in items if i.strip()))
