"""Pictures in returned workbooks, in every format a unit sends: floating pictures and WPS in-cell images
(=DISPIMG("ID_…",1) backed by xl/cellimages.xml) in .xlsx/.xlsm, picture shapes of an .xls (its BLIP store, see
zonekit.xlsdrawing), frames of an .ods (Pictures/ in the package); each found by the cell it sits on, and every
picture that cannot be extracted or placed reported with its file, sheet and cell.

Reads the workbook package with defusedxml only; never writes into a returned file and never runs anything.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import io
import os
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import xml.etree.ElementTree as _PlainTree

from defusedxml import ElementTree as _DefusedTree

from zonekit import layout
from zonekit.files import write_atomic
from zonekit.issues import WARNING, define

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_RICH = "http://schemas.microsoft.com/office/spreadsheetml/2017/richdata"
NS_RICH_REL = "http://schemas.microsoft.com/office/spreadsheetml/2022/richvaluerel"
NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
NS_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
NS_XLINK = "http://www.w3.org/1999/xlink"
NS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

CELLIMAGES = "xl/cellimages.xml"
_DISPIMG = re.compile(r'DISPIMG\(\s*(?:&quot;|")(ID_[0-9A-Za-z]+)(?:&quot;|")', re.I)
_CELL_START = re.compile(r"<(?:\w+:)?c\s([^<>]*)>")  # [^<>]: linear on a run of unclosed "<c "
_VM_CELL = re.compile(r'<(?:\w+:)?c\s[^<>]*?\bvm="(\d+)"[^<>]*>')
_ATTR_R = re.compile(r'\br="([A-Z]+)(\d+)"')
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".webp", ".svg", ".pict"}

KIND_FLOATING = "图片"
KIND_IN_CELL = "单元格图片"  # WPS DISPIMG, or Excel's "放置在单元格中" (rich value)
BLIP = "blip:"  # member prefix of a picture in an .xls: blip:<index in the BLIP store><ext>

# ---------------------------------------------------------------- messages (R3xx: pictures)
R_LOST_PICTURE = define("R301", WARNING, "{sheet}!{cell} 的单元格图片在文件中找不到图片内容，未能提取。"
                                         "请把该图片另存为文件随表发送。")
R_CELL_IMAGES_GONE = define("R302", WARNING, "{sheet}!{cell} 是 WPS 单元格图片（DISPIMG），但文件中已没有图片内容"
                                             "（文件经 LibreOffice 或 Excel 另存后，WPS 的单元格图片会丢失），未能提取。"
                                             "请用 WPS 打开原文件后重新发送，或把图片另存为文件随表发送。")
R_NO_ANCHOR = define("R303", WARNING, "{sheet} 中的图片「{value}」没有固定在单元格上（按页面位置摆放），无法判断属于哪项指标，"
                                      "已归入「{unsorted}」。请把图片放在对应指标所在行的单元格中后重新发送。")
R_NOT_PLACED = define("R304", WARNING, "文件中的图片「{value}」没有放在任何工作表的单元格上，无法判断属于哪项指标，"
                                       "已归入「{unsorted}」。请核实该图片是哪项指标的佐证。")
R_OFF_ROW = define("R305", WARNING, "{sheet}!{cell} 的图片不在任何指标或数据项所在的行，已归入「{unsorted}」。"
                                    "如是某项指标的佐证，请把图片移到该指标所在行后重新发送。")
R_PICTURE_DROPPED = define("R307", WARNING, "较新的文件「{newer}」中已没有这张图片（{what}），已保留早先收到的图片作为佐证。"
                                            "如单位有意撤回，由创建办登记撤回（zonekit evidence withdraw）；"
                                            "否则请单位在新文件中补回，或不作处理。")
R_PICTURE_UNREADABLE = define("R306", WARNING, "图片无法读取（{reason}），未能提取。"
                                               "请把该图片另存为文件随表发送。")


@dataclass(slots=True)
class Picture:
    """A picture found in a returned workbook, by the cell its top-left corner sits on."""

    sheet: str
    cell: str  # A1; "" when the picture sits on no cell
    row: int  # 0-based, as in the calamine grid; -1 when the picture sits on no cell
    col: int
    member: str  # where its bytes are: a package part (xl/media/image1.png, Pictures/…) or blip:<n><ext> (.xls)
    kind: str  # 图片 (floating) | 单元格图片 (WPS DISPIMG)
    indicator: str = ""  # filled by intake from the row's key; "" when the row belongs to no indicator
    key: str = ""  # the row key the picture sits on
    sha256: str = ""  # of the image bytes: the same image anywhere is the same picture
    size: int = 0
    name: str = ""  # the picture's own name in the workbook (图片 1, ID_…)
    numbers: tuple[str, ...] = ()  # every indicator the row feeds (a data row can feed several)

    @property
    def ext(self) -> str:
        return posixpath.splitext(self.member)[1].lower() or ".bin"

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or self.member)


@dataclass(slots=True)
class Problem:
    """A picture that cannot be extracted or placed: an R3xx message for intake to file under the return."""

    code: str
    sheet: str = ""
    cell: str = ""
    value: str = ""
    params: dict = field(default_factory=dict)


@dataclass(slots=True)
class EvidenceFile:
    """A picture copied to the evidence folder: where it is now and where it came from."""

    unit: str
    indicator: str  # "" → 未对应指标 folder
    path: str  # relative to the project output folder, with forward slashes
    source: str  # the returned file (display path)
    sheet: str
    cell: str
    kind: str
    size: int
    sha256: str = ""
    received_at: str = ""  # when the return carrying it was received (ISO 8601)
    numbers: tuple[str, ...] = ()  # every indicator it is evidence for ("" → none)
    kept: str = ""  # "" or the newer file that no longer carries it (kept from an earlier version)
    round: str = ""  # the 填报轮次 whose return carried it ("" in a ledger written before rounds were recorded)

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else self.sheet

    def earlier(self, current: str) -> str:
        """The earlier round it was received in, '' when it came in ``current`` (or the round is not known)."""
        return self.round if self.round and current and self.round != current else ""

    def note(self, current: str) -> str:
        """What a list of evidence says of it besides where it came from: kept from an earlier version, or
        received in an earlier round and kept since."""
        if self.earlier(current):
            return layout.EVIDENCE_ROUND_KEPT.format(round=self.round)
        return layout.PACK_KEPT.format(newer=Path(self.kept).name) if self.kept else ""


def parse_xml(data: bytes):
    """An XML part of a returned package as an Element; raises on damage or on any DTD/entity declaration.

    Entity bombs and external entities need a document type declaration: a UTF-8 part without one goes to the
    stock parser (fast, nothing to expand); any other part — with <!DOCTYPE, or in another encoding where the
    check cannot see it — goes through defusedxml, which refuses declarations."""
    head = data[3:] if data[:3] == b"\xef\xbb\xbf" else data
    if head[:1] == b"<" and b"<!DOCTYPE" not in data and b"<!ENTITY" not in data:
        return _PlainTree.fromstring(data)
    return _DefusedTree.fromstring(data)


@functools.lru_cache(maxsize=256)
def col_letters(col: int) -> str:
    letters = ""
    col = max(col, 0) + 1  # a picture anchored at a negative column sits in column A
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def a1(row: int, col: int) -> str:
    """0-based row/column → 'H12'."""
    return f"{col_letters(col)}{row + 1}"


def _rels(zf: zipfile.ZipFile, names: set[str], part: str) -> dict[str, str]:
    """rId → absolute target part of ``part``'s relationships."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in names:
        return {}
    root = parse_xml(zf.read(rels_name))
    out = {}
    for rel in root.iter(f"{{{NS_PKG_REL}}}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        out[rel.get("Id", "")] = target.lstrip("/") if target.startswith("/") else \
            posixpath.normpath(posixpath.join(folder, target))
    return out


def sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet name → worksheet part (xl/worksheets/sheet1.xml), from xl/workbook.xml and its relationships."""
    if "xl/workbook.xml" not in names:
        return {}
    rels_name = "xl/_rels/workbook.xml.rels"
    infos = [zf.getinfo("xl/workbook.xml")] + ([zf.getinfo(rels_name)] if rels_name in names else [])
    key = tuple((i.CRC, i.file_size) for i in infos)
    found = _PARTS_SEEN.get(key)
    if found is None:
        if len(_PARTS_SEEN) > 256:
            _PARTS_SEEN.clear()
        found = _PARTS_SEEN[key] = _sheet_parts(zf.read(infos[0]), zf.read(infos[1]) if len(infos) > 1 else b"")
    return dict(found)


# Returns made from one template by one office suite share these parts; remembered by CRC and size.
_PARTS_SEEN: dict[tuple, tuple[tuple[str, str], ...]] = {}


def _sheet_parts(workbook: bytes, rels: bytes) -> tuple[tuple[str, str], ...]:
    targets = {}
    if rels:
        for rel in parse_xml(rels).iter(f"{{{NS_PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            targets[rel.get("Id", "")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
    out = []
    for sheet in parse_xml(workbook).iter(f"{{{NS_MAIN}}}sheet"):
        rid = sheet.get(f"{{{NS_REL}}}id", "")
        if rid in targets:
            out.append((sheet.get("name", ""), targets[rid]))
    return tuple(out)


def read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    """A part of a package already vetted by intake's zip guard, inflated in one call (zipfile's own reader
    loops in 4 KB steps, several times slower on the sheet parts scanned for DISPIMG cells)."""
    info = zf.getinfo(name)
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
        return zf.read(info)
    fp = zf.fp
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return zf.read(info)
    name_len, extra_len = struct.unpack_from("<HH", head, 26)
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    data = zlib.decompressobj(-zlib.MAX_WBITS).decompress(fp.read(info.compress_size), info.file_size)
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        return zf.read(info)  # let zipfile raise its own error for a damaged part
    return data


# ---------------------------------------------------------------- .xlsx / .xlsm


def find_pictures(zf: zipfile.ZipFile, names: set[str], parts: dict[str, str],
                  read=None) -> tuple[list[Picture], list[Problem]]:
    """Every picture of every sheet of an .xlsx package with the cell it sits on, and every picture that cannot
    be extracted or placed (DISPIMG cells whose image is gone, pictures without a cell, images on no sheet).

    ``read(part)`` gives a worksheet part's bytes (intake passes its cache: the sheets are scanned for DISPIMG
    cells even when the package holds no image, since LibreOffice and Excel drop WPS's cellimages part)."""
    read = read or (lambda part: read_member(zf, part))
    pictures: list[Picture] = []
    problems: list[Problem] = []
    images = _cell_images(zf, names)
    rich = _rich_images(zf, names)
    media = any(n.startswith("xl/media/") for n in names)
    for sheet, part in parts.items():
        if part not in names:
            continue
        rels = _rels(zf, names, part) if media else {}
        for target in rels.values():
            if target.startswith("xl/drawings/") and target.endswith(".xml") and target in names:
                found = _drawing_pictures(zf, names, target, sheet)
                pictures += found
                problems += [Problem(R_NO_ANCHOR, sheet, value=p.name or p.member,
                                     params={"unsorted": layout.EVIDENCE_UNSORTED}) for p in found if p.row < 0]
        if sheet == layout.SHEET_IDENTITY:
            continue  # hidden and protected: written by zonekit, never by a unit
        xml = read(part)
        if rich and b' vm="' in xml:
            found, missing = _rich_pictures(xml, sheet, rich, names)
            pictures += found
            problems += [Problem(R_LOST_PICTURE, sheet, cell) for cell in missing]
        if not has_dispimg(xml):
            continue
        text = xml.decode("utf-8", "replace")
        starts = [(m.start(), m.group(1)) for m in _CELL_START.finditer(text)]
        positions = [p for p, _ in starts]
        seen = set()  # WPS writes the formula twice per cell: in <f> and as the cached text in <v>
        for found in _DISPIMG.finditer(text):
            at = bisect.bisect_right(positions, found.start()) - 1
            ref = _ATTR_R.search(starts[at][1]) if at >= 0 else None
            if ref is None or at in seen:
                continue
            seen.add(at)
            row, col = int(ref.group(2)) - 1, col_index(ref.group(1))
            where = a1(row, col)
            if images is None:
                problems.append(Problem(R_CELL_IMAGES_GONE, sheet, where, found.group(1)))
                continue
            member = images.get(found.group(1).upper()) or images.get(found.group(1))
            if member is None or member not in names:
                problems.append(Problem(R_LOST_PICTURE, sheet, where, found.group(1)))
                continue
            pictures.append(Picture(sheet, where, row, col, member, KIND_IN_CELL, name=found.group(1)))
    placed = {p.member for p in pictures}
    for member in sorted(names):
        if member.startswith("xl/media/") and member not in placed \
                and posixpath.splitext(member)[1].lower() in IMAGE_TYPES and not _used_elsewhere(member, zf, names):
            pictures.append(Picture("", "", -1, -1, member, KIND_FLOATING, name=posixpath.basename(member)))
            problems.append(Problem(R_NOT_PLACED, value=posixpath.basename(member),
                                    params={"unsorted": layout.EVIDENCE_UNSORTED}))
    _measure(pictures, lambda member: zf.read(member))
    pictures.sort(key=_order)
    return pictures, problems


def has_dispimg(xml: bytes) -> bool:
    """Whether a part mentions DISPIMG( as WPS and Excel (upper case) or LibreOffice (lower case) write it; two
    plain searches: a case-blind regex over the sheet is ten times slower."""
    return b"DISPIMG(" in xml or b"dispimg(" in xml


def _order(p: Picture) -> tuple:
    return (p.row < 0, p.sheet, p.row, p.col, p.member)


def _used_elsewhere(member: str, zf: zipfile.ZipFile, names: set[str]) -> bool:
    """An image shown by a chart, a comment background or a header/footer: part of the layout, not evidence."""
    for rels in names:
        if rels.endswith(".rels") and rels.startswith(("xl/charts/", "xl/drawings/_rels/vmlDrawing")):
            if posixpath.basename(member).encode() in zf.read(rels):
                return True
    return False


def _measure(pictures: list[Picture], read) -> None:
    """Content hash and size of every picture (each image part read once)."""
    seen: dict[str, tuple[str, int]] = {}
    for pic in pictures:
        if pic.member not in seen:
            data = read(pic.member)
            seen[pic.member] = (hashlib.sha256(data).hexdigest(), len(data))
        pic.sha256, pic.size = seen[pic.member]


def _cell_images(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str] | None:
    """WPS in-cell images: picture name (ID_…) → media part; None when the workbook has none."""
    if CELLIMAGES not in names:
        return None
    rels = _rels(zf, names, CELLIMAGES)
    root = parse_xml(zf.read(CELLIMAGES))
    out = {}
    for pic in root.iter(f"{{{NS_XDR}}}pic"):
        props = pic.find(f"{{{NS_XDR}}}nvPicPr/{{{NS_XDR}}}cNvPr")
        blip = pic.find(f".//{{{NS_A}}}blip")
        if props is None or blip is None:
            continue
        rid = blip.get(f"{{{NS_REL}}}embed", "")
        if rid in rels:
            out[props.get("name", "")] = rels[rid]
    return out


def _rich_images(zf: zipfile.ZipFile, names: set[str]) -> dict[int, str]:
    """Excel's pictures placed in a cell (Microsoft 365 "放置在单元格中", rust/xlsxwriter embed_image): the cell's
    value-metadata index (its vm attribute, 1-based) → media part, through xl/metadata.xml (valueMetadata →
    futureMetadata XLRICHVALUE → rich value), xl/richData/*richvalue.xml (the LocalImageIdentifier member) and
    richValueRel.xml (→ its relationships → xl/media/…). {} when the workbook has none."""
    parts = {n.lower(): n for n in names if n.startswith("xl/richData/")}
    rel_part = parts.get("xl/richdata/richvaluerel.xml")
    values_part = parts.get("xl/richdata/rdrichvalue.xml") or parts.get("xl/richdata/richvalue.xml")
    if rel_part is None or values_part is None or "xl/metadata.xml" not in names:
        return {}
    rel_ids = _rels(zf, names, rel_part)
    targets = [rel_ids.get(rel.get(f"{{{NS_REL}}}id", "")) for rel in parse_xml(zf.read(rel_part))
               if rel.tag.endswith("}rel")]
    position = {}  # structure index → which member holds the image's index into richValueRel
    structures = parts.get("xl/richdata/rdrichvaluestructure.xml") or parts.get("xl/richdata/richvaluestructure.xml")
    if structures is not None:
        for n, structure in enumerate(parse_xml(zf.read(structures)).iter(f"{{{NS_RICH}}}s")):
            keys = [k.get("n", "") for k in structure.iter(f"{{{NS_RICH}}}k")]
            if "_rvRel:LocalImageIdentifier" in keys:
                position[n] = keys.index("_rvRel:LocalImageIdentifier")
    images = []  # rich value index → media part or None
    for value in parse_xml(zf.read(values_part)).iter(f"{{{NS_RICH}}}rv"):
        members = [v.text or "" for v in value.iter(f"{{{NS_RICH}}}v")]
        structure = int(value.get("s", "0")) if (value.get("s") or "0").isdigit() else -1
        at = 0 if structures is None else position.get(structure)  # None: a rich value that is no picture
        try:
            images.append(targets[int(members[at])] if at is not None else None)
        except (IndexError, ValueError):
            images.append(None)
    meta = parse_xml(zf.read("xl/metadata.xml"))
    kinds = [t.get("name", "") for t in meta.iter(f"{{{NS_MAIN}}}metadataType")]
    future = {}
    for block in meta.iter(f"{{{NS_MAIN}}}futureMetadata"):
        if block.get("name") == "XLRICHVALUE":
            future = {n: rvb.get("i") for n, bk in enumerate(block.findall(f"{{{NS_MAIN}}}bk"))
                      for rvb in bk.iter(f"{{{NS_RICH}}}rvb")}
    out = {}
    value_meta = meta.find(f"{{{NS_MAIN}}}valueMetadata")
    for n, bk in enumerate(value_meta.findall(f"{{{NS_MAIN}}}bk") if value_meta is not None else []):
        rc = bk.find(f"{{{NS_MAIN}}}rc")
        try:
            kind = kinds[int(rc.get("t", "0")) - 1]
            value = int(future[int(rc.get("v", "-1"))])
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            continue
        if kind == "XLRICHVALUE" and 0 <= value < len(images) and images[value]:
            out[n + 1] = images[value]
    return out


def _rich_pictures(xml: bytes, sheet: str, rich: dict[int, str], names: set[str]) -> tuple[list[Picture], list[str]]:
    """The cells of one sheet showing a picture placed in the cell, and the cells whose image part is missing."""
    text = xml.decode("utf-8", "replace")
    out, missing = [], []
    for found in _VM_CELL.finditer(text):
        ref = _ATTR_R.search(found.group(0))
        member = rich.get(int(found.group(1)))
        if ref is None or member is None:
            continue
        row, col = int(ref.group(2)) - 1, col_index(ref.group(1))
        if member in names:
            out.append(Picture(sheet, a1(row, col), row, col, member, KIND_IN_CELL))
        else:
            missing.append(a1(row, col))
    return out, missing


def _drawing_pictures(zf: zipfile.ZipFile, names: set[str], part: str, sheet: str) -> list[Picture]:
    rels = _rels(zf, names, part)
    root = parse_xml(zf.read(part))
    out = []
    for anchor in list(root):
        start = anchor.find(f"{{{NS_XDR}}}from")
        row = col = -1
        if start is not None:
            try:
                col = int(start.findtext(f"{{{NS_XDR}}}col", "0"))
                row = int(start.findtext(f"{{{NS_XDR}}}row", "0"))
            except ValueError:
                row = col = -1
        props = anchor.find(f".//{{{NS_XDR}}}cNvPr")
        name = props.get("name", "") if props is not None else ""
        for blip in anchor.iter(f"{{{NS_A}}}blip"):
            rid = blip.get(f"{{{NS_REL}}}embed", "")
            member = rels.get(rid)
            if member and member in names and posixpath.splitext(member)[1].lower() in IMAGE_TYPES:
                out.append(Picture(sheet, a1(row, col) if row >= 0 else "", row, col, member, KIND_FLOATING,
                                   name=name))
    return out


# ---------------------------------------------------------------- .ods


def find_ods_pictures(zf: zipfile.ZipFile, names: set[str]) -> tuple[list[Picture], list[Problem]]:
    """Every picture frame of every table of an .ods (content.xml) with the cell it is anchored to; frames
    anchored to the page, linked (not embedded) images and DISPIMG cells (no image behind them) are problems."""
    pictures: list[Picture] = []
    problems: list[Problem] = []
    if "content.xml" not in names:
        return pictures, problems
    content = read_member(zf, "content.xml")
    if b":frame" not in content and not has_dispimg(content):
        return pictures, problems
    root = parse_xml(content)
    for table in root.iter(f"{{{NS_TABLE}}}table"):
        sheet = table.get(f"{{{NS_TABLE}}}name", "")
        shapes = table.find(f"{{{NS_TABLE}}}shapes")
        if shapes is not None:
            for frame in shapes.iter(f"{{{NS_DRAW}}}frame"):
                for member, name in _frame_images(frame):
                    if member in names:
                        pictures.append(Picture(sheet, "", -1, -1, member, KIND_FLOATING, name=name))
                        problems.append(Problem(R_NO_ANCHOR, sheet, value=name or member,
                                                params={"unsorted": layout.EVIDENCE_UNSORTED}))
        for row, col, cell in _ods_cells(table):
            where = a1(row, col)
            formula = cell.get(f"{{{NS_TABLE}}}formula", "")
            if "dispimg" in formula.lower():
                problems.append(Problem(R_CELL_IMAGES_GONE, sheet, where, formula))
            for frame in cell.iter(f"{{{NS_DRAW}}}frame"):
                for member, name in _frame_images(frame):
                    if member in names:
                        pictures.append(Picture(sheet, where, row, col, member, KIND_FLOATING, name=name))
                    else:
                        problems.append(Problem(R_PICTURE_UNREADABLE, sheet, where, member,
                                                params={"reason": f"图片链接到文件外的「{member}」，没有嵌入表格"}))
    placed = {p.member for p in pictures}
    for member in sorted(names):
        if member.startswith("Pictures/") and member not in placed \
                and posixpath.splitext(member)[1].lower() in IMAGE_TYPES:
            pictures.append(Picture("", "", -1, -1, member, KIND_FLOATING, name=posixpath.basename(member)))
            problems.append(Problem(R_NOT_PLACED, value=posixpath.basename(member),
                                    params={"unsorted": layout.EVIDENCE_UNSORTED}))
    _measure(pictures, lambda member: zf.read(member))
    pictures.sort(key=_order)
    return pictures, problems


def _frame_images(frame) -> list[tuple[str, str]]:
    """(package member, frame name) of the images of one draw:frame (a frame may offer several renditions:
    the first embedded one is the picture)."""
    name = frame.get(f"{{{NS_DRAW}}}name", "")
    for image in frame.iter(f"{{{NS_DRAW}}}image"):
        href = image.get(f"{{{NS_XLINK}}}href", "")
        if href:
            href = href[2:] if href.startswith("./") else href
            return [(posixpath.normpath(href) if not href.startswith(("/", "..")) and "://" not in href else href,
                     name)]
    return []


_ROW_CONTAINERS = {f"{{{NS_TABLE}}}{n}" for n in ("table-row-group", "table-header-rows", "table-rows")}
_ROW = f"{{{NS_TABLE}}}table-row"
_CELLS = {f"{{{NS_TABLE}}}table-cell", f"{{{NS_TABLE}}}covered-table-cell"}
_ROWS_REPEATED = f"{{{NS_TABLE}}}number-rows-repeated"
_COLS_REPEATED = f"{{{NS_TABLE}}}number-columns-repeated"


def _ods_cells(table):
    """(row, col, cell element) of the cells that hold something (a frame or a formula), 0-based as calamine
    counts them; repeated rows and columns advance the position without being expanded."""
    row = 0
    for element in _ods_rows(table):
        repeat = _count(element.get(_ROWS_REPEATED))
        col = 0
        for cell in element:
            if cell.tag not in _CELLS:
                continue
            span = _count(cell.get(_COLS_REPEATED))
            if len(cell) or cell.get(f"{{{NS_TABLE}}}formula"):
                yield row, col, cell
            col += span
        row += repeat


def _ods_rows(parent):
    for child in parent:
        if child.tag == _ROW:
            yield child
        elif child.tag in _ROW_CONTAINERS:
            yield from _ods_rows(child)


def _count(text) -> int:
    try:
        return max(1, int(text)) if text else 1
    except ValueError:
        return 1


# ---------------------------------------------------------------- .xls


def find_xls_pictures(data: bytes) -> tuple[list[Picture], list[Problem]]:
    """Every picture shape of every worksheet of an .xls, with the cell it sits on (see zonekit.xlsdrawing)."""
    from zonekit.xlsdrawing import XlsDrawingError, read_pictures

    pictures: list[Picture] = []
    problems: list[Problem] = []
    try:
        placed, store, encrypted = read_pictures(data)
    except (XlsDrawingError, struct.error, IndexError, ValueError) as exc:
        return [], [Problem(R_PICTURE_UNREADABLE, value="", params={"reason": f"图形数据损坏：{exc}"})]
    if encrypted:  # values may still be readable (Excel's default "VelvetSweatshop" key), pictures are not
        return [], [Problem(R_PICTURE_UNREADABLE, value="", params={"reason": "文件设置了保护（加密），"
                                                                             "其中如有图片无法读取"})]
    used = set()
    for shape in placed:
        blip = store[shape.blip - 1] if 1 <= shape.blip <= len(store) else None
        where = a1(shape.row, shape.col) if shape.anchored else ""
        if blip is None or blip.data is None:
            problems.append(Problem(R_PICTURE_UNREADABLE, shape.sheet, where, shape.name,
                                    params={"reason": blip.problem if blip else "图片存储中没有这张图片"}))
            continue
        used.add(blip.index)
        pictures.append(Picture(shape.sheet, where, shape.row, shape.col, f"{BLIP}{blip.index}{blip.ext}",
                                KIND_FLOATING, sha256=hashlib.sha256(blip.data).hexdigest(), size=len(blip.data),
                                name=shape.name))
        if not shape.anchored:
            problems.append(Problem(R_NO_ANCHOR, shape.sheet, value=shape.name or f"第{blip.index}张",
                                    params={"unsorted": layout.EVIDENCE_UNSORTED}))
    pictures.sort(key=_order)
    return pictures, problems


def picture_bytes(package: bytes, member: str) -> bytes:
    """The bytes of one picture of a returned workbook (a package part, or a BLIP of an .xls)."""
    if member.startswith(BLIP):
        from zonekit.xlsdrawing import blip_bytes

        return blip_bytes(package, int(re.match(r"\d+", member[len(BLIP):]).group(0)))
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        return zf.read(member)


# ---------------------------------------------------------------- the evidence folder


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str) -> str:
    """A folder or file name that is valid on Windows and keeps the Chinese text."""
    cleaned = _UNSAFE.sub("_", text).strip(" .")
    return cleaned[:80] or "_"


def evidence_path(unit: str, indicator: str, picture: Picture, taken: set[str], earlier: str = "") -> str:
    """'佐证材料/区商务委/11/指标填报-J12.png', unique among ``taken`` (relative to the output folder); a picture
    received in an ``earlier`` round says so: '指标填报-J12-第1轮.png'."""
    folder = f"{layout.EVIDENCE_DIR}/{safe_name(unit)}/{safe_name(indicator or layout.EVIDENCE_UNSORTED)}"
    stem = f"{safe_name(picture.sheet)}-{picture.cell}" if picture.cell else \
        safe_name(posixpath.splitext(posixpath.basename(picture.name or picture.member))[0])
    if earlier:
        stem = f"{stem}-{safe_name(earlier)}"
    candidate, n = f"{folder}/{stem}{picture.ext}", 1
    while candidate in taken:
        n += 1
        candidate = f"{folder}/{stem}-{n}{picture.ext}"
    taken.add(candidate)
    return candidate


class ImageStore:
    """Every picture ever received, once per content: <project>/.zonekit/images/<sha256[:2]>/<sha256><ext>.

    Content-addressed, so nothing in it is ever replaced, and nothing is ever removed: a picture received once
    stays on record even when its file is moved or deleted and 3-输出 is cleared. Written one file at a time,
    atomically, while the return is there to read (an image stored by a run that is then discarded is harmless)."""

    def __init__(self, root: Path | str):
        self.folder = Path(root) / layout.LEDGER_DIR / layout.IMAGE_STORE_DIR

    def path(self, pic: Picture) -> Path:
        return self.folder / pic.sha256[:2] / f"{pic.sha256}{pic.ext}"

    def has(self, pic: Picture) -> bool:
        return bool(pic.sha256) and self.path(pic).is_file()

    def read(self, pic: Picture) -> bytes:
        return self.path(pic).read_bytes()

    def put(self, pic: Picture, data: bytes) -> None:
        if hashlib.sha256(data).hexdigest() != pic.sha256:
            raise ValueError(f"图片内容与登记的哈希不符（{pic.where}）")
        if not self.has(pic):
            write_atomic(self.path(pic), data)

    def keep(self, pictures: list[Picture], package) -> list[Picture]:
        """Store the pictures not stored yet, from ``package()`` (the return's bytes, loaded only when needed);
        returns those that could not be stored."""
        missing = [p for p in pictures if p.sha256 and not self.has(p)]
        if not missing:
            return []
        data = package()
        if data is None:
            return missing
        failed = []
        for pic in missing:
            try:
                self.put(pic, picture_bytes(data, pic.member))
            except (KeyError, IndexError, ValueError, zipfile.BadZipFile):
                failed.append(pic)
        return failed


def extract(output: Path, unit: str, source: str, pictures: list[Picture], taken: set[str], received_at: str = "",
            kept: str = "", *, read, write=write_atomic, round_name: str = "",
            earlier: bool = False) -> list[EvidenceFile]:
    """Copy pictures of one return into ``output``/佐证材料/<unit>/<indicator>/: ``read(picture)`` gives the bytes
    (from the image store), ``write(target, data)`` writes them (atomically, or staged by an OutputSet).
    ``round_name``: the round the return belongs to; ``earlier``: a round before the current one (named in the
    file name, so pictures of two rounds on one cell sit side by side)."""
    files = []
    for pic in pictures:
        data = read(pic)
        rel = evidence_path(unit, pic.indicator, pic, taken, round_name if earlier else "")
        target = output / rel
        if not target.exists() or target.read_bytes() != data:
            write(target, data)
        files.append(EvidenceFile(unit, pic.indicator, rel, source, pic.sheet, pic.cell, pic.kind, len(data),
                                  pic.sha256 or hashlib.sha256(data).hexdigest(), received_at,
                                  pic.numbers or ((pic.indicator,) if pic.indicator else ()), kept, round_name))
    return files


def dropped_pictures(versions: list, current, withdrawn=frozenset()) -> list[tuple[object, list[Picture]]]:
    """The pictures earlier versions of a unit carried and its newest version ``current`` does not (by content
    hash), except those the office withdrew: [(earlier record, its pictures no later version carries)], newest
    earlier version first, each image from one version only (at every place it sat there). ``versions``: the
    unit's earlier versions, oldest first (ReturnRecord-like: pictures); ``withdrawn``: content hashes."""
    have = {p.sha256 for p in current.pictures} | set(withdrawn)
    out = []
    for rec in reversed(versions):
        if rec is current:
            continue
        # every place the image sat in this version (one picture pasted on two indicator rows is evidence for
        # both); an older version carrying it again adds nothing
        lost = [pic for pic in rec.pictures if pic.sha256 and pic.sha256 not in have]
        have.update(pic.sha256 for pic in lost)
        if lost:
            out.append((rec, lost))
    return out


def what(picture: Picture | EvidenceFile) -> str:
    """'指标填报!K6，指标11' — where a picture was and what it was evidence for, for messages."""
    place = picture.where
    return f"{place}，指标{picture.indicator}" if picture.indicator else f"{place}，{layout.EVIDENCE_UNSORTED}"


PICTURE_CODES = (R_LOST_PICTURE, R_CELL_IMAGES_GONE, R_PICTURE_UNREADABLE)  # a picture that was not extracted


def picture_rows(result) -> list[list]:
    """回收登记's 图片 sheet: every picture each file carried and what became of it, and every picture that
    could not be extracted (a ``zonekit.collect.CollectResult``; rows in INTAKE_PICTURE_COLUMNS order)."""
    extracted = {(e.source, e.sheet, e.cell, e.sha256): e for e in result.evidence}
    adopted = {r.unit: r.file for r in result.returns if r.status == layout.STATUS_ADOPTED}
    withdrawn = getattr(result, "withdrawn", {})
    rows = []
    for rec in result.returns:
        for pic in rec.pictures:
            e = extracted.get((rec.file, pic.sheet, pic.cell, pic.sha256))
            if e is None and (rec.unit, pic.sha256) in withdrawn:
                done = f"已撤回：{withdrawn[(rec.unit, pic.sha256)]}"
            elif e is not None and e.kept:
                done = f"较新的「{e.kept}」中已没有，已保留到 {e.path}"
            elif e is not None:
                done = f"已提取到 {e.path}"
            elif rec.status == layout.STATUS_SUPERSEDED:
                done = f"较新的「{adopted.get(rec.unit, '')}」中仍有，按新文件提取"
            else:
                done = f"文件{rec.status or '未采用'}，未提取"
            rows.append([rec.file, rec.unit, rec.status, pic.where, pic.kind,
                         layout.LIST_SEPARATOR.join(pic.numbers) or layout.EVIDENCE_UNSORTED, pic.size,
                         pic.sha256[:16], done])
        for found in rec.issues:
            if found.code in PICTURE_CODES:
                where = f"{found.sheet}!{found.cell}" if found.sheet and found.cell else found.sheet
                kind = KIND_IN_CELL if found.code != R_PICTURE_UNREADABLE else KIND_FLOATING
                rows.append([rec.file, rec.unit, rec.status, where, kind, "", "", "", f"未能提取：{found.message}"])
    current = result.project.round
    for e in result.evidence:  # pictures of earlier rounds: their files are not this round's
        if e.earlier(current):
            rows.append([e.source, e.unit, e.round, f"{e.sheet}!{e.cell}" if e.sheet and e.cell else e.sheet, e.kind,
                         layout.LIST_SEPARATOR.join(e.numbers) or layout.EVIDENCE_UNSORTED, e.size, e.sha256[:16],
                         f"{e.note(current)}到 {e.path}"])
    return rows


# ---------------------------------------------------------------- links to the pictures


def link_target(target: Path | str, folder: Path | str) -> str:
    """The hyperlink from a workbook in ``folder`` to ``target``: relative to the workbook's own folder (so
    it resolves however the project was given — `zonekit score .` or `zonekit score demo` — and wherever the
    folder is moved), forward slashes, the characters a URI cannot hold escaped; Chinese names stay as they
    are (Excel, WPS and LibreOffice all read them). Falls back to a file:/// URL across Windows drives."""
    target, folder = os.path.abspath(target), os.path.abspath(folder)
    try:
        rel = os.path.relpath(target, folder)
    except ValueError:  # another drive on Windows: no relative path exists
        return "file:///" + _escape(Path(target).as_posix())
    return _escape(rel.replace(os.sep, "/"))


def _escape(path: str) -> str:
    return "".join(_URI_ESCAPES.get(ch, ch) for ch in path)


_URI_ESCAPES = {ch: f"%{ord(ch):02X}" for ch in '% "#<>[]^`{|}'}


def write_link(ws, row: int, col: int, target: Path | str, folder: Path | str, fmt=None, text: str = "",
               tip: str = "") -> None:
    """Write a hyperlink from a cell of an xlsxwriter sheet (whose workbook is in ``folder``) to ``target``."""
    url = link_target(target, folder)
    url = url if url.startswith("file:") else "external:" + url
    text = text or Path(target).name
    cls = _relative_url_class()
    if cls is None:  # xlsxwriter before 3.2: its own conversion (backslashes, read by Windows) is the only way
        ws.write_url(row, col, url, fmt, string=text, tip=tip or None)
        return
    link = cls(url)
    link.text = text
    if tip:
        link.tip = tip
    ws.write_url(row, col, link, fmt)


@functools.lru_cache(maxsize=1)
def _relative_url_class():
    try:
        from xlsxwriter.url import Url
    except ImportError:
        return None

    class RelativeUrl(Url):
        """xlsxwriter turns the slashes of a relative file link into backslashes, which only Windows reads;
        the relationship keeps forward slashes here, which every office suite on every system reads."""

        def _target(self) -> str:
            return super()._target().replace("\\", "/")

    return RelativeUrl
