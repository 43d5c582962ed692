#!/usr/bin/env bash
# Set up (venv, test tools, Debian chromium) and run the whole test suite: lint, unit, AppTest, browser.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
