"""Shape checks of the labelled 问政 message fixture (issue #21); no personal data in it."""

from pathlib import Path

import pandas as pd

CSV = Path(__file__).resolve().parents[1] / "data" / "messages" / "taidi_like.csv"
COLUMNS = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"]
LABELS = {"城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"}


def _read() -> pd.DataFrame:
    return pd.read_csv(CSV, encoding="utf-8-sig", dtype=str)


def test_starts_with_bom_and_has_the_columns() -> None:
    assert CSV.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert list(_read().columns) == COLUMNS


def test_rows_and_labels() -> None:
    df = _read()
    assert len(df) >= 400
    counts = df["一级标签"].value_counts()
    assert set(counts.index) == LABELS
    assert counts.min() >= 50


def test_ids_unique_and_values_well_formed() -> None:
    df = _read()
    assert df["留言编号"].is_unique
    assert df["留言编号"].str.fullmatch(r"\d+").all()
    assert df["留言用户"].str.fullmatch(r"A\d{9}").all()
    assert df["留言时间"].str.fullmatch(r"20\d\d/\d{1,2}/\d{1,2} \d{1,2}:\d\d:\d\d").all()
    assert pd.to_datetime(df["留言时间"], format="%Y/%m/%d %H:%M:%S").notna().all()
    assert df.notna().all().all()


def test_details_distinct_and_of_message_length() -> None:
    df = _read()
    assert not df["留言详情"].duplicated().any()
    lengths = df["留言详情"].str.len()
    assert lengths.between(30, 250).all()  # short 咨询 messages exist, as in the real data
    assert lengths.median() >= 55


def test_no_phone_or_id_numbers() -> None:
    text = _read()[["留言主题", "留言详情"]].stack()
    assert not text.str.contains(r"(?<!\d)1[3-9]\d{9}(?!\d)").any()  # mobile numbers
    assert not text.str.contains(r"(?<!\d)\d{17}[\dXx](?!\d)").any()  # 身份证号
