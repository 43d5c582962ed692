"""Reading an uploaded file into a table of text cells: CSV, Excel or JSON, within bounds.

The importers take a file's bytes and name from a path or an upload with
:func:`load_source` (its size checked before it is read), call :func:`read_sheet` and get a
:class:`Sheet`: its first rows, where the header is looked for, and a reader of the rest
(``Sheet.body``). Only the first rows are decoded and parsed before ``body`` is called, so a
preview reads a few rows in bounded memory. The one exception is a JSON import: its header
is the union of every record's keys, so it reads the records once, up front (a preview
reads the first records only).

A file that is damaged, hostile or not what it claims is refused with one Chinese sentence
(:class:`ImportFileError`) before anything is expanded, against the bounds below. A row that
is not UTF-8 in an otherwise UTF-8 file is read as GBK and named in ``Sheet.problems``, so
that the import quarantines it and keeps the rest.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

HEAD_ROWS = 40  # rows read up front: header search and preview
EXTRA_FIELDS = 16  # cells a row may have beyond the header before the file is refused

# Resource bounds. A real export is far inside every one of them; each keeps a hostile or
# broken file from taking the machine's memory or minutes of time before it is refused.
MAX_FILE_BYTES = 800 << 20  # 800 MB a file: a big district's year, ~2M events, is 0.64-0.72 GB
# as a CSV (the 1M bench events: 318 MB as GB18030, 361 MB as UTF-8, 760 MB as JSON Lines, so
# a year as JSON Lines is split in two). The upload limit (.streamlit/config.toml
# server.maxUploadSize, in MB) is the same figure.
MAX_COLUMNS = 1_000  # exports have 15-80 columns; Socrata JSON flattened, ~50
MAX_LINE_BYTES = 4 << 20  # 4 MiB a line: forty Excel cells at their 32,767-character limit
MAX_JSON_DEPTH = 32  # nesting levels: events nest 2-3, a GeoJSON MultiPolygon 8
MAX_UNZIPPED_BYTES = 4 << 30  # an .xlsx's parts, as declared in its zip directory
EXCEL_ROWS = 1_048_576  # Excel's own limit: a row number beyond it means a damaged file
CHUNK_ROWS = 65_536  # rows turned into Arrow columns at a time (Excel, JSON, ragged CSV)
NOT_UTF8 = "含非 UTF-8 字符(可能混有 GBK 编码),已按 GBK 读出,原文已保留"

_WINDOW = 16 << 20  # bytes decoded or scanned at a time
_BOM = b"\xef\xbb\xbf"
_MARK = "\ufdd0"  # a Unicode noncharacter: tags text salvaged from a line that is not UTF-8
_SPACE = re.compile(r"[ \t\r\n]*")
_RUN = re.compile(rb"(?:[\x81-\xfe][\x40-\x7e\x80-\xfe]|[\x80-\xff])+")
_JSON = json.JSONDecoder()


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class Sheet:
    """A file's table as text: its first rows (where the header is) and a reader of the rest."""

    kind: str  # "CSV", "Excel" or "JSON", for messages
    head: list[list[str]]
    body: Callable[[int, int], pd.DataFrame]  # (rows to skip, header width) -> string cells
    delimiter: str  # joins a quarantined row's cells into its raw text
    # Rows the reader could only salvage, filled by ``body``: 0-based row of the frame it
    # returned -> the Chinese reason to quarantine it with (the rest of the file imports).
    problems: dict[int, str] = field(default_factory=dict)


def _mb(size: int) -> str:
    return f"{size / 2**20:,.1f} MB" if size < 2**30 else f"{size / 2**30:,.1f} GB"


def check_size(size: int, name: str) -> None:
    """Refuse a file above :data:`MAX_FILE_BYTES` (before it is read, where it has a size)."""
    if size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"{name} 有 {_mb(size)},超过单个文件 {_mb(MAX_FILE_BYTES)} 的上限。"
            "请按年份或街道分成几个文件分别导入。"
        )


def load_source(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        if not name:
            raise ValueError("name is required when importing bytes")
        return source, name
    path = Path(source)
    if not path.exists():
        raise ImportFileError(f"找不到文件 {path}。")
    check_size(path.stat().st_size, name or path.name)  # before reading it into memory
    return path.read_bytes(), name or path.name


def read_sheet(data: bytes, name: str, *, preview: bool = False) -> Sheet:
    """CSV (UTF-8 with or without BOM, GBK/GB18030; comma or tab), an Excel workbook, or JSON
    records (an array of objects, one object a line, or an object wrapping such an array).

    ``preview``: only the head is wanted (a JSON file's records are then read up to the head).
    """
    check_size(len(data), name)
    if not data or data.isspace():  # (no copy, unlike strip)
        raise ImportFileError(f"{name} 是空文件。请重新导出后再导入。")
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ImportFileError(
            f"{name} 是旧版 Excel(.xls)工作簿,无法直接读取。"
            "请在 Excel 中“另存为” .xlsx 工作簿或 CSV 后再导入。"
        )
    if data[:4] == b"PK\x03\x04":
        return _excel_sheet(data, name)
    start = len(_BOM) if data.startswith(_BOM) else 0
    first = _SPACE.match(data[start : start + 4096].decode("latin-1")).end()
    if data[start + first : start + first + 1] in (b"[", b"{"):
        return _json_sheet(data, start + first, name, preview)
    return _csv_sheet(data, start, name)


# ---------------------------------------------------------------- encodings


def _repair(line: bytes, mark: str = "") -> bytes:
    """A line that is not all UTF-8, as UTF-8: each run of non-ASCII bytes is kept when it
    is UTF-8 and read as GB18030 otherwise (bytes that are neither become \\xNN), then
    prefixed by ``mark``. A run takes a GBK character's ASCII-range second byte along;
    delimiters, quotes and newlines are never such a byte."""

    def run(match: re.Match) -> bytes:
        raw = match.group()
        try:
            raw.decode("utf-8")
            return raw
        except UnicodeDecodeError:
            return (mark + raw.decode("gb18030", "backslashreplace")).encode()

    return _RUN.sub(run, line)


def _is_utf8(data: bytes, start: int = 0) -> bool:
    """Whether the bytes are valid UTF-8, checked by Arrow without copying or decoding."""
    offsets = pa.py_buffer(np.array([0, len(data) - start], dtype=np.int64))
    array = pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)[start:])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _guess(lines: list[bytes]) -> tuple[str | None, bool]:
    """The encoding of these lines' non-ASCII text ("utf-8" or "gb18030"; None when all is
    ASCII), and whether some of it is valid UTF-8: then a file that turns out not to be
    GB18030 either is UTF-8 with stray lines to salvage, rather than unreadable.

    GBK text is almost never valid UTF-8, while a UTF-8 file with a stray GBK cell is mostly
    valid: the valid non-ASCII characters are weighed against the invalid byte sequences.
    """
    text = b"\n".join(lines).decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    if not good and not bad:
        return None, False
    return ("gb18030" if bad > good else "utf-8"), good > 0


def _decodes(data: bytes, start: int, encoding: str) -> bool:
    """Whether the bytes decode strictly, checked a window at a time (nothing kept)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for at in range(start, len(data), _WINDOW):
            decoder.decode(data[at : at + _WINDOW], at + _WINDOW >= len(data))
    except UnicodeDecodeError:
        return False
    return True


def _sample(data: bytes, start: int) -> list[bytes]:
    """Up to 1 MiB of whole lines from the first line with a non-ASCII byte."""
    view = memoryview(data)
    for at in range(start, len(data), _WINDOW):
        chunk = np.frombuffer(view[at : at + _WINDOW], dtype=np.uint8)
        high = np.flatnonzero(chunk >= 0x80)
        if high.size:
            begin = data.rfind(b"\n", start, at + int(high[0])) + 1 or start
            lines = data[begin : begin + (1 << 20)].split(b"\n")
            return lines[:-1] if len(lines) > 1 else lines
    return []


def _unknown_encoding(name: str) -> ImportFileError:
    return ImportFileError(
        f"{name} 的编码无法识别(既不是 UTF-8 也不是 GBK/GB18030)。请另存为 UTF-8 编码的 CSV。"
    )


def _bad_lines(data: bytes, start: int) -> list[tuple[int, int]]:
    """Byte ranges [begin, end) of the lines (with their newline) that are not UTF-8."""
    view, size, bad, at = memoryview(data), len(data), [], start
    while at < size:
        end = min(at + _WINDOW, size)
        try:
            _, used = codecs.utf_8_decode(view[at:end], "strict", end == size)
        except UnicodeDecodeError as exc:
            where = at + exc.start
            begin = max(data.rfind(b"\n", start, where) + 1, start)
            stop = data.find(b"\n", where)
            stop = size if stop < 0 else stop + 1
            bad.append((begin, stop))
            at = stop
            continue
        if not used:
            break
        at += used
    return bad


def _salvaged(data: bytes, start: int, bad: list[tuple[int, int]]) -> bytes:
    """The file as UTF-8, each bad line re-read with GBK and its salvaged text marked."""
    view, pieces, last = memoryview(data), [], start
    for begin, stop in bad:
        pieces.append(view[last:begin])
        pieces.append(_repair(bytes(view[begin:stop]), _MARK))
        last = stop
    pieces.append(view[last:])
    return b"".join(pieces)


def _unmark(frame: pd.DataFrame) -> list[int]:
    """Rows holding salvaged text (their marks removed): their 0-based positions."""
    marked = np.zeros(len(frame), dtype=bool)
    for column in frame.columns:
        hit = frame[column].str.contains(_MARK, regex=False).to_numpy(dtype=bool)
        if hit.any():
            marked |= hit
            frame[column] = frame[column].str.replace(_MARK, "", regex=False)
    return np.flatnonzero(marked).tolist()


# ---------------------------------------------------------------- CSV


def _nul(data: bytes, start: int, name: str) -> None:
    at = data.find(b"\x00", start)
    if at < 0:
        return
    if at < start + 4096:
        raise ImportFileError(
            f"{name} 不是文本表格(CSV)文件,可能是 UTF-16 文本或二进制文件。"
            "请在 Excel 中“另存为 CSV(逗号分隔)”或 .xlsx 后再导入。"
        )
    line = data.count(b"\n", start, at) + 1
    raise ImportFileError(
        f"{name} 第 {line:,} 行含空字符(NUL,\\x00),文件可能已损坏或混入了二进制内容。"
        "请重新导出为 CSV 后再导入。"
    )


def _long_line(name: str, line: int, size: int) -> ImportFileError:
    return ImportFileError(
        f"{name} 第 {line:,} 行长 {_mb(size)},超过每行 {_mb(MAX_LINE_BYTES)} 的上限,"
        "不像逐行的表格(可能缺少换行或某个单元格异常)。请检查该行后重新导出。"
    )


def _head_lines(data: bytes, start: int, name: str) -> list[bytes]:
    """The first :data:`HEAD_ROWS` lines, each within :data:`MAX_LINE_BYTES`."""
    lines, at, size = [], start, len(data)
    while len(lines) < HEAD_ROWS and at < size:
        end = data.find(b"\n", at, at + MAX_LINE_BYTES + 1)
        if end < 0:
            if size - at > MAX_LINE_BYTES:
                stop = data.find(b"\n", at)
                raise _long_line(name, len(lines) + 1, (size if stop < 0 else stop) - at)
            end = size
        lines.append(data[at:end])
        at = end + 1
    return lines


def _check_lines(data: bytes, start: int, name: str) -> None:
    """Refuse a file with a line longer than :data:`MAX_LINE_BYTES` (a scan, no decoding)."""
    view, previous, line = memoryview(data), start - 1, 0
    for at in range(start, len(data), _WINDOW):
        ends = np.flatnonzero(np.frombuffer(view[at : at + _WINDOW], dtype=np.uint8) == 10) + at
        if ends.size:
            lengths = np.diff(ends, prepend=previous) - 1
            longest = int(lengths.argmax())
            if lengths[longest] > MAX_LINE_BYTES:
                raise _long_line(name, line + longest + 1, int(lengths[longest]))
            line += ends.size
            previous = int(ends[-1])
    if len(data) - previous - 1 > MAX_LINE_BYTES:
        raise _long_line(name, line + 1, len(data) - previous - 1)


def _too_many_columns(name: str, columns: int) -> ImportFileError:
    return ImportFileError(
        f"{name} 有 {columns:,} 列,超过 {MAX_COLUMNS:,} 列的上限,不像工单表格。"
        "请只导出需要的列后再导入。"
    )


def _csv_sheet(data: bytes, start: int, name: str) -> Sheet:
    _nul(data, start, name)
    lines = _head_lines(data, start, name)
    guess, some_utf8 = _guess(lines)
    texts = None
    if guess == "gb18030":
        try:
            texts = [line.decode("gb18030") for line in lines]
        except UnicodeDecodeError:
            if not some_utf8:
                raise _unknown_encoding(name) from None
            guess = "utf-8"
    if texts is None:
        texts = [_repair(line).decode("utf-8") for line in lines]
    first = texts[0] if texts else ""
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    if csv.field_size_limit() < MAX_LINE_BYTES:  # a long cell is refused by line length only
        csv.field_size_limit(MAX_LINE_BYTES)
    line_ends: list[int] = []  # the physical line each record ends on (quoted line breaks)
    try:
        reader = csv.reader(texts, delimiter=delimiter)
        head = []
        for record in reader:
            head.append(record)
            line_ends.append(reader.line_num)
    except csv.Error as exc:
        raise ImportFileError(f"{name} 的前几行无法按表格解析({exc})。请重新导出为 CSV。") from exc
    widest = max((len(row) for row in head), default=0)
    if widest > MAX_COLUMNS:
        raise _too_many_columns(name, widest)
    problems: dict[int, str] = {}

    def read(source: bytes, at: int, encoding: str, skip: int, width: int) -> pd.DataFrame:
        frame = regular_body(source, delimiter, skip, width, start=at, encoding=encoding)
        if frame is None:
            frame = csv_body(source, delimiter, skip, width, name, start=at, encoding=encoding)
        return frame

    def body(skip: int, width: int) -> pd.DataFrame:
        _check_lines(data, start, name)
        problems.clear()
        # the readers skip physical lines: a title cell with a line break spans two
        skip = line_ends[skip - 1] if 0 < skip <= len(line_ends) else skip
        if _is_utf8(data, start):
            return read(data, start, "utf-8", skip, width)
        encoding, utf8_seen = (guess, some_utf8) if guess else _guess(_sample(data, start))
        if encoding == "gb18030":
            try:
                return read(data, start, "gb18030", skip, width)
            except UnicodeDecodeError:
                if not utf8_seen:
                    raise _unknown_encoding(name) from None
        # UTF-8 with stray lines in another encoding: they are salvaged, to be quarantined
        frame = read(_salvaged(data, start, _bad_lines(data, start)), 0, "utf-8", skip, width)
        problems.update(dict.fromkeys(_unmark(frame), NOT_UTF8))
        return frame

    return Sheet("CSV", head, body, delimiter, problems)


def _strings(table: pa.Table, width: int) -> pd.DataFrame:
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = range(width)
    return frame


def regular_body(
    utf8: bytes, delimiter: str, skip: int, width: int, *, start: int = 0, encoding: str = "utf-8"
) -> pd.DataFrame | None:
    """The fast path: Arrow's multi-threaded reader, when every record has ``width`` cells.

    Blank lines come back as rows of empty cells, as on the pandas path; a record with more
    or fewer cells makes Arrow drop it without telling where, so then None (use pandas).
    ``encoding`` other than UTF-8 is transcoded by Arrow as it reads (no decoded copy).
    """
    names = [str(i) for i in range(width)]
    irregular = []

    def note(row) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(utf8)[start:]),
            read_options=pacsv.ReadOptions(
                skip_rows=skip, column_names=names, block_size=1 << 24, encoding=encoding
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=note,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if irregular:
        return None
    return _strings(table, width)


def csv_body(
    utf8: bytes,
    delimiter: str,
    skip: int,
    width: int,
    name: str,
    *,
    start: int = 0,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Every record after the header as strings ('' for empty), ``width`` + spare columns.

    pandas' tolerant parser, read :data:`CHUNK_ROWS` records at a time into Arrow strings:
    a million rows of Python strings would take several GB.
    """
    columns = width + EXTRA_FIELDS
    stream = io.BytesIO(utf8)  # pandas parses bytes ~5x faster than a StringIO
    stream.seek(start)
    names = [str(i) for i in range(columns)]
    try:
        reader = pd.read_csv(
            stream,
            sep=delimiter,
            header=None,
            names=range(columns),
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
            engine="c",
            encoding=encoding,
            chunksize=CHUNK_ROWS,
        )
        parts = [
            pa.table([pa.array(chunk[j].to_numpy(), pa.string()) for j in range(columns)], names)
            for chunk in reader
        ]
    except pd.errors.ParserError as exc:
        raise ImportFileError(
            f"{name} 无法按表格解析:{exc}。请检查是否有未闭合的引号或远多于表头的列。"
        ) from exc
    if not parts:
        return _strings(pa.table([pa.array([], pa.string())] * columns, names), columns)
    return _strings(pa.concat_tables(parts), columns)


# ---------------------------------------------------------------- building columns


class _Columns:
    """Text cells added row by row (sparsely), kept as Arrow strings :data:`CHUNK_ROWS` rows
    at a time: a million rows cost their text, not a million Python lists."""

    def __init__(self) -> None:
        self.rows = 0  # rows added so far (the last added row + 1)
        self._done: list[tuple[int, dict[int, pa.Array]]] = []
        self._base = 0  # first row of the chunk being filled
        self._cells: dict[int, tuple[list[int], list[str]]] = {}

    def add(self, row: int, cells: dict[int, str]) -> None:
        """Row ``row`` (not before the last added one): column -> non-empty text."""
        while row >= self._base + CHUNK_ROWS:
            self._flush(CHUNK_ROWS)
        for column, text in cells.items():
            at, values = self._cells.setdefault(column, ([], []))
            at.append(row - self._base)
            values.append(text)
        self.rows = row + 1

    def _flush(self, size: int) -> None:
        chunk = {}
        for column, (at, values) in self._cells.items():
            cells = np.full(size, "", dtype=object)
            cells[at] = values
            chunk[column] = pa.array(cells, pa.string())
        self._done.append((size, chunk))
        self._cells = {}
        self._base += size

    def extend(self, size: int, chunk: dict[int, pa.Array]) -> None:
        """``size`` rows more, as whole columns (those not in ``chunk`` empty)."""
        if self.rows > self._base:
            self._flush(self.rows - self._base)
        self._done.append((size, chunk))
        self._base += size
        self.rows = self._base

    def frame(self, first: int, width: int) -> pd.DataFrame:
        """Rows from ``first`` on, columns 0 .. width-1 (once: the chunks are handed over)."""
        if self.rows > self._base:
            self._flush(self.rows - self._base)
        blank = pa.array(np.full(CHUNK_ROWS, "", dtype=object), pa.string())
        columns = []
        for j in range(width):
            pieces = [chunk.get(j, blank[:size]) for size, chunk in self._done]
            columns.append(pa.chunked_array(pieces, pa.string())[first:])
        self._done = []
        return _strings(pa.table(columns, names=[str(j) for j in range(width)]), width)


# ---------------------------------------------------------------- Excel


def _excel_text(value) -> str:
    """One Excel cell as the text an export would have written."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # ids and phone numbers stored as numbers
    return str(value).strip()


def _excel_rows(sheet, name: str) -> Iterator[tuple[int, dict[int, str]]]:
    """(0-based row, {0-based column: text}) of the rows with a non-empty cell, streamed.

    The worksheet's declared size (<dimension ref>) is not trusted and nothing is padded to
    it: only the cells present are read, so a lone cell at XFD1048576 costs one cell.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import WorkSheetParser

    book = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            if number > EXCEL_ROWS:
                raise ImportFileError(
                    f"{name} 的工作表“{sheet.title}”有第 {number:,} 行,超出 Excel 的行数上限,"
                    "工作簿已损坏。请在 Excel 中另存后再导入。"
                )
            row = {}
            for cell in cells:
                text = _excel_text(cell["value"])
                if not text:
                    continue
                if cell["column"] > MAX_COLUMNS:
                    where = f"{get_column_letter(cell['column'])}{number}"
                    raise ImportFileError(
                        f"{name} 的工作表“{sheet.title}”在 {where} 单元格(第 {cell['column']:,} "
                        f"列)有内容,超出 {MAX_COLUMNS:,} 列的上限。请删除多余的单元格,"
                        "或只把数据区域复制到新工作簿后再导入。"
                    )
                row[cell["column"] - 1] = text
            if row:
                yield number - 1, row


def _excel_sheet(data: bytes, name: str) -> Sheet:
    """The first non-empty worksheet of an .xlsx/.xlsm workbook (values, not formulas)."""
    from openpyxl import load_workbook

    unreadable = (
        f"{name} 是压缩文件,但不是可读取的 Excel 工作簿({{}})。"
        "请在 Excel 中另存为 .xlsx 或 CSV 后再导入。"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(unreadable.format(type(exc).__name__)) from exc
    if unpacked > MAX_UNZIPPED_BYTES:
        raise ImportFileError(
            f"{name} 解压后有 {_mb(unpacked)},超过 {_mb(MAX_UNZIPPED_BYTES)} 的上限"
            "(工作簿过大或已损坏)。请另存为 CSV,或分成几个文件后再导入。"
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(unreadable.format(type(exc).__name__)) from exc
    found, rows = None, {}
    try:
        for sheet in book.worksheets:
            streamed, number = _excel_rows(sheet, name), -1
            for number, row in streamed:
                if number >= HEAD_ROWS:
                    break
                rows[number] = row
            streamed.close()
            if rows or number >= HEAD_ROWS:
                found = sheet
                break
    except BaseException:
        book.close()
        raise
    if found is None:
        book.close()
        raise ImportFileError(f"{name} 的工作表都是空的。请确认导出时选择了数据范围。")
    width = max((max(row) + 1 for row in rows.values()), default=0)
    head = [
        [rows.get(r, {}).get(c, "") for c in range(width)] for r in range(max(rows, default=-1) + 1)
    ]

    def body(skip: int, width: int) -> pd.DataFrame:
        columns = width + EXTRA_FIELDS
        cells = _Columns()
        try:
            for number, row in _excel_rows(found, name):
                if number < skip:
                    continue
                if max(row) >= columns:  # beyond the spare columns: keep it in the last one
                    spill = [row.pop(c) for c in sorted(row) if c >= columns - 1]
                    row[columns - 1] = "\t".join(spill)
                cells.add(number - skip, row)
        finally:
            book.close()
        return cells.frame(0, columns)

    return Sheet("Excel", head, body, "\t")


# ---------------------------------------------------------------- JSON


class _TooDeep(Exception):
    pass


def _too_deep(name: str) -> ImportFileError:
    return ImportFileError(
        f"{name} 的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层,不像事件记录(文件可能已损坏)。"
        "请导出为对象数组、每行一个对象(JSON Lines)或 CSV。"
    )


def _check_depth(value, depth: int) -> None:
    """Refuse lists or objects nested deeper than :data:`MAX_JSON_DEPTH` (no recursion)."""
    stack = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if level > MAX_JSON_DEPTH:
            raise _TooDeep
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))


def _flatten(record: dict) -> dict[str, object]:
    """A record with nested objects flattened to dotted keys (location.latitude), in their
    order of appearance; lists kept (as their JSON text). No recursion."""
    cells: dict[str, object] = {}
    stack = [("", iter(record.items()))]
    while stack:
        prefix, items = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        key, value = item
        if isinstance(value, dict):
            if len(stack) >= MAX_JSON_DEPTH:
                raise _TooDeep
            stack.append((f"{prefix}{key}.", iter(value.items())))
        elif isinstance(value, list):
            _check_depth(value, len(stack) + 1)
            cells[f"{prefix}{key}"] = json.dumps(value, ensure_ascii=False)
        else:
            cells[f"{prefix}{key}"] = value
    return cells


def _json_text(value) -> str:
    """A JSON value as a cell: strings as they are, null as '', others as their JSON text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        _check_depth(value, 2)
        return json.dumps(value, ensure_ascii=False)
    text = repr(value)  # what json.dumps writes for an int or a finite float, faster
    return text if text not in ("nan", "inf", "-inf") else json.dumps(value)


def _text_array(values: list) -> pa.Array:
    """A column of JSON values as Arrow strings: at C speed when they are strings or nulls."""
    try:
        array = pa.array(values, pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        array = pa.array([v if type(v) is str else _json_text(v) for v in values], pa.string())
    return array.fill_null("")


class _Records:
    """JSON records gathered into Arrow string columns :data:`CHUNK_ROWS` records at a time,
    a column at a time (not cell by cell); the header is the union of their keys."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.keys: dict[str, int] = {}  # key -> column, in order of first appearance
        self.columns = _Columns()
        self._chunk: list[dict] = []
        self._chunk_keys: dict = {}
        self._layout: tuple | None = None  # the chunk's keys while every record has them so

    def add(self, record: dict) -> dict:
        """Add a record; returns it, nested objects flattened to dotted keys."""
        if dict in map(type, record.values()):
            record = _flatten(record)
        if not self._chunk:
            self._layout = tuple(record)
        elif self._layout is not None and tuple(record) != self._layout:
            self._layout = None
        self._chunk_keys.update(record)
        if len(self._chunk_keys) > len(self.keys):
            for key in self._chunk_keys:
                self.keys.setdefault(key, len(self.keys))
            if len(self.keys) > MAX_COLUMNS:
                raise _too_many_columns(self.name, len(self.keys))
        self._chunk.append(record)
        if len(self._chunk) == CHUNK_ROWS:
            self.flush()
        return record

    def flush(self) -> None:
        if not self._chunk:
            return
        if self._layout is not None:  # the usual case: transposed at C speed
            values = zip(
                self._layout, zip(*map(dict.values, self._chunk), strict=True), strict=True
            )
        else:
            values = ((k, [r.get(k) for r in self._chunk]) for k in self._chunk_keys)
        chunk = {self.keys[key]: _text_array(column) for key, column in values}
        self.columns.extend(len(self._chunk), chunk)
        self._chunk, self._chunk_keys = [], {}


class _JsonStream:
    """A JSON document decoded :data:`_WINDOW` bytes at a time, read value after value:
    a file of a million records never exists as one Python string or list."""

    def __init__(self, data: bytes, start: int, name: str, encoding: str) -> None:
        self.data, self.next, self.name = data, start, name
        self.decoder = codecs.getincrementaldecoder(encoding)("strict")
        self.text, self.pos, self.final = "", 0, False
        self.records = 0  # records read, for messages

    def more(self) -> bool:
        if self.final:
            return False
        end = min(self.next + _WINDOW, len(self.data))
        try:
            chunk = self.decoder.decode(self.data[self.next : end], end == len(self.data))
        except UnicodeDecodeError:
            raise _unknown_encoding(self.name) from None
        self.text = self.text[self.pos :] + chunk
        self.pos, self.next, self.final = 0, end, end == len(self.data)
        return True

    def peek(self) -> str:
        """The next character that is not white space ('' at the end)."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def take(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise self.error(f"应为“{char}”,实为“{found or '文件结尾'}”")
        self.pos += 1

    def value(self):
        self.peek()
        while True:
            try:
                value, end = _JSON.raw_decode(self.text, self.pos)
            except RecursionError:
                raise _too_deep(self.name) from None
            except json.JSONDecodeError as exc:  # perhaps cut at the window's end: read on
                if len(self.text) - self.pos <= MAX_LINE_BYTES and self.more():
                    continue
                raise self.error(exc.msg) from None
            if end == len(self.text) and self.more():  # a number may go on in the next window
                continue
            self.pos = end
            return value

    def error(self, why: str) -> ImportFileError:
        return ImportFileError(
            f"{self.name} 不是有效的 JSON(第 {self.records + 1:,} 条记录附近:{why};"
            f"单条记录不能超过 {_mb(MAX_LINE_BYTES)})。请确认文件完整、没有被截断后重新导出。"
        )


_FEATURES = re.compile(rb'"type"\s*:\s*"(?:FeatureCollection|Feature)"')


def declares_features(start: bytes) -> bool:
    """Whether a JSON file's first bytes declare GeoJSON features (a grid file, not events)."""
    return _FEATURES.search(start) is not None


def _geojson(name: str) -> ImportFileError:
    return ImportFileError(
        f"{name} 是 GeoJSON 地理要素文件,不是事件工单。网格边界请在“数据导入”中选择数据类型"
        "“网格边界”导入(命令行:--kind grids)。"
    )


def _kind(value) -> str:
    return {dict: "对象", list: "数组", str: "字符串", bool: "布尔值"}.get(
        type(value), "空值" if value is None else "数字"
    )


def _array(stream: _JsonStream) -> Iterator:
    """The items of the array whose "[" was just taken."""
    if stream.peek() == "]":
        stream.pos += 1
        return
    while True:
        yield stream.value()
        following = stream.peek()
        if following == "]":
            stream.pos += 1
            return
        if following != ",":
            raise stream.error(f"数组元素之间应为逗号,实为“{following or '文件结尾'}”")
        stream.pos += 1


def _records(stream: _JsonStream, lines: bool) -> Iterator:
    """The records of the file: an array's items; an object's array of objects (such as
    {"data": [...]} or {"service_requests": [...]}); or objects one after another (JSON
    Lines, ``lines``; also a single object)."""
    name = stream.name
    if stream.peek() == "[":
        stream.pos += 1
        yield from _array(stream)
    elif lines:
        while stream.peek() == "{":
            yield stream.value()
    else:  # one object, read member by member: it may wrap a million records
        stream.take("{")
        members: dict = {}
        while stream.peek() not in ("}", ""):
            if members:
                stream.take(",")
            key = stream.value()
            stream.take(":")
            if key == "features":
                raise _geojson(name)
            if stream.peek() != "[":
                members[key] = stream.value()
                if key == "type" and members[key] in ("FeatureCollection", "Feature"):
                    raise _geojson(name)
                continue
            stream.pos += 1
            first = stream.peek()
            if first == "{":  # the records, wrapped; members after them are skipped
                yield from _array(stream)
                while stream.peek() == ",":
                    stream.pos += 1
                    stream.value()
                    stream.take(":")
                    stream.value()
                stream.take("}")
                break
            if first == "[":
                raise ImportFileError(
                    f"{name} 的“{key}”是数组的数组(如 Socrata 的 rows.json),没有列名。"
                    "请改用对象数组的 JSON(如 SODA 接口的 .json)或 CSV 导出。"
                )
            members[key] = list(_array(stream))
        else:
            stream.take("}")
            yield members  # no array of objects inside: the object is itself a record
        while stream.peek() == "{":
            yield stream.value()
    if stream.peek():
        raise stream.error("记录之后还有多余的内容")


def _json_lines(data: bytes, start: int) -> bool:
    """Whether the file is one object a line: its first line is "{…}" and a "{" follows."""
    end = data.find(b"\n", start, start + MAX_LINE_BYTES)
    if end < 0 or not data[start:end].rstrip().endswith(b"}"):
        return False
    return data[end : end + 4096].lstrip()[:1] == b"{"


def _json_sheet(data: bytes, start: int, name: str, preview: bool) -> Sheet:
    """Records as rows: header the union of their keys in order of first appearance, a
    cell per key ('' when missing or null; numbers and booleans as their JSON text)."""
    encoding, marked = "utf-8", False
    if not _is_utf8(data, start):
        guess, some_utf8 = _guess(_sample(data, start))
        if guess == "gb18030" and (not some_utf8 or _decodes(data, start, guess)):
            encoding = guess
        else:  # UTF-8 with stray text in another encoding: salvaged, to be quarantined
            data, start, marked = _salvaged(data, start, _bad_lines(data, start)), 0, True
    stream = _JsonStream(data, start, name, encoding)
    records = _Records(name)
    first: list[dict] = []
    try:
        for row, record in enumerate(_records(stream, _json_lines(data, start))):
            if not isinstance(record, dict):
                raise ImportFileError(
                    f"{name} 的第 {row + 1:,} 条记录不是 JSON 对象(而是{_kind(record)})。"
                    "事件文件应是对象的数组,或每行一个对象(JSON Lines)。"
                )
            if record.get("type") == "Feature" and "geometry" in record:
                raise _geojson(name)
            stream.records = row + 1
            if row >= HEAD_ROWS - 1 and preview:
                break
            record = records.add(record)
            if row < HEAD_ROWS - 1:
                first.append(record)
        records.flush()
    except _TooDeep:
        raise _too_deep(name) from None
    if not records.keys:
        raise ImportFileError(f"{name} 中没有记录(或记录没有任何字段)。请重新导出后再导入。")
    header = list(records.keys)
    try:
        head = [header] + [[_json_text(r.get(k)) for k in header] for r in first]
    except _TooDeep:
        raise _too_deep(name) from None
    if marked:
        head = [[cell.replace(_MARK, "") for cell in row] for row in head]
    sheet_problems: dict[int, str] = {}

    def body(skip: int, width: int) -> pd.DataFrame:  # once: the columns are handed over
        if preview:
            raise RuntimeError("a preview sheet has only its head")
        frame = records.columns.frame(max(skip - 1, 0), width + EXTRA_FIELDS)
        sheet_problems.clear()
        if marked:
            sheet_problems.update(dict.fromkeys(_unmark(frame), NOT_UTF8))
        return frame

    return Sheet("JSON", head, body, "\t", sheet_problems)
