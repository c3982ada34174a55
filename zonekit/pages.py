"""How every sheet zonekit writes prints: A4, margins, page numbers, header rows repeated, fitted to the width.

One place for it, so no workbook leaves a sheet that prints on twelve portrait pages. xlsxwriter worksheets only.
"""

from __future__ import annotations

A4 = 9  # xlsxwriter's paper code


def setup_print(ws, header_row: int | tuple[int, int] | None = None, landscape: bool = True,
                pages_high: int = 0) -> None:
    """A4, narrow margins, "第 N 页，共 M 页", one page wide (``pages_high`` 0: as many pages as needed, 1: the
    whole sheet on one page); ``header_row`` (0-based row, or (first, last) rows) repeated on every page."""
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, pages_high)
    ws.set_footer("&C第 &P 页，共 &N 页")
    if header_row is not None:
        ws.repeat_rows(*(header_row if isinstance(header_row, tuple) else (header_row,)))
