#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the pinned requirements (idempotent, fast when done).
# Usage: scripts/setup.sh [--spark | --dev]
#   --spark  adds pyspark (requirements-spark.txt) and a Java 17+ runtime (scripts/install-java.sh)
#   --dev    adds the test tools, and Spark too: the test suite runs a Spark cluster
# All install Debian's chromium and CJK fonts (scripts/install-browser.sh, skipped when present):
# the dashboard's 导出汇报材料 draws its chart images with them, the browser tests drive them.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  "") reqs=requirements ;;
  --spark) reqs=requirements-spark ;;
  --dev) reqs=requirements-dev ;;
  *) echo "用法: scripts/setup.sh [--spark | --dev]" >&2; exit 2 ;;
esac

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

# Each set includes the one before it (requirements-dev.txt reads requirements-spark.txt, which
# reads requirements.txt), so the stamp of this set or of any later one means it is installed.
hash=$(cat requirements*.txt | sha256sum | cut -c1-16)
sets=(requirements requirements-spark requirements-dev)
installed=no
reached=no
for s in "${sets[@]}"; do
  [ "$s" = "$reqs" ] && reached=yes
  [ $reached = yes ] && [ -f ".venv/.installed-$hash-$s" ] && installed=yes
done
if [ $installed = no ]; then
  echo "==> 安装依赖 ($reqs.txt)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$reqs.txt"
  touch ".venv/.installed-$hash-$reqs"
fi

if [ "$reqs" != requirements ]; then
  bash scripts/install-java.sh
fi
if [ "$reqs" = requirements-dev ]; then
  bash scripts/install-browser.sh
elif ! bash scripts/install-browser.sh; then
  echo "警告:未能安装 chromium 和中文字体,看板照常可用,但「导出汇报材料」和图片导出不可用。" >&2
fi
