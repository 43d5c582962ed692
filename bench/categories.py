"""分类建议 (issue #21) measured: training time, evaluation, suggestions and their accuracy.

    .venv/bin/python -m bench.categories                          # 1M demo in bench/out
    .venv/bin/python -m bench.categories --db /tmp/h2/demo.duckdb --kinds logistic,sgd,nb

On the demo database (built with ``python -m analytics demo`` when missing): the stratified
training sample's load and segmentation time, training time per classifier, the 80/20
evaluation (macro-F1, accuracy, per category), suggestion time and count, and — when the demo
kept the true categories of the events it left uncategorised (``demo_true_category``) — the
suggestions' accuracy against them, overall and per confidence band. Then macro-F1 on the
泰迪杯-shaped message file (``tests/data/messages/taidi_like.csv``) when present.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import pandas as pd

from analytics import categories, text
from analytics.connection import connect

PROJECT_DIR = Path(__file__).resolve().parent.parent
MESSAGES = PROJECT_DIR / "tests/data/messages/taidi_like.csv"
BANDS = ((0.9, "≥0.9"), (0.8, "0.8–0.9"), (0.6, "0.6–0.8"), (0.0, "<0.6"))


def _timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def _per_class(result: categories.Evaluation) -> None:
    table = result.per_class.rename(
        columns={
            "category": "类别",
            "precision": "精确率",
            "recall": "召回率",
            "f1": "F1",
            "support": "测试条数",
        }
    )
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


def _truth(db: str, frame: pd.DataFrame) -> None:
    con = duckdb.connect(db, read_only=True)
    try:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if "demo_true_category" not in tables:
            print("    (无 demo_true_category:跳过与真实类别的对照)")
            return
        truth = con.execute("SELECT event_id, category FROM demo_true_category").df()
    finally:
        con.close()
    joined = frame.merge(truth.rename(columns={"category": "truth"}), on="event_id", how="inner")
    if joined.empty:
        print("    建议与 demo_true_category 没有共同的事件")
        return
    right = joined["suggested"] == joined["truth"]
    print(
        f"    对照真实类别:{len(joined):,} 条建议有真值({len(frame) - len(joined):,} 条没有),"
        f"准确率 {right.mean():.1%}"
    )
    for low, label in BANDS:
        high = min((h for h, _ in BANDS if h > low), default=1.01)
        band = joined["confidence"].between(low, high, inclusive="left")
        if band.any():
            print(
                f"      置信度 {label:>7}:{int(band.sum()):>7,} 条({band.mean():.1%}),"
                f"准确率 {right[band].mean():.1%}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=str(PROJECT_DIR / "bench/out/categories_demo.duckdb"))
    parser.add_argument("--kinds", default="logistic,sgd,nb")
    parser.add_argument("--messages", default=str(MESSAGES))
    args = parser.parse_args(argv)
    kinds = args.kinds.split(",")

    if not Path(args.db).exists():
        from analytics.demo.build import build_demo

        print(f"==> 生成 100 万条演示数据 → {args.db}")
        build_demo(args.db, events=1_000_000, seed=20260101)
    con = connect(args.db, read_only=True)
    try:
        sample, load_s = _timed(
            lambda: categories.labelled_sample(con, categories.MAX_TRAIN, categories.SEED)
        )
        clean, clean_s = _timed(
            lambda: text.index_text(sample["description"], sample["reporter_name"])
        )
        distinct = clean.drop_duplicates()
        _, words_s = _timed(lambda: [text.words(t) for t in distinct])
        print(
            f"==> 训练样本 {len(sample):,} 条(读取 {load_s:.1f} 秒,清洗 {clean_s:.1f} 秒),"
            f"不同文本 {len(distinct):,} 条,分词 {words_s:.1f} 秒"
        )
        models = {}
        for kind in kinds:
            model, seconds = _timed(lambda kind=kind: categories.train(con, kind=kind))
            models[kind] = model
            print(
                f"    训练 {kind:>8}:{seconds:.1f} 秒(其中拟合 {model.seconds:.1f} 秒),{model.id}"
            )
        for kind in kinds:
            result = categories.evaluate(con, kind=kind)
            print(
                f"==> 评估 {kind}:宏平均 F1 {result.macro_f1:.4f},准确率 {result.accuracy:.2%},"
                f"训练 {result.n_train:,} / 测试 {result.n_test:,},{result.seconds:.1f} 秒"
            )
            if kind == kinds[0]:
                _per_class(result)
        for kind in kinds:
            frame, seconds = _timed(lambda kind=kind: categories.suggest(con, models[kind]))
            print(f"==> 建议 {kind}:{len(frame):,} 条,{seconds:.1f} 秒")
            if len(frame):
                print(f"    平均置信度 {frame['confidence'].mean():.3f}")
                _truth(args.db, frame)
    finally:
        con.disconnect()

    if Path(args.messages).exists():
        texts, labels = categories.load_messages(args.messages)
        print(f"==> 留言文件 {args.messages}:{len(texts):,} 条,{len(set(labels))} 类")
        for kind in kinds:
            result = categories.evaluate_frame(texts, labels, kind=kind)
            print(
                f"    {kind:>8}:宏平均 F1 {result.macro_f1:.4f},准确率 {result.accuracy:.2%},"
                f"{result.seconds:.1f} 秒"
            )
            if kind == kinds[0]:
                _per_class(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
