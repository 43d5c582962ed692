#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the pinned requirements (idempotent, fast when done).
# Usage: scripts/setup.sh [--dev]   (--dev adds the test tools)
# Both install Debian's chromium and CJK fonts (scripts/install-browser.sh, skipped when present):
# the dashboard's 导出汇报材料 draws its chart images with them, the browser tests drive them.
set -euo pipefail
cd "$(dirname "$0")/.."

req=requirements.txt
[ "${1:-}" = "--dev" ] && req=requirements-dev.txt

py=""
for cand in "${PYTHON:-}" python3.11 python3; do
  if [ -n "$cand" ] && command -v "$cand" >/dev/null 2>&1 &&
     "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    py=$cand; break
  fi
done
if [ -z "$py" ]; then
  echo "需要 Python 3.11(未找到 python3.11)。请安装后重试,或设置 PYTHON=/path/to/python3.11。" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> 创建虚拟环境 .venv ($("$py" --version))"
  "$py" -m venv .venv
fi

hash=$(cat requirements*.txt | sha256sum | cut -c1-16)
stamp=.venv/.installed-$hash-$(basename "$req" .txt)
dev_stamp=.venv/.installed-$hash-requirements-dev  # the dev set includes the runtime set
if [ ! -f "$stamp" ] && [ ! -f "$dev_stamp" ]; then
  echo "==> 安装依赖 ($req)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  touch "$stamp"
fi

if [ "${1:-}" = "--dev" ]; then
  bash scripts/install-browser.sh
elif ! bash scripts/install-browser.sh; then
  echo "警告:未能安装 chromium 和中文字体,看板照常可用,但「导出汇报材料」和图片导出不可用。" >&2
fi
