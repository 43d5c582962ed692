"""Many users at once, while an import replaces the database (issue #15).

    .venv/bin/python -m bench.load [--events 1000000] [--sessions 20] [--minutes 5]
                                   [--db PATH] [--access header|none] [--import-rows 300000]

Starts the real app (``streamlit run app.py`` on 127.0.0.1) on a copy of the demo database
and drives it with ``--sessions`` simulated users, each a websocket client that speaks
Streamlit's own protocol the way a browser tab does: ``BackMsg.rerun_script`` out,
``ForwardMsg`` in until the run's ``script_finished``. A browser per user would measure
chromium on this machine's cores rather than the server.

Users sign in through the trusted-header mode (``--access header``): a settings file with
``[access] mode = "header"``, one account per user of a mix of roles, and the header on each
websocket's handshake. Each user opens a link (a page with a street and a period in the query
string), then moves between pages and changes the street or the period in the sidebar, 1-3 s
apart, and after a few steps closes the tab and opens another link. Meanwhile
``python -m analytics import`` runs again and again in the background, of 300,000 of the
demo's events with new ids and then the same rows amended, so readers see the database file
replaced under them every import.

A run counts as an error when it shows an exception or the app's unexpected-error line, has
no sidebar filters (sign-in refused, or the page stopped early), does not finish within
``RUN_TIMEOUT`` or loses its websocket. Other error boxes are the app's own messages and are
listed apart. The server's memory is read from ``/proc/<pid>/status`` every second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.RootContainer_pb2 import RootContainer
from streamlit.proto.WidgetStates_pb2 import WidgetState

from analytics.filters import PERIOD_PRESETS
from bench.overview import OUT_DIR, PROJECT_DIR, ensure_db

PAGES = ("overview", "trends", "closure", "response", "heatmap", "rankings", "whatif")
DEFAULT_PAGE = "overview"  # app.py's default=True page, served at the root
PERIODS = tuple(p for p in PERIOD_PRESETS if p != "custom")  # a link's period
ROLE_CYCLE = (  # 20 sessions: 4 leaders, 6 street, 6 community, 2 analysts, 2 admins
    "leader", "street", "community", "street", "analyst",
    "community", "leader", "street", "admin", "community",
)  # fmt: skip
USER_HEADER = "X-Remote-User"
THINK_SECONDS = (1.0, 3.0)
STEPS_PER_LINK = (3, 8)  # interactions after opening a link, before the tab is closed
RUN_TIMEOUT = 120.0  # a run that has not finished by then is an error
UNEXPECTED = "页面出现内部错误"  # the start of app.UNEXPECTED
FILTER_KEYS = ("f_street", "f_preset")  # sidebar widgets a user changes, by their keys
WORK_DIR = OUT_DIR / "load"


@dataclass(frozen=True)
class Account:
    login: str
    role: str
    unit: str | None = None


@dataclass
class Run:
    page: str
    kind: str  # link | page | filter
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # failures
    boxes: list[str] = field(default_factory=list)  # the app's own error messages (st.error)
    role: str = ""


# -- the websocket client -----------------------------------------------------------------------


@dataclass
class Choice:
    """A select box or radio button group of the sidebar, as the frontend holds it."""

    key: str
    options: list[str]
    value: str | None


class Tab:
    """One browser tab on the app: what the frontend keeps between runs and sends with each.

    ``rerun_script`` carries a ClientState: the query string, the page (its script hash once
    ``st.navigation`` has listed the pages; on a fresh tab its url path as ``page_name``,
    empty for the default page) and the values of the widgets on screen. The sidebar's
    widgets are drawn by ``app.py`` on every page, so the frontend keeps their values across a
    page change and sends them with it; the query string is dropped then (the app writes it
    anew from the filters).
    """

    def __init__(self, ws, origin: str, role: str) -> None:
        self.ws = ws
        self.origin = origin
        self.role = role
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page = ""
        self.query = ""
        self.sidebar: dict[str, Choice] = {}  # widget id -> its options and value
        self._drawn: set[str] = set()

    def filters(self) -> dict[str, Choice]:
        """The sidebar's filters a user changes here, by widget key."""
        return {c.key: c for c in self.sidebar.values() if c.key in FILTER_KEYS}

    async def open(self, page: str, query: str) -> Run:
        self.query = query
        return await self._run(page, "link")

    async def navigate(self, page: str) -> Run:
        """A click in the page menu."""
        self.query = ""
        return await self._run(page, "page")

    async def pick(self, key: str, option: str) -> Run:
        """A sidebar filter set to ``option`` (its label, which is what the frontend sends)."""
        self.filters()[key].value = option
        return await self._run(self.page, "filter")

    async def _run(self, page: str, kind: str) -> Run:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        else:
            state.page_name = "" if page == DEFAULT_PAGE else page
        state.widget_states.widgets.extend(
            WidgetState(id=wid, string_value=c.value)
            for wid, c in self.sidebar.items()
            if c.value is not None
        )
        path = "" if page == DEFAULT_PAGE else page
        state.context_info.CopyFrom(
            ContextInfo(
                timezone="Asia/Shanghai",
                timezone_offset=-480,
                locale="zh-CN",
                url=f"{self.origin}/{path}" + (f"?{self.query}" if self.query else ""),
                color_scheme="light",
            )
        )
        started = time.perf_counter()
        run = Run(page, kind, role=self.role)
        try:
            await self.ws.send(msg.SerializeToString())
            await asyncio.wait_for(self._until_finished(run), RUN_TIMEOUT)
        except TimeoutError:
            run.errors.append(f"no script_finished within {RUN_TIMEOUT:.0f} s")
        except websockets.ConnectionClosed as exc:
            run.errors.append(f"websocket closed: {exc}")
        run.seconds = time.perf_counter() - started
        self.page = page
        return run

    async def _until_finished(self, run: Run) -> None:
        self._drawn = set()
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "navigation":  # st.navigation's pages, sent on every run
                for p in fwd.navigation.app_pages:
                    name = DEFAULT_PAGE if p.is_default else p.url_pathname
                    self.pages[name] = p.page_script_hash
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                in_sidebar = fwd.metadata.delta_path[:1] == [RootContainer.SIDEBAR]
                self._element(fwd.delta.new_element, in_sidebar, run)
            elif kind == "session_event" and fwd.session_event.HasField(
                "script_compilation_exception"
            ):
                run.errors.append(f"compile error: {fwd.session_event}")
            elif kind == "page_not_found":
                run.errors.append(f"page not found: {run.page}")
            elif kind == "script_finished":
                status = fwd.script_finished
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.errors.append("script finished with a compile error")
                if status in (
                    ForwardMsg.FINISHED_SUCCESSFULLY,
                    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
                ):
                    break  # FINISHED_EARLY_FOR_RERUN: st.rerun(), the run goes on
        self.sidebar = {wid: c for wid, c in self.sidebar.items() if wid in self._drawn}
        if "f_preset" not in self.filters() and not run.errors:
            run.errors.append("no sidebar filters (sign-in refused or the page stopped early)")

    def _element(self, element, in_sidebar: bool, run: Run) -> None:
        """Note an error shown, or a choice widget of the sidebar and its value."""
        kind = element.WhichOneof("type")
        if kind == "exception" and not element.exception.is_warning:
            run.errors.append(f"exception: {element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            body = element.alert.body
            if body.startswith(UNEXPECTED):
                run.errors.append(f"unexpected-error line: {body}")
            else:
                run.boxes.append(body)
        elif kind in ("selectbox", "radio") and in_sidebar:
            widget = getattr(element, kind)
            options = list(widget.options)
            known = self.sidebar.get(widget.id)
            if widget.set_value or known is None or known.value not in options:
                value = widget.raw_value if widget.HasField("raw_value") else None
                if value is None and widget.HasField("default") and options:
                    value = options[widget.default]  # a widget's value once it is shown
            else:
                value = known.value  # the user's, kept by the frontend
            self.sidebar[widget.id] = Choice(widget.id.rsplit("-", 1)[-1], options, value)
            self._drawn.add(widget.id)


@contextlib.asynccontextmanager
async def tab(port: int, account: Account | None):
    """A new browser tab: the websocket, with the proxy's user header when signing in."""
    headers = {USER_HEADER: account.login} if account else {}
    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    async with websockets.connect(
        url, subprotocols=["streamlit"], additional_headers=headers, max_size=None
    ) as ws:
        yield Tab(ws, f"http://127.0.0.1:{port}", account.role if account else "none")


async def user(
    number: int,
    port: int,
    account: Account | None,
    streets: list[str],
    deadline: float,
    runs: list[Run],
    seen: dict[str, set[int]],
) -> None:
    """One user until ``deadline``: a link, a few clicks, a new tab, and so on."""
    rnd = random.Random(number)
    role = account.role if account else "none"
    await asyncio.sleep(rnd.uniform(0, THINK_SECONDS[1]))  # users do not all arrive at once
    while time.monotonic() < deadline:
        link = {"street": rnd.choice(["", *streets]), "period": rnd.choice(PERIODS)}
        link = {name: value for name, value in link.items() if value}
        try:
            async with tab(port, account) as t:
                runs.append(await t.open(rnd.choice(PAGES), urlencode(link)))
                for _ in range(rnd.randint(*STEPS_PER_LINK)):
                    if "f_street" in t.filters():
                        seen[role].add(len(t.filters()["f_street"].options))
                    await asyncio.sleep(rnd.uniform(*THINK_SECONDS))
                    if time.monotonic() >= deadline:
                        break
                    runs.append(await _step(t, rnd))
        except (OSError, websockets.WebSocketException) as exc:
            runs.append(Run("(connect)", "link", errors=[f"connect failed: {exc!r}"], role=role))
            await asyncio.sleep(1)


async def _step(t: Tab, rnd: random.Random) -> Run:
    """Half the time another page, else another street or period in the sidebar."""
    changeable = {k: c for k, c in t.filters().items() if len(c.options) > 1}
    if rnd.random() < 0.5 or not changeable:
        return await t.navigate(rnd.choice([p for p in PAGES if p != t.page]))
    choice = changeable[rnd.choice(sorted(changeable))]
    return await t.pick(choice.key, rnd.choice([o for o in choice.options if o != choice.value]))


# -- the server, the importer and the memory sampler --------------------------------------------


def _status_kb(pid: int, field_name: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def machine_busy() -> tuple[float, float]:
    """Busy and total CPU time of the whole machine since boot (seconds over all CPUs)."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Memory:
    """The server's resident memory, read every second in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[int] = []  # kB
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.samples.append(_status_kb(self.pid, "VmRSS"))
            except OSError:
                return

    def stop(self) -> int:
        """Stop sampling; the kernel's high-water mark of the process (kB)."""
        self._stop.set()
        self._thread.join()
        return _status_kb(self.pid, "VmHWM")


class Importer:
    """``python -m analytics import`` of the files in turn, again and again until stopped."""

    def __init__(self, files: tuple[Path, ...], db: Path, env: dict[str, str], log: Path) -> None:
        self.files, self.db, self.env, self.log = files, db, env, log
        self.done: list[tuple[float, int]] = []  # seconds, peak RSS kB
        self.cpu = 0.0  # seconds, of every import run
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        if self.files:
            self._thread.start()

    def _loop(self) -> None:
        for file in itertools.cycle(self.files):
            if self._stop.is_set():
                return
            cmd = [sys.executable, "-m", "analytics", "import", str(file), "--preset", "canonical"]
            cmd += ["--db", str(self.db)]
            started = time.perf_counter()
            with open(self.log, "a") as log:
                proc = subprocess.Popen(
                    cmd, cwd=PROJECT_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
                )
                _, status, usage = os.wait4(proc.pid, 0)  # its own peak memory, unlike wait()
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.cpu += usage.ru_utime + usage.ru_stime
            if proc.returncode == 0:
                self.done.append((time.perf_counter() - started, usage.ru_maxrss))
            else:
                self.failed.append(
                    f"exit {proc.returncode} after {time.perf_counter() - started:.0f} s"
                )

    def stop(self) -> None:
        """Let the import under way finish, start no other."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}); see {WORK_DIR}/server.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


# -- preparing the run ---------------------------------------------------------------------------


def import_files(source: Path, rows: int) -> tuple[Path, Path]:
    """Two CSVs in the canonical preset's columns: ``rows`` of the demo's events with new ids,
    and the same rows with their description amended, so that each import changes them."""
    paths = (OUT_DIR / f"load_import_{rows}.csv", OUT_DIR / f"load_import_{rows}_amended.csv")
    descriptions = ("description", "coalesce(description, '') || '(更正)'")
    for path, description in zip(paths, descriptions, strict=True):
        if path.exists():
            continue
        print(f"writing {path.name} …", flush=True)
        con = duckdb.connect(str(source), read_only=True)
        query = (
            "SELECT 'L' || event_id AS event_id, * EXCLUDE (event_id, description), "
            f"{description} AS description "
            f"FROM events ORDER BY event_id LIMIT {int(rows)}"
        )
        con.execute(f"COPY ({query}) TO '{path}' (HEADER, DELIMITER ',')")
        con.close()
    return paths


def units(source: Path) -> tuple[list[str], list[str]]:
    """The district's street ids, and one community id per street."""
    con = duckdb.connect(str(source), read_only=True)
    streets = con.execute(
        "SELECT list(unit_id ORDER BY unit_id) FROM org_units WHERE level = 'street'"
    ).fetchone()[0]
    communities = con.execute(
        "SELECT list(first ORDER BY parent_id) FROM (SELECT parent_id, min(unit_id) AS first "
        "FROM org_units WHERE level = 'community' GROUP BY parent_id)"
    ).fetchone()[0]
    con.close()
    return streets, communities


def accounts(sessions: int, streets: list[str], communities: list[str]) -> list[Account]:
    """One account per session, roles from ``ROLE_CYCLE``, units spread over the district."""
    made: list[Account] = []
    count: Counter[str] = Counter()
    for number in range(sessions):
        role = ROLE_CYCLE[number % len(ROLE_CYCLE)]
        unit = {"street": streets, "community": communities}.get(role)
        unit_id = unit[count[role] % len(unit)] if unit else None
        count[role] += 1
        made.append(Account(f"load{number:02d}-{role}", role, unit_id))
    return made


def add_accounts(made: list[Account], db: Path, env: dict[str, str]) -> None:
    for a in made:
        cmd = [sys.executable, "-m", "analytics", "users", "add", a.login, "--role", a.role]
        cmd += ["--unit", a.unit] if a.unit else []
        cmd += ["--db", str(db)]
        subprocess.run(cmd, cwd=PROJECT_DIR, env=env, check=True, stdout=subprocess.DEVNULL)


def settings_file(access: str) -> Path:
    path = WORK_DIR / "settings.toml"
    lines = ["[access]", f'mode = "{access}"']
    if access == "header":
        lines += [f'user_header = "{USER_HEADER}"', 'trusted_proxies = ["127.0.0.1", "::1"]']
    path.write_text("\n".join(lines) + "\n")
    return path


# -- driving and reporting -----------------------------------------------------------------------


async def drive(port: int, users: list[Account | None], streets: list[str], seconds: float):
    runs: list[Run] = []
    seen: dict[str, set[int]] = defaultdict(set)
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(user(n, port, a, streets, deadline, runs, seen) for n, a in enumerate(users))
    )
    return runs, seen


async def warm_up(port: int, account: Account | None) -> list[str]:
    """Every page once, untimed: the server's first runs import the pages' modules."""
    errors = []
    async with tab(port, account) as t:
        for page in PAGES:
            run = await (t.navigate(page) if t.pages else t.open(page, ""))
            if run.errors:
                errors += [f"{page}: {e}" for e in run.errors + run.boxes]
    return errors


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``q`` of all at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def times_table(runs: list[Run], group) -> list[str]:
    """Run times grouped by ``group(run)``: count, p50, p95 and max, one line each."""
    groups: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        if r.page != "(connect)":
            groups[group(r)].append(r.seconds)
    groups["all"] = [s for t in list(groups.values()) for s in t]
    order = [*PAGES, "link", "page", "filter", "all"]
    lines = [f"  {'':<10} {'runs':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7}"]
    for name in sorted(groups, key=order.index):
        t = groups[name]
        p50, p95 = statistics.median(t), percentile(t, 0.95)
        lines.append(f"  {name:<10} {len(t):>6} {p50:>7.2f} {p95:>7.2f} {max(t):>7.2f}")
    return lines


def log_errors(log: Path) -> Counter[str]:
    """The server log's tracebacks, each as its exception and the deepest frame of the
    project's own code; warnings counted apart."""
    found: Counter[str] = Counter()
    frame = ""
    in_traceback = False
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("Traceback"):
            in_traceback, frame = True, ""
        elif in_traceback and line.startswith("  File ") and "site-packages" not in line:
            path, number, where = re.findall(r'File "(.+)", line (\d+), in (.+)', line)[0]
            frame = f"{os.path.relpath(path, PROJECT_DIR)}:{number} in {where}"
        elif in_traceback and not line.startswith(" "):
            found[f"{line.strip()} (at {frame})"] += 1
            in_traceback = False
        elif re.search(r"\w+Warning: ", line):
            found[f"warning: {line.split(': ', 1)[-1][:90]}"] += 1
    return found


def audit_counts(path: Path) -> dict[str, int]:
    """What the app's audit log recorded (sign-ins, views, denials, imports), if it has one."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            return dict(con.execute("SELECT action, count(*) FROM audit_log GROUP BY 1"))
    except sqlite3.Error:
        return {}


@dataclass
class Measured:
    runs: list[Run]
    seen: dict[str, set[int]]
    wall: float
    server_cpu: float  # seconds of CPU while driven
    client_cpu: float
    machine_busy: float  # the share of all CPUs' time not idle
    load_start: float
    rss_start: int  # kB
    rss_samples: list[int]
    rss_end: int
    hwm: int
    imports: Importer


def serve(source: Path, files: tuple[Path, ...], args: argparse.Namespace) -> Measured:
    """Start the app on a copy of ``source``, drive it, stop it; the server's log stays."""
    streets, communities = units(source)
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    WORK_DIR.mkdir(parents=True)
    live = WORK_DIR / "live.duckdb"
    shutil.copyfile(source, live)
    env = os.environ | {
        "GOV_DB": str(live),
        "GOV_SETTINGS": str(settings_file(args.access)),
        "GOV_ADMIN_DB": str(WORK_DIR / "admin.sqlite"),
        "FORWARDED_ALLOW_IPS": "",  # as scripts/run.sh: no X-Forwarded-For is believed
    }
    users: list[Account | None] = [None] * args.sessions
    if args.access == "header":
        users = accounts(args.sessions, streets, communities)
        add_accounts(users, live, env)

    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    cmd += ["--logger.enableRich", "false"]
    with open(WORK_DIR / "server.log", "w") as log:
        server = subprocess.Popen(
            cmd, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    imports = Importer(files, live, env, WORK_DIR / "import.log")
    try:
        wait_healthy(port, server)
        warm_errors = asyncio.run(warm_up(port, users[0]))
        if warm_errors:
            raise SystemExit(f"the warm-up failed: {warm_errors[:3]}; see {WORK_DIR}/server.log")
        memory = Memory(server.pid)
        rss_start = _status_kb(server.pid, "VmRSS")
        cpu_start, load_start = _cpu_seconds(server.pid), os.getloadavg()[0]
        busy_start, total_start = machine_busy()
        meanwhile = " and ".join(f.name for f in files)
        print(
            f"{args.sessions} sessions ({args.access} sign-in) for {args.minutes:g} min on "
            f"{source.name}; " + (f"importing {meanwhile} in turn …" if files else "no imports …"),
            flush=True,
        )
        started, client_start = time.monotonic(), time.process_time()
        imports.start()
        runs, seen = asyncio.run(drive(port, users, streets, args.minutes * 60))
        wall = time.monotonic() - started
        server_cpu = _cpu_seconds(server.pid) - cpu_start
        client_cpu = time.process_time() - client_start
        busy_end, total_end = machine_busy()
        busy = (busy_end - busy_start) / (total_end - total_start)
        imports.stop()
        hwm = memory.stop()
        rss_end = _status_kb(server.pid, "VmRSS")
    finally:
        imports.stop()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        for leftover in WORK_DIR.glob("live.duckdb*"):
            leftover.unlink()
    return Measured(
        runs=runs,
        seen=seen,
        wall=wall,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        machine_busy=busy,
        load_start=load_start,
        rss_start=rss_start,
        rss_samples=memory.samples,
        rss_end=rss_end,
        hwm=hwm,
        imports=imports,
    )


def report(m: Measured) -> None:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"\nmachine: {os.cpu_count()} CPUs, {ram:.0f} GiB RAM; load average at start "
        f"{m.load_start:.2f}"
    )
    failed = [r for r in m.runs if r.errors]
    print(
        f"\nscript runs: {len(m.runs)} in {m.wall:.0f} s ({len(m.runs) / m.wall:.1f}/s); "
        f"errors: {len(failed)}"
    )
    first = Counter((r.page, r.role, r.errors[0]) for r in failed)
    for (page, role, text), n in first.most_common(8):
        print(f"  {n} × {page} ({role}): {text[:300]}")
    boxes = Counter((r.page, r.role, b) for r in m.runs for b in r.boxes)
    if boxes:
        print(f"the app's own error boxes (st.error, not failures): {boxes.total()}")
        for (page, role, text), n in boxes.most_common(5):
            print(f"  {n} × {page} ({role}): {text[:300]}")
    print("\nrun times by page, from rerun_script sent to script_finished:")
    print("\n".join(times_table(m.runs, lambda r: r.page)))
    print("\nby kind (link: a new tab opens a link; page: a menu click; filter: a sidebar change):")
    print("\n".join(times_table(m.runs, lambda r: r.kind)))
    if any(m.seen):
        sizes = ", ".join(f"{role} {sorted(n)}" for role, n in sorted(m.seen.items()))
        print(f"\nstreet options in the sidebar, by role: {sizes}")
    done = m.imports.done
    line = f"\nimports completed: {len(done)}"
    if done:
        took = [s for s, _ in done]
        line += (
            f" (median {statistics.median(took):.1f} s, max {max(took):.1f} s, "
            f"peak RSS {max(k for _, k in done) / 1024:.0f} MB)"
        )
    print(line)
    if m.imports.failed:
        print(f"imports failed: {len(m.imports.failed)}: {m.imports.failed[:3]}; see import.log")
    peak = max(m.rss_samples, default=m.rss_start)
    print(
        f"server RSS: {m.rss_start / 1024:.0f} MB after the warm-up, peak sampled "
        f"{peak / 1024:.0f} MB, high-water mark {m.hwm / 1024:.0f} MB, at the end "
        f"{m.rss_end / 1024:.0f} MB"
    )
    print(
        f"CPU: server {m.server_cpu:.0f} s in {m.wall:.0f} s ({m.server_cpu / m.wall:.2f} "
        f"cores, {m.server_cpu / len(m.runs):.2f} s a run), imports {m.imports.cpu:.0f} s, "
        f"this client {m.client_cpu:.1f} s; the machine's CPUs {m.machine_busy:.0%} busy"
    )
    print(f"audit log entries by action: {audit_counts(WORK_DIR / 'admin.sqlite')}")
    problems = log_errors(WORK_DIR / "server.log")
    tracebacks = sum(n for text, n in problems.items() if not text.startswith("warning: "))
    print(f"server log: {tracebacks} tracebacks ({WORK_DIR / 'server.log'})")
    for text, n in problems.most_common(8):
        print(f"  {n} × {text[:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--db", type=Path, help="the demo database (default bench/out/events_N)")
    parser.add_argument("--access", choices=("header", "none"), default="header")
    parser.add_argument(
        "--import-rows", type=int, default=300_000, help="rows per import (0: no imports)"
    )
    args = parser.parse_args()

    source = args.db or ensure_db(args.events, rebuild=False)
    files = import_files(source, args.import_rows) if args.import_rows else ()
    report(serve(source, files, args))


if __name__ == "__main__":
    main()
