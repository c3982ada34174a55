"""The evidence package an office hands over with its 自评报告: every picture the units sent, in folders by
first-level indicator and indicator (3-输出/佐证材料包/促进发展/03-…/县市场监管局-指标填报-J6.png), with an index
workbook that lists every picture and prints on A4 — the 资料审查 of the evaluation reads evidence by indicator.

Written as one OutputSet (all of it or nothing); removes only files a previous pack wrote; never reads or
writes a returned file (the pictures come from the evidence folder collect fills).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from zonekit import layout
from zonekit.evidence import EvidenceFile, safe_name, write_link
from zonekit.files import OutputSet
from zonekit.intake import parse_time
from zonekit.scheme import Scheme

MANIFEST = ".zonekit-pack.json"  # what the last pack wrote, so the next one removes only its own files
NAME_LENGTH = 30  # characters of an indicator name in its folder name: paths stay well below Windows' 260


@dataclass
class PackEntry:
    """One picture in the package: under which indicator, from whom and where, and where it is in the package."""

    level1: str  # "" for a picture on no indicator row
    number: str
    name: str  # the indicator's name
    unit: str
    source: str  # the returned file it came from (display path)
    where: str  # 工作表!单元格 in that file
    received: str  # ISO 8601
    size: int
    sha256: str
    path: str  # in the package, forward slashes
    origin: str  # the extracted copy, relative to the output folder
    note: str = ""
    round: str = ""  # the 填报轮次 whose return carried it


@dataclass
class Pack:
    """What `zonekit evidence pack` wrote: the entries (index order), the index workbook, per-indicator counts."""

    root: Path
    entries: list[PackEntry]
    index: Path | None = None
    counts: list[tuple[str, str, str, int]] = field(default_factory=list)  # (level1, number, name, pictures)

    @property
    def without(self) -> list[tuple[str, str, str, int]]:
        return [c for c in self.counts if not c[3]]

    def render(self) -> str:
        covered = sum(1 for c in self.counts if c[3])
        lines = [f"佐证材料包：{len(self.entries)}张图片，{covered}项指标有图片佐证，"
                 f"{len(self.without)}项没有；在 {self.root}"]
        unsorted = sum(1 for e in self.entries if not e.number)
        if unsorted:
            lines.append(f"其中{unsorted}张不在任何指标行上，在「{layout.EVIDENCE_UNSORTED}」文件夹中，请核实。")
        if self.index is not None:
            lines.append(f"索引：{self.index}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"root": str(self.root), "index": str(self.index or ""), "pictures": len(self.entries),
                "entries": [e.__dict__ for e in self.entries],
                "without_pictures": [c[1] for c in self.without]}


def folder_of(scheme: Scheme, number: str) -> str:
    """'促进发展/03-网络交易经营者数量占市场主体比重' for an indicator, '未对应指标' for none."""
    indicator = next((i for i in scheme.indicators if i.number == number), None) if number else None
    if indicator is None:
        return layout.EVIDENCE_UNSORTED
    shown = number.zfill(2) if number.isdigit() else number
    return f"{safe_name(indicator.level1)}/{safe_name(f'{shown}-{indicator.name[:NAME_LENGTH]}')}"


def plan_pack(scheme: Scheme, evidence: list[EvidenceFile], current: str = "") -> list[PackEntry]:
    """Where every extracted picture goes in the package, in the order of the scheme (pure).

    A picture on a data row that feeds several indicators goes under each of them; identical images (by
    content hash) are listed everywhere they were used, each row naming the others; a picture received in a round
    before ``current`` (the project's round) is named with its round and says it was kept."""
    order = {ind.number: n for n, ind in enumerate(scheme.indicators)}
    known = {ind.number: ind for ind in scheme.indicators}
    placed: list[tuple[tuple, EvidenceFile, str]] = []
    for e in evidence:
        numbers = [n for n in (e.numbers or ((e.indicator,) if e.indicator else ())) if n in known] or [""]
        for number in numbers:
            placed.append(((order.get(number, len(order)), e.unit, e.source, e.sheet, _cell_order(e.cell)), e,
                           number))
    placed.sort(key=lambda p: p[0])
    entries: list[PackEntry] = []
    taken: set[str] = set()
    for _key, e, number in placed:
        ind = known.get(number)
        folder = folder_of(scheme, number)
        ext = Path(e.path).suffix
        stem = "-".join(safe_name(x) for x in (e.unit, e.sheet, e.cell, e.earlier(current)) if x) if e.cell else \
            f"{safe_name(e.unit)}-{safe_name(Path(e.path).stem)}"
        path, n = f"{folder}/{stem}{ext}", 1
        while path.lower() in taken:  # Windows folds case
            n += 1
            path = f"{folder}/{stem}-{n}{ext}"
        taken.add(path.lower())
        entries.append(PackEntry(ind.level1 if ind else "", number, ind.name if ind else "", e.unit, e.source,
                                 f"{e.sheet}!{e.cell}" if e.sheet and e.cell else e.sheet, e.received_at, e.size,
                                 e.sha256, path, e.path, e.note(current), e.round))
    by_hash: dict[str, list[int]] = {}
    for n, entry in enumerate(entries, start=1):
        if entry.sha256:
            by_hash.setdefault(entry.sha256, []).append(n)
    for n, entry in enumerate(entries, start=1):
        others = [str(m) for m in by_hash.get(entry.sha256, []) if m != n]
        if others:
            same = layout.PACK_SAME.format(rows="、".join(others))
            entry.note = f"{entry.note}；{same}" if entry.note else same
    return entries


def _cell_order(cell: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits) if digits else 0, cell)


def counts_of(scheme: Scheme, entries: list[PackEntry]) -> list[tuple[str, str, str, int]]:
    """Every indicator of the scheme with the number of pictures filed under it."""
    found: dict[str, int] = {}
    for e in entries:
        found[e.number] = found.get(e.number, 0) + 1
    return [(i.level1, i.number, i.name, found.get(i.number, 0)) for i in scheme.indicators]


def write_pack(output: Path, project_title: str, scheme: Scheme, entries: list[PackEntry]) -> Pack:
    """Write the package under ``output``/佐证材料包 as one OutputSet: the pictures, the index, the manifest;
    files a previous pack wrote and this one does not are removed (nothing else is)."""
    root = Path(output) / layout.EVIDENCE_PACK_DIR
    previous = _previous(root)
    pack = Pack(root, entries, root / layout.EVIDENCE_PACK_INDEX, counts_of(scheme, entries))
    with OutputSet(root, [layout.EVIDENCE_PACK_INDEX]) as out:
        for e in entries:
            out.write(e.path, (Path(output) / e.origin).read_bytes())
        _write_index(out.path(layout.EVIDENCE_PACK_INDEX), root, project_title, pack)
        written = sorted({e.path for e in entries})
        out.write(MANIFEST, json.dumps({"files": written}, ensure_ascii=False, indent=1))
        for rel in sorted(previous - set(written)):
            if _inside(root, rel):
                out.remove(rel)
    _remove_empty_folders(root, previous)
    return pack


def _previous(root: Path) -> set[str]:
    try:
        return set(json.loads((root / MANIFEST).read_text(encoding="utf-8")).get("files", []))
    except (OSError, ValueError, AttributeError):
        return set()


def _inside(root: Path, rel: str) -> bool:
    target = (root / rel).resolve()
    return root.resolve() in target.parents


def _remove_empty_folders(root: Path, previous: set[str]) -> None:
    folders = {(root / rel).parent for rel in previous}
    for folder in sorted(folders | {f.parent for f in folders}, key=lambda p: len(p.parts), reverse=True):
        try:
            if folder != root and root in folder.parents:
                folder.rmdir()  # only when empty
        except OSError:
            pass


def _write_index(path: Path, root: Path, title: str, pack: Pack) -> None:
    from zonekit.summary import Styles, new_workbook, table

    wb = new_workbook(path)
    wb.set_properties({"title": f"{title}佐证材料索引", "author": "zonekit"})
    styles = Styles(wb)
    size = wb.add_format({"font_name": "宋体", "font_size": 10, "valign": "vcenter", "num_format": "#,##0.0"})
    ws = wb.add_worksheet(layout.SHEET_PACK_INDEX)
    ws.write_string(0, 0, f"{title}佐证材料索引", styles.title)
    ws.merge_range(1, 0, 1, len(layout.PACK_INDEX_COLUMNS) - 1,
                   f"共{len(pack.entries)}张图片，按一级指标、指标编号排列；点击文件名打开图片。图片在本表所在文件夹中，"
                   f"按「一级指标/指标编号-指标名称」分文件夹存放，可与自评报告一并提交。", styles.note)
    rows = []
    for n, e in enumerate(pack.entries, start=1):
        def link(ws_, r, c, target=root / e.path, name=Path(e.path).name):
            write_link(ws_, r, c, target, root, styles.link, name, "打开图片")

        def kb(ws_, r, c, value=e.size / 1024):
            ws_.write_number(r, c, value, size)

        rows.append([n, e.level1 or layout.EVIDENCE_UNSORTED, e.number, e.name, e.unit, Path(e.source).name,
                     e.where, _local_date(e.received), e.round, kb, link, e.sha256[:8], e.note])
    table(ws, styles, layout.PACK_INDEX_COLUMNS, rows, header_row=2, wrap_cols=(3, 4, 5, 10, 12))
    by = wb.add_worksheet(layout.SHEET_PACK_BY_INDICATOR)
    rows = []
    for level1, number, name, count in pack.counts:
        folder = folder_of_counts(root, pack, number)

        def link(ws_, r, c, target=folder):
            if target is None:
                ws_.write_string(r, c, "（无图片）", styles.text)
            else:
                write_link(ws_, r, c, target, root, styles.link, target.name + "/", "打开文件夹")

        rows.append([level1, number, name, count, link])
    table(by, styles, layout.PACK_BY_INDICATOR_COLUMNS, rows, wrap_cols=(2, 4))
    by.set_portrait()
    wb.close()


def folder_of_counts(root: Path, pack: Pack, number: str) -> Path | None:
    entry = next((e for e in pack.entries if e.number == number), None)
    return (root / entry.path).parent if entry is not None else None


def _local_date(text: str) -> str:
    moment = parse_time(text)
    return moment.astimezone().strftime("%Y-%m-%d") if moment else ""


def pack_evidence(directory, today=None) -> Pack:
    """`zonekit evidence pack DIR`: collect the returns (which extracts every picture) and write the package."""
    from zonekit.collect import collect
    from zonekit.workbench import load_project

    project = load_project(directory)
    collected = collect(project, today=today)
    entries = plan_pack(project.scheme, collected.evidence, project.round)
    return write_pack(project.output, project.region, project.scheme, entries)
