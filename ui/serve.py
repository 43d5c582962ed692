"""The dashboard's server: ``streamlit run app.py`` plus the warm-up thread.

    .venv/bin/python -m ui.serve [streamlit run options]

``scripts/run.sh`` starts the dashboard this way. Beside Streamlit's server runs
``ui.warmup.watch``: once the server is up, and again after every import, the default view of
every page is computed into the shared cache, so that the first visitor does not wait for it.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def _warm_when_up(timeout: float = 120) -> None:
    """Once Streamlit's runtime exists (cached values must go to its cache, so the app's
    modules are imported only then), warm up and watch for imports."""
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout
    while not Runtime.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)
    from ui import warmup

    warmup.watch()


def main(argv: list[str]) -> None:
    from streamlit.web import cli

    threading.Thread(target=_warm_when_up, name="warm-up", daemon=True).start()
    cli.main(["run", str(APP), *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
