#!/usr/bin/env bash
# Set everything up, build the demo district if there is no database yet, open the dashboard.
# Environment: GOV_DB (database path or URL), PORT (default 8501), DEMO_EVENTS (default 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m analytics demo --if-missing --events "${DEMO_EVENTS:-1000000}"
echo "==> 启动看板: http://localhost:${PORT:-8501}"
exec .venv/bin/python -m streamlit run app.py --server.port "${PORT:-8501}" "$@"
