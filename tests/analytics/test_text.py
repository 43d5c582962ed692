"""The text index: personal data out before indexing, words as governance texts write them."""

import duckdb
import ibis

from analytics import text


def test_personal_data_never_reaches_the_index():
    raw = "我是张伟先生，电话138-1234-5678，身份证50010119900307123X，住桂花路12号3栋2单元501"
    (cleaned,) = text.index_text([raw], ["张伟"])
    for secret in ("张伟", "138", "5678", "1234", "X", "501", "先生"):
        assert secret not in cleaned
    assert "桂花路" in cleaned


def test_honorifics_go_even_without_the_reporter_name():
    assert "李" not in text.index_text(["李女士反映楼道堆物"])[0]


def test_markup_is_removed_and_missing_text_stays_missing():
    cleaned = text.index_text(["<script>alert(1)</script>**紧急** [链接](http://x) 井盖丢失", None])
    assert "<" not in cleaned[0] and "*" not in cleaned[0] and "http" not in cleaned[0]
    assert "井盖丢失" in cleaned[0]
    assert cleaned[1] is None


def test_words_keep_governance_terms_and_drop_stop_words():
    got = text.words("希望尽快处理小区楼道里电动车飞线充电的问题，存在消防隐患")
    assert "飞线充电" in got and "电动车" in got and "楼道" in got
    for stop in ("希望", "尽快", "处理", "问题", "存在", "的"):
        assert stop not in got


def test_has_text_needs_two_chinese_characters():
    got = text.has_text(text.index_text(["13812345678", "停水", None, "水"]))
    assert got.tolist() == [False, True, False, False]


NAMES = [
    "王建国", " 王建国\u3000", "\t李四\n", "张", "Tom", " ", "", None, "王 五", "1王五", "赵六\x85",
    "钱七\u2003", "孙八\x1c",
]  # fmt: skip


def test_the_database_removes_the_name_as_python_does():
    """``without_name`` (SQL, for texts still in the store) is ``index_text``'s own rule."""
    texts = [
        f"我是{(n or '').strip()},{(n or '').strip()}反映楼道堆物 Tom 13912345678" for n in NAMES
    ]
    texts += ["王建国先生反映", None]
    names = [*NAMES, "王建国", "王建国"]
    t = ibis.memtable({"description": texts, "reporter_name": names})
    got = ibis.duckdb.from_connection(duckdb.connect()).to_pyarrow(
        t.select(
            description=text.without_name(t.description, t.reporter_name),
            name=text.stripped_name(t.reporter_name),
        )
    )
    python = [
        text._without(s, n) if s is not None else None for s, n in zip(texts, names, strict=True)
    ]
    assert got["description"].to_pylist() == python
    assert got["name"].to_pylist() == [n.strip() if n is not None else None for n in names]
    assert text.cleaned(got["description"]).to_pylist() == list(text.index_text(texts, names))
    assert "建国" not in python[0] and "建国" not in python[1] and "李四" not in python[2]
