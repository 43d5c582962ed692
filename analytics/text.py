"""Citizens' words made safe and countable: the text index behind 热点诉求 and 分类建议.

Two steps, each with its reason:

- :func:`index_text` strips personal data *before* anything is indexed: every digit and Latin
  letter (phones, ID numbers, house numbers, plates, URLs), the event's own reporter name,
  any "X先生/女士" form, HTML tags and Markdown marks. What remains is Chinese words and
  punctuation; nothing in it can name or reach a person. It is vectorised (Arrow's RE2) so
  a year of a city's events is cleaned in seconds.
- :func:`words` segments cleaned text with jieba (its own dictionary, plus the governance
  vocabulary below: places, facilities and 网格 terms it would split wrongly) and drops stop
  words and single characters. Segmentation is the slow step (~50 µs a message), so callers
  use it on what they must (a training sample, the events of one hot issue); similarity over
  a whole period uses character pairs of the cleaned text instead.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Words jieba's general dictionary splits or does not know, as governance texts write them.
VOCABULARY = (
    "网格员", "网格长", "专职网格员", "网格化", "随手拍", "接诉即办", "居委会", "村委会", "业委会",
    "物业公司", "物业费", "物业服务", "公共收益", "维修基金", "老旧小区", "加装电梯", "电梯停运",
    "电梯故障", "楼道", "单元门", "地下车库", "停车位", "充电桩", "飞线充电", "电动车", "电瓶车",
    "消防通道", "消防栓", "灭火器", "烟感", "高空抛物", "占道经营", "流动摊贩", "马路市场",
    "夜市", "共享单车", "乱停放", "违停", "渣土车", "噪音扰民", "夜间施工", "广场舞", "装修噪音",
    "油烟直排", "污水直排", "黑臭水体", "焚烧垃圾", "垃圾清运", "垃圾分类", "垃圾桶", "垃圾站",
    "建筑垃圾", "化粪池", "下水道", "排水沟", "雨水井", "井盖", "积水", "内涝", "管网", "二次供水",
    "停水", "停电", "停气", "水压", "燃气", "天然气", "路灯", "信号灯", "红绿灯", "斑马线",
    "人行道", "绿化带", "违章建筑", "违建", "彩钢棚", "私搭乱建", "危房", "墙体开裂", "外墙脱落",
    "低保", "医保", "社保", "养老金", "独居老人", "困难群众", "农民工", "拖欠工资", "欠薪",
    "过期食品", "无证经营", "价格欺诈", "流浪狗", "邻里纠纷", "矛盾纠纷", "党组织关系",
    "志愿服务", "新时代文明实践",
)  # fmt: skip

# Words that say nothing about what the matter is: function words, courtesy, and the verbs
# every message shares (反映, 希望, 处理 …).
STOP_WORDS = frozenset(
    """
    的 了 是 我 我们 你 你们 他 她 它 他们 在 有 和 跟 与 及 以及 或 就 都 也 还 又 很 太 更 最
    被 把 让 给 对 从 到 向 往 于 为 为了 因为 所以 但是 但 而且 并且 如果 虽然 然后 这 那 这个
    那个 这些 那些 这里 那里 这样 那样 哪 什么 怎么 怎么办 为什么 多少 一个 一些 一下 一直 一次
    一点 没有 没 不 不是 不能 不会 可以 能 能够 会 要 想 需要 应该 已经 现在 目前 今天 昨天 最近
    近期 近日 之前 以前 以后 之后 时候 期间 经常 多次 反复 屡次 非常 特别 十分 比较 严重 影响
    导致 造成 存在 出现 发现 情况 问题 事情 相关 有关 部门 单位 领导 同志 您好 你好 谢谢 感谢
    麻烦 请 请求 恳请 希望 要求 反映 投诉 举报 咨询 求助 帮助 帮忙 协调 解决 处理 落实 核查 调查
    尽快 及时 马上 依法 按照 根据 关于 本人 市民 居民 群众 大家 个人 自己 其他 其它 等 等等 啊
    吧 呢 吗 呀 哦 嗯 了吧 一样 如何 是否 能否 还是 以上
    """.split()
)

_DIGITS_AND_LATIN = r"[0-9０-９A-Za-zＡ-Ｚａ-ｚ]+"
_MARKUP = r"<[^>]*>|[*_#`~>\[\]()（）{}|\\/@&=%$^+\-－—]+"
_HONORIFIC = r"\p{Han}(?:先生|女士|小姐|阿姨|大爷|大妈|师傅|老师|同志)"
_SPACE = r"\s+"
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NOT_HAN = r"[^\x{4e00}-\x{9fff}]+"


def index_text(
    texts: Sequence[str | None] | pd.Series, names: Iterable[str | None] = ()
) -> pd.Series:
    """Texts with personal data and markup removed, ready to index (None stays None).

    ``names`` are the events' reporter names, one per text (or empty): each is removed from
    its own text before the general rules run. :func:`without_name` is the same rule as
    an Ibis expression, for texts still in the database.
    """
    series = pd.Series(texts, dtype=object).reset_index(drop=True)
    names = list(names)
    if names:
        series = pd.Series(
            [
                _without(text, name) if isinstance(text, str) else None
                for text, name in zip(series, names, strict=True)
            ],
            dtype=object,
        )
    arr = pa.array(series, type=pa.string(), from_pandas=True)
    return pd.Series(cleaned(arr).to_pylist(), dtype=object)


def cleaned(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`index_text`'s general rules (markup, digits and Latin letters, honorifics,
    spaces) on texts whose reporter's name is already gone, in Arrow: no Python string a
    text."""
    for pattern, by in ((_MARKUP, " "), (_DIGITS_AND_LATIN, ""), (_HONORIFIC, ""), (_SPACE, " ")):
        texts = pc.replace_substring_regex(texts, pattern=pattern, replacement=by)
    return pc.utf8_trim_whitespace(texts)


def _without(text: str, name: str | None) -> str:
    """``text`` without the reporter's name, nor their surname with an honorific."""
    if not isinstance(name, str):
        return text
    name = name.strip()
    if len(name) >= 2 and _HAN.match(name):
        text = text.replace(name, "")
    return text


# What Python's ``str.strip()`` strips (``str.isspace``), as literal characters: a pattern
# with backslashes would need escaping differently in DuckDB's and Spark's SQL strings.
_PY_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_STRIP = f"^[{_PY_SPACE}]+|[{_PY_SPACE}]+$"


def stripped_name(name: ir.StringValue) -> ir.StringValue:
    """``name.strip()`` as an Ibis expression (Unicode spaces too, as Python strips)."""
    return name.re_replace(_STRIP, "")


def without_name(description: ir.StringValue, name: ir.StringValue) -> ir.StringValue:
    """:func:`_without` in the database: the description without its reporter's name (when
    the stripped name has two characters or more and starts with a Chinese character), so
    a city's texts reach Python already without it."""
    name = stripped_name(name)
    first = name.substr(0, 1)
    own = (name.length() >= 2) & (first >= "\u4e00") & (first <= "\u9fff")
    return ibis.ifelse(own, description.replace(name, ""), description)


@functools.cache
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    for word in VOCABULARY:
        tokenizer.add_word(word, freq=50_000)
    tokenizer.initialize()
    return tokenizer


def words(text: str | None) -> list[str]:
    """The content words of one cleaned text (see :func:`index_text`), in order."""
    if not text:
        return []
    return [
        w
        for w in _tokenizer().lcut(text, HMM=False)
        if len(w) > 1 and w not in STOP_WORDS and _HAN.search(w)
    ]


MIN_CHINESE = 2  # characters a cleaned text needs to count as having words


def chinese(texts) -> pa.Array | pa.ChunkedArray:
    """Each text's Chinese characters (U+4E00-U+9FFF) only, in order; None stays None."""
    if not isinstance(texts, pa.Array | pa.ChunkedArray):
        texts = pa.array(pd.Series(texts, dtype=object), type=pa.string(), from_pandas=True)
    return pc.replace_substring_regex(texts, pattern=_NOT_HAN, replacement="")


def has_text(texts: pd.Series) -> pd.Series:
    """Which texts hold at least ``MIN_CHINESE`` Chinese characters once cleaned."""
    enough = pc.greater_equal(pc.utf8_length(chinese(texts)), MIN_CHINESE)
    return pd.Series(pc.fill_null(enough, False).to_numpy(zero_copy_only=False), index=texts.index)
