"""scripts/spark-local.sh: a master with its worker and a Connect server on localhost that run
queries on the worker, keep their tables over a restart and leave no process behind."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.conftest import REPO

pytestmark = pytest.mark.spark


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def spark_local(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(REPO / "scripts/spark-local.sh"), command],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def processes_in(directory: Path) -> list[int]:
    """The cluster's JVMs: the script runs its daemons in SPARK_LOCAL_DIR and the worker its
    executors in a work directory under it."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:  # not a process, or gone meanwhile
            continue
        if cwd.is_relative_to(directory):
            pids.append(int(entry.name))
    return pids


def test_cluster_runs_on_its_worker_keeps_tables_and_stops(tmp_path):
    state = tmp_path / "spark"
    master, connect, master_ui, worker_ui, connect_ui = free_ports(5)
    env = os.environ | {
        "SPARK_LOCAL_DIR": str(state),
        "SPARK_MASTER_PORT": str(master),
        "SPARK_CONNECT_PORT": str(connect),
        "SPARK_MASTER_WEBUI_PORT": str(master_ui),
        "SPARK_WORKER_WEBUI_PORT": str(worker_ui),
        "SPARK_CONNECT_UI_PORT": str(connect_ui),
    }
    url = f"sc://localhost:{connect}"
    try:
        started = spark_local("start", env)
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"GOV_DB={url}/gov" in started.stdout
        assert len(processes_in(state)) == 4  # master, worker, Connect server, executor

        with urllib.request.urlopen(f"http://localhost:{master_ui}/json/") as response:
            cluster = json.load(response)
        assert cluster["aliveworkers"] == 1
        assert [app["name"] for app in cluster["activeapps"]] == ["Spark Connect server"]

        spark = SparkSession.builder.remote(url).create()
        try:
            assert spark.conf.get("spark.master") == f"spark://localhost:{master}"
            # Each row names the JVM that computed it: the worker's executor, not the driver.
            jvms = spark.sql(
                "SELECT DISTINCT reflect('java.lang.System', 'getProperty', 'sun.java.command') "
                "AS jvm FROM range(0, 4, 1, 2)"
            ).collect()
            assert [row.jvm.split()[0] for row in jvms] == [
                "org.apache.spark.executor.CoarseGrainedExecutorBackend"
            ]
            spark.range(5).write.saveAsTable("kept")
        finally:
            spark.stop()

        again = spark_local("start", env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert again.stdout.count("已在运行") == 3

        assert spark_local("stop", env).returncode == 0
        assert processes_in(state) == []
        assert spark_local("status", env).returncode == 3

        restarted = spark_local("start", env)
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        spark = SparkSession.builder.remote(url).create()
        try:
            assert sorted(row.id for row in spark.table("kept").collect()) == [0, 1, 2, 3, 4]
        finally:
            spark.stop()
    finally:
        stopped = spark_local("stop", env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert processes_in(state) == []
