"""Masking of personal data: names, phones, ID numbers, addresses, free text and headers."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.ingest.events import preview_file
from analytics.masking import (
    MASKERS,
    mask_address,
    mask_description,
    mask_frame,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    personal_kind,
)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("李小明", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("王", "王"),
        ("张三(业主)", "张*(业主)"),
        ("张三（租户）", "张*（租户）"),
        ("李四 13812341234", "李* ***********"),
        ("王五先生", "王*先生"),
        ("欧阳娜娜女士", "欧阳**女士"),
        ("王先生", "王先生"),
        ("张三、李四", "张*、李*"),
        ("买买提·艾力", "买买****"),
        ("John Smith", "J*** S****"),
        ("张*", "张*"),
        ("", None),
        ("  ", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("(+86)13812341234", "138****1234"),
        ("（+86）138.1234.1234", "138****1234"),
        ("138 1234 1234", "138****1234"),
        ("0086 13812341234", "138****1234"),
        ("8613812341234", "138****1234"),
        ("023-6888 1234", "*******1234"),
        ("023-6789 1234", "*******1234"),
        ("(023)67891234", "*******1234"),
        ("6789 1234", "****1234"),
        ("110", "110"),
        ("张先生 13812341234", "张先生 138****1234"),
        ("张三 13812341234", "张* 138****1234"),
        ("13812341234/13912345678", "138****1234/139****5678"),
        ("138****1234", "138****1234"),
        (None, None),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("50010119900307123X", "500**************X"),
        ("500101199003071234", "500**************4"),
        ("500101 19900307 123x", "500**************x"),
        ("110101900307123", "110***********3"),  # the old 15-digit number
        ("E12345678", "E*******8"),  # a passport: first and last characters only
        ("", None),
    ],
)
def test_mask_id_number_keeps_the_first_3_and_the_check_character(number, masked):
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("桂花路12号3栋2单元", "桂花路**号*栋*单元"),
        ("桂花路十二号三栋二单元501", "桂花路**号*栋*单元***"),
        ("幸福小区七栋 ２单元", "幸福小区*栋 *单元"),
        ("五一路3号", "五一路*号"),
        ("201国道旁5号", "201国道旁*号"),
        ("建设路88号院A栋3-2-501", "建设路**号院*栋*-*-***"),
        ("七星岗十八梯3#楼", "七星岗十八梯*#楼"),
        ("桂花苑12幢305室", "桂花苑**幢***室"),
        ("红星村三组", "红星村*组"),
        ("幸福小区3-2-501。", "幸福小区*-*-***。"),
        ("桂花路12号 电话13812341234", "桂花路**号 电话138****1234"),
        ("123 Main St Apt 4", "*** Main St Apt *"),
        ("重庆市渝中区解放碑", "重庆市渝中区解放碑"),
        (None, None),
    ],
)
def test_mask_address_hides_house_numbers_and_keeps_place_names(address, masked):
    assert mask_address(address) == masked


def test_mask_text_masks_phones_and_id_numbers_and_nothing_else():
    text = (
        "2024-05-01 反映:电话+86 138-1234-1234,座机(023)6789-1234,"
        "身份证50010119900307123X,罚款300元,第7网格,5月1号,工单202405010001"
    )
    assert mask_text(text) == (
        "2024-05-01 反映:电话138****1234,座机*******1234,"
        "身份证500**************X,罚款300元,第7网格,5月1号,工单202405010001"
    )
    assert mask_text(mask_text(text)) == mask_text(text)
    assert mask_text("138 1234 1234和13912345678") == "138****1234和139****5678"
    assert mask_text("旧证110101900307123") == "旧证110***********3"
    assert mask_text(None) is None


def test_mask_description_also_hides_house_numbers_but_not_counts_or_dates():
    text = "住滨江路88号3栋,200户受影响,3层漏水,5月1号起,1号线旁,电话13812341234"
    assert mask_description(text) == (
        "住滨江路**号*栋,200户受影响,3层漏水,5月1号起,1号线旁,电话138****1234"
    )


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("手机号码", "reporter_phone"),
        ("联系方式", "reporter_phone"),
        ("联系电话", "reporter_phone"),
        ("联系人电话", "reporter_phone"),
        ("phone", "reporter_phone"),
        ("Mobile", "reporter_phone"),
        ("contact", "reporter_phone"),
        ("contact_phone", "reporter_phone"),
        ("身份证号码", "id_number"),
        ("证件号码", "id_number"),
        ("id_card", "id_number"),
        ("IDCard", "id_number"),
        ("姓名", "reporter_name"),
        ("联系人", "reporter_name"),
        ("contactName", "reporter_name"),
        ("住址", "address"),
        ("家庭住址", "address"),
        ("联系人地址", "address"),
        ("诉求内容", "description"),
        ("status_notes", "description"),
        ("工单编号", None),
        ("来电时间", None),
        ("grid_no", None),
        ("street_name", None),
        ("event_id", None),
        ("所属网格", None),
    ],
)
def test_personal_kind_reads_headers(header, kind):
    assert personal_kind(header) == kind
    assert kind is None or kind in MASKERS


def test_mask_frame_masks_personal_columns_and_keeps_the_rest():
    df = pd.DataFrame(
        {
            "event_id": ["E1"],
            "reporter_name": ["王五"],
            "reporter_phone": ["13900001111"],
            "address": ["某路8号"],
            "description": ["楼上漏水,回电139 0000 1111"],
        }
    )
    out = mask_frame(df)
    assert out.to_dict("records") == [
        {
            "event_id": "E1",
            "reporter_name": "王*",
            "reporter_phone": "139****1111",
            "address": "某路*号",
            "description": "楼上漏水,回电139****1111",
        }
    ]
    assert df.loc[0, "reporter_name"] == "王五"  # the input is not modified


def test_mask_frame_reads_raw_headers_takes_given_kinds_and_can_scan_every_column():
    df = pd.DataFrame(
        {
            "编号": ["A1"],
            "客户手机": ["+86 138 1234 5678"],
            "证件号码": ["50010119900307123X"],
            "家庭住址": ["桂花路十二号"],
            "备用": ["李四"],
            "其他": ["身份证50010119900307123X 2024-05-01"],
            "件数": [3],
        }
    )
    out = mask_frame(df, {"备用": "reporter_name"}, everywhere=True)
    assert out.to_dict("records") == [
        {
            "编号": "A1",
            "客户手机": "138****5678",
            "证件号码": "500**************X",
            "家庭住址": "桂花路**号",
            "备用": "李*",
            "其他": "身份证500**************X 2024-05-01",
            "件数": 3,
        }
    ]
    assert mask_frame(df)["其他"][0] == "身份证50010119900307123X 2024-05-01"  # not scanned


def test_the_preview_masks_by_header_and_by_content(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "工单编号,来电时间,问题分类,客户姓名,户主手机,证件号码,家庭住址,诉求内容,其他\n"
        "P1,2026-04-01 09:00,物业管理,欧阳娜娜女士,(+86)13812341234,50010119900307123X,"
        "幸福小区七栋 ２单元,住3栋 电话023-6789 1234,138 1234 5678\n",
        encoding="utf-8",
    )
    row = preview_file(path).sample.iloc[0].to_dict()
    assert row == {
        "工单编号": "P1",
        "来电时间": "2026-04-01 09:00",
        "问题分类": "物业管理",
        "客户姓名": "欧阳**女士",
        "户主手机": "138****1234",
        "证件号码": "500**************X",
        "家庭住址": "幸福小区*栋 *单元",
        "诉求内容": "住*栋 电话*******1234",
        "其他": "138****5678",
    }


def test_import_reasons_and_notes_quote_no_phone_in_the_clear(db):
    from analytics.ingest import events

    csv = (
        "事件编号,上报时间,事件类型,业务类别,来源渠道,所属街道\n"
        "X1,13812341234,complaint,环境卫生,hotline,S01\n"
        "X2,2026-10-01 08:00,complaint,环境卫生,hotline,S01\n"
    ).encode()
    result = events.import_events(csv, name="x.csv", preset="auto", db=db, dry_run=True)
    said = " ".join([*result.reasons, *result.notes, *result.quarantined["reason"]])
    assert result.rows_quarantined == 1
    assert "13812341234" not in said
