"""The first visitor after a server start: plain ``streamlit run`` against ``ui.serve``.

    .venv/bin/python -m bench.first_visit [--size 1000000]

Starts the real server twice on ``bench/out/events_<N>.duckdb`` (built by ``bench.overview``):
once as ``streamlit run app.py``, once as ``scripts/run.sh`` does (``python -m ui.serve``:
the same plus the warm-up thread, ``ui/warmup.py``). Each time it waits until the server
answers and, for ``ui.serve``, until its log says the default view is computed (for plain
``streamlit run`` the same number of seconds), then a new tab (``bench.load``'s websocket
client, the protocol a browser speaks) opens the overview's link and moves through every
page in the menu without touching a filter. Printed: each page's whole script run, first
visitor, in seconds. Both servers import the app's modules on their first run or warm-up, so
the first column includes what a real first visitor pays for that too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import PAGES, free_port, tab, wait_healthy
from bench.overview import PROJECT_DIR, built_db, warm_os_cache

WARMED = "默认视图已预先计算"  # ui.warmup's line in the server log
COMMANDS = {
    "streamlit run app.py": ["-m", "streamlit", "run", "app.py"],
    "ui.serve (warm-up)": ["-m", "ui.serve"],
}


async def visit(port: int) -> dict[str, float]:
    seconds = {}
    async with tab(port, None) as t:
        for page in PAGES:
            run = await (t.navigate(page) if t.pages else t.open(page, ""))
            if run.errors or run.boxes:
                raise SystemExit(f"{page}: {run.errors + run.boxes}")
            seconds[page] = run.seconds
    return seconds


def first_visit(name: str, db: Path, wait: float | None) -> tuple[dict[str, float], float]:
    """The pages' times for the first visitor, and how long the server took to be ready."""
    port = free_port()
    log_path = Path(tempfile.mkdtemp()) / "server.log"
    env = os.environ | {
        "GOV_DB": str(db),
        "GOV_ADMIN_DB": str(log_path.with_name("admin.sqlite")),
        "FORWARDED_ALLOW_IPS": "",
    }
    cmd = [sys.executable, *COMMANDS[name], "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            cmd, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        started = time.monotonic()
        wait_healthy(port, server)
        if wait is None:  # until the warm-up says it is done
            while WARMED not in log_path.read_text():
                if time.monotonic() - started > 300:
                    raise SystemExit(f"no warm-up within 300 s; see {log_path}")
                time.sleep(0.2)
        else:
            time.sleep(max(0.0, wait - (time.monotonic() - started)))
        ready = time.monotonic() - started
        return asyncio.run(visit(port)), ready
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    db = built_db(args.size)
    warm_os_cache(db)
    warmed, ready = first_visit("ui.serve (warm-up)", db, None)
    plain, _ = first_visit("streamlit run app.py", db, ready)
    print(f"{args.size:,} events · the first visitor, {ready:.1f} s after the start\n")
    print("| page | streamlit run app.py s | ui.serve (warm-up) s |")
    print("|---|---:|---:|")
    for page in PAGES:
        print(f"| {page} | {plain[page]:.2f} | {warmed[page]:.2f} |")
    print(f"| **all seven** | **{sum(plain.values()):.2f}** | **{sum(warmed.values()):.2f}** |")


if __name__ == "__main__":
    main()
