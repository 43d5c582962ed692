"""分类建议: evaluation on a stratified split, suggestions for events without a category,
personal data kept out of the model, the 泰迪杯-shaped message file, the ``categories``
command's evaluation."""

from __future__ import annotations

import pickle
from datetime import datetime

import duckdb
import numpy as np
import pytest
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from analytics import categories
from analytics.__main__ import main
from analytics.connection import connect
from analytics.schema import create_schema
from tests.conftest import event, insert

# Three categories, twelve short texts each: hand-written, each naming its matter plainly.
TEXTS = {
    "噪音扰民": [
        "楼上装修噪音很大",
        "夜间施工噪音扰民",
        "广场舞音响声音太大",
        "酒吧音乐噪音到凌晨",
        "工地夜里打桩噪音",
        "楼下商铺喇叭噪音",
        "装修电钻噪音一整天",
        "夜间施工机器轰鸣",
        "广场舞噪音影响休息",
        "邻居深夜音响噪音",
        "工地噪音半夜不停",
        "商铺喇叭叫卖声音大",
    ],
    "环境卫生": [
        "小区垃圾桶满了没人清运",
        "路边垃圾堆积发臭",
        "垃圾站臭味很大",
        "楼道里堆满垃圾",
        "垃圾清运不及时有臭味",
        "河边有人倒垃圾",
        "绿化带里垃圾很多",
        "垃圾桶破损垃圾散落",
        "小区垃圾没人打扫",
        "菜市场垃圾成堆发臭",
        "垃圾站周边污水横流",
        "路边垃圾桶臭气熏天",
    ],
    "道路交通": [
        "路口红绿灯坏了",
        "人行道被车辆占用",
        "路面坑洼车辆颠簸",
        "信号灯时间太短",
        "斑马线被违停车辆挡住",
        "道路破损车辆难行",
        "路口车辆拥堵严重",
        "红绿灯不亮车辆乱行",
        "人行道上违停车辆很多",
        "路面塌陷车辆绕行",
        "信号灯故障路口拥堵",
        "斑马线标线模糊车辆不让行",
    ],
}
LABELS = [c for c, texts in TEXTS.items() for _ in texts]
ALL_TEXTS = [t for texts in TEXTS.values() for t in texts]


def test_evaluate_frame_matches_sklearn_on_the_same_split():
    result = categories.evaluate_frame(ALL_TEXTS, LABELS, seed=42, test_size=0.25)
    positions = np.arange(len(LABELS))
    _, test = train_test_split(positions, test_size=0.25, stratify=LABELS, random_state=42)
    assert result.test_index == [int(i) for i in test]
    assert result.y_true == [LABELS[i] for i in test]
    assert result.n_test == 9 and result.n_train == 27
    assert result.macro_f1 == pytest.approx(f1_score(result.y_true, result.y_pred, average="macro"))
    right = sum(a == b for a, b in zip(result.y_true, result.y_pred, strict=True))
    assert result.accuracy == pytest.approx(right / 9)
    assert list(result.per_class.columns) == categories.CLASS_COLUMNS
    assert sorted(result.per_class["category"]) == sorted(TEXTS)
    assert result.per_class["support"].tolist() == [3, 3, 3]
    assert result.macro_f1 >= 0.6  # the three matters are told apart on unseen texts


def test_evaluate_frame_leaves_out_rare_and_missing_categories():
    texts = [*ALL_TEXTS, "独居老人需要上门服务", "", "其他的事情"]
    labels = [*LABELS, "志愿服务", "环境卫生", "其他"]
    result = categories.evaluate_frame(texts, labels, seed=1, test_size=0.25)
    assert result.excluded == {"志愿服务": 1}
    assert result.n_train + result.n_test == 36  # the blank text and 其他 are not labels


def _store(path, rows):
    con = duckdb.connect(str(path))
    create_schema(con)
    insert(con, "events", rows)
    con.close()
    return path


def _labelled_events():
    return [
        event(
            event_id=f"L{i:02d}",
            channel="hotline",
            event_type="complaint",
            category=label,
            board="livelihood",
            reported_at=datetime(2025, 3, 1, 8),
            description=f"{text}，电话13912345678，王小明反映",
            reporter_name="王小明",
        )
        for i, (text, label) in enumerate(zip(ALL_TEXTS, LABELS, strict=True))
    ]


def _event(event_id, category, description, name="李四"):
    return event(
        event_id=event_id,
        channel="hotline",
        event_type="complaint",
        category=category,
        board="livelihood",
        reported_at=datetime(2025, 3, 2, 8),
        description=description,
        reporter_name=name,
    )


@pytest.fixture
def store(tmp_path):
    rows = [
        *_labelled_events(),
        _event("U1", "其他", "楼上装修噪音吵得睡不着"),
        _event("U2", "", "小区垃圾桶没人清运发臭"),
        _event("U3", "未分类", "路口红绿灯不亮"),
        _event("U4", "其他", "12345"),  # no text once cleaned
        _event("U5", "其他", None),
        _event("C1", "环境卫生", "垃圾站没人打扫"),  # has a category: never suggested
    ]
    return _store(tmp_path / "gov.duckdb", rows)


def test_a_capped_sample_is_stratified_and_repeats_no_row(tmp_path, monkeypatch):
    """Ranked without the texts, which are joined back: an id stored twice (the importers
    upsert, so it should not be) comes back as its two rows, never multiplied."""
    rows = [*_labelled_events(), _event("L00", "噪音扰民", "楼上装修噪音很大 又来了")]
    con = connect(_store(tmp_path / "gov.duckdb", rows), read_only=True)
    try:
        monkeypatch.setattr(categories, "FLOOR", 2)
        sample = categories.labelled_sample(con, 18, seed=7)
        again = categories.labelled_sample(con, 18, seed=7)
        monkeypatch.setattr(categories, "FLOOR", 13)  # every row picked, through the ranking
        everything = categories.labelled_sample(con, 18, seed=7)
    finally:
        con.disconnect()
    per_label = sample["label"].value_counts().to_dict()
    assert set(per_label) == set(TEXTS) and all(6 <= n <= 7 for n in per_label.values())
    assert sample.equals(again)  # the same sample in the same order
    assert list(sample["label"]) == sorted(sample["label"])
    assert len(everything) == len(rows) == 37


def test_suggest_only_events_without_a_category_that_have_text(store):
    con = connect(store, read_only=True)
    try:
        model = categories.train(con, today=datetime(2026, 1, 2).date())
        frame = categories.suggest(con, model)
    finally:
        con.disconnect()
    assert list(frame.columns) == categories.SUGGESTION_COLUMNS
    assert frame["event_id"].tolist() == ["U1", "U2", "U3"]
    assert frame["current_category"].tolist() == ["其他", "", "未分类"]
    assert frame["suggested"].tolist() == ["噪音扰民", "环境卫生", "道路交通"]
    assert (frame["confidence"] > frame["second_confidence"]).all()
    assert (frame["suggested"] != frame["second"]).all()
    assert model.n_train == 37 and model.id == "37条@2026-01-02"  # with C1
    assert set(model.classes) == set(TEXTS)


def test_suggest_frame_takes_null_categories():
    model = categories.train_frame(ALL_TEXTS, LABELS)
    frame = categories.suggest_frame(
        model, ["A", "B", "C"], [None, "  ", "物业管理"], ["垃圾堆积发臭", "红绿灯坏了", "噪音"]
    )
    assert frame["event_id"].tolist() == ["A", "B"]
    assert frame["current_category"].tolist() == [None, "  "]
    assert frame["suggested"].tolist() == ["环境卫生", "道路交通"]


def test_personal_data_never_reaches_the_vocabulary(store):
    con = connect(store, read_only=True)
    try:
        model = categories.train(con)
    finally:
        con.disconnect()
    features = model.pipeline.named_steps["features"]
    vocabulary = [t for _, v in features.transformer_list for t in v.vocabulary_]
    assert vocabulary
    assert not [t for t in vocabulary if any(ch.isdigit() for ch in t)]
    assert not [t for t in vocabulary if "小明" in t or "王小" in t]
    assert "噪音" in vocabulary and "垃圾" in vocabulary
    clone = pickle.loads(pickle.dumps(model))  # the UI may cache it
    assert clone.pipeline.predict(["垃圾发臭"])[0] == "环境卫生"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_load_messages_reads_both_encodings(tmp_path, encoding):
    content = (
        "留言编号,留言用户,留言主题,留言时间,留言详情,一级标签\n"
        "1,A1,噪音扰民,2019/1/1 8:00:00,楼下酒吧音乐太吵,环境保护\n"
        '2,A2,垃圾清运,2019/1/2 8:00:00,"小区垃圾, 无人清运",城乡建设\n'
        "3,A3,道路破损,2019/1/3 8:00:00,路面坑洼,交通运输\n"
        "4,A4,工资拖欠,2019/1/4 8:00:00,老板拖欠工资三个月,劳动和社会保障\n"
        "5,A5,学校收费,2019/1/5 8:00:00,学校乱收费,教育文体\n"
    )
    path = tmp_path / "messages.csv"
    path.write_bytes(content.encode(encoding))
    texts, labels = categories.load_messages(path)
    assert labels == ["环境保护", "城乡建设", "交通运输", "劳动和社会保障", "教育文体"]
    assert texts[0] == "噪音扰民。楼下酒吧音乐太吵"
    assert texts[1] == "垃圾清运。小区垃圾, 无人清运"


def test_cli_evaluates_a_message_file(tmp_path, capsys):
    lines = ["留言编号,留言用户,留言主题,留言时间,留言详情,一级标签"]
    lines += [
        f"{i},A{i},{text},2019/1/1 8:00:00,{text},{label}"
        for i, (text, label) in enumerate(zip(ALL_TEXTS, LABELS, strict=True))
    ]
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    assert main(["categories", "--evaluate", "--messages", str(path)]) == 0
    out = capsys.readouterr().out
    assert "宏平均 F1" in out and "准确率" in out
    header = next(line for line in out.splitlines() if "类别" in line and "精确率" in line)
    assert "召回率" in header and "F1" in header and "测试条数" in header
    rows = [line for line in out.splitlines() if line.split() and line.split()[0] in TEXTS]
    assert len(rows) == 3
    assert len({len(line) for line in rows}) == 1 or all("  " in line for line in rows)
