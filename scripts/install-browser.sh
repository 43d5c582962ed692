#!/usr/bin/env bash
# Debian's chromium (it draws the chart images of 导出汇报材料 through kaleido, and Playwright
# drives it in the browser tests; never a browser download) and CJK fonts so that screenshots,
# exported images and slides show Chinese, not boxes. Quick and silent when both are present.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v fc-list >/dev/null || need+=(fontconfig)  # ui/images.py asks it for a CJK font
# grep reads fc-list to the end: with -q it would stop early, and under pipefail fc-list's
# SIGPIPE would count as "fonts missing" (an apt-get run on every set-up).
fc-list :lang=zh family 2>/dev/null | grep "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
echo "==> 安装系统软件包: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
