#!/usr/bin/env bash
# A Java 17+ runtime for Spark (scripts/spark-local.sh runs pyspark's bundled jars on it):
# Debian's openjdk-17-jre-headless when missing, or openjdk-21 on releases without 17 (Spark 4.0
# runs on both). Quick and silent when present. It checks the java Spark will use: $JAVA_HOME's
# when set, as pyspark's bin/spark-class does, else the one on PATH.
set -euo pipefail
java=${JAVA_HOME:+$JAVA_HOME/bin/}java

java_major() {  # 17 for 'openjdk version "17.0.15"', 8 for "1.8.0_392", empty if none
  "$java" -version 2>&1 | sed -n 's/.* version "\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' | head -n 1
}

major=$(java_major || true)
[ -n "$major" ] && [ "$major" -ge 17 ] && exit 0

if [ -n "$major" ]; then
  found="找到的 $java 是 Java $major"
else
  found="未找到 $java"
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
if ! command -v apt-get >/dev/null || { [ -n "$sudo" ] && ! sudo -n true 2>/dev/null; }; then
  echo "Spark 需要 Java 17 或更高版本($found)。" >&2
  echo "请安装后重试,例如 Debian/Ubuntu 上以 root 运行:apt-get install openjdk-17-jre-headless;" >&2
  echo "已装在别处时设置 JAVA_HOME 指向它。" >&2
  exit 1
fi

$sudo apt-get update -qq
package=openjdk-17-jre-headless
apt-cache show "$package" >/dev/null 2>&1 || package=openjdk-21-jre-headless
echo "==> 安装系统软件包: $package($found)"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" \
  >/dev/null

major=$(java_major || true)
if [ -z "$major" ] || [ "$major" -lt 17 ]; then
  echo "已安装 $package,但 $java 仍不是 Java 17 或更高版本:" >&2
  version=${package#openjdk-}
  home=/usr/lib/jvm/java-${version%%-*}-openjdk-$(dpkg --print-architecture)
  echo "请设置 JAVA_HOME=$home 后重试。" >&2
  exit 1
fi
