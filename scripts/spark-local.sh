#!/usr/bin/env bash
# A real Spark cluster on this machine, run from the pip-installed pyspark's own jars (no Spark
# download): a standalone master, one worker and a Spark Connect server, all on 127.0.0.1.
# The dashboard reads it with GOV_DB=sc://localhost:15002/gov.
# Usage: scripts/spark-local.sh start|stop|status
# Environment (defaults in brackets):
#   SPARK_LOCAL_DIR [data/spark]: warehouse, Derby metastore, logs and pid files, so tables
#     survive a restart; no spaces in its path (spark-daemon.sh's log redirection). Not Spark's
#     SPARK_LOCAL_DIRS, the shuffle scratch space, which stays in /tmp. Its conf/ may hold a
#     log4j2.properties; every Spark setting is made below.
#   SPARK_MASTER_PORT [7077], SPARK_CONNECT_PORT [15002], and the web UIs:
#     SPARK_MASTER_WEBUI_PORT [8080], SPARK_WORKER_WEBUI_PORT [8081], SPARK_CONNECT_UI_PORT [4040]
#   SPARK_WORKER_CORES [nproc], SPARK_WORKER_MEMORY [4g], SPARK_DRIVER_MEMORY [2g] (the Connect
#     server is the driver), SPARK_EXECUTOR_MEMORY [2g], SPARK_SHUFFLE_PARTITIONS [2 × cores]
#   SPARK_START_TIMEOUT [180]: seconds `start` waits for the cluster to answer a query
set -euo pipefail
cd "$(dirname "$0")/.."

state=${SPARK_LOCAL_DIR:-data/spark}
mkdir -p "$state"
state=$(cd "$state" && pwd)  # absolute: the daemons run in it and the settings name it
export SPARK_PID_DIR=$state/run SPARK_LOG_DIR=$state/logs SPARK_CONF_DIR=$state/conf
export SPARK_IDENT_STRING=gov  # spark-daemon.sh names its files spark-gov-<class>-1.*
export SPARK_LOCAL_IP=127.0.0.1  # every port, web UIs included, on this machine only

master_port=${SPARK_MASTER_PORT:-7077}
connect_port=${SPARK_CONNECT_PORT:-15002}
cores=${SPARK_WORKER_CORES:-$(nproc)}
master_url=spark://localhost:$master_port
connect_url=sc://localhost:$connect_port

master=org.apache.spark.deploy.master.Master
worker=org.apache.spark.deploy.worker.Worker
connect=org.apache.spark.sql.connect.service.SparkConnectServer
declare -A title=([$master]="Spark 主节点" [$worker]="Spark 工作节点"
  [$connect]="Spark Connect 服务")

pid_file() { echo "$SPARK_PID_DIR/spark-$SPARK_IDENT_STRING-$1-1.pid"; }

running() {  # prints the pid of class $1's daemon; fails when it does not run
  local file pid
  file=$(pid_file "$1")
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  # Pids get reused: it is our daemon only while its command line names the class.
  [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" == *" $1 "* ]] || return 1
  echo "$pid"
}

alive() {  # whether any of the pids still runs
  local pid
  for pid; do
    kill -0 "$pid" 2>/dev/null && return
  done
  return 1
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

log_file() { echo "$SPARK_LOG_DIR/spark-$SPARK_IDENT_STRING-$1-1-$HOSTNAME.out"; }

fail() {  # the message, then the end of the logs named after it
  echo "$1" >&2
  local file
  for file in "${@:2}"; do
    [ -s "$file" ] && { echo "--- $file 末尾:" >&2; tail -n 20 "$file" >&2; }
  done
  echo "已启动的进程可用 scripts/spark-local.sh stop 停止。" >&2
  exit 1
}

ours_or_free() {  # a port another program holds would pass for our daemon's in the waits
  running "$1" >/dev/null || ! listening "$2" || {
    echo "端口 $2 已被其他程序占用,${title[$1]}无法启动。" >&2
    echo "请用环境变量换一个端口(见 scripts/spark-local.sh 开头)。" >&2
    exit 1
  }
}

daemon() {  # spark-daemon.sh start|submit CLASS ARGS..., unless it runs
  local pid
  if pid=$(running "$2"); then
    echo "${title[$2]}已在运行(进程 $pid)。"
    return
  fi
  rm -f "$(pid_file "$2")"  # stale: spark-daemon.sh would refuse a pid now used by other java
  echo "==> 启动 ${title[$2]}"
  # In $state: Derby writes its derby.log in the working directory.
  (cd "$state" && "$SPARK_HOME/sbin/spark-daemon.sh" "$1" "$2" 1 "${@:3}") \
    >>"$SPARK_LOG_DIR/spark-daemon.log" 2>&1
}

start() {
  bash scripts/setup.sh --spark  # pyspark in .venv, and Java
  SPARK_HOME=$(.venv/bin/python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
  export SPARK_HOME
  mkdir -p "$SPARK_PID_DIR" "$SPARK_LOG_DIR" "$SPARK_CONF_DIR" "$state/warehouse" "$state/work"
  local began=$SECONDS deadline=$((SECONDS + ${SPARK_START_TIMEOUT:-180})) daemon
  ours_or_free "$master" "$master_port"
  ours_or_free "$connect" "$connect_port"

  # spark-daemon.sh waits two seconds more after launching; the master's port is up sooner.
  daemon start "$master" --host localhost --port "$master_port" \
    --webui-port "${SPARK_MASTER_WEBUI_PORT:-8080}" &
  local launching=$!
  until listening "$master_port"; do
    kill -0 "$launching" 2>/dev/null || running "$master" >/dev/null ||
      fail "${title[$master]}启动失败。" "$(log_file "$master")"
    [ $SECONDS -lt "$deadline" ] ||
      fail "${title[$master]}未能在时限内启动。" "$(log_file "$master")"
    sleep 0.5
  done
  # Both register with the running master; each takes seconds to start, so side by side.
  daemon start "$worker" "$master_url" --cores "$cores" --memory "${SPARK_WORKER_MEMORY:-4g}" \
    --webui-port "${SPARK_WORKER_WEBUI_PORT:-8081}" --work-dir "$state/work" &
  # Tables outlive the server: the Hive catalog, in a Derby database under $state.
  local metastore="jdbc:derby:;databaseName=$state/metastore_db;create=true"
  # Spark's default of 200 shuffle partitions makes 200 tasks per aggregation; on one small
  # worker each costs more to schedule than the few rows it sums. Two per core keep all busy.
  daemon submit "$connect" --name "Spark Connect server" --master "$master_url" \
    --driver-memory "${SPARK_DRIVER_MEMORY:-2g}" --executor-memory "${SPARK_EXECUTOR_MEMORY:-2g}" \
    --conf spark.connect.grpc.binding.address=127.0.0.1 \
    --conf spark.connect.grpc.binding.port="$connect_port" \
    --conf spark.ui.port="${SPARK_CONNECT_UI_PORT:-4040}" \
    --conf spark.sql.session.timeZone=UTC \
    --conf spark.sql.shuffle.partitions="${SPARK_SHUFFLE_PARTITIONS:-$((2 * cores))}" \
    --conf spark.sql.catalogImplementation=hive \
    --conf spark.sql.warehouse.dir="$state/warehouse" \
    --conf "spark.hadoop.javax.jdo.option.ConnectionURL=$metastore" &
  wait

  echo "==> 等待 Spark Connect 应答查询(最多 ${SPARK_START_TIMEOUT:-180} 秒)"
  until listening "$connect_port"; do
    for daemon in "$master" "$worker" "$connect"; do
      running "$daemon" >/dev/null || fail "${title[$daemon]}已退出。" "$(log_file "$daemon")"
    done
    [ $SECONDS -lt "$deadline" ] ||
      fail "${title[$connect]}未能在时限内启动。" "$(log_file "$connect")"
    sleep 1
  done
  # A job on the worker's executor, not only an answer from the driver: the cluster works.
  timeout $((deadline > SECONDS ? deadline - SECONDS : 1)) .venv/bin/python -c '
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.remote(sys.argv[1]).create()
assert spark.range(0, 4, 1, 2).count() == 4
spark.stop()
' "$connect_url" >"$SPARK_LOG_DIR/check.log" 2>&1 ||
    fail "${title[$connect]}未能在时限内完成查询。" "$SPARK_LOG_DIR/check.log" \
      "$(log_file "$connect")" "$(log_file "$worker")"

  cat >"$SPARK_PID_DIR/addresses" <<EOF
主节点 $master_url,网页 http://localhost:${SPARK_MASTER_WEBUI_PORT:-8080}
工作节点网页 http://localhost:${SPARK_WORKER_WEBUI_PORT:-8081}
Spark Connect $connect_url,网页 http://localhost:${SPARK_CONNECT_UI_PORT:-4040}
看板使用它:GOV_DB=$connect_url/gov
EOF
  echo "Spark 已就绪(用时 $((SECONDS - began)) 秒)。"
  cat "$SPARK_PID_DIR/addresses"
}

stop() {
  # All at once: the worker stops its executor as it exits (so does the master when the Connect
  # server's application ends), and each shutdown takes seconds.
  local daemon pid
  local -A stopping=()
  for daemon in "$connect" "$worker" "$master"; do
    pid=$(running "$daemon") || continue
    echo "==> 停止 ${title[$daemon]}(进程 $pid)"
    kill "$pid"
    stopping[$daemon]=$pid
  done
  [ ${#stopping[@]} -gt 0 ] || { echo "Spark 未在运行。"; return; }
  for _ in $(seq 60); do
    alive "${stopping[@]}" || break
    sleep 0.5
  done
  for daemon in "${!stopping[@]}"; do
    if alive "${stopping[$daemon]}"; then
      echo "${title[$daemon]} 30 秒内未退出,强制结束。" >&2
      kill -9 "${stopping[$daemon]}"
    fi
    rm -f "$(pid_file "$daemon")"
  done
}

status() {  # exit status 0 when all three run, 3 otherwise
  local all=yes daemon pid
  for daemon in "$master" "$worker" "$connect"; do
    if pid=$(running "$daemon"); then
      echo "${title[$daemon]}:运行中(进程 $pid)"
    else
      echo "${title[$daemon]}:未运行"
      all=no
    fi
  done
  [ $all = yes ] || return 3
  cat "$SPARK_PID_DIR/addresses"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "用法: scripts/spark-local.sh start|stop|status" >&2; exit 2 ;;
esac
