"""Downloads of a chart's data: CSV with a BOM and Excel, so Excel on Chinese Windows opens
either without garbled characters. Only aggregated, Chinese-labelled tables go out."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
import streamlit as st

from analytics import formats as fmt
from ui import auth

csv_bytes = fmt.csv_bytes  # the CSV download; one encoder with the CLI's and 目标管理's files


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
    """Two small buttons under a chart: 下载 CSV and 下载 Excel of ``df`` (file name ``name``),
    for viewers whose role may export (分析员, 管理员); nothing for the others.

    Files are made only when a button is clicked (openpyxl takes ~15 ms a table, which every
    rerun of a page with five charts would otherwise pay), and each one made is audited.
    ``full`` gives the whole table when ``df`` is only what the page shows (a long list): both
    files are then made from it.
    """
    if not auth.can_export():
        return
    table = full or (lambda: df)
    name = fmt.file_name(name)

    def counted(make: Callable[[pd.DataFrame], bytes]) -> Callable[[], tuple[bytes, int]]:
        def content() -> tuple[bytes, int]:
            rows = table()
            return make(rows), len(rows)

        return content

    with st.container(horizontal=True, gap="small"):
        file_button("下载 CSV", counted(csv_bytes), f"{name}.csv", "text/csv", f"{key}_csv")
        file_button(
            "下载 Excel",
            counted(excel_bytes),
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{key}_xlsx",
        )


def file_button(
    label: str,
    make: Callable[[], bytes | str | tuple[bytes, int]],
    file: str,
    mime: str,
    key: str,
) -> None:
    """One download button whose file is made on click and audited (file name, rows when
    ``make`` also returns them, size, hash); drawn only for viewers whose role may export."""
    if not auth.can_export():
        return

    def content() -> tuple[bytes, int | None]:
        made = make()
        made, rows = made if isinstance(made, tuple) else (made, None)
        return (made.encode("utf-8") if isinstance(made, str) else made), rows

    st.download_button(
        label,
        auth.audited("download", file, content),
        file,
        mime,
        key=key,
        icon=":material/download:",
        width="content",
    )
