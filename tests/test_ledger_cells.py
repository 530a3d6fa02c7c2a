"""Cell parsing (graph_api.ledger.cells) and the column mappings (graph_api.ledger.mapping).

Pure unit tests: no store, no files.
"""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from graph_api.domain import enums as e
from graph_api.domain.model import KIND_BY_NAME, KINDS
from graph_api.ledger.cells import (
    CellError,
    converter,
    enum_converter,
    id_number_problem,
    is_blank,
    parse_bool,
    parse_date,
    parse_id_number,
    parse_int,
    parse_phone,
    parse_text,
    split_keys,
)
from graph_api.ledger.mapping import (
    MappingError,
    dependency_order,
    mapping_for,
    mappings,
    normalise_header,
    parse_mapping,
)

JULY_1 = dt.date(2021, 7, 1)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_digit(first17: str) -> str:
    """An 18-character resident ID number (GB 11643): 17 digits and the ISO 7064 MOD 11-2 check."""
    assert len(first17) == 17 and first17.isdigit()
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS))
    return first17 + "10X98765432"[total % 11]


def id_ending_in_x() -> str:
    for seq in range(1000):
        number = with_check_digit(f"21090519850701{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence number gives an X check digit")


def refused(fn, value) -> CellError:
    with pytest.raises(CellError) as info:
        fn(value)
    err = info.value
    assert err.zh and err.en, "a refusal carries a Chinese and an English reason"
    return err


# --- dates ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    "2021-07-01", "2021-7-1", " 2021-07-01 ", "2021/7/1", "2021/07/01", "2021.7.1",
    "2021年7月1日", "2021年07月01日", "2021 年 7 月 1 日", "2021年7月1",
    "20210701", 20210701, 20210701.0,  # 20210701 typed into an Excel cell arrives as a number
    44378, 44378.0, "44378",  # Excel serial numbers (2021-07-01 is day 44378)
    dt.datetime(2021, 7, 1, 8, 30), dt.date(2021, 7, 1),
    "2021-07-01 00:00:00", "2021-07-01T08:30:00",
])
def test_date_forms(value):
    assert parse_date(value) == JULY_1


def test_date_returns_a_plain_date_for_a_datetime():
    parsed = parse_date(dt.datetime(2021, 7, 1, 23, 59))
    assert type(parsed) is dt.date


@pytest.mark.parametrize("serial, expected", [
    (1, dt.date(1900, 1, 1)),  # Excel's day 1
    (59, dt.date(1900, 2, 28)),
    (61, dt.date(1900, 3, 1)),  # after Excel's phantom 1900-02-29
    (36526, dt.date(2000, 1, 1)),
    (2958465, dt.date(9999, 12, 31)),  # Excel's last day
])
def test_excel_serials_match_what_excel_shows(serial, expected):
    assert parse_date(serial) == expected


@pytest.mark.parametrize("value", ["2021-02-30", "2021/2/30", "2021年2月30日", "20210230", "2021-13-01",
                                   20210230, 60])  # serial 60 is Excel's 1900-02-29
def test_impossible_dates_refused(value):
    err = refused(parse_date, value)
    assert err.zh == "日期不存在"


@pytest.mark.parametrize("value", ["next week", "下周", "2021-07", "7/1/2021", "", "2021-07-01x", True, False])
def test_unreadable_dates_refused_with_the_accepted_forms(value):
    err = refused(parse_date, value)
    assert "2021-07-01" in err.zh and "2021年7月1日" in err.zh
    assert "2021/7/1" in err.en


@pytest.mark.parametrize("value", [0, 3000000, 44378.5, -1, "0", float("nan"), float("inf")])
def test_bad_excel_serials_refused(value):
    err = refused(parse_date, value)
    assert "Excel" in err.zh and "Excel" in err.en


# --- enums ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["本科", " 本科 ", "BACHELOR", "bachelor", "Bachelor", "bachelor's degree"])
def test_enum_by_label_value_or_lower_case_value(value):
    assert enum_converter(e.Education)(value) == "BACHELOR"


def test_enum_by_chinese_label_for_every_member():
    for enum_type in (e.Gender, e.Education, e.MemberCategory, e.Occupancy, e.CareCategory, e.RiskTier):
        convert = enum_converter(enum_type)
        for member in enum_type:
            assert convert(member.zh) == member.value
            assert convert(member.value.lower()) == member.value


def test_enum_short_forms_of_long_labels():
    assert enum_converter(e.RiskTier)("高风险") == "HIGH"  # 高风险（每周走访）
    assert enum_converter(e.Education)("中专") == "SENIOR_HIGH"  # 高中/中专


@pytest.mark.parametrize("value", ["博士", "", "BACHELORS", 3, None, 1.0])
def test_enum_refusal_lists_allowed_values_in_chinese(value):
    err = refused(enum_converter(e.Education), value)
    assert err.zh.startswith("不是允许的取值")
    for label in ("小学", "初中", "高中/中专", "大专", "本科", "研究生"):
        assert label in err.zh
    assert "BACHELOR" in err.en and "POSTGRADUATE" in err.en


def test_gender_refusal_lists_both_labels():
    err = refused(enum_converter(e.Gender), "M")
    assert "男" in err.zh and "女" in err.zh


def test_no_enum_label_means_two_members():
    """Every spelling the converter accepts must lead to one member only."""
    for _, enum_type in inspect.getmembers(e, inspect.isclass):
        if not issubclass(enum_type, e.LabelledEnum) or enum_type is e.LabelledEnum:
            continue
        convert = enum_converter(enum_type)
        for member in enum_type:
            for spelling in (member.value, member.zh, member.en, member.en.upper()):
                assert convert(spelling) == member.value, (enum_type.__name__, spelling)


# --- booleans, integers, text --------------------------------------------------------------------
@pytest.mark.parametrize("value", ["是", " 是 ", "有", "Yes", "TRUE", "y", "1", "√", True, 1, 1.0])
def test_true_values(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize("value", ["否", "无", "No", "false", "N", "0", "×", False, 0, 0.0])
def test_false_values(value):
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", ["也许", "2", 2, "", None, "是的"])
def test_not_booleans_refused(value):
    err = refused(parse_bool, value)
    assert "是" in err.zh and "否" in err.zh


@pytest.mark.parametrize("value, expected", [
    (12, 12), (12.0, 12), ("12", 12), (" 12 ", 12), ("12.0", 12), ("1,234", 1234), ("1，234", 1234),
    (-3, -3), (0, 0),
])
def test_integers(value, expected):
    parsed = parse_int(value)
    assert parsed == expected and type(parsed) is int


@pytest.mark.parametrize("value", [12.5, "12.5", True, False, "twelve", "十二", "", None, float("nan")])
def test_not_integers_refused(value):
    err = refused(parse_int, value)
    assert err.zh == "应为整数"


@pytest.mark.parametrize("value, expected", [
    (101.0, "101"), (101, "101"), (1.5, "1.5"), ("  三单元  ", "三单元"), ("0101", "0101"),
])
def test_text(value, expected):
    assert parse_text(value) == expected


@pytest.mark.parametrize("value", [True, dt.date(2021, 7, 1), dt.datetime(2021, 7, 1), None, [1]])
def test_not_text_refused(value):
    refused(parse_text, value)


def test_blank():
    assert is_blank(None) and is_blank("") and is_blank("  \t")
    assert not is_blank(0) and not is_blank("0") and not is_blank(False)


# --- phones --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+8613800138000", "13800138000"),
    (13800138000, "13800138000"),
    (13800138000.0, "13800138000"),  # a mobile Excel stored as a number
    ("0418-1234567", "0418-1234567"),
    ("04181234567", "04181234567"),
    ("(0418)1234567", "04181234567"),
    ("（0418）1234567", "04181234567"),
    ("010-12345678", "010-12345678"),
    ("0418-1234567-801", "0418-1234567-801"),  # extension
])
def test_phones(value, expected):
    assert parse_phone(value) == expected


@pytest.mark.parametrize("value", [
    "12800138000",  # no mobile prefix 12
    "1380013800",  # 10 digits
    "138001380001",  # 12 digits
    "23800138000",
    "0418-123456",  # landline number too short
    "电话13800138000",
    "abc",
    "",
])
def test_not_phones_refused(value):
    err = refused(parse_phone, value)
    assert "手机号" in err.zh and "mobile" in err.en


def test_phone_that_is_not_text_refused():
    refused(parse_phone, True)
    refused(parse_phone, dt.date(2021, 7, 1))


# --- ID numbers ----------------------------------------------------------------------------------
def test_valid_id_numbers():
    plain = with_check_digit("21090519850701123")
    assert plain == "210905198507011232"
    assert parse_id_number(plain) == plain
    assert parse_id_number(f" {plain} ") == plain
    assert parse_id_number(int(plain)) == plain  # a JSON number keeps every digit
    assert id_number_problem(plain) is None
    assert parse_id_number("11010519491231002X") == "11010519491231002X"  # the GB 11643 example


def test_lower_case_x_is_normalised():
    number = id_ending_in_x()
    assert parse_id_number(number.lower()) == number
    assert parse_id_number(number[:-1] + "x").endswith("X")


def test_wrong_check_digit_refused():
    good = with_check_digit("21090519850701123")
    for digit in "0123456789X":
        if digit != good[-1]:
            err = refused(parse_id_number, good[:-1] + digit)
            assert "校验码" in err.zh and "check digit" in err.en


@pytest.mark.parametrize("first17", ["21090519850230123", "21090519851301123", "21090519850700123",
                                     "21090520230229123"])
def test_impossible_birth_date_in_id_refused(first17):
    err = refused(parse_id_number, with_check_digit(first17))  # the check digit is right
    assert "出生日期" in err.zh


@pytest.mark.parametrize("value", ["21090519850701123", "2109051985070112321", "21090519850701123A",
                                   "X10905198507011232", "", "身份证"])
def test_malformed_id_refused(value):
    err = refused(parse_id_number, value)
    assert "18位" in err.zh


def test_id_number_stored_by_excel_as_a_number_refused():
    # Excel keeps 15 significant digits: 210905198507011232 typed into a General cell becomes
    # 2.10905198507011E+17, the last digits lost; such a cell must not be taken as an ID number
    # even when the damaged digits happen to pass the check
    lucky = next(float(n) for n in range(210905198507011000, 210905198507012000, 8)
                 if id_number_problem(str(int(float(n)))) is None)
    err = refused(parse_id_number, lucky)
    assert "文本" in err.zh and "text" in err.en


# --- lists and relationship keys -----------------------------------------------------------------
def test_multi_valued_enum_split_on_every_separator_and_deduplicated():
    convert = converter(KIND_BY_NAME["Household"].prop("careCategories"))
    assert convert("困难家庭；低保户") == ["NEEDY_FAMILY", "MINIMUM_LIVELIHOOD"]
    assert convert("困难家庭、低保户、困难家庭") == ["NEEDY_FAMILY", "MINIMUM_LIVELIHOOD"]
    assert convert("残疾人;孤儿,留守儿童，独居老人|助学对象\n低保户") == [
        "DISABLED", "ORPHAN", "LEFT_BEHIND_CHILD", "ELDERLY_ALONE", "STUDENT_AID", "MINIMUM_LIVELIHOOD"]
    assert convert(" 低保户 ； ；残疾人；") == ["MINIMUM_LIVELIHOOD", "DISABLED"]
    assert convert("低保户；MINIMUM_LIVELIHOOD；minimum_livelihood") == ["MINIMUM_LIVELIHOOD"]
    assert convert(["低保户", None, "", "残疾人", "DISABLED"]) == ["MINIMUM_LIVELIHOOD", "DISABLED"]


def test_multi_valued_enum_refuses_an_unknown_item():
    convert = converter(KIND_BY_NAME["Household"].prop("careCategories"))
    err = refused(convert, "低保户；有钱人")
    assert "困难家庭" in err.zh
    refused(convert, "低保户 残疾人")  # a space does not separate items


def test_multi_valued_text_keeps_order_and_drops_repeats():
    convert = converter(KIND_BY_NAME["Member"].prop("specialties"))
    assert convert("唱歌；跳舞、唱歌，书法") == ["唱歌", "跳舞", "书法"]
    assert convert(" 唱歌 , 跳舞 ") == ["唱歌", "跳舞"]


def test_converter_chooses_by_property():
    member = KIND_BY_NAME["Member"]
    assert converter(member.prop("birthDate"))("1960年5月1日") == dt.date(1960, 5, 1)
    assert converter(member.prop("gender"))("女") == "FEMALE"
    assert converter(member.prop("phone"))("+86 139 0000 0000") == "13900000000"
    refused(converter(member.prop("idNumber")), "123")
    assert converter(member.prop("name"))(" 张三 ") == "张三"
    household = KIND_BY_NAME["Household"]
    assert converter(household.prop("size"))(3.0) == 3
    assert converter(household.prop("room"))(101.0) == "101"
    assert converter(KIND_BY_NAME["PartyOrg"].prop("hasBranchCommittee"))("是") is True


@pytest.mark.parametrize("value, expected", [
    ("A；B、A", ["A", "B"]),
    ("A,,B", ["A", "B"]),
    (" A ；  B ；", ["A", "B"]),
    ("A\nB|C", ["A", "B", "C"]),
    ("2109050010010101001", ["2109050010010101001"]),
    (2109.0, ["2109"]),
    (["A", " B ", None, "", "A", 12.0], ["A", "B", "12"]),
    ("", []),
    ("  ", []),
])
def test_split_keys(value, expected):
    assert split_keys(value) == expected


# --- mappings ------------------------------------------------------------------------------------
def test_every_kind_has_a_mapping():
    found = mappings()
    assert list(found) == [k.name for k in KINDS]
    for kind in KINDS:
        assert mapping_for(kind.name).kind is kind


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_property_and_outgoing_relationship_has_exactly_one_column(kind):
    mapping = mapping_for(kind.name)
    names = [c.name for c in mapping.columns]
    assert len(names) == len(set(names))
    props = [p.name for p in kind.all_props if p.name != "id"]
    rels = [r.field for r in kind.rels if r.direction == "out"]
    assert sorted(names) == sorted(props + rels)
    for column in mapping.columns:
        if column.prop is not None:
            assert column.rel is None and column.prop is kind.prop(column.name)
        else:
            assert column.rel is kind.rel(column.name) and column.rel.direction == "out"
    assert mapping.key.is_key and mapping.key.name == "id"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_no_header_used_twice_within_a_kind(kind):
    mapping = mapping_for(kind.name)
    headers = [h for c in mapping.all_columns for h in c.headers]
    if mapping.unit_by_building:
        headers += [*mapping.unit_by_building[0], *mapping.unit_by_building[1]]
    normalised = [normalise_header(h) for h in headers]
    assert len(normalised) == len(set(normalised)), [h for h in normalised if normalised.count(h) > 1]
    assert all(normalised)
    # every header (the first, which templates write, and every alias) finds its column
    for column in mapping.all_columns:
        for header in column.headers:
            assert mapping.by_header[normalise_header(header)] is column


@pytest.mark.parametrize("kind, header, field", [
    ("Member", "姓名", "name"),
    ("Member", "性别", "gender"),
    ("Member", "出生日期", "birthDate"),
    ("Member", "学历", "education"),
    ("Member", "入党时间", "joinedDate"),
    ("Member", "所在支部", "organisation"),
    ("Member", "身份证号", "idNumber"),
    ("Member", "联系电话", "phone"),
    ("Community", "网格编码", "code"),
    ("Area", "网格编码", "code"),
    ("Complex", "网格编码", "code"),
    ("Building", "网格编码", "code"),
    ("StairwellUnit", "网格编码", "code"),
    ("Household", "房号", "room"),
    ("Household", "困难类别", "careCategories"),
    ("Household", "所在单元", "unit"),
    ("Pairing", "帮扶党员", "member"),
    ("Pairing", "帮扶住户", "household"),
])
def test_headers_staff_use_are_recognised(kind, header, field):
    column = mapping_for(kind).by_header[normalise_header(header)]
    assert column.name == field


def test_relationship_headers_point_at_relationships():
    organisation = mapping_for("Member").by_header[normalise_header("所在支部")]
    assert organisation.rel is not None and organisation.rel.target == "PartyOrg"
    member = mapping_for("Pairing").by_header[normalise_header("帮扶党员")]
    assert member.rel is not None and member.rel.target == "Member"


def test_household_unit_by_building_and_number():
    mapping = mapping_for("Household")
    assert mapping.unit_by_building is not None
    buildings, numbers = mapping.unit_by_building
    assert "楼栋" in buildings and "单元" in numbers
    # 楼栋 and 单元 name the unit together; they are not columns of their own
    assert normalise_header("楼栋") not in mapping.by_header
    assert normalise_header("单元") not in mapping.by_header


@pytest.mark.parametrize("written, meant", [
    ("姓名", "姓名"), (" 姓 名 ", "姓名"), ("姓名*", "姓名"), ("姓名：", "姓名"), ("Name", "name"),
    ("身份证号（18位）", "身份证号(18位)"), (None, ""),
])
def test_normalise_header(written, meant):
    assert normalise_header(written) == meant


def test_headers_written_loosely_still_found():
    by_header = mapping_for("Member").by_header
    assert by_header[normalise_header("姓名 *")].name == "name"
    assert by_header[normalise_header("BirthDate")].name == "birthDate"


def test_dependency_order():
    order = dependency_order()
    assert sorted(order) == sorted(k.name for k in KINDS)
    position = {name: i for i, name in enumerate(order)}
    chain = ["Community", "Area", "Complex", "Building", "StairwellUnit", "Household"]
    assert [position[k] for k in chain] == sorted(position[k] for k in chain)
    assert position["PartyOrg"] < position["Member"]
    assert position["Member"] < position["Pairing"] and position["Household"] < position["Pairing"]
    assert position["Street"] < position["Community"]


# --- mapping files that contradict the model are refused -----------------------------------------
BASE = {"kind": "Team", "sheets": ["队伍"], "id": ["队伍编号"]}


def _team_columns() -> dict:
    kind = KIND_BY_NAME["Team"]
    return {p.name: [f"h_{p.name}"] for p in kind.all_props if p.name != "id"}


def _team_relations() -> dict:
    return {r.field: [f"r_{r.field}"] for r in KIND_BY_NAME["Team"].rels if r.direction == "out"}


def test_parse_mapping_accepts_a_complete_mapping():
    mapping = parse_mapping({**BASE, "columns": _team_columns(), "relations": _team_relations()}, "t.toml")
    assert mapping.kind.name == "Team"


def test_parse_mapping_refuses_a_missing_column():
    columns = _team_columns()
    columns.pop("name")
    with pytest.raises(MappingError, match="name"):
        parse_mapping({**BASE, "columns": columns, "relations": _team_relations()}, "t.toml")


def test_parse_mapping_refuses_a_header_used_twice():
    columns = _team_columns()
    columns["name"] = ["名称"]
    columns["kind"] = ["名 称 "]  # the same header once normalised
    with pytest.raises(MappingError, match="twice"):
        parse_mapping({**BASE, "columns": columns, "relations": _team_relations()}, "t.toml")


def test_parse_mapping_refuses_unknown_names():
    with pytest.raises(MappingError):
        parse_mapping({**BASE, "kind": "Nope"}, "t.toml")
    with pytest.raises(MappingError, match="nonsense"):
        parse_mapping({**BASE, "columns": {**_team_columns(), "nonsense": ["x"]}, "relations": _team_relations()},
                      "t.toml")

