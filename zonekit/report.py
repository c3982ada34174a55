"""The self-evaluation report draft (3-输出/自评报告（初稿）.docx) that goes with the application (seed 004 第十二条:
自评合格的 … 将申请表、自评报告和相关材料报所在地省级市场监管部门), built from the score run's results.

Every statement comes from the project's data; what only the office can write is a marked 【请填写：…】. Never
replaces a draft the office has edited unless told to (--force), and writes only into the project's output folder.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from zonekit import __version__, layout
from zonekit.errors import OutputError
from zonekit.exact import fmt_at_least, fmt_exact, fmt_number, fmt_percent
from zonekit.files import OutputSet, sha256_of
from zonekit.project import Phase
from zonekit.scheme import describe_rate
from zonekit.verify import accepted

PLACEHOLDER = "【请填写：{}】"

# Fonts as Chinese government documents name them (Word and WPS on Chinese Windows resolve these names; LibreOffice
# with fonts-noto-cjk draws them with Noto Sans CJK SC). Latin letters and digits in Times New Roman.
LATIN = "Times New Roman"
BODY_FONT, HEADING_FONT, SUB_FONT, TABLE_FONT = "仿宋", "黑体", "楷体", "宋体"
BODY_SIZE, TABLE_SIZE = Pt(16), Pt(10.5)  # 三号 body, 五号 tables
TEXT_WIDTH = Mm(156)  # A4 210 mm less the 28 mm and 26 mm side margins
TABLE_STYLE = "表格文字"


# ---------------------------------------------------------------- what the report shows (plain data)


@dataclass
class Round:
    """One round of returns: the earlier ones as they were closed (zonekit round start), then the current one."""

    name: str
    deadline: date | None
    scored: date
    expected: int
    returned: int
    states: dict[str, int]  # 已报 / 未报 / 逾期 / 退回 → units
    incomplete: int  # indicators still missing an input
    total: str  # as the assessment shows it (never rounded onto the line)
    verdict: str


@dataclass
class UnitRow:
    name: str
    leads: int
    responsibles: int
    state: str


def evidence_text(entry) -> str:
    """The evidence a unit describes on an indicator's row and the files it lists (佐证材料说明, 佐证材料清单)."""
    return "；".join(x for x in (entry.evidence, f"清单：{entry.files}" if entry.files else "") if x)


@dataclass
class IndicatorRow:
    number: str
    name: str
    level1: str
    points: Fraction
    score: Fraction  # effective: the verified score where one applies
    computed: Fraction
    trace: list[str]
    leads: list[str]
    responsibles: list[str]
    verified_reason: str | None = None  # set when the score was verified (评分核定)
    missing: list[str] = field(default_factory=list)
    conflict: bool = False
    texts: list = field(default_factory=list)  # intake's ProgressEntry of each unit that wrote something


@dataclass
class EvidenceRow:
    number: str
    name: str
    unit: str
    what: str
    where: str  # the file's path inside the project folder, "" when no file came with the return


@dataclass
class ReportFacts:
    """Everything the report states, taken from the score run (nothing computed here that the library computes)."""

    region: str
    province: str
    scheme_title: str
    indicator_label: str
    office: str
    today: date
    assessment: object  # zonekit.scoring.Assessment
    levels: list[dict]  # Assessment.to_dict()["levels"]: the level table as the library formats it
    rounds: list[Round]
    units: list[UnitRow]
    phases: list[Phase]
    indicators: list[IndicatorRow]
    gaps: list  # zonekit.gaps.Gap, most recoverable first
    recovery: list[str]
    recovery_text: str
    evidence: list[EvidenceRow]
    open_errors: int
    notice: str = ""

    @property
    def qualified(self) -> bool:
        return self.assessment.qualified


def _relative(path, root: Path) -> str:
    """The evidence file's path inside the project folder, with forward slashes."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def report_facts(summary, today: date | None = None) -> ReportFacts:
    """The adapter from ``zonekit.summary.Summary`` (what `score` computed) to what the report states."""
    project, result, info = summary.project, summary.result, summary.info
    scheme = result.scheme
    a = summary.assessment
    today = today or summary.generated.date()
    verified = accepted(project.verifications, summary.overrides)
    known = {u.name: u for u in info.units}
    states = Counter(u.status for u in info.units)
    rounds = [Round(r.name, date.fromisoformat(r.deadline) if r.deadline else None,
                    date.fromisoformat(r.scored[:10]), r.expected, r.returned, dict(r.states), r.incomplete,
                    r.assessment.total_text, r.assessment.verdict) for r in getattr(info, "rounds", [])]
    rounds.append(Round(project.round, project.deadline, summary.generated.date(), info.expected, info.returned,
                        dict(states), sum(1 for marks in summary.flags.values() if layout.FLAG_MISSING in marks),
                        a.total_text, a.verdict))
    units = []
    for u in project.units:
        roles = [role for _, role in project.roles_of(u.name)]
        if not roles and u.name not in known:
            continue  # listed but given nothing to do
        state = known[u.name].status if u.name in known else layout.STATE_MISSING
        units.append(UnitRow(u.name, roles.count(layout.ROLE_LEAD), roles.count(layout.ROLE_RESPONSIBLE), state))
    indicators = []
    for ind, res in zip(scheme.indicators, result.indicators):
        assignment = project.assignments.get(ind.number)
        texts = [e for e in info.progress.get(ind.number, []) if e.progress or e.evidence or e.files or e.problems]
        reason = verified[ind.number].reason if ind.number in verified else \
            ("" if ind.number in summary.overrides else None)
        indicators.append(IndicatorRow(ind.number, ind.name, ind.level1, ind.points, summary.scores[ind.number],
                                       res.score, [line for line in res.trace.split("\n") if line],
                                       list(assignment.leads) if assignment else [],
                                       list(assignment.responsibles) if assignment else [],
                                       reason, list(res.missing), ind.number in info.conflicts, texts))
    names = {ind.number: ind.name for ind in scheme.indicators}
    order = {ind.number: pos for pos, ind in enumerate(scheme.indicators)}
    evidence = [EvidenceRow(i.number, i.name, t.unit, evidence_text(t), "")
                for i in indicators for t in i.texts if evidence_text(t)]
    for e in info.evidence:  # a picture of an earlier round, kept since, says which round sent it
        what = f"{e.name}（{e.round}收到）" if e.earlier else e.name
        evidence.append(EvidenceRow(e.number, names.get(e.number, ""), e.unit, what, _relative(e.path, project.root)))
    evidence.sort(key=lambda r: (order.get(r.number, len(order)), bool(r.where)))
    open_errors = sum(1 for i in summary.issues if i.blocking)
    return ReportFacts(project.region, project.province, scheme.title, scheme.indicator_label or "指标",
                       project.office, today, a, a.to_dict()["levels"], rounds, units, list(project.phases),
                       indicators, list(summary.gaps), list(summary.recovery), summary.recovery_text(), evidence,
                       open_errors, getattr(info, "notice", ""))


# ---------------------------------------------------------------- Word helpers


def _set_fonts(element, east_asia: str, latin: str = LATIN) -> None:
    """Name the fonts of a style or run explicitly (w:rFonts ascii/hAnsi/eastAsia/cs), dropping theme fonts,
    which would otherwise win over the names."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        fonts.set(qn(attr), name)


def _lang(rpr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _style(doc, name: str, font: str, size, *, bold=False, base="Normal", kind=WD_STYLE_TYPE.PARAGRAPH):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, kind)
    if base and style.name != base:
        style.base_style = styles[base]
    _set_fonts(style.element, font)
    style.font.size = size
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    return style


def _setup_styles(doc) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    _lang(rpr)

    normal = _style(doc, "Normal", BODY_FONT, BODY_SIZE, base=None)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28)
    fmt.first_line_indent = Pt(32)  # two characters
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = True
    for level, font in ((1, HEADING_FONT), (2, SUB_FONT), (3, BODY_FONT)):
        style = _style(doc, f"Heading {level}", font, BODY_SIZE, bold=level == 3)
        f = style.paragraph_format
        f.first_line_indent = Pt(32)
        f.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        f.line_spacing = Pt(28)
        f.space_before = Pt(6) if level > 1 else Pt(12)
        f.space_after = Pt(0)
        f.keep_with_next = True
    title = _style(doc, "Title", TABLE_FONT, Pt(26), bold=True)
    title.paragraph_format.first_line_indent = Pt(0)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(44)
    title.paragraph_format.space_after = Pt(0)
    for child in list(title.element.get_or_add_pPr()):
        if child.tag == qn("w:pBdr"):  # the template's title has a rule under it
            title.element.get_or_add_pPr().remove(child)
    table = _style(doc, TABLE_STYLE, TABLE_FONT, TABLE_SIZE)
    tf = table.paragraph_format
    tf.first_line_indent = Pt(0)
    tf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    tf.space_before = tf.space_after = Pt(1)
    footer = _style(doc, "Footer", TABLE_FONT, Pt(14))
    footer.paragraph_format.first_line_indent = Pt(0)
    footer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    for level in (1, 2):  # what Word's TOC field uses; defined so the prepared entries look like updated ones
        toc = _style(doc, f"toc {level}", BODY_FONT, Pt(14))
        toc.paragraph_format.first_line_indent = Pt(0)
        toc.paragraph_format.left_indent = Pt(28 * (level - 1))
        toc.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        toc.paragraph_format.line_spacing = Pt(26)


def _page_setup(section) -> None:
    """A4 portrait with the margins of GB/T 9704 (top 37 mm, bottom 35 mm, left 28 mm, right 26 mm)."""
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(25)


def _field(paragraph, instruction: str, shown: str = "", dirty: bool = False) -> None:
    """A Word field (PAGE, TOC …) with the text shown until it is updated."""
    def char(kind: str):
        run = paragraph.add_run()
        mark = OxmlElement("w:fldChar")
        mark.set(qn("w:fldCharType"), kind)
        if dirty and kind == "begin":
            mark.set(qn("w:dirty"), "true")
        run._r.append(mark)

    char("begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    char("separate")
    if shown:
        paragraph.add_run(shown)
    char("end")


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else digits[tens]}十{digits[ones] if ones else ''}"


def _units(names: list[str]) -> str:
    return layout.LIST_SEPARATOR.join(names)


def _shown_score(value: Fraction, points: Fraction) -> str:
    """An indicator's score as gaps and the summary show it: never rounded onto its points."""
    return fmt_number(value, edges=(points,))


def _sentence(parts: list[str]) -> str:
    """Parts joined with 「；」 and ended with one 「。」."""
    text = "；".join(p.rstrip("。；") for p in parts if p)
    return f"{text}。" if text else ""


def _date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


class _Writer:
    """The document being written, with the few kinds of block the report uses."""

    def __init__(self):
        self.doc = Document()
        _setup_styles(self.doc)
        _page_setup(self.doc.sections[0])
        self.ids = {s.name: s.style_id for s in self.doc.styles}
        self.placeholders = 0
        self.headings: list[tuple[int, str]] = []
        self.first_heading = None

    def new(self, style: str | None = None, before=None, cell=None):
        """A new paragraph at the end (or before ``before``, or in ``cell``), its style set by id: python-docx's
        own lookup scans every style for each paragraph, which made the demo's report take half a minute."""
        if before is not None:
            p = before.insert_paragraph_before()
        elif cell is not None:
            p = cell.add_paragraph()
        else:
            p = self.doc.add_paragraph()
        if style:
            p._p.style = self.ids[style]
        return p

    def heading(self, text: str, level: int):
        self.headings.append((level, text))
        p = self.new(f"Heading {level}")
        p.add_run(text)
        if level == 1:  # each part on a new page: 自评得分 then reads as one page, verdict and table together
            p.paragraph_format.page_break_before = True
        if self.first_heading is None:
            self.first_heading = p
        return p

    def para(self, *parts, style=None, align=None, indent=True):
        """A paragraph of text parts; a part given as ("placeholder", what) is written as a marked 【请填写：…】."""
        p = self.new(style)
        if align is not None:
            p.alignment = align
        if not indent:
            p.paragraph_format.first_line_indent = Pt(0)
        for part in parts:
            if isinstance(part, tuple) and part[0] == "placeholder":
                self.mark(p, PLACEHOLDER.format(part[1]))
            elif isinstance(part, tuple) and part[0] == "bold":
                p.add_run(part[1]).bold = True
            else:
                p.add_run(str(part))
        return p

    def mark(self, paragraph, text: str):
        run = paragraph.add_run(text)
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        self.placeholders += text.startswith(PLACEHOLDER.split("{")[0])
        return run

    def table(self, headers: list[str], rows: list[list], widths_mm: list[float], center_cols=()):
        table = self.doc.add_table(rows=1, cols=len(headers))
        table._tbl.tblPr.style = self.ids["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        scale = TEXT_WIDTH / Mm(sum(widths_mm))
        widths = [int(Mm(w) * scale) for w in widths_mm]
        for col, width in zip(table.columns, widths):
            col.width = width
        head = table.rows[0]
        trpr = head._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")  # repeated at the top of every page the table runs onto
        trpr.append(repeat)
        for cell, text, width in zip(head.cells, headers, widths):
            self._cell(cell, text, width, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            shade = OxmlElement("w:shd")
            shade.set(qn("w:val"), "clear")
            shade.set(qn("w:color"), "auto")
            shade.set(qn("w:fill"), "E7E6E6")
            cell._tc.get_or_add_tcPr().insert_element_before(  # where the schema wants it: Word is strict
                shade, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
        for values in rows:
            cells = table.add_row().cells
            for pos, (cell, value, width) in enumerate(zip(cells, values, widths)):
                self._cell(cell, value, width, align=WD_ALIGN_PARAGRAPH.CENTER if pos in center_cols else None)
        self.new(TABLE_STYLE)  # keeps the next table or heading off this one
        return table

    def _cell(self, cell, value, width, bold=False, align=None) -> None:
        cell.width = width
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        if isinstance(value, tuple):
            lines = [value]
        else:
            lines = str(value if value is not None else "").split("\n")
        first = True
        for line in lines or [""]:
            p = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            p._p.style = self.ids[TABLE_STYLE]
            if align is not None:
                p.alignment = align
            if isinstance(line, tuple) and line[0] == "placeholder":
                self.mark(p, PLACEHOLDER.format(line[1]))
            else:
                run = p.add_run(str(line))
                if bold:
                    run.bold = True


# ---------------------------------------------------------------- the sections


def _cover(w: _Writer, f: ReportFacts) -> None:
    for _ in range(3):
        w.para("", indent=False)
    for line in (f.region, "网络市场监管与服务示范区创建", "自评报告", "（初稿）"):
        w.para(line, style="Title")
    for _ in range(4):
        w.para("", indent=False)
    rows = [("创建地区", f"{f.region}（{f.province}）" if f.province else f.region),
            ("评估指标体系", f"《{f.scheme_title}》"),
            ("编制单位", f.office or ("placeholder", "编制单位名称")),
            ("报告日期", _date(f.today))]
    for label, value in rows:
        p = w.para(f"{label}：", value, indent=False)
        hang = Pt(16 * (len(label) + 1))  # wrapped lines start under the value, not under the label
        p.paragraph_format.left_indent = Pt(32) + hang
        p.paragraph_format.first_line_indent = -hang
    w.para("", indent=False)
    note = w.new(TABLE_STYLE)
    w.mark(note, f"【初稿说明：本稿由 zonekit {__version__} 于{_date(f.today)}根据工作台和各单位交回的填报表生成，"
                 f"得分与同时更新的评分汇总表一致。文中标黄的“请填写”处须由创建办补写，"
                 f"定稿前请删除本说明和全部标黄提示。】")


def _contents(w: _Writer, before, entries: list[tuple[int, str]]) -> None:
    """The contents page, inserted before the paragraph ``before``: a TOC field Word and WPS update, whose shown
    text until then is the list of headings (without page numbers)."""
    title = w.new(before=before)
    title.add_run("目  录")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.runs[0].font.size = Pt(22)
    _set_fonts(title.runs[0]._r, HEADING_FONT)
    hint = w.new(TABLE_STYLE, before=before)
    w.mark(hint, "【目录页码：在 Word 中右键目录选择“更新域”→“更新整个目录”；在 WPS 中点击目录上方的“更新目录”。】")
    paragraphs = [w.new(f"toc {level}", before=before) for level, _ in entries] or [w.new("toc 1", before=before)]
    _field(paragraphs[0], 'TOC \\o "1-2" \\h \\z \\u', dirty=True)
    end = paragraphs[0]._p[-1]  # the field's end mark goes after the last entry
    paragraphs[0]._p.remove(end)
    for p, (_, text) in zip(paragraphs, entries):
        p.add_run(text)
    paragraphs[-1]._p.append(end)


def _round_rows(f: ReportFacts) -> list[list[str]]:
    rows = []
    for r in f.rounds:
        rate = fmt_percent(Fraction(r.returned, r.expected)) if r.expected else "—"
        rows.append([r.name, r.deadline.isoformat() if r.deadline else "—", r.scored.isoformat(), str(r.expected), str(r.returned), rate,
                     str(r.incomplete), r.total, r.verdict])
    return rows


def _work(w: _Writer, f: ReportFacts) -> None:
    w.heading("一、创建工作开展情况", 1)
    w.heading("（一）组织分工", 2)
    assigned = [i for i in f.indicators if i.leads or i.responsibles]
    led = [i for i in f.indicators if i.leads]
    w.para("创建工作由", f.office or ("placeholder", "创建办名称"), f"统筹，{len(f.units)}个单位承担指标任务。"
           f"评估指标体系共{len(f.indicators)}项{f.indicator_label}，已分解到单位{len(assigned)}项，"
           f"其中明确牵头单位{len(led)}项。各单位承担的指标和报送情况如下。")
    w.table(["单位", "牵头指标（项）", "责任指标（项）", "报送状态"],
            [[u.name, u.leads, u.responsibles, u.state] for u in f.units], [70, 28, 28, 30], center_cols=(1, 2, 3))

    w.heading("（二）阶段安排", 2)
    if f.phases:
        w.para(f"按工作台「{layout.SHEET_PHASES}」，创建工作分{_cn(len(f.phases))}个阶段推进：")
        rows = []
        for ph in f.phases:
            when = "至".join(_date(d) for d in (ph.start, ph.end) if d)
            rows.append([ph.name, when or ("placeholder", "起止日期"), ph.note or ("placeholder", "工作内容")])
        w.table(["阶段", "起止时间", "工作内容"], rows, [30, 50, 76])
    else:
        w.para(("placeholder", f"创建工作的阶段安排（可在工作台「{layout.SHEET_PHASES}」中填写后重新生成）"))

    w.heading("（三）填报轮次和完成情况", 2)
    w.para(f"创建期内共组织填报{len(f.rounds)}轮，各轮的回收和自评结果如下。")
    w.table(["轮次", "填报截止", "评分日期", "应报单位", "已报单位", "回收率", "缺数据指标（项）", "总分", "结论"],
            _round_rows(f), [16, 26, 26, 12, 12, 19, 15, 13, 17], center_cols=tuple(range(9)))
    current = f.rounds[-1]
    states = "，".join(f"{state}{n}个" for state, n in current.states.items() if n)
    late = [u.name for u in f.units if u.state != layout.STATE_REPORTED]
    text = f"{current.name}应报{current.expected}个单位（{states or '尚无报送'}）"
    if late:
        text += f"；尚未报送可用填报表的单位：{_units(late)}"
    text += f"。{current.incomplete}项{f.indicator_label}尚缺填报数据。" if current.incomplete else \
        f"。各项{f.indicator_label}的填报数据齐全。"
    w.para(text)
    if f.notice:
        w.para(("bold", f.notice))

    w.heading("（四）主要做法和成效", 2)
    w.para(("placeholder", "创建工作的主要做法、亮点和成效，以及可复制可推广的经验"))


def _score(w: _Writer, f: ReportFacts) -> None:
    a = f.assessment
    w.heading("二、自评得分", 1)
    verified = [i for i in f.indicators if i.verified_reason is not None]
    w.para(f"对照《{f.scheme_title}》，{f.region}自评总分{a.total_text}分（满分{fmt_exact(a.total_points)}分），"
           f"结论：", ("bold", a.verdict), "。" + (f"其中{len(verified)}项{f.indicator_label}的得分经创建办核定。"
                                               if verified else ""))
    w.para(f"合格标准：总分不低于{fmt_exact(a.total_min)}分，且每个一级指标得分率不低于{describe_rate(a.level_rate_min)}。")
    rows = [[lv["name"], lv["points"], lv["score"], lv["rate"], lv["threshold"], "达标" if lv["passed"] else "未达标",
             lv["needed"] if not lv["passed"] else "—"] for lv in f.levels]
    total_ok = a.total >= a.total_min
    rows.append(["总分", fmt_exact(a.total_points), a.total_text,
                 fmt_percent(a.total / a.total_points) if a.total_points else "—", f"{fmt_exact(a.total_min)}分",
                 "达标" if total_ok else "未达标", fmt_at_least(a.total_needed) if not total_ok else "—"])
    w.table(["一级指标", "分值", "得分", "得分率", "合格线", "是否达标", "还需（分）"], rows,
            [30, 18, 18, 20, 20, 22, 22], center_cols=tuple(range(1, 7)))
    if a.qualified:
        w.para(f"总分{a.total_text}分，不低于{fmt_exact(a.total_min)}分，且各一级指标得分率均不低于"
               f"{describe_rate(a.level_rate_min)}，自评结论为合格。")
    else:
        w.para("自评结论为不合格，原因如下：")
        for n, reason in enumerate(a.reasons, start=1):
            w.para(f"{n}. {reason}。")


def _indicators(w: _Writer, f: ReportFacts) -> None:
    label = f.indicator_label
    w.heading("三、指标完成情况", 1)
    w.para(f"各项{label}的得分和牵头单位如下，逐项的计分过程和各单位工作进展见后。")
    w.table(["编号", label, "分值", "得分", "牵头单位"],
            [[i.number, i.name, fmt_exact(i.points), _shown_score(i.score, i.points), _units(i.leads) or "—"]
             for i in f.indicators], [12, 74, 14, 14, 42], center_cols=(0, 2, 3))
    levels = {lv["name"]: lv for lv in f.levels}
    for pos, name in enumerate(dict.fromkeys(i.level1 for i in f.indicators), start=1):
        lv = levels.get(name)
        w.heading(f"（{_cn(pos)}）{name}", 2)
        subs = [f"{s.name}{s.score_text}分（分值{fmt_exact(s.points)}分，得分率{s.rate_text}）"
                for s in f.assessment.sublevels if s.parent == name]
        if lv:
            w.para(f"分值{lv['points']}分，得分{lv['score']}分，得分率{lv['rate']}，"
                   f"{'达标' if lv['passed'] else '未达标'}（合格线{lv['threshold']}）。"
                   + (f"其中{'；'.join(subs)}。" if subs else ""))
        for ind in (i for i in f.indicators if i.level1 == name):
            _indicator(w, ind)


def _indicator(w: _Writer, ind: IndicatorRow) -> None:
    w.heading(f"{ind.number}. {ind.name}", 3)
    who = f"牵头单位：{_units(ind.leads) or '未明确'}"
    if ind.responsibles:
        who += f"；责任单位：{_units(ind.responsibles)}"
    w.para(f"分值{fmt_exact(ind.points)}分，得分{_shown_score(ind.score, ind.points)}分。{who}。")
    if ind.verified_reason is not None:
        w.para(f"核定得分{_shown_score(ind.score, ind.points)}分（按填报计算{_shown_score(ind.computed, ind.points)}分）"
               + (f"，核定理由：{ind.verified_reason}" if ind.verified_reason else "") + "。")
    if ind.trace:
        w.para(f"计分过程：{ind.trace[0]}" + ("" if len(ind.trace) > 1 else "。" * (not ind.trace[0].endswith("。"))))
        for line in ind.trace[1:]:
            w.para(line)
    if ind.missing:
        w.para(f"尚缺填报数据：{_units(list(dict.fromkeys(ind.missing)))}。")
    if ind.conflict:
        w.para("牵头单位填报的数据不一致，已按任务分解中排在前面的牵头单位的数据计分，请两单位核对后统一。")
    if ind.texts:
        headers, widths = ["单位", "工作进展"], [30, 76]
        with_evidence = any(t.evidence or t.files for t in ind.texts)
        with_problems = any(t.problems for t in ind.texts)
        if with_evidence:
            headers.append("佐证材料")
            widths.append(34)
        if with_problems:
            headers.append("存在问题")
            widths.append(30)
        rows = []
        for t in ind.texts:
            row = [f"{t.unit}（{t.role}）", t.progress or "—"]
            if with_evidence:
                row.append(evidence_text(t) or "—")
            if with_problems:
                row.append(t.problems or "—")
            rows.append(row)
        w.table(headers, rows, widths)
    else:
        w.para(("placeholder", f"指标{ind.number}的工作开展情况（尚未收到各单位填写的工作进展）"))


def _gaps(w: _Writer, f: ReportFacts) -> None:
    label = f.indicator_label
    w.heading("四、存在的问题和差距", 1)
    w.heading("（一）失分指标", 2)
    if not f.gaps:
        w.para(f"各项{label}均得满分。")
    else:
        lost = sum((g.lost for g in f.gaps), Fraction(0))
        recoverable = sum((g.recoverable for g in f.gaps), Fraction(0))
        w.para(f"共{len(f.gaps)}项{label}失分，合计失{fmt_exact(lost)}分"
               + (f"，按计分规则可挽回{fmt_exact(recoverable)}分" if recoverable != lost else "")
               + "，按可挽回分值从高到低列出：")
        for n, g in enumerate(f.gaps, start=1):
            head = (f"{n}. 指标{g.number}「{g.name}」：分值{fmt_exact(g.points)}分，得{_shown_score(g.score, g.points)}分，"
                    f"可挽回{fmt_exact(g.recoverable)}分；牵头单位：{_units(g.leads) or '未明确'}。")
            w.para(head, _sentence(g.actions))
    w.heading("（二）填报和数据", 2)
    problems = []
    pending = [u for u in f.units if u.state != layout.STATE_REPORTED]
    if pending:
        problems.append("尚未报送可用填报表的单位：" + "、".join(f"{u.name}（{u.state}）" for u in pending))
    incomplete = [i for i in f.indicators if i.missing]
    if incomplete:
        problems.append(f"尚缺填报数据的{label}：" + "、".join(i.number for i in incomplete))
    conflicts = [i for i in f.indicators if i.conflict]
    if conflicts:
        problems.append(f"牵头单位填报不一致的{label}：" + "、".join(i.number for i in conflicts))
    if f.open_errors:
        problems.append(f"评分汇总表「{layout.SHEET_ISSUES}」中有{f.open_errors}个错误待处理")
    if problems:
        for n, text in enumerate(problems, start=1):
            w.para(f"{n}. {text}。")
    else:
        w.para("各单位均已报送，填报数据齐全、一致。")
    w.heading("（三）其他问题", 2)
    w.para(("placeholder", "创建工作中存在的其他问题和不足"))


def _next(w: _Writer, f: ReportFacts) -> None:
    w.heading("五、下一步工作", 1)
    w.heading("（一）补分重点", 2)
    w.para(f.recovery_text)
    w.heading("（二）各单位任务", 2)
    tasks: dict[str, list[str]] = {}
    for g in f.gaps:
        mark = "（最少补分方案）" if g.number in f.recovery else ""
        for unit in g.leads or [""]:
            tasks.setdefault(unit, []).append(f"指标{g.number}「{g.name}」{mark}：" + _sentence(g.actions))
    for u in f.units:
        if u.state != layout.STATE_REPORTED:
            tasks.setdefault(u.name, []).insert(0, f"填报表状态为{u.state}，请尽快报送可用的填报表。")
    order = [u.name for u in f.units]
    if not tasks:
        w.para("各单位暂无需补充的工作。")
    for unit in sorted(tasks, key=lambda u: (u == "", order.index(u) if u in order else len(order))):
        p = w.para(("bold", f"{unit}：") if unit else ("placeholder", "牵头单位"), indent=True)
        if not unit:
            p.add_run("：")
        for n, text in enumerate(tasks[unit], start=1):
            w.para(f"{n}. {_sentence([text])}")
    w.heading("（三）申报安排", 2)
    if f.qualified:
        w.para("按照创建管理办法，自评合格的，填写《网络市场监管与服务示范区创建评估申请表》，"
               "将申请表、自评报告和相关材料报所在地省级市场监管部门" + (f"（{f.province}）" if f.province else "") + "。")
    else:
        w.para("按照创建管理办法，自评合格后，方可填写《网络市场监管与服务示范区创建评估申请表》，"
               "将申请表、自评报告和相关材料报所在地省级市场监管部门" + (f"（{f.province}）" if f.province else "") + "。")
    w.para(("placeholder", "其他下一步工作安排"))


def _annex(w: _Writer, f: ReportFacts) -> None:
    w.heading("附件：佐证材料目录", 1)
    if not f.evidence:
        w.para("各单位尚未在填报表中说明佐证材料，填报表中也没有图片。",
               ("placeholder", "佐证材料目录"))
        return
    files = sum(1 for e in f.evidence if e.where)
    if files:
        w.para(f"按{f.indicator_label}列出各单位在填报表中说明的佐证材料，以及随填报表交回的文件{files}个"
               f"（文件位置相对于项目文件夹；“—”表示没有随填报表交回文件）。")
        w.table(["编号", f.indicator_label, "单位", "佐证材料", "文件位置"],
                [[e.number or layout.EVIDENCE_UNSORTED, e.name, e.unit, e.what, e.where or "—"] for e in f.evidence],
                [12, 36, 26, 46, 36], center_cols=(0,))
        hint = w.new(TABLE_STYLE)
        w.mark(hint, f"【提示：运行 zonekit evidence pack 可把这些图片按一级指标和指标编号整理到 {layout.OUTPUT_DIR}/"
                     f"{layout.EVIDENCE_PACK_DIR}/，并附可打印的{Path(layout.EVIDENCE_PACK_INDEX).stem}，随本报告提交。】")
    else:
        w.para(f"按{f.indicator_label}列出各单位在填报表中说明的佐证材料（填报表中没有随表交回的文件）。")
        w.table(["编号", f.indicator_label, "单位", "佐证材料"],
                [[e.number, e.name, e.unit, e.what] for e in f.evidence], [12, 40, 30, 74], center_cols=(0,))


def build_document(facts: ReportFacts):
    """The report as a python-docx Document (in memory), and how many 【请填写：…】 it leaves for the office."""
    w = _Writer()
    doc = w.doc
    props = doc.core_properties
    props.title = f"{facts.region}网络市场监管与服务示范区创建自评报告（初稿）"
    props.author = facts.office or facts.region
    props.last_modified_by = "zonekit"
    props.comments = f"zonekit {__version__} 生成"
    _cover(w, facts)
    body = doc.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(body)
    body.footer.is_linked_to_previous = False
    numbering = OxmlElement("w:pgNumType")
    numbering.set(qn("w:start"), "1")  # the cover has no number; the contents page is page 1
    body._sectPr.insert_element_before(numbering, "w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg",
                                       "w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings")
    foot = body.footer.paragraphs[0]
    foot._p.style = w.ids["Footer"]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run("— ")
    _field(foot, "PAGE", "1")
    foot.add_run(" —")
    _work(w, facts)
    _score(w, facts)
    _indicators(w, facts)
    _gaps(w, facts)
    _next(w, facts)
    _annex(w, facts)
    _contents(w, w.first_heading, [(level, text) for level, text in w.headings if level <= 2])
    return doc, w.placeholders


# ---------------------------------------------------------------- writing it into the project


@dataclass
class ReportRun:
    path: Path
    score: object  # zonekit.scorecmd.ScoreRun: the scores the report states, also written to 评分汇总表
    placeholders: int
    replaced: str  # 新建 / 更新 / 覆盖（--force）

    @property
    def valid(self) -> bool:
        return self.score.valid

    def render(self) -> str:
        a = self.score.result.assessment
        lines = [f"自评报告（初稿）：{self.path}（{self.replaced}）",
                 f"{self.score.project.region}：总分{a.total_text}分，{a.verdict}；"
                 f"评分汇总表已按同一结果更新：{self.score.summary_path}"]
        if self.placeholders:
            lines.append(f"文中有{self.placeholders}处标黄的【请填写：…】需创建办补写或删除；"
                         f"目录的页码在 Word 中右键目录“更新域”（WPS 中“更新目录”）后生成。")
        if self.score.report.issues:
            lines.append(self.score.report.render())
        return "\n".join(lines)


def draft_edited(path: Path, record: Path) -> bool:
    """Whether the draft at ``path`` is not the file zonekit last wrote there (edited, re-saved, or not ours)."""
    if not path.exists():
        return False
    try:
        written = json.loads(record.read_text(encoding="utf-8")).get("sha256", "")
    except (OSError, ValueError, AttributeError):
        return True
    return sha256_of(path) != written


def write_report(directory, force: bool = False, today: date | None = None) -> ReportRun:
    """Score the project in ``directory`` (as `zonekit score` does, refreshing 评分汇总表.xlsx) and write
    3-输出/自评报告（初稿）.docx from the result.

    Refuses, changing nothing, when the draft is open in Word/WPS or has been edited since zonekit wrote it
    (unless ``force``); an unedited draft is simply replaced.
    """
    from zonekit.scorecmd import run_score

    root = Path(directory)
    output = root / layout.OUTPUT_DIR
    target, record = output / layout.REPORT, output / layout.REPORT_RECORD
    with OutputSet(output, [layout.REPORT, layout.REPORT_RECORD]) as out:
        edited = draft_edited(target, record)
        if edited and not force:
            raise OutputError(
                f"{layout.REPORT} 在 zonekit 生成之后已被修改（{target}），为免覆盖创建办的修改，本次没有重新生成，"
                f"没有改动任何文件。如需两份都保留：先把它改名（如「自评报告（修改稿）.docx」）或移到别的文件夹，"
                f"再运行 zonekit report {directory}；如确定用新生成的初稿覆盖它，运行 zonekit report {directory} --force。")
        replaced = "覆盖（--force）" if edited else ("更新" if target.exists() else "新建")
        run = run_score(root, today=today)
        doc, placeholders = build_document(report_facts(run.summary, today))
        staged = out.path(layout.REPORT)
        doc.save(str(staged))
        out.write(layout.REPORT_RECORD, json.dumps(
            {"file": layout.REPORT, "sha256": sha256_of(staged), "written": datetime.now().isoformat(timespec="seconds"),
             "zonekit": __version__}, ensure_ascii=False, indent=1))
    return ReportRun(target, run, placeholders, replaced)
