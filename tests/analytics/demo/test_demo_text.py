"""The demo's 诉求内容: varied messages, personal data inside some, planted hot issues, the
未分类 category and their ground-truth tables."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pytest

from analytics import schema
from analytics.catalogue import CATEGORIES
from analytics.demo import geo, text
from analytics.demo.build import MARKUP_PREFIXES, build_demo

EVENTS = 30_000
SEED = 20260101
END = np.datetime64("2026-10-31T23:59:59")
CITIZEN = ("hotline", "app", "online", "letter")
TRUTH = ("demo_hot_issues", "demo_hot_issue_events", "demo_true_category")
# Every place a message can name: a road of geo's stems and suffixes, or a village's 组.
PLACE = re.compile(
    f"(?:{'|'.join(geo._ROAD_STEMS)})(?:{'|'.join(sorted(set(geo._ROAD_SUFFIXES), key=len)[::-1])})"
    f"|(?:{'|'.join(geo._VILLAGE_NAMES)})村\\d+组"
)
PERSONAL = re.compile(
    "(我叫[^，。！]+，电话1\\d{10}，麻烦尽快处理。|联系电话1\\d{10}，有进展请回电。"
    "|我是[^，。！]+，住[^，。！]+\\d+室。|我姓.，电话1\\d{10}，白天都能接。)$"
)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("demo_text") / "demo.duckdb"
    build_demo(path, events=EVENTS, seed=SEED)
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def message(description: str) -> str:
    """The citizen's own words: no markup prefix, no personal sentence, no place."""
    for prefix in MARKUP_PREFIXES:
        description = description.removeprefix(prefix)
    return PLACE.sub("", PERSONAL.sub("", description))


def literal_parts(template: str) -> list[str]:
    """The fixed text of a template between its slots (at least 4 characters long)."""
    return [p for p in re.split(r"\{[a-z]+\}", template) if len(p) >= 4]


def test_rendered_variants_are_long_varied_and_leave_only_the_place():
    variants = text.render_variants(np.random.default_rng(1), tuple(CATEGORIES), 200)
    assert len(variants.texts) == 200 * len(CATEGORIES)
    assert len(set(variants.texts)) > 0.8 * len(variants.texts)
    lengths = [len(t.replace("{place}", "建设大道")) for t in variants.texts]
    assert min(lengths) >= text.MIN_LENGTH and max(lengths) <= 120
    assert all(set(re.findall(r"\{(\w+)\}", t)) <= {"place"} for t in variants.texts)
    assert set(text.TEXT) == set(CATEGORIES)
    assert all(8 <= len(spec.templates) <= 15 for spec in text.TEXT.values())


def test_themes_differ_from_their_categorys_ordinary_templates():
    def grams(s: str) -> set[str]:
        s = re.sub(r"\{\w+\}", "", s)
        return {s[i : i + 2] for i in range(len(s) - 1)}

    for theme in text.THEMES:
        assert theme.category in CATEGORIES and 4 <= len(theme.paraphrases) <= 8
        for paraphrase in theme.paraphrases:
            for template in text.TEXT[theme.category].templates:
                a, b = grams(paraphrase), grams(template)
                assert len(a & b) / len(a | b) < 0.3, (paraphrase, template)


def test_messages_are_varied_and_come_from_their_category(con):
    events = rows(con, "SELECT description, category, event_id FROM events")
    words = [message(d) for d, _, _ in events]
    assert len(set(words)) >= 500
    assert np.median([len(w) for w in words]) >= 36  # 40+ with the place
    true = dict(rows(con, "SELECT event_id, category FROM demo_true_category"))
    hot = {e for (e,) in rows(con, "SELECT event_id FROM demo_hot_issue_events")}
    for (description, category, event_id), words_only in zip(events, words, strict=True):
        category = true.get(event_id, category)
        templates = (
            [p for th in text.THEMES if th.category == category for p in th.paraphrases]
            if event_id in hot
            else text.TEXT[category].templates
        )
        assert any(all(part in words_only for part in literal_parts(t)) for t in templates), (
            description
        )


def test_every_planted_issue_is_one_place_one_problem_within_days(con):
    issues = rows(
        con,
        "SELECT issue_id, theme, grid_id, category, first_at, last_at, events FROM demo_hot_issues",
    )
    assert len(issues) == 40
    recent = [i for i in issues if np.datetime64(i[4]) >= END - np.timedelta64(90, "D")]
    assert len(recent) >= 8
    themes = {t.label: t for t in text.THEMES}
    for issue_id, theme, grid_id, category, first_at, last_at, count in issues:
        assert theme in themes and themes[theme].category == category
        assert 6 <= count <= 40
        assert np.timedelta64(last_at - first_at) < np.timedelta64(10, "D")
        found = rows(
            con,
            "SELECT e.grid_id, e.category, e.channel, e.reported_at, e.reporter_name,"
            " e.reporter_phone, e.description, regexp_replace(e.address, '\\d+号.*$', '')"
            " FROM demo_hot_issue_events h JOIN events e USING (event_id)"
            f" WHERE h.issue_id = '{issue_id}'",
        )
        assert len(found) == count
        grids, cats, channels, times, names, phones, texts, places = zip(*found, strict=True)
        assert set(grids) == {grid_id} and set(cats) == {category}
        assert set(channels) <= {"hotline", "app", "online"}
        assert min(times) == first_at and max(times) == last_at
        assert len(set(names)) >= 4 and len(set(phones)) >= 4
        assert len(set(places)) == 1  # one road (or 组) of the grid
        spots = [s for s in themes[theme].spots if s in texts[0]]
        assert spots and all(spots[0] in t for t in texts)
        assert len({message(t) for t in texts}) >= 3
    by_grid: dict[str, list[tuple]] = {}
    for issue in issues:
        by_grid.setdefault(issue[2], []).append(issue)
    for same_grid in by_grid.values():
        same_grid.sort(key=lambda i: i[4])
        for earlier, later in zip(same_grid, same_grid[1:], strict=False):
            assert earlier[5] < later[4], (earlier[0], later[0])


def test_uncategorised_events_keep_their_truth(con):
    shares = dict(
        rows(
            con,
            "SELECT category, count(*) / sum(count(*)) OVER () FROM events"
            f" WHERE channel IN {CITIZEN} GROUP BY 1",
        )
    )
    assert shares["未分类"] == pytest.approx(0.02, abs=0.005)
    assert "其他" not in shares  # not a catalogue category: the importer never makes it
    outside, total = rows(
        con,
        f"SELECT count(*) FILTER (WHERE channel NOT IN {CITIZEN}), count(*) FROM events"
        " WHERE category = '未分类'",
    )[0]
    assert outside == 0
    mismatch = rows(
        con,
        "SELECT count(*) FROM demo_true_category t FULL JOIN (SELECT event_id FROM events"
        " WHERE category = '未分类') e USING (event_id)"
        " WHERE t.event_id IS NULL OR e.event_id IS NULL",
    )[0][0]
    assert mismatch == 0
    truths = {c for (c,) in rows(con, "SELECT DISTINCT category FROM demo_true_category")}
    assert truths <= set(CATEGORIES) and len(truths) >= 10
    assert rows(con, "SELECT count(*) FROM demo_true_category")[0][0] == total


def test_personal_data_in_text_is_the_events_own(con):
    every = rows(
        con, "SELECT description, reporter_name, reporter_phone, address, channel FROM events"
    )
    found = [row for row in every if PERSONAL.search(row[0])]
    citizen = sum(row[4] not in ("patrol", "sensor") for row in every)
    assert len(found) / citizen == pytest.approx(0.03, abs=0.008)
    kinds = set()
    for description, name, phone, address, channel in found:
        assert channel not in ("patrol", "sensor")
        said = PERSONAL.search(description).group(0)
        if said.startswith("我叫"):
            assert said.startswith(f"我叫{name}，电话{phone}，")
        elif said.startswith("联系电话"):
            assert said.startswith(f"联系电话{phone}，")
        elif said.startswith("我是"):
            assert said.startswith(f"我是{name}，住{address}")
        else:
            assert said.startswith(f"我姓{name[0]}，电话{phone}，")
        kinds.add(said[:2])
    assert kinds == {"我叫", "联系", "我是", "我姓"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo_tiny") / "tiny.duckdb"
    assert build_demo(path, events=3_000, seed=7)["rows"]["events"] == 3_000
    return path


def truth_prints(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as c:
        return [
            c.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {t} t").fetchone() for t in TRUTH
        ]


def test_a_tiny_demo_keeps_only_the_latest_issues_that_fit(tiny: Path):
    assert not set(TRUTH) & set(schema.TABLES)  # not canonical: never published to Spark
    with duckdb.connect(str(tiny), read_only=True) as c:
        planted, first = c.execute(
            "SELECT coalesce(sum(events), 0), min(first_at) FROM demo_hot_issues"
        ).fetchone()
    assert 0 < planted <= 3_000 * 0.05
    assert np.datetime64(first) > END - np.timedelta64(365, "D")


def test_truth_tables_rebuild_identically(tiny: Path, tmp_path: Path):
    build_demo(tmp_path / "again.duckdb", events=3_000, seed=7)
    assert truth_prints(tmp_path / "again.duckdb") == truth_prints(tiny)
