"""Rows of a plain table written straight as worksheet XML: 回收登记 lists every place a file was found (10,000
rows at a province's scale), and xlsxwriter spends about 25 µs on each cell; this writes the same cells (inline
strings, numbers, row heights) for a tenth of that, while xlsxwriter writes everything else of the workbook.

Writes only the XML of the rows it is given, escaped exactly as xlsxwriter escapes a cell (control characters as
_xHHHH_, &, < and >; text past Excel's 32,767 characters cut), so user text always stays text.
"""

from __future__ import annotations

import re
import tempfile

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

MAX_TEXT = 32767  # UTF-16 units Excel keeps in a cell
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
_SPOOL = 1 << 20  # rows kept in memory up to 1 MB of XML, then in a temporary file
# what xlsxwriter's _prepare_formula looks for to prefix dynamic-array functions with _xlfn. (any of these names
# anywhere, "INGLE(" standing for its own pattern \SINGLE\(, and array braces): a formula without them is kept
_DYNAMIC = re.compile(r"[{}]|_xlfn\.|ANCHORARRAY\(|BYCOL\(|BYROW\(|CHOOSECOLS\(|CHOOSEROWS\(|DROP\(|EXPAND\(|FILTER\("
                      r"|HSTACK\(|LAMBDA\(|MAKEARRAY\(|MAP\(|RANDARRAY\(|REDUCE\(|SCAN\(|INGLE\(|SEQUENCE\(|SORT\("
                      r"|SORTBY\(|SWITCH\(|TAKE\(|TEXTSPLIT\(|TOCOL\(|TOROW\(|UNIQUE\(|VSTACK\(|WRAPCOLS\("
                      r"|WRAPROWS\(|XLOOKUP\(")


def _text(value: str) -> str:
    """A cell's text as the XML of an inline string (<t>…</t>), as xlsxwriter writes one."""
    if len(value) <= MAX_TEXT // 2 and not _NEEDS_ESCAPE.search(value) and not value[0].isspace() \
            and not value[-1].isspace():
        return "<t>" + value + "</t>"  # the usual cell: nothing to cut, escape or preserve
    if len(value) > MAX_TEXT // 2 and len(value.encode("utf-16-le")) // 2 > MAX_TEXT:
        value = value.encode("utf-16-le")[:2 * MAX_TEXT].decode("utf-16-le", "ignore")
    if _NEEDS_ESCAPE.search(value):
        value = _ESCAPED_ESCAPE.sub(r"_x005F\1", value)
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", value)
        value = value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


class RowSheet(Worksheet):
    """A worksheet whose rows after the first ``add_row`` are written by ``add_row``; the rows above (a header
    written with the usual methods) and everything else (widths, panes, filters, print setup) by xlsxwriter.
    Add it with ``workbook.add_worksheet(name, worksheet_class=RowSheet)``; the workbook must not use
    ``constant_memory`` (the rows are streamed here anyway: in memory up to 1 MB, then in a temporary file)."""

    def __init__(self):
        super().__init__()
        self._rows = None  # the XML of the rows added, once the first is
        self._first = 0  # the first row added here
        self._next = 0
        self._cells: list[str] = []

    def style(self, fmt: Format | None) -> str:
        """The ` s="N"` attribute of a cell in ``fmt`` (the format is registered with the workbook)."""
        return f' s="{fmt._get_xf_index()}"' if fmt is not None else ""  # a dict lookup once registered

    def add_row(self, row: int, cells, styles, height: float | None = None, blanks: bool = False) -> None:
        """Row ``row`` (0-based, after every row added before and every row written the usual way): ``cells``
        in order from column A, each text (an inline string), an int or float (a number) or None/"" (no cell, or
        with ``blanks`` an empty cell in its style, as write_blank leaves one); ``styles`` the ``style()`` of each
        column; ``height`` in points as ``set_row`` takes it."""
        if self.constant_memory:
            raise ValueError("RowSheet rows need a workbook without constant_memory")
        if self._rows is None:
            if self.dim_rowmax is not None and row <= self.dim_rowmax:
                raise ValueError(f"row {row} is not below the rows already written")
            self._rows = tempfile.SpooledTemporaryFile(_SPOOL, mode="w+", encoding="utf-8", dir=self.tmpdir or None)
            self._first = row
        elif row < self._next:
            raise ValueError(f"row {row} comes after row {self._next - 1}")
        self._next = row + 1
        cell = self._cells
        while len(cell) < len(cells):
            cell.append(f'<c r="{xl_col_to_name(len(cell))}')  # the start of a cell of each column
        number = str(row + 1)
        if height is None:
            parts = ['<row r="', number, '">']
        else:  # as set_row: whole pixels, written in points
            parts = ['<row r="', number, f'" ht="{int(height * 4.0 / 3.0 + 0.5) * 0.75:.16g}" customHeight="1">']
        first = last = -1
        for col, value in enumerate(cells):
            if value is None or value == "":
                if blanks and styles[col]:
                    first, last = (col if first < 0 else first), col
                    parts += (cell[col], number, '"', styles[col], "/>")
                continue
            if first < 0:
                first = col
            last = col
            if value.__class__ is str or isinstance(value, str):
                parts += (cell[col], number, '"', styles[col], ' t="inlineStr"><is>', _text(value), "</is></c>")
            else:
                parts += (cell[col], number, '"', styles[col], "><v>", f"{float(value):.16G}", "</v></c>")
        if first < 0 and height is None:
            return  # nothing in it: no row, as xlsxwriter leaves it out
        parts.append("</row>")
        self._rows.write("".join(parts))
        self._extend(row, first, last)

    def _extend(self, row: int, first: int, last: int) -> None:
        """The sheet's dimensions (its <dimension>, and the rows xlsxwriter walks) reach this row's cells."""
        self.dim_rowmin = row if self.dim_rowmin is None else min(self.dim_rowmin, row)
        self.dim_rowmax = row if self.dim_rowmax is None else max(self.dim_rowmax, row)
        if first >= 0:
            self.dim_colmin = first if self.dim_colmin is None else min(self.dim_colmin, first)
            self.dim_colmax = last if self.dim_colmax is None else max(self.dim_colmax, last)

    def _prepare_formula(self, formula, expand_future_functions=False):
        """As xlsxwriter's, without its 29 searches for dynamic-array functions when a formula names none of them
        (the summary's 150 formulas use classic functions only: a tenth of a score)."""
        if self.use_future_functions or expand_future_functions or _DYNAMIC.search(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        return formula[1:] if formula.startswith("=") else formula

    def _write_sheet_data(self) -> None:
        if self._rows is None:
            super()._write_sheet_data()
            return
        if any(r >= self._first and self.table[r] for r in list(self.table)):
            raise ValueError(f"{self.name}: a cell was written the usual way among the rows added as XML")  # never dropped
        self._xml_start_tag("sheetData")
        top = self.dim_rowmax
        if self.dim_rowmin < self._first:  # xlsxwriter's own rows (the header) come first
            self.dim_rowmax = self._first - 1
            self._write_rows()
            self.dim_rowmax = top
        self._rows.seek(0)
        while chunk := self._rows.read(1 << 16):
            self.fh.write(chunk)
        self._rows.close()
        self._xml_end_tag("sheetData")
