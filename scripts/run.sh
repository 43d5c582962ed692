#!/usr/bin/env bash
# Set everything up, build the demo district if there is no database yet, open the dashboard.
# Environment: GOV_DB (database path or URL), PORT (default 8501), DEMO_EVENTS (default 1000000),
# ADDRESS (default 127.0.0.1, this machine only; a network address needs sign-in configured
# in settings.toml [access], or GOV_OPEN_INTRANET=1 on a closed intranet: README「部署」).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${GOV_DB:-}" == sc://* ]]; then
  bash scripts/setup.sh --spark  # the dashboard reads Spark: pyspark too
else
  bash scripts/setup.sh
fi
.venv/bin/python -m analytics demo --if-missing --events "${DEMO_EVENTS:-1000000}"
address=${ADDRESS:-127.0.0.1}
# The peer address Streamlit reports is the real connection's: no X-Forwarded-For is
# believed, so a proxy-header sign-in cannot be spoofed from this machine (README「部署」).
export FORWARDED_ALLOW_IPS=""
.venv/bin/python -m analytics.deployment "$address"
echo "==> 启动看板: http://${address/0.0.0.0/localhost}:${PORT:-8501}"
# `streamlit run app.py` plus a thread that computes the default view into the shared cache
# once the server is up and after every import, so the first visitor does not wait (ui/serve.py).
exec .venv/bin/python -m ui.serve --server.port "${PORT:-8501}" \
  --server.address "$address" "$@"
