#!/usr/bin/env bash
# Set up (venv, test tools, Debian chromium) and run the whole test suite: lint, unit, AppTest, browser.
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
