"""Charts as PNG images, drawn by kaleido in the machine's own chromium: no browser download,
no CDN (plotly.js comes from the installed plotly, MathJax is off), so it works offline.

Chinese needs a CJK font on the machine (``scripts/install-browser.sh`` installs
fonts-noto-cjk): every figure is drawn in the first CJK family that fontconfig knows, and a
missing browser or font is reported in Chinese instead of yielding an image of boxes.

Starting chromium takes a few seconds, so one browser serves every image of a process (a deck
draws twenty): it starts with the first image, or as an export begins (``open_browser``),
draws ``TABS`` images at once, and stops after a few idle minutes.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import logging
import os
import shutil
import subprocess
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from ui.charts import PNG_OPTIONS
from ui.figspec import without_empty

CHROMIUM = "/usr/bin/chromium"
# Noto Sans CJK SC is what the project installs; the others, where a machine has them instead.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
)
# As the chart's own camera button: 3200×1800 pixels, sharp on a projector and in print.
WIDTH, HEIGHT, SCALE = PNG_OPTIONS["width"], PNG_OPTIONS["height"], PNG_OPTIONS["scale"]
FONT_SIZE = 18  # the page's 13 px reads small in a 1600 px wide image
IDLE_SECONDS = 300  # close the browser after this long without an image
OPEN_TIMEOUT, RENDER_TIMEOUT, CLOSE_TIMEOUT = 60, 60, 15
DRAW_TIMEOUT = 180  # an image's wait for a free tab (other exports' images first) and drawing
TABS = 2  # images drawn at once: one per core of a small server
RELOAD_EVERY = 50  # images a tab draws between reloads (``_kaleido``)
INSTALL_HINT = "请运行 `bash scripts/install-browser.sh`(安装 Debian 的 chromium 和中文字体)"

_log = logging.getLogger(__name__)


class ImageError(RuntimeError):
    """Images cannot be drawn on this machine; the message says why and what to do."""


def browser_path() -> str:
    """The chromium to draw with: ``$BROWSER_PATH`` when set, else Debian's chromium."""
    configured = os.environ.get("BROWSER_PATH")
    path = configured or CHROMIUM
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    if configured:
        raise ImageError(f"环境变量 BROWSER_PATH 指向的 {configured} 不是可执行的浏览器。")
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    raise ImageError(
        f"找不到 chromium 浏览器,无法生成图表图片。{INSTALL_HINT},"
        "或设置环境变量 BROWSER_PATH 指向 Chrome/Chromium。"
    )


@functools.cache
def _font_lookup() -> tuple[str | None, str]:
    """(the CJK family, or None and why): looked up once per process, failure included, so
    a machine without fonts does not run fc-list on every page run."""
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, f"无法查询系统字体(fc-list)。{INSTALL_HINT}。"
    present = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    for family in CJK_FAMILIES:
        if family in present:
            return family, ""
    if present:  # some other Chinese font: better than boxes
        return sorted(present)[0], ""
    return None, f"系统没有中文字体,图片中的中文会显示为方框。{INSTALL_HINT}。"


def cjk_family() -> str:
    """The first of ``CJK_FAMILIES`` that fontconfig knows (it is what chromium draws with)."""
    family, reason = _font_lookup()
    if family is None:
        raise ImageError(reason)
    return family


def problem() -> str | None:
    """Why images cannot be drawn here, or None when they can."""
    try:
        browser_path()
        cjk_family()
    except ImageError as exc:
        return str(exc)
    return None


def prepared(fig: go.Figure, font_size: int | None = FONT_SIZE) -> dict:
    """``fig`` as a figure dict for a still image: white template, every text in the CJK
    family. Edited as a dict: through plotly's validators (``update_layout`` with a template)
    it cost 50 ms a figure, a second of a deck. Empty settings (``title: {}``) are left out,
    as a validated copy leaves them out."""
    spec = without_empty(fig.to_dict())
    family = f"{cjk_family()}, sans-serif"
    layout = spec.setdefault("layout", {})
    layout["template"] = _white_template()
    layout.setdefault("font", {})["family"] = family
    if font_size:
        layout["font"]["size"] = font_size
    for part in ("title", "legend"):
        layout.setdefault(part, {}).setdefault("font", {})["family"] = family
    for annotation in layout.get("annotations", ()):
        annotation.setdefault("font", {})["family"] = family
    return spec


@functools.cache
def _white_template() -> dict:
    """plotly's ``plotly_white`` as a dict, shared by every figure dict (none changes it)."""
    return pio.templates["plotly_white"].to_plotly_json()


def draw(
    fig: go.Figure,
    width: int = WIDTH,
    height: int = HEIGHT,
    scale: float = SCALE,
    font_size: int | None = FONT_SIZE,
) -> Future[bytes]:
    """Start drawing ``fig`` as PNG, ``width``×``height`` CSS pixels at ``scale``: the
    future's result is the PNG's bytes (or it raises ``ImageError``). Images are drawn
    ``TABS`` at a time, in the order asked for."""
    opts = {"format": "png", "width": width, "height": height, "scale": scale}
    return _browser.draw(prepared(fig, font_size), opts)


def png(
    fig: go.Figure,
    width: int = WIDTH,
    height: int = HEIGHT,
    scale: float = SCALE,
    font_size: int | None = FONT_SIZE,
) -> bytes:
    """``fig`` as PNG bytes, ``width``×``height`` CSS pixels drawn at ``scale``."""
    return draw(fig, width, height, scale, font_size).result()


def open_browser() -> None:
    """Start the browser now, without waiting for it: an export does so before its queries,
    so that chromium's few seconds of starting overlap them. A failure here is left to the
    first image, which tries again and says why."""
    _browser.open_soon()


def _kaleido(path: str):
    """A kaleido browser with ``TABS`` tabs that reloads a tab only every ``RELOAD_EVERY``
    images. kaleido reloads after every image, parsing plotly.js again: 0.25 s of a 0.45 s
    image (bench/report.py). ``Plotly.toImage`` draws in a div of its own and removes it,
    so a tab has nothing to clear between images; the rare reload bounds whatever it keeps.
    ``_return_kaleido_tab`` is kaleido 1.5's hook for a tab coming back (requirements.txt
    pins it; tests/ui/test_report.py checks that the hook is still called)."""
    import kaleido  # imported on first use: drawing the pages does not need it

    class Kaleido(kaleido.Kaleido):
        async def _return_kaleido_tab(self, tab) -> None:
            tab.drawn = getattr(tab, "drawn", 0) + 1
            if tab.drawn < RELOAD_EVERY:
                await self.tabs_ready.put(tab)
                return
            tab.drawn = 0
            await asyncio.wait_for(super()._return_kaleido_tab(tab), RENDER_TIMEOUT)

    # plotly.js from the installed plotly; MathJax is off (it would come from a CDN).
    return Kaleido(path=path, mathjax=False, n=TABS, timeout=RENDER_TIMEOUT)


class _Browser:
    """One kaleido browser on an event loop of its own thread, shared by every caller.

    kaleido's own ``start_sync_server`` is not used: its callers share one result queue, so
    two sessions exporting at once could swap images, and when chromium fails to start its
    callers wait forever. Here every image is a task of its own on the loop (kaleido hands
    each a free tab), every wait has a timeout, and a browser that failed is replaced.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # starts the loop's thread once
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None  # one browser opens at a time
        self._kaleido = None
        self._busy = 0  # images being drawn or waiting for a tab
        self._idle: asyncio.TimerHandle | None = None

    def draw(self, spec: dict, opts: dict) -> Future[bytes]:
        return asyncio.run_coroutine_threadsafe(self._draw(spec, opts), self._running_loop())

    def open_soon(self) -> None:
        asyncio.run_coroutine_threadsafe(self._open_quietly(), self._running_loop())

    def close(self) -> None:
        if self._loop is not None:
            done = asyncio.run_coroutine_threadsafe(self._close(idle=False), self._loop)
            done.result(CLOSE_TIMEOUT + 5)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="kaleido", daemon=True).start()
                self._loop = loop
            return self._loop

    async def _draw(self, spec: dict, opts: dict) -> bytes:
        self._busy += 1
        if self._idle:
            self._idle.cancel()
        try:
            attempts = 2 if self._kaleido is not None else 1  # a kept browser may have died
            for attempt in range(1, attempts + 1):
                browser = None
                try:
                    browser = await self._browser()
                    started = time.perf_counter()
                    image = await asyncio.wait_for(browser.calc_fig(spec, opts=opts), DRAW_TIMEOUT)
                    _log.info(
                        "图片 %d×%d:%.2f 秒(含等候空闲标签页)",
                        opts["width"] * opts["scale"],
                        opts["height"] * opts["scale"],
                        time.perf_counter() - started,
                    )
                    return image
                except ImageError:
                    raise
                except Exception as exc:
                    await self._discard(browser)
                    if attempt == attempts:
                        raise ImageError(f"生成图表图片失败:{exc!r}") from exc
                    _log.warning("浏览器无响应,重新启动后再试一次", exc_info=True)
            raise AssertionError("unreachable")
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle = asyncio.get_running_loop().call_later(
                    IDLE_SECONDS, lambda: asyncio.ensure_future(self._close(idle=True))
                )

    async def _browser(self):
        """The open browser, opened now if there is none (callers meanwhile wait for it)."""
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._kaleido is None:
                self._kaleido = await self._open()
            return self._kaleido

    async def _open(self):
        path = browser_path()
        cjk_family()  # fail before starting chromium when there is no Chinese font
        started = time.perf_counter()
        browser = _kaleido(path)
        try:
            await asyncio.wait_for(browser.open(), OPEN_TIMEOUT)
        except BaseException:
            await self._shut(browser)  # a browser whose start failed is closed too
            raise
        _log.info("浏览器 %s 已启动:%.2f 秒", path, time.perf_counter() - started)
        return browser

    async def _open_quietly(self) -> None:
        try:
            await self._browser()
        except Exception:  # noqa: BLE001  the first image tries again and reports it
            _log.debug("预先启动浏览器失败", exc_info=True)

    async def _discard(self, browser) -> None:
        """Close ``browser`` if it is still the one in use (another image may have already
        replaced it)."""
        if browser is not None and browser is self._kaleido:
            self._kaleido = None
            await self._shut(browser)

    async def _close(self, idle: bool) -> None:
        if idle and self._busy:  # an image started after the idle timer fired
            return
        if self._opening is None:  # never opened
            return
        async with self._opening:  # a browser being opened is closed once it is open
            browser, self._kaleido = self._kaleido, None
        if browser is not None:
            await self._shut(browser)

    @staticmethod
    async def _shut(browser) -> None:
        try:
            await asyncio.wait_for(browser.close(), CLOSE_TIMEOUT)
        except Exception:  # noqa: BLE001  a browser that will not close is killed
            process = getattr(browser, "subprocess", None)
            if process is not None:
                process.kill()


_browser = _Browser()
atexit.register(_browser.close)
