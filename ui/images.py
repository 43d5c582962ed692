"""Charts as PNG images, drawn by kaleido in the machine's own chromium: no browser download,
no CDN (plotly.js comes from the installed plotly, MathJax is off), so it works offline.

Chinese needs a CJK font on the machine (``scripts/install-browser.sh`` installs
fonts-noto-cjk): every figure is drawn in the first CJK family that fontconfig knows, and a
missing browser or font is reported in Chinese instead of yielding an image of boxes.

Starting chromium takes a few seconds, so one browser serves every image of a process (a deck
draws a dozen): it starts with the first image and stops after a few idle minutes.
"""

from __future__ import annotations

import asyncio
import atexit
import copy
import functools
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Coroutine
from pathlib import Path

import plotly.graph_objects as go

from ui.charts import PNG_OPTIONS

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
OPEN_TIMEOUT, RENDER_TIMEOUT = 60, 60
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


def prepared(fig: go.Figure, font_size: int | None = FONT_SIZE) -> go.Figure:
    """A copy of ``fig`` for a still image: white template, every text in the CJK family."""
    out = go.Figure(fig)
    family = f"{cjk_family()}, sans-serif"
    out.update_layout(template="plotly_white", font_family=family)
    if font_size:
        out.update_layout(font_size=font_size)
    out.update_layout(title_font_family=family, legend_font_family=family)
    out.update_annotations(font_family=family)
    return out


def png(
    fig: go.Figure,
    width: int = WIDTH,
    height: int = HEIGHT,
    scale: float = SCALE,
    font_size: int | None = FONT_SIZE,
) -> bytes:
    """``fig`` as PNG bytes, ``width``×``height`` CSS pixels drawn at ``scale``."""
    spec = prepared(fig, font_size).to_dict()
    opts = {"format": "png", "width": width, "height": height, "scale": scale}
    started = time.perf_counter()
    image = _browser.render(spec, opts)
    _log.info("图片 %d×%d:%.2f 秒", width * scale, height * scale, time.perf_counter() - started)
    return image


class _Browser:
    """One kaleido browser on an event loop of its own thread, shared by every caller.

    kaleido's own ``start_sync_server`` is not used: its callers share one result queue, so
    two sessions exporting at once could swap images, and when chromium fails to start its
    callers wait forever. Here images are drawn one at a time under a lock, every wait has a
    timeout, and a browser that failed is replaced.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._starting = None  # a browser being opened, so a failed start can be closed
        self._idle: threading.Timer | None = None

    def render(self, spec: dict, opts: dict) -> bytes:
        with self._lock:
            if self._idle:
                self._idle.cancel()
            try:
                return self._render(spec, opts)
            finally:
                self._idle = threading.Timer(IDLE_SECONDS, self.close)
                self._idle.daemon = True
                self._idle.start()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _render(self, spec: dict, opts: dict) -> bytes:
        attempts = 2 if self._kaleido is not None else 1  # a kept browser may have died since
        for attempt in range(1, attempts + 1):
            try:
                if self._kaleido is None:
                    self._open()
                figure = copy.deepcopy(spec)  # kaleido fills in defaults in place
                return self._call(self._kaleido.calc_fig(figure, opts=opts), RENDER_TIMEOUT)
            except ImageError:
                raise
            except Exception as exc:
                self._close()
                if attempt == attempts:
                    raise ImageError(f"生成图表图片失败:{exc!r}") from exc
                _log.warning("浏览器无响应,重新启动后再试一次", exc_info=True)
        raise AssertionError("unreachable")

    def _call(self, coroutine: Coroutine, timeout: float, loop=None):
        future = asyncio.run_coroutine_threadsafe(coroutine, loop or self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def _open(self) -> None:
        import kaleido  # imported on first use: drawing the pages does not need it

        path = browser_path()
        cjk_family()  # fail before starting chromium when there is no Chinese font
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()

        async def start():
            # plotly.js from the installed plotly; MathJax is off (it would come from a CDN).
            k = kaleido.Kaleido(path=path, mathjax=False, n=1, timeout=RENDER_TIMEOUT)
            self._starting = k
            await k.open()
            return k

        started = time.perf_counter()
        self._kaleido = self._call(start(), OPEN_TIMEOUT)
        self._starting = None
        _log.info("浏览器 %s 已启动:%.2f 秒", path, time.perf_counter() - started)

    def _close(self) -> None:
        browser = self._kaleido or self._starting  # a browser whose start failed is closed too
        loop, thread = self._loop, self._thread
        self._kaleido = self._starting = self._loop = self._thread = None
        if loop is None:
            return
        if browser is not None:
            try:
                self._call(browser.close(), 15, loop)
            except Exception:  # noqa: BLE001  a browser that will not close is killed
                process = getattr(browser, "subprocess", None)
                if process is not None:
                    process.kill()
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)
        if not loop.is_running():
            loop.close()


_browser = _Browser()
atexit.register(_browser.close)
