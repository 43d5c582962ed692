"""Reading an uploaded file into a table of text: CSV, Excel, JSON — within resource bounds.

Split out of ``analytics.importer``; the importers call :func:`read_sheet` and get a
:class:`Sheet`: its first rows (where the header is found) and a reader of the rest.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

HEAD_ROWS = 40  # rows read up front: header search and preview


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


def _decode(data: bytes, name: str) -> tuple[str, bytes]:
    """The file's text, and the same as UTF-8 bytes (what the CSV readers parse)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8", errors="strict"), data
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030", errors="strict")
        return text, text.encode("utf-8")
    except UnicodeDecodeError:
        pass
    raise ImportFileError(
        f"{name} 的编码无法识别(既不是 UTF-8 也不是 GBK/GB18030)。请另存为 UTF-8 编码的 CSV。"
    )


EXTRA_FIELDS = 16  # cells a row may have beyond the header before the file is refused


@dataclass
class Sheet:
    """A file's table as text: its first rows (where the header is) and a reader of the rest."""

    kind: str  # "CSV" or "Excel", for messages
    head: list[list[str]]
    body: Callable[[int, int], pd.DataFrame]  # (rows to skip, header width) -> string cells
    delimiter: str  # joins a quarantined row's cells into its raw text


def read_sheet(data: bytes, name: str) -> Sheet:
    """CSV (UTF-8 with or without BOM, GBK/GB18030; comma or tab) or an Excel workbook."""
    if not data.strip():
        raise ImportFileError(f"{name} 是空文件。请重新导出后再导入。")
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ImportFileError(
            f"{name} 是旧版 Excel(.xls)工作簿,无法直接读取。"
            "请在 Excel 中“另存为” .xlsx 工作簿或 CSV 后再导入。"
        )
    if data[:4] == b"PK\x03\x04":
        return _excel_sheet(data, name)
    if b"\x00" in data[:4096]:
        raise ImportFileError(
            f"{name} 不是文本表格(CSV)文件,可能是 UTF-16 文本或二进制文件。"
            "请在 Excel 中“另存为 CSV(逗号分隔)”或 .xlsx 后再导入。"
        )
    text, utf8 = _decode(data, name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    lines = text.split("\n", HEAD_ROWS)[:HEAD_ROWS]  # not the whole file
    head = list(csv.reader(lines, delimiter=delimiter))
    del text

    def body(skip: int, width: int) -> pd.DataFrame:
        regular = _regular_body(utf8, delimiter, skip, width)
        return regular if regular is not None else _csv_body(utf8, delimiter, skip, width, name)

    return Sheet("CSV", head, body, delimiter)


def _regular_body(utf8: bytes, delimiter: str, skip: int, width: int) -> pd.DataFrame | None:
    """The fast path: Arrow's multi-threaded reader, when every record has ``width`` cells.

    Blank lines come back as rows of empty cells, as on the pandas path; a record with more
    or fewer cells makes Arrow drop it without telling where, so then None (use pandas).
    """
    names = [str(i) for i in range(width)]
    irregular = []

    def note(row) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, block_size=1 << 24),
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
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = range(width)
    return frame


def _csv_body(utf8: bytes, delimiter: str, skip: int, width: int, name: str) -> pd.DataFrame:
    """Every record after the header as strings ('' for empty), ``width`` + spare columns."""
    try:
        return pd.read_csv(
            io.BytesIO(utf8),  # pandas parses bytes ~5x faster than a StringIO
            sep=delimiter,
            header=None,
            names=range(width + EXTRA_FIELDS),
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
            engine="c",
            encoding="utf-8",
        )
    except pd.errors.ParserError as exc:
        raise ImportFileError(
            f"{name} 无法按表格解析:{exc}。请检查是否有未闭合的引号或远多于表头的列。"
        ) from exc


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


def _excel_sheet(data: bytes, name: str) -> Sheet:
    """The first non-empty worksheet of an .xlsx/.xlsm workbook (values, not formulas)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(
            f"{name} 是压缩文件,但不是可读取的 Excel 工作簿({type(exc).__name__})。"
            "请在 Excel 中另存为 .xlsx 或 CSV 后再导入。"
        ) from exc
    try:
        rows: list[list[str]] = []
        for sheet in book.worksheets:
            rows = [[_excel_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            while rows and not any(rows[-1]):
                rows.pop()
            if rows:
                break
    finally:
        book.close()
    if not rows:
        raise ImportFileError(f"{name} 的工作表都是空的。请确认导出时选择了数据范围。")

    def body(skip: int, width: int) -> pd.DataFrame:
        columns = width + EXTRA_FIELDS
        cells = [(r + [""] * columns)[:columns] for r in rows[skip:]]
        return pd.DataFrame(cells, columns=range(columns), dtype=object).astype(str)

    return Sheet("Excel", rows[:HEAD_ROWS], body, "\t")
