"""Pictures pasted into returned workbooks — floating pictures and WPS in-cell images (=DISPIMG("ID_…",1)
backed by xl/cellimages.xml) — found by the cell they sit on, and copied into the evidence folder.

Reads the workbook package with defusedxml only; never writes into a returned file and never runs anything.
"""

from __future__ import annotations

import bisect
import functools
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import xml.etree.ElementTree as _PlainTree

from defusedxml import ElementTree as _DefusedTree

from zonekit import layout
from zonekit.files import write_atomic

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"

CELLIMAGES = "xl/cellimages.xml"
_DISPIMG = re.compile(r'DISPIMG\(\s*(?:&quot;|")(ID_[0-9A-Za-z]+)(?:&quot;|")')
_CELL_START = re.compile(r"<(?:\w+:)?c\s([^>]*)>")
_ATTR_R = re.compile(r'\br="([A-Z]+)(\d+)"')
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".webp"}


@dataclass(slots=True)
class Picture:
    """A picture found in a returned workbook, by the cell its top-left corner sits on."""

    sheet: str
    cell: str  # A1
    row: int  # 0-based, as in the calamine grid
    col: int
    member: str  # package part holding the image bytes, e.g. xl/media/image1.png
    kind: str  # 图片 (floating) | 单元格图片 (WPS DISPIMG)
    indicator: str = ""  # filled by intake from the row's key; "" when the row belongs to no indicator
    key: str = ""  # the row key the picture sits on

    @property
    def ext(self) -> str:
        return posixpath.splitext(self.member)[1].lower() or ".bin"


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
    col += 1
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


def has_pictures(names: set[str]) -> bool:
    return CELLIMAGES in names or any(n.startswith("xl/media/") for n in names)


def find_pictures(zf: zipfile.ZipFile, names: set[str], parts: dict[str, str]) -> tuple[list[Picture], list[str]]:
    """Every picture of every sheet with the cell it sits on, and the DISPIMG ids whose image is missing."""
    pictures: list[Picture] = []
    lost: list[str] = []
    images = _cell_images(zf, names)
    for sheet, part in parts.items():
        if part not in names:
            continue
        rels = _rels(zf, names, part)
        for target in rels.values():
            if target.startswith("xl/drawings/") and target.endswith(".xml") and target in names:
                pictures += _drawing_pictures(zf, names, target, sheet)
        if images is not None:
            xml = zf.read(part).decode("utf-8", "replace")
            if "DISPIMG" not in xml:
                continue
            starts = [(m.start(), m.group(1)) for m in _CELL_START.finditer(xml)]
            positions = [p for p, _ in starts]
            seen = set()  # WPS writes the formula twice per cell: in <f> and as the cached text in <v>
            for found in _DISPIMG.finditer(xml):
                at = bisect.bisect_right(positions, found.start()) - 1
                ref = _ATTR_R.search(starts[at][1]) if at >= 0 else None
                if ref is None or (at, found.group(1)) in seen:
                    continue
                seen.add((at, found.group(1)))
                row, col = int(ref.group(2)) - 1, col_index(ref.group(1))
                member = images.get(found.group(1))
                if member is None or member not in names:
                    lost.append(f"{sheet}!{ref.group(1)}{ref.group(2)}")
                    continue
                pictures.append(Picture(sheet, a1(row, col), row, col, member, "单元格图片"))
    pictures.sort(key=lambda p: (p.sheet, p.row, p.col, p.member))
    return pictures, lost


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


def _drawing_pictures(zf: zipfile.ZipFile, names: set[str], part: str, sheet: str) -> list[Picture]:
    rels = _rels(zf, names, part)
    root = parse_xml(zf.read(part))
    out = []
    for anchor in list(root):
        start = anchor.find(f"{{{NS_XDR}}}from")
        if start is None:
            continue  # absolute anchors have no cell; they are rare in returned forms
        try:
            col = int(start.findtext(f"{{{NS_XDR}}}col", "0"))
            row = int(start.findtext(f"{{{NS_XDR}}}row", "0"))
        except ValueError:
            continue
        for blip in anchor.iter(f"{{{NS_A}}}blip"):
            rid = blip.get(f"{{{NS_REL}}}embed", "")
            member = rels.get(rid)
            if member and member in names and posixpath.splitext(member)[1].lower() in IMAGE_TYPES:
                out.append(Picture(sheet, a1(row, col), row, col, member, "图片"))
    return out


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str) -> str:
    """A folder or file name that is valid on Windows and keeps the Chinese text."""
    cleaned = _UNSAFE.sub("_", text).strip(" .")
    return cleaned[:80] or "_"


def evidence_path(unit: str, indicator: str, picture: Picture, taken: set[str]) -> str:
    """'佐证材料/区商务委/11/指标填报-J12.png', unique among ``taken`` (relative to the output folder)."""
    folder = f"{layout.EVIDENCE_DIR}/{safe_name(unit)}/{safe_name(indicator or layout.EVIDENCE_UNSORTED)}"
    stem = f"{safe_name(picture.sheet)}-{picture.cell}"
    candidate, n = f"{folder}/{stem}{picture.ext}", 1
    while candidate in taken:
        n += 1
        candidate = f"{folder}/{stem}-{n}{picture.ext}"
    taken.add(candidate)
    return candidate


def extract(output: Path, unit: str, source: str, package: bytes, pictures: list[Picture],
            taken: set[str]) -> list[EvidenceFile]:
    """Copy the pictures of one adopted return into ``output``/佐证材料/<unit>/<indicator>/ (atomically)."""
    import io

    files = []
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        for pic in pictures:
            data = zf.read(pic.member)
            rel = evidence_path(unit, pic.indicator, pic, taken)
            target = output / rel
            if not target.exists() or target.read_bytes() != data:
                write_atomic(target, data)
            files.append(EvidenceFile(unit, pic.indicator, rel, source, pic.sheet, pic.cell, pic.kind, len(data)))
    return files
