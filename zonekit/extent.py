"""How far a worksheet of a returned .xlsx reaches, found before calamine is asked for its dense grid (calamine
allocates rows × columns between the outermost cells: one cell at XFD1048576 asks for 512 GiB), and a copy of
the package whose worksheet holds only the rows and columns a form has.

Never expands an entity or fetches anything (a document type declaration refuses the part), and costs time
linear in the part's size.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from zonekit.evidence import col_index, col_letters

# A part whose every <c> and <row> starts with its own r="…" within Z999 is small whatever else it holds (its
# dense grid is at most 999 × 26); anything else — a tag without r, r not first, another separator than one
# space, a prefixed tag, a reference beyond Z999 or unusual in form, a second r (calamine takes the last) — is
# measured cell by cell.
SMALL_ROWS, SMALL_COLS = 999, 26
_NOT_SMALL = re.compile(rb'<(?:[\w.-]+:(?:c|row)(?![\w.:-])|(?:c|row)(?![\w.:-]| r=")'
                        rb'|c r="(?![A-Z][1-9][0-9]{0,2}")|row r="(?![1-9][0-9]{0,2}")'
                        rb'|(?:c|row) r="[^"<>]*"[^<>]*\sr\s*=)')
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,10})$")
MAX_ROWS, MAX_COLS = 1048576, 16384  # Excel's grid
# Parts that calamine does not need to read worksheet values (kept out of a trimmed copy).
_NOT_NEEDED = ("xl/media/", "xl/drawings/", "xl/embeddings/", "xl/printerSettings/",
               "xl/charts/", "xl/pivot", "xl/externalLinks/", "docProps/thumbnail")


class ExtentError(ValueError):
    """The worksheet part cannot be read at all (damaged XML, a DTD, a reference outside Excel's grid)."""


def looks_small(xml: bytes) -> bool:
    """True for the usual part (see _NOT_SMALL): one regex search, in C, that finds nothing."""
    return b"<sheetData" in xml and _NOT_SMALL.search(xml) is None


@dataclass
class Extent:
    """Where the cells holding something end (0-based; -1 when there are none), the farthest such cell as A1,
    and the cells within the limits, kept for a trimmed copy."""

    rows: int = -1
    cols: int = -1
    farthest: str = ""
    outside: int = 0  # cells holding something beyond the limits
    kept: list = field(default_factory=list, repr=False)  # (row, col, t, s, kind, text)


def measure(xml: bytes, max_rows: int, max_cols: int) -> Extent:
    """Positions of the cells as calamine assigns them (a <row>/<c> without r follows the one before), cells
    beyond ``max_rows`` × ``max_cols`` counted but not kept. Raises ExtentError when the part is damaged."""
    extent = Extent()
    state = {"data": False, "row": 0, "col": 0, "cell": None, "text": None, "phonetic": 0}

    def local(name: str) -> str:
        return name.rpartition(":")[2]

    def start(name, attrs):
        tag = local(name)
        if tag == "sheetData":
            state["data"] = True
        elif not state["data"]:
            return
        elif tag == "row":
            ref = attrs.get("r")
            if ref is not None:
                if not ref.isdigit() or not 0 < int(ref) <= MAX_ROWS:
                    raise ExtentError(f"行号「{ref[:20]}」不在 Excel 的表格范围内")
                state["row"] = int(ref) - 1
        elif tag == "c":
            ref = attrs.get("r")
            if ref is not None:
                m = _REF.match(ref)
                if not m:
                    raise ExtentError(f"单元格位置「{ref[:20]}」无法识别")
                row, col = int(m.group(2)) - 1, col_index(m.group(1).upper())
                if not (0 <= row < MAX_ROWS and 0 <= col < MAX_COLS):
                    raise ExtentError(f"单元格位置「{ref[:20]}」不在 Excel 的表格范围内")
                state["col"] = col
            else:
                row, col = state["row"], state["col"]
            state["cell"] = [row, col, attrs.get("t"), attrs.get("s"), None, []]
        elif state["cell"] is not None:
            if tag in ("v", "is"):
                state["cell"][4] = tag
            if tag == "rPh":
                state["phonetic"] += 1
            elif tag in ("v", "t") and not state["phonetic"]:
                state["text"] = []

    def end(name):
        tag = local(name)
        if tag == "sheetData":
            state["data"] = False
        elif not state["data"]:
            return
        elif tag == "row":
            state["row"] += 1
            state["col"] = 0
        elif tag == "c" and state["cell"] is not None:
            row, col, t, s, kind, parts = state["cell"]
            state["cell"] = None
            state["col"] += 1
            if kind is None:
                return  # no value: calamine keeps no cell here either
            if row > extent.rows or (row == extent.rows and col > extent.cols):
                extent.farthest = f"{col_letters(col)}{row + 1}"
            extent.rows, extent.cols = max(extent.rows, row), max(extent.cols, col)
            if row < max_rows and col < max_cols:
                extent.kept.append((row, col, t, s, kind, "".join(parts)))
            else:
                extent.outside += 1
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag in ("v", "t") and state["text"] is not None:
            state["cell"][5].append("".join(state["text"]))
            state["text"] = None

    def text(data):
        if state["text"] is not None:
            state["text"].append(data)

    def refuse(*_):
        raise ExtentError("含有文档类型声明（DTD），为安全起见不读取")

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.buffer_text = True
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise ExtentError(f"XML 损坏：{exc}") from None
    return extent


def trimmed_sheet(extent: Extent) -> bytes:
    """A worksheet part holding only the kept cells, as calamine reads them (types and styles kept)."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    row_open = None
    for row, col, t, s, kind, content in sorted(extent.kept, key=lambda c: (c[0], c[1])):
        if row != row_open:
            if row_open is not None:
                out.append("</row>")
            out.append(f'<row r="{row + 1}">')
            row_open = row
        attrs = f' r="{col_letters(col)}{row + 1}"'
        if s is not None:
            attrs += f" s={quoteattr(s)}"
        if kind == "is":
            out.append(f'<c{attrs} t="inlineStr"><is><t xml:space="preserve">{escape(content)}</t></is></c>')
        else:
            if t is not None:
                attrs += f" t={quoteattr(t)}"
            out.append(f"<c{attrs}><v>{escape(content)}</v></c>")
    if row_open is not None:
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out).encode("utf-8")


def trimmed_package(zf: zipfile.ZipFile, parts: dict[str, bytes]) -> bytes:
    """The package with ``parts`` (name → trimmed worksheet) replaced and the parts calamine needs for reading
    no other worksheet left out."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in zf.infolist():
            name = info.filename
            if name in parts:
                dst.writestr(name, parts[name])
            elif not name.startswith(_NOT_NEEDED) and not name.endswith("/"):
                dst.writestr(name, zf.read(info))
    return out.getvalue()


# ---------------------------------------------------------------- .xls (BIFF8 records in an OLE container)

_BOF, _EOF, _BOUNDSHEET, _MULRK = 0x0809, 0x000A, 0x0085, 0x00BD
# NUMBER, LABELSST, RK, BOOLERR, FORMULA, LABEL, RSTRING: records of one cell holding something (row, col first)
_CELL_RECORDS = frozenset({0x0203, 0x00FD, 0x027E, 0x0205, 0x0006, 0x0204, 0x00D6})


class XlsExtents:
    """Where the cells holding something end in each sheet of an .xls, read from the records of its Workbook
    stream (nothing is built; a sheet is scanned when first asked for). Raises ExtentError when the container or
    the stream cannot be read."""

    def __init__(self, data: bytes):
        from xlrd import compdoc

        try:
            with open(os.devnull, "w") as quiet:
                doc = compdoc.CompDoc(data, logfile=quiet)
                stream = doc.get_named_stream("Workbook") or doc.get_named_stream("Book")
        except Exception as exc:  # xlrd raises its own errors for every damage
            raise ExtentError(f"文件结构损坏：{exc}") from None
        if not stream:
            raise ExtentError("找不到工作簿数据")
        self.stream = stream
        self.sheets: dict[str, int] = {}  # name → offset of its BOF record
        for rtype, body, size in _records(stream, 0):
            if rtype == _BOUNDSHEET and size >= 8:
                offset, length, flags = struct.unpack_from("<I", stream, body)[0], stream[body + 6], stream[body + 7]
                raw = stream[body + 8:body + size]
                name = raw[:2 * length].decode("utf-16-le", "replace") if flags & 1 else \
                    raw[:length].decode("latin-1")
                self.sheets.setdefault(name, offset)
            elif rtype == _EOF:
                break

    def of(self, sheet: str) -> Extent:
        """The sheet's extent (rows/cols 0-based, -1 when empty), or the widest of all when the name is not
        found (then nothing is assumed about which one calamine reads)."""
        if sheet not in self.sheets:
            found = [self.of(name) for name in self.sheets] or [Extent()]
            return max(found, key=lambda e: (e.rows + 1) * (e.cols + 1))
        stream, found, depth = self.stream, Extent(), 0
        at, end, unpack, cells = self.sheets[sheet], len(self.stream) - 4, struct.unpack_from, _CELL_RECORDS
        while at <= end:  # a plain loop: this runs for every record of every .xls sheet read
            rtype, size = unpack("<HH", stream, at)
            body, at = at + 4, at + 4 + size
            if rtype == _BOF:
                depth += 1
            elif rtype == _EOF:
                depth -= 1
                if depth <= 0:
                    break
            elif (rtype in cells or rtype == _MULRK) and 4 <= size <= len(stream) - body:
                row, col = unpack("<HH", stream, body)
                if rtype == _MULRK and size >= 6:
                    col = unpack("<H", stream, body + size - 2)[0]
                if row > found.rows or (row == found.rows and col > found.cols):
                    found.farthest = f"{col_letters(col)}{row + 1}"
                    found.rows, found.cols = row, max(found.cols, col)
                elif col > found.cols:
                    found.cols = col
        return found


def _records(stream: bytes, at: int):
    """(type, body offset, body size) of the BIFF records from ``at`` on."""
    end = len(stream)
    while at + 4 <= end:
        rtype, size = struct.unpack_from("<HH", stream, at)
        yield rtype, at + 4, min(size, end - at - 4)
        at += 4 + size
