"""Downloads of a chart's data: CSV with a BOM and Excel, so Excel on Chinese Windows opens
either without garbled characters. Only aggregated, Chinese-labelled tables go out."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
import streamlit as st

from analytics import formats as fmt


def csv_bytes(df: pd.DataFrame) -> bytes:
    return fmt.spreadsheet_safe(df).to_csv(index=False).encode("utf-8-sig")


def excel_bytes(df: pd.DataFrame, sheet: str = "数据") -> bytes:
    buffer = io.BytesIO()
    df = fmt.spreadsheet_safe(df)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        df.to_excel(writer, index=False, sheet_name=sheet[:31])
        columns = writer.sheets[sheet[:31]].column_dimensions
        for i, name in enumerate(df.columns):
            width = max([len(str(name)) * 2, *(len(str(v)) for v in df[name].head(200))]) + 2
            columns[_letter(i)].width = min(width, 40)
    return buffer.getvalue()


def _letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def buttons(
    df: pd.DataFrame, name: str, key: str, full: Callable[[], pd.DataFrame] | None = None
) -> None:
    """Two small buttons under a chart: 下载 CSV and 下载 Excel of ``df`` (file name ``name``).

    The workbook is written only when its button is clicked (openpyxl takes ~15 ms a table,
    which every rerun of a page with five charts would otherwise pay); the CSV is cheap.
    ``full`` gives the whole table when ``df`` is only what the page shows (a long list): both
    files are then made from it on click.
    """
    if full is None:
        csv_data: bytes | Callable[[], bytes] = csv_bytes(df)

        def excel_data() -> bytes:
            return excel_bytes(df)
    else:

        def csv_data() -> bytes:
            return csv_bytes(full())

        def excel_data() -> bytes:
            return excel_bytes(full())

    name = fmt.file_name(name)
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "下载 CSV",
            csv_data,
            f"{name}.csv",
            "text/csv",
            key=f"{key}_csv",
            icon=":material/download:",
            width="content",
        )
        st.download_button(
            "下载 Excel",
            excel_data,
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key}_xlsx",
            icon=":material/download:",
            width="content",
        )
