"""AppTest for our ``st.navigation`` app, run the way the live server runs it.

Streamlit still has a legacy mode for apps with a ``pages/`` folder: until some script has
called ``st.navigation`` it runs the folder's files as pages by themselves. The live server
leaves that mode on the first run of the process and never returns to it (see
``ui.context.current``), but ``AppTest`` resets the switch before every run, so without this
class each rerun would execute ``pages/overview.py`` alone, skipping ``app.py`` and the
shared sidebar. Here the switch is off for every run, as on a server that has served once.

Every ``AppTest`` also scans the installed packages for Streamlit components on its first run;
the app has none of its own, so the scan is made once per process and shared, as a live
server's runtime shares it between sessions. Likewise the scripts' compiled bytecode: a live
server compiles each page once (its runtime's ``ScriptCache``), ``AppTest`` on every run, which
cost ~15 ms a run of the overview and made page timings (``bench/ratios.py``) overstate what a
user waits for.
"""

from __future__ import annotations

import functools
from pathlib import Path

from streamlit import config
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, local_script_runner
from streamlit.testing.v1 import app_test as app_test_module

APP = str(Path(__file__).resolve().parent.parent / "app.py")
# The pages that show figures, in the navigation's order (the admin pages aside).
DATA_PAGES = (
    "pages/overview.py",
    "pages/trends.py",
    "pages/closure.py",
    "pages/response.py",
    "pages/heatmap.py",
    "pages/whatif.py",
    "pages/rankings.py",
    "pages/problems.py",
)


class _NavigationPagesManager(PagesManager):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@functools.cache
def _components() -> BidiComponentManager:
    """The installed packages' components, scanned once (as ``AppTest._run`` does per app)."""
    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


_SCRIPTS = ScriptCache()  # one per process, as the server's runtime has one


class EntryAppTest(AppTest):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._bidi_component_manager = _components()

    def _run(self, widget_state=None, timeout=None) -> AppTest:
        saved = app_test_module.PagesManager, app_test_module.ScriptCache
        saved_runner = local_script_runner.ScriptCache
        app_test_module.PagesManager = _NavigationPagesManager
        app_test_module.ScriptCache = local_script_runner.ScriptCache = lambda: _SCRIPTS
        try:
            return super()._run(widget_state, timeout)
        finally:
            app_test_module.PagesManager, app_test_module.ScriptCache = saved
            local_script_runner.ScriptCache = saved_runner


def app_test(timeout: float = 120) -> EntryAppTest:
    """The app as ``.streamlit/config.toml`` serves it (on 127.0.0.1), which AppTest does not
    read. ``AppTest.from_file`` always builds a plain ``AppTest``, hence the constructor."""
    config.set_option("server.address", "127.0.0.1")
    return EntryAppTest(APP, default_timeout=timeout)


def open_page(
    db, monkeypatch, page: str, timeout: float = 120, query: dict | None = None
) -> EntryAppTest:
    """The app on ``db``, switched to ``page`` (a path under pages/), run without exception;
    ``query``: the link's parameters (e.g. ``{"present": "1"}`` for presentation mode)."""
    monkeypatch.setenv("GOV_DB", str(db))
    at = app_test(timeout)
    if query:
        at.query_params = query
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_names(page: str, *names: str) -> dict:
    """The classes and functions called ``names`` of a page script (a path under pages/), with
    its imports, without running the page (importing it would)."""
    import ast

    source = (Path(APP).parent / page).read_text(encoding="utf-8")
    body = ast.parse(source).body
    nodes = [n for n in body if isinstance(n, ast.ImportFrom | ast.Import)]
    nodes += [n for n in body if getattr(n, "name", None) in names]
    space: dict = {}
    exec(compile(ast.Module(nodes, []), page, "exec"), space)
    return space
