"""The Spark of the conformance suite (``pytest --engine spark``): one Spark Connect server
for the whole run, and each test database published to it once.

The server is ``$GOV_TEST_SPARK`` when set (e.g. ``sc://localhost:15002`` from
``scripts/spark-local.sh``), else a local-mode Connect server started here from the
pip-installed pyspark on a free port (one JVM, in-memory catalog, stopped at the end).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import time
from pathlib import Path

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
READY_TIMEOUT = 180.0  # seconds: a cold JVM on a busy 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path, port: int | None = None) -> tuple[str, subprocess.Popen]:
    """A local-mode Spark Connect server with its warehouse in ``folder``, on ``port`` (a
    free one by default); its address."""
    import pyspark

    home = Path(pyspark.__file__).parent
    port = port or _free_port()
    log = open(folder / "spark-connect.log", "wb")  # noqa: SIM115 (held by the server)
    process = subprocess.Popen(
        [
            str(home / "bin" / "spark-submit"),
            "--class",
            SERVER_CLASS,
            "--master",
            "local[2]",
            "--driver-memory",
            "2g",
            "--conf",
            "spark.connect.grpc.binding.address=127.0.0.1",  # no sign-in: this machine only
            "--conf",
            f"spark.connect.grpc.binding.port={port}",
            "--conf",
            f"spark.sql.warehouse.dir={folder / 'warehouse'}",
            "--conf",
            "spark.sql.session.timeZone=UTC",
            "--conf",
            "spark.sql.shuffle.partitions=4",
            "--conf",
            "spark.ui.enabled=false",
            "spark-internal",
        ],  # fmt: skip
        cwd=folder,
        env={**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"sc://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"Spark Connect 未能启动,见 {folder / 'spark-connect.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"Spark Connect {READY_TIMEOUT:.0f} 秒内未就绪") from None
            time.sleep(0.5)
    return url, process


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


_published: dict[tuple[str, Path], str] = {}


def published(server: str, path: Path) -> str:
    """The ``sc://`` URL of the DuckDB file ``path`` published on ``server`` (once per file
    and run: its database is named after the file's contents)."""
    key = (server, Path(path))
    if key not in _published:
        from analytics import spark

        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        name = re.sub(r"\W", "_", Path(path).stem)
        url = f"{server}/t_{name}_{digest}"
        spark.publish(path, url)
        _published[key] = url
    return _published[key]
