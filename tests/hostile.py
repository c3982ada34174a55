"""Hostile and odd returns, built in memory from a real filled-in return: numbers no clerk types (1e309, NaN,
5,000 digits), cells at the far corner of the grid, times of the year 9999, regex traps, hidden sheets,
tampered identities — and entries on disk that are not files at all (FIFOs, sockets, dangling links, loops).

Each builder takes the bytes of a good return and gives the bytes of a hostile one; nothing is read from disk.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

from tests.returns_corpus import Table, _sheet_part, fill, positions, read_part, rezip
from zonekit import layout

IND, DATA, IDENT = layout.SHEET_INDICATORS, layout.SHEET_DATA, layout.SHEET_IDENTITY


def cell_xml(data: bytes, sheet: str, ref: str, inner: str, kind: str | None = None) -> bytes:
    """Replace what cell ``ref`` of ``sheet`` holds with raw XML (``inner``: "<v>1e309</v>", "<is>…</is>")."""
    part = _sheet_part(data, sheet)
    xml = read_part(data, part)
    m = re.search(rf'<c r="{ref}"([^>]*?)(/>|>.*?</c>)', xml, re.S)
    attrs = re.sub(r'\s*\bt="[^"]*"', "", m.group(1)) + (f' t="{kind}"' if kind else "")
    xml = xml[:m.start()] + f'<c r="{ref}"{attrs}>{inner}</c>' + xml[m.end():]
    return rezip(data, replace={part: xml.encode("utf-8")})


def sheet_xml(data: bytes, sheet: str, change) -> bytes:
    part = _sheet_part(data, sheet)
    return rezip(data, replace={part: change(read_part(data, part)).encode("utf-8")})


def far_cell(data: bytes, sheet: str, ref: str, value: str = "1") -> bytes:
    """One more cell far away (XFD1048576: calamine would ask for 512 GiB for the dense grid)."""
    row = re.match(r"[A-Z]+(\d+)", ref).group(1)
    return sheet_xml(data, sheet, lambda xml: xml.replace(
        "</sheetData>", f'<row r="{row}"><c r="{ref}"><v>{value}</v></c></row></sheetData>', 1))


def ref_of(data: bytes, sheet: str, key: str, header: str) -> str:
    return positions(data, sheet).ref(key, header)


def first_key(data: bytes, sheet: str, header: str | None = None) -> str:
    """The first keyed row of a sheet (with a cell in ``header``)."""
    table: Table = positions(data, sheet)
    return next(iter(table.rows))


def core_modified(data: bytes, stamp: str) -> bytes:
    core = read_part(data, "docProps/core.xml")
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", core)
    return rezip(data, replace={"docProps/core.xml": core.encode("utf-8")})


def comment_trap(data: bytes, sheet: str, tokens: int = 20000) -> bytes:
    """A long comment full of "<c " and every cell tag with its style first (s="…" r="…"): what made the style
    scan of intake quadratic."""
    def change(xml: str) -> str:
        xml = re.sub(r'<c r="([A-Z]+\d+)" s="(\d+)"', r'<c s="\2" r="\1"', xml)
        return xml.replace("<sheetData>", "<!-- " + "<c " * tokens + " --><sheetData>", 1)

    return sheet_xml(data, sheet, change)


def hidden_sheet(data: bytes, sheet: str, state: str = "veryHidden") -> bytes:
    workbook = read_part(data, "xl/workbook.xml")
    def change(m: re.Match) -> str:
        tag = re.sub(r'\s*\bstate="[^"]*"', "", m.group(0))
        return tag.replace("<sheet ", f'<sheet state="{state}" ', 1)

    workbook = re.sub(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*>', change, workbook, count=1)
    return rezip(data, replace={"xl/workbook.xml": workbook.encode("utf-8")})


def second_identity_row(data: bytes, key: str, value: str) -> bytes:
    """The hidden identity sheet with one more row for ``key`` below the generated ones."""
    saved = re.search(r"<dcterms:modified[^>]*>([^<]+)<", read_part(data, "docProps/core.xml")).group(1)

    def edit(wb):
        ws = wb[IDENT]
        ws.append([key, value])

    from datetime import datetime

    return fill(data, edit=edit, saved=datetime.fromisoformat(saved.replace("Z", "+00:00")))


def negative_anchor(data: bytes) -> bytes:
    """A pasted picture whose anchor column is negative (what made evidence.col_letters loop forever)."""
    with_drawing = [n for n in _names(data) if n.startswith("xl/drawings/") and n.endswith(".xml")]
    name = with_drawing[0]
    xml = re.sub(r"<xdr:col>\d+</xdr:col>", "<xdr:col>-3</xdr:col>", read_part(data, name), count=1)
    return rezip(data, replace={name: xml.encode("utf-8")})


def _names(data: bytes) -> list[str]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


# ---------------------------------------------------------------- entries that are not regular files


def special_entries(folder: Path) -> dict[str, str]:
    """Make a FIFO, a socket, a dangling link, a link loop, a link to a folder and a link to a character device
    in ``folder``; returns {name: what it is}. The socket stays bound until the process ends."""
    made = {}
    os.mkfifo(folder / "管道.xlsx")
    made["管道.xlsx"] = "FIFO"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(folder / "套接字.xlsx"))
    _KEEP.append(sock)
    made["套接字.xlsx"] = "套接字"
    (folder / "断开的链接.xlsx").symlink_to(folder / "不存在.xlsx")
    made["断开的链接.xlsx"] = "dangling"
    (folder / "循环A.xlsx").symlink_to(folder / "循环B.xlsx")
    (folder / "循环B.xlsx").symlink_to(folder / "循环A.xlsx")
    made["循环A.xlsx"] = made["循环B.xlsx"] = "loop"
    (folder / "链接到文件夹").symlink_to(folder.parent)
    made["链接到文件夹"] = "folder link"
    (folder / "设备.xlsx").symlink_to("/dev/zero")
    made["设备.xlsx"] = "device"
    return made


_KEEP: list = []


def gbk_name(folder: Path, stem: str, data: bytes) -> Path:
    """A file whose name is GBK bytes (as copied from a Windows USB stick), not UTF-8."""
    raw = os.fsencode(folder) + b"/" + stem.encode("gbk") + b".xlsx"
    with open(raw, "wb") as fh:
        fh.write(data)
    return Path(os.fsdecode(raw))


# ---------------------------------------------------------------- a folder of all of them


def hostile_files(project, good: bytes) -> dict[str, bytes]:
    """Every hostile variant of ``good`` (a filled-in return), by file name."""
    from tests.returns_corpus import eml, with_picture, zip_of

    value = ref_of(good, DATA, first_key(good, DATA), layout.DATA_VALUE.header)
    contact = ref_of(good, IND, first_key(good, IND), layout.IND_CONTACT.header)
    progress = ref_of(good, IND, first_key(good, IND), layout.IND_PROGRESS.header)
    far = far_cell(good, DATA, "XFD1048576")
    files = {
        "无穷大.xlsx": cell_xml(good, DATA, value, "<v>1e309</v>"),
        "非数值.xlsx": cell_xml(good, DATA, value, "<v>NaN</v>"),
        "1e22.xlsx": cell_xml(good, DATA, value, "<v>1e22</v>"),
        "1e22文本.xlsx": cell_xml(good, DATA, value, "<is><t>1" + "0" * 22 + "</t></is>", "inlineStr"),
        "五千位.xlsx": cell_xml(good, DATA, value, "<is><t>" + "7" * 5000 + "</t></is>", "inlineStr"),
        "十九位电话.xlsx": cell_xml(good, IND, contact, "<v>1234567890123456789</v>"),
        "最远单元格.xlsx": far,
        "第1048576行.xlsx": far_cell(good, IND, "A1048576"),
        "9999年.xlsx": core_modified(good, "9999-12-31T23:59:59Z"),
        "0001年.xlsx": core_modified(good, "0001-01-01T00:00:00+08:00"),
        "未来保存.xlsx": core_modified(good, "2099-01-01T00:00:00Z"),
        "注释陷阱.xlsx": comment_trap(good, DATA),
        "负列图片.xlsx": negative_anchor(with_picture(good, IND, "H5")),
        "四万字.xlsx": cell_xml(good, IND, progress, "<is><t>" + "字" * 40000 + "</t></is>", "inlineStr"),
        "深度隐藏.xlsx": hidden_sheet(good, DATA),
        "两个单位.xlsx": second_identity_row(good, layout.ID_UNIT, "县商务局"),
        "压缩包.zip": zip_of({"最远单元格.xlsx": far}),
    }
    files["乱码附件名.eml"] = _raw_filename(eml([("附件.xlsx", good)]), "附件.xlsx")
    return files


def _raw_filename(message: bytes, name: str) -> bytes:
    """The attachment's file name as raw GBK bytes in the header (as old mail clients send it)."""
    return re.sub(rb'filename\*?=[^\r\n;]+', b'filename="' + name.encode("gbk") + b'"', message, count=1)


def hostile_folder(project, folder: Path, good: bytes, *, arrived: float | None = None) -> list[str]:
    """Write every hostile variant of ``good``, the GBK-named file and the entries that are not files into
    ``folder``; all arrive at ``arrived`` (a timestamp). Returns the names as 回收登记 shows them (last part)."""
    names = []
    for name, data in hostile_files(project, good).items():
        path = folder / name
        path.write_bytes(data)
        names.append(name)
    gbk = gbk_name(folder, "县市场监管局填报表", good)
    names.append(os.fsencode(gbk.name).decode("ascii", "backslashreplace"))
    if arrived is not None:
        for path in folder.iterdir():
            if path.is_file() and not path.is_symlink():
                os.utime(path, (arrived, arrived))
    if hasattr(os, "mkfifo"):
        names += list(special_entries(folder))
    return names
