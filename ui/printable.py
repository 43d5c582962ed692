"""A table as a page to print: an HTML file that any browser opens and prints on A4 landscape,
with a Chinese font stack, the heading lines above and the status column in the targets'
colours. Every cell is escaped: unit names and categories come from imported data."""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from ui import cards

FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'


def document(title: str, lines: Sequence[str], table: pd.DataFrame, status: str = "") -> str:
    """The HTML page: ``title``, the ``lines`` under it, then ``table``; cells of the column
    ``status`` (达标 / 预警 / 未达标) tinted and written in their status colour."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for record in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, record, strict=True):
            text = "" if value is None or (isinstance(value, float) and value != value) else value
            css = cards.status_cell_css(str(text)) if column == status else ""
            style = f' style="{css}"' if css else ""
            cells.append(f"<td{style}>{html.escape(str(text))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    heading = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
@page {{size: A4 landscape; margin: 12mm;}}
body {{font-family: {FONTS}; color: #263238; font-size: 10.5pt;}}
h1 {{font-size: 16pt; margin: 0 0 4pt 0;}}
p {{margin: 0 0 2pt 0; color: #546e7a;}}
table {{border-collapse: collapse; width: 100%; margin-top: 8pt;}}
th, td {{border: 0.6pt solid #b0bec5; padding: 3pt 5pt; text-align: left; vertical-align: top;}}
th {{background: #eceff1;}}
thead {{display: table-header-group;}}
tr {{page-break-inside: avoid;}}
</style></head>
<body><h1>{html.escape(title)}</h1>{heading}
<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>
</body></html>
"""
