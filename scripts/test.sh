#!/usr/bin/env bash
# Set up (venv, test tools, Debian chromium, Spark) and run the whole test suite: lint, unit,
# AppTest, browser, and the analytics on Spark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
for arg in "$@"; do
    if [[ "$arg" != -* && -e "${arg%%::*}" ]]; then  # named tests: run just those
        exec .venv/bin/python -m pytest "$@"
    fi
done
# Everything but the browser on every core (pyproject: -n auto), then the browser tests on
# their own: a page's timing in chromium should not depend on what else the machine runs.
.venv/bin/python -m pytest --ignore=tests/e2e "$@"
.venv/bin/python -m pytest tests/e2e -n0 "$@"
# The conformance suite: the analytics tests again on Spark (one local Spark Connect server
# for the run, hence one process), every figure equal to DuckDB's; and the Spark tests.
.venv/bin/python -m pytest tests/analytics tests/ui tests/spark --engine spark -n0 "$@"
