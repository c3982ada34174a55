"""Pictures in a BIFF8 workbook (.xls): the image bytes stored in the workbook's drawing group (MS-ODRAW BLIP
store in the MSODRAWINGGROUP record) and, per sheet, the cell each picture shape is anchored to (MSODRAWING).

Reads the OLE compound document through xlrd's compdoc and walks records by their declared sizes, never past
the data; returns the stored bytes as they are (a PNG or JPEG comes out byte for byte). Never writes anything.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

# BIFF8 record types (MS-XLS 2.3)
BOF, EOF, BOUNDSHEET, CONTINUE, FILEPASS = 0x0809, 0x000A, 0x0085, 0x003C, 0x002F
MSODRAWINGGROUP, MSODRAWING = 0x00EB, 0x00EC

# OfficeArt record types (MS-ODRAW 2.2)
BSTORE, FBSE, SP_CONTAINER, FOPT, CLIENT_ANCHOR = 0xF001, 0xF007, 0xF004, 0xF00B, 0xF010
PIB, FILL_BLIP = 0x0104, 0x0186  # the picture of a picture frame; the picture filling a shape
NAME_PROPS = (0x0380, 0x0381)  # wzName, wzDescription (complex, UTF-16)

# BLIP record type -> (file extension, metafile?)
BLIP_TYPES = {0xF01A: (".emf", True), 0xF01B: (".wmf", True), 0xF01C: (".pict", True), 0xF01D: (".jpg", False),
              0xF01E: (".png", False), 0xF01F: (".bmp", False), 0xF029: (".tif", False), 0xF02A: (".jpg", False)}

MAX_DEPTH = 16  # nested OfficeArt containers (groups inside groups); real files use 3 or 4


class XlsDrawingError(ValueError):
    """The drawing records of an .xls are damaged (declared sizes run past the data)."""


@dataclass(slots=True)
class Blip:
    """One entry of the BLIP store: its 1-based index, file extension, and where its data is (or why not)."""

    index: int
    ext: str
    data: bytes | None
    problem: str = ""


@dataclass(slots=True)
class Placed:
    """A picture shape of a sheet: the cell its top-left corner is on (0-based) and the BLIP it shows."""

    sheet: str
    row: int
    col: int
    blip: int  # 1-based index into the BLIP store
    name: str = ""
    anchored: bool = True  # False: the shape has no cell anchor (inside a group, or damaged)


def workbook_stream(data: bytes) -> bytes:
    """The 'Workbook' (BIFF8) or 'Book' (BIFF5) stream of an OLE compound file."""
    from xlrd import compdoc

    with open_devnull() as log:
        doc = compdoc.CompDoc(data, logfile=log)
        for name in ("Workbook", "Book"):
            stream = doc.get_named_stream(name)
            if stream:
                return bytes(stream)
    raise XlsDrawingError("文件中没有 Workbook 数据流")


class open_devnull:
    """xlrd's compdoc insists on a log file; its notes are of no use here."""

    def __enter__(self):
        import io

        self.log = io.StringIO()
        return self.log

    def __exit__(self, *exc):
        self.log.close()


def records(stream: bytes, start: int = 0):
    """(offset, type, payload) of every BIFF record from ``start``; stops at the end of the data."""
    pos, end = start, len(stream)
    while pos + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, pos)
        yield pos, kind, stream[pos + 4:pos + 4 + size]
        pos += 4 + size


def _sheets_and_group(stream: bytes) -> tuple[list[tuple[str, int]], bytes, bool]:
    """The worksheets (name, offset of their BOF), the drawing group data, and whether the file is encrypted."""
    sheets, group, last = [], bytearray(), None
    for pos, kind, payload in records(stream):
        if kind == FILEPASS:
            return [], b"", True
        if kind == BOUNDSHEET and len(payload) >= 8:
            offset, _state, sheet_type, count, high = struct.unpack_from("<IBBBB", payload, 0)
            raw = payload[8:8 + (count * 2 if high & 1 else count)]
            name = raw.decode("utf-16-le" if high & 1 else "latin-1", "replace")
            if sheet_type == 0:  # worksheets only: charts and macro sheets hold no returned answers
                sheets.append((name, offset))
        elif kind == MSODRAWINGGROUP or (kind == CONTINUE and last == MSODRAWINGGROUP):
            group += payload
        elif kind == EOF:
            break
        if kind != CONTINUE:
            last = kind
    return sheets, bytes(group), False


def _sheet_drawing(stream: bytes, offset: int) -> bytes:
    """The OfficeArt drawing data of one sheet: its MSODRAWING records (and their CONTINUEs) joined."""
    out, last, depth = bytearray(), None, 0
    for pos, kind, payload in records(stream, offset):
        if kind == BOF:
            depth += 1  # an embedded chart has its own BOF…EOF inside the sheet
        elif kind == EOF:
            depth -= 1
            if depth <= 0:
                break
        elif depth == 1 and (kind == MSODRAWING or (kind == CONTINUE and last == MSODRAWING)):
            out += payload
        if kind != CONTINUE:
            last = kind
    return bytes(out)


def _art(buf: bytes, start: int = 0, end: int | None = None):
    """(recVer, recInstance, recType, body start, body end) of the OfficeArt records in buf[start:end]."""
    end = len(buf) if end is None else end
    pos = start
    while pos + 8 <= end:
        ver_inst, kind, size = struct.unpack_from("<HHI", buf, pos)
        body = pos + 8
        if body + size > end:
            raise XlsDrawingError("图形记录长度超出数据范围")
        yield ver_inst & 0xF, ver_inst >> 4, kind, body, body + size
        pos = body + size


def blip_store(group: bytes) -> list[Blip]:
    """Every entry of the drawing group's BLIP store, in order (index 1 first)."""
    out: list[Blip] = []
    for ver, _inst, kind, start, end in _art(group):
        if ver != 0xF:
            continue
        for bver, _binst, bkind, bstart, bend in _art(group, start, end):
            if bkind == BSTORE:
                for _v, _i, ekind, estart, eend in _art(group, bstart, bend):
                    out.append(_entry(group, len(out) + 1, ekind, estart, eend))
    return out


def _entry(buf: bytes, index: int, kind: int, start: int, end: int) -> Blip:
    if kind in BLIP_TYPES:  # a BLIP stored directly in the store (allowed, rare)
        return _blip(buf, index, kind, start - 8, end)
    if kind != FBSE or end - start < 36:
        return Blip(index, ".bin", None, "图片存储记录格式无法识别")
    size = struct.unpack_from("<I", buf, start + 20)[0]
    name_len = buf[start + 33]
    embedded = start + 36 + name_len
    if size == 0 or embedded + 8 > end:
        return Blip(index, ".bin", None, "图片内容不在文件中（空的或引用外部数据）")
    blip_kind = struct.unpack_from("<H", buf, embedded + 2)[0]
    return _blip(buf, index, blip_kind, embedded, end)


def _blip(buf: bytes, index: int, kind: int, header: int, end: int) -> Blip:
    """The file bytes of one BLIP record starting at ``header``."""
    if kind not in BLIP_TYPES:
        return Blip(index, ".bin", None, f"不支持的图片格式（0x{kind:04X}）")
    ext, metafile = BLIP_TYPES[kind]
    ver_inst, _, size = struct.unpack_from("<HHI", buf, header)
    instance = ver_inst >> 4
    body, stop = header + 8, min(header + 8 + size, end)
    uids = 32 if instance & 1 else 16  # odd instances carry a second 16-byte UID
    try:
        if metafile:
            meta = body + uids
            raw_size, = struct.unpack_from("<I", buf, meta)
            saved_size, = struct.unpack_from("<I", buf, meta + 28)
            compressed = buf[meta + 32] == 0x00
            data = buf[meta + 34:min(meta + 34 + saved_size, stop)]
            if compressed:
                data = _inflate(data, raw_size)
            return Blip(index, ext, data)
        data = buf[body + uids + 1:stop]  # one tag byte after the UIDs
        if kind == 0xF01F:
            data = _bitmap_file(data)
        return Blip(index, ext, data)
    except (struct.error, zlib.error, IndexError) as exc:
        return Blip(index, ext, None, f"图片数据损坏：{exc}")


def _inflate(data: bytes, limit: int) -> bytes:
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        try:
            out = zlib.decompressobj(wbits).decompress(data, max(limit, 1))
            return out
        except zlib.error:
            continue
    raise zlib.error("压缩数据无法解开")


def _bitmap_file(dib: bytes) -> bytes:
    """A device-independent bitmap as stored in a DIB BLIP, made a .bmp file (BITMAPFILEHEADER in front)."""
    header_size, = struct.unpack_from("<I", dib, 0)
    bits = colours = compression = 0
    if header_size >= 40:
        bits, compression = struct.unpack_from("<HI", dib, 14)
        colours, = struct.unpack_from("<I", dib, 32)
    elif header_size == 12:
        bits, = struct.unpack_from("<H", dib, 10)
    entry = 3 if header_size == 12 else 4
    if not colours and bits and bits <= 8:
        colours = 1 << bits
    masks = 12 if header_size == 40 and compression in (3, 6) else 0
    offset = 14 + header_size + masks + colours * entry
    return b"BM" + struct.pack("<IHHI", 14 + len(dib), 0, 0, offset) + dib


def placed_pictures(drawing: bytes, sheet: str) -> list[Placed]:
    """The shapes of one sheet's drawing that show a BLIP, with the cell of their top-left corner."""
    out: list[Placed] = []
    _walk(drawing, 0, len(drawing), sheet, out, 0, None)
    return out


SPGR_CONTAINER = 0xF003


def _walk(buf: bytes, start: int, end: int, sheet: str, out: list[Placed], depth: int, group_anchor) -> None:
    """Shapes in buf[start:end]; inside a group the pictures take the group's cell (its first shape's anchor)."""
    if depth > MAX_DEPTH:
        raise XlsDrawingError("图形嵌套层数过多")
    first = True
    for ver, _inst, kind, body, stop in _art(buf, start, end):
        if kind == SP_CONTAINER:
            blip, name, anchor = _shape(buf, body, stop)
            if first and depth > 0 and anchor is not None:
                group_anchor = anchor  # the group shape itself comes first in its container
            where = anchor or group_anchor
            if blip:
                if where is None:
                    out.append(Placed(sheet, -1, -1, blip, name, anchored=False))
                else:
                    out.append(Placed(sheet, where[0], where[1], blip, name))
            first = False
        elif kind == SPGR_CONTAINER:
            _walk(buf, body, stop, sheet, out, depth + 1, group_anchor)
            first = False
        elif ver == 0xF:
            _walk(buf, body, stop, sheet, out, depth + 1, group_anchor)


def _shape(buf: bytes, start: int, end: int) -> tuple[int, str, tuple[int, int] | None]:
    """(BLIP index or 0, name, (row, col) of the client anchor or None) of one shape."""
    blip, name, anchor = 0, "", None
    for _ver, inst, kind, body, stop in _art(buf, start, end):
        if kind == FOPT:
            blip, name = _properties(buf, inst, body, stop)
        elif kind == CLIENT_ANCHOR and stop - body >= 18:
            _flags, col, _dx, row = struct.unpack_from("<HHHH", buf, body)
            anchor = (row, col)
    return blip, name, anchor


def _properties(buf: bytes, count: int, start: int, end: int) -> tuple[int, str]:
    """(BLIP index of pib or fillBlip, the shape's name) from an OfficeArtFOPT."""
    blip, name, complex_at = 0, "", start + 6 * count
    names: dict[int, tuple[int, int]] = {}
    for i in range(count):
        if start + 6 * i + 6 > end:
            break
        opid, value = struct.unpack_from("<HI", buf, start + 6 * i)
        pid, is_blip, is_complex = opid & 0x3FFF, opid & 0x4000, opid & 0x8000
        if is_complex:
            if pid in NAME_PROPS:
                names[pid] = (complex_at, value)
            complex_at += value
        elif pid in (PIB, FILL_BLIP) and is_blip and value and (pid == PIB or not blip):
            blip = value
    for pid in NAME_PROPS:
        if pid in names:
            at, size = names[pid]
            name = buf[at:min(at + size, end)].decode("utf-16-le", "replace").rstrip("\0")
            if name:
                break
    return blip, name


def read_pictures(data: bytes) -> tuple[list[Placed], list[Blip], bool]:
    """Every picture shape of every worksheet and the BLIP store of an .xls; (…, encrypted)."""
    return stream_pictures(workbook_stream(data))


def stream_pictures(stream: bytes) -> tuple[list[Placed], list[Blip], bool]:
    """The same, from the Workbook stream itself."""
    sheets, group, encrypted = _sheets_and_group(stream)
    if encrypted or not group:
        return [], [], encrypted
    store = blip_store(group)
    if not store:
        return [], [], False
    placed: list[Placed] = []
    for name, offset in sheets:
        if 0 <= offset < len(stream):
            drawing = _sheet_drawing(stream, offset)
            if drawing:
                placed += placed_pictures(drawing, name)
    return placed, store, False


def blip_bytes(data: bytes, index: int) -> bytes:
    """The bytes of BLIP ``index`` (1-based) of an .xls, as extracted for the evidence folder."""
    stream = workbook_stream(data)
    _sheets, group, _encrypted = _sheets_and_group(stream)
    store = blip_store(group)
    if not 1 <= index <= len(store) or store[index - 1].data is None:
        raise XlsDrawingError(f"找不到第{index}张图片的内容")
    return store[index - 1].data
