"""`zonekit demo`: the whole path for a fictional county (示范县) — init from the sample unit list and
decomposition table, generate, returns filled in as units would (some late, one conflict, one bad value,
one duplicate), collect, score. Writes only inside the demo folder; replaces only a folder it made itself."""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction as F
from pathlib import Path

import openpyxl

from zonekit import layout
from zonekit.errors import ProjectError
from zonekit.files import OutputSet, atomic_path, write_atomic
from zonekit.scheme import DATA_ROOT

SAMPLES = DATA_ROOT / "samples" / "新绛县"
REGION, PROVINCE = "示范县", "山西省"
OFFICE = ("示范县创建网络市场监管与服务示范区工作领导小组办公室", "刘洋", "0359-7520000", "cjb@shifanxian.gov.example")

# The sample table (新绛县, seed 001) names 责任单位 only; the demo's office picks one lead unit per indicator,
# and two for indicator 3, whose figures the two leads will then report differently.
SUPERVISION = "县市场监管局"
LEADS = {"1": "县统计局", "2": "县统计局", "3": "县市场监管局、县行政审批局", "4": "县统计局", "5": "新绛县邮政分公司",
         "6": "县统计局", "7": "县人社局", "8": "县税务局", "9": SUPERVISION, "10": "县工信科技局", "12": "县发改局",
         "20": "县行政审批局", "22": "县工信科技局", "23": "县工信科技局", "26": "县12315申诉举报中心", "30": "县发改局",
         "31": "县发改局", "36": "县委宣传部", "39": "县财政局", "41": "县委宣传部"}

LATE = ("县人社局",)  # returned a day after the deadline
NEVER = ("新绛县邮政分公司", "县融媒体中心", "人行新绛支行")  # nothing returned yet
ZIPPED = SUPERVISION  # sent its workbook inside a zip
DUPLICATE = "县统计局"  # sent a first version, then a corrected one
CONFLICT = ("县行政审批局", ("market_entities", None), F(47650))  # reports 市场主体数量 unlike 县市场监管局
BAD_VALUE = ("县税务局", ("ecommerce_tax", None), "约1.86亿")  # text where a number of 万元 belongs

CLAIMS_NO = {"11.3", "15.2", "23.3", "39.2"}
JUDGED = {"10": F("1.5"), "16": F(3), "32": F(2), "35": F(2)}
VERIFIED = ("16", F(2), "执法办案流程文件已印发，在线取证规范仍在征求意见，核减1分")


def figures(years: list[int]) -> dict[tuple[str, int | None], F]:
    """The county's figures for the evaluation years (and the year before, for growth)."""
    y0, y1 = years[0] - 1, years[-1]
    out: dict[tuple[str, int | None], F] = {}
    for year, retail, social, express in zip(range(y0, y1 + 1), (152000, 178000, 205000),
                                             (650000, 690000, 730000), (2100, 2480, 2890)):
        out[("online_retail", year)] = F(retail)
        out[("social_retail", year)] = F(social)
        out[("express_volume", year)] = F(express)
    pct = {"identity_claim_rate": "100", "clue_check_ontime_rate": "97.5", "assigned_case_timely_rate": "95",
           "assigned_case_completion_rate": "93.5", "case_upheld_rate": "100", "case_win_rate": "100",
           "monitoring_check_timely_rate": "96", "monitoring_check_completion_rate": "94",
           "complaint_initial_ontime_rate": "98.2", "complaint_closed_ontime_rate": "97.1",
           "mediation_success_rate": "62.3", "consumer_satisfaction": "85.6", "odr_closed_ontime_rate": "96.4",
           "odr_settlement_rate": "61.2", "training_coverage_rate": "100"}
    out.update({(key, None): F(value) / 100 for key, value in pct.items()})
    out.update({(key, None): F(value) for key, value in {
        "online_traders": 6180, "market_entities": 48200, "traders_over_2_years": 3400, "online_employment": 11200,
        "total_employment": 215000, "ecommerce_tax": 18600, "total_tax": 352000, "platform_users": 46,
        "regulatory_staff": 82, "training_hours_per_person": 52, "institutional_outputs": 1}.items()})
    return out


NEW_LARGE_TRADERS = [("示范县云仓供应链有限公司", F(12500)), ("示范县好味道食品电商有限公司", F(8600))]


def national(years: list[int]) -> dict[tuple[str, int | None], F]:
    """全国数据 as the office would copy them from the published statistics (fictional figures)."""
    out = {}
    for year, retail, express, share in zip(years, ("4.0", "11.0"), ("2.1", "19.4"), ("27.2", "27.6")):
        out[("national_online_retail_growth", year)] = F(retail) / 100
        out[("national_express_growth", year)] = F(express) / 100
        out[("national_online_retail_share", year)] = F(share) / 100
    out.update({(key, None): F(value) / 100 for key, value in {
        "national_mediation_success_rate": "58.1", "national_consumer_satisfaction": "82.3",
        "national_odr_closed_ontime_rate": "95.0", "national_odr_settlement_rate": "63.5"}.items()})
    return out


# ---------------------------------------------------------------- the run


@dataclass
class DemoRun:
    root: Path
    steps: list[str] = field(default_factory=list)
    score: object = None  # zonekit.scorecmd.ScoreRun
    next: list[str] = field(default_factory=list)  # commands to try on the demo folder

    def render(self) -> str:
        tail = ["", "接下来可以试试：", *(f"  {line}" for line in self.next)] if self.next else []
        return "\n".join([*self.steps, "", self.score.render(), *tail])


def prepare(directory) -> Path:
    """An empty folder for the demo: refuses a non-empty folder that an earlier demo did not make."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{root} 是一个文件，请为演示换一个目录。")
    if root.exists() and any(root.iterdir()):
        if not (root / layout.DEMO_MARKER).is_file():
            raise ProjectError(f"目录 {root} 不是空目录，也不是 zonekit demo 创建的，为免覆盖其中的文件，演示未运行。"
                               f"请指定一个新目录，如 zonekit demo 示范县演示。")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    write_atomic(root / layout.DEMO_MARKER, "zonekit demo\n")
    return root


def _edit_workbench(root: Path, years: list[int]) -> None:
    """What the office types into 工作台.xlsx: its name, contact and mailbox, 全国数据, one verified score."""
    path = root / layout.PROJECT_WORKBOOK
    wb = openpyxl.load_workbook(path)
    info = wb[layout.SHEET_INFO]
    typed = dict(zip((layout.INFO_OFFICE, layout.INFO_CONTACT, layout.INFO_PHONE, layout.INFO_EMAIL), OFFICE))
    typed.update({layout.INFO_SENDER: OFFICE[3], layout.INFO_SENDER_NAME: f"{REGION}创建办"})
    for row in info.iter_rows(min_row=2):
        if row[0].value in typed:
            row[1].value = typed[row[0].value]
    values = national(years)
    sheet = wb[layout.SHEET_NATIONAL]
    for row in sheet.iter_rows(min_row=2):
        parsed = layout.parse_data_key(row[0].value or "")
        if parsed and (parsed[0], parsed[1]) in values:
            row[3].value = float(values[(parsed[0], parsed[1])])
    verify = wb[layout.SHEET_VERIFY]
    number, score, reason = VERIFIED
    for row in verify.iter_rows(min_row=2):
        if str(row[0].value) == number:
            row[3].value, row[4].value, row[5].value = float(score), reason, OFFICE[1]
            row[6].value = date.today().isoformat()
    with atomic_path(path) as tmp:
        wb.save(tmp)


def _saved(data: bytes, moment: datetime) -> bytes:
    """The workbook as if saved at ``moment`` (docProps/core.xml modified is what intake orders returns by)."""
    stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            dst.writestr(info.filename, content)
    return out.getvalue()


def _rows(ws) -> tuple[dict[str, int], dict[str, int]]:
    """(header → column, row key → row) of 指标填报 or 数据填报."""
    cols = {str(c.value): c.column for c in ws[layout.HEADER_ROW] if c.value}
    key_col = cols[layout.IND_KEY.header]
    rows = {str(ws.cell(r, key_col).value): r for r in range(layout.HEADER_ROW + 1, ws.max_row + 1)
            if ws.cell(r, key_col).value}
    return cols, rows


def fill_return(project, unit: str, blank: Path, *, first_version: bool = False) -> bytes:
    """The unit's workbook filled in as its clerk would: progress, 是/否, self-scores and the figures."""
    from zonekit.unitbook import data_rows, indicator_rows

    wb = openpyxl.load_workbook(blank)
    ws = wb[layout.SHEET_INDICATORS]
    cols, rows = _rows(ws)
    contact = next((f"{u.contact} {u.phone}".strip() for u in project.units if u.name == unit), "")
    for row in indicator_rows(project, unit):
        r = rows[row.key]
        put = lambda column, value: ws.cell(r, cols[column.header], value)  # noqa: E731
        if not row.is_item:
            put(layout.IND_PROGRESS, f"{unit}已按创建方案推进指标{row.number}相关工作，详见佐证材料。")
            put(layout.IND_CONTACT, contact)
        if row.claim is not None:
            yes = row.key not in CLAIMS_NO
            put(layout.IND_CLAIM, layout.YES if yes else layout.NO)
            if yes:
                put(layout.IND_EVIDENCE, "工作方案、会议纪要及现场照片")
            else:
                put(layout.IND_PROBLEMS, "尚未完成，计划下一阶段推进")
        if row.judged is not None:
            put(layout.IND_SELF, float(JUDGED.get(row.key, row.judged)))
            put(layout.IND_EVIDENCE, "工作总结及相关文件")
    if layout.SHEET_DATA in wb.sheetnames:
        ws = wb[layout.SHEET_DATA]
        cols, rows = _rows(ws)
        values = figures(project.years)
        for row in data_rows(project, unit):
            r = rows[row.key]
            put = lambda column, value: ws.cell(r, cols[column.header], value)  # noqa: E731
            if row.entry is not None:
                if row.entry <= len(NEW_LARGE_TRADERS) and not first_version:
                    name, amount = NEW_LARGE_TRADERS[row.entry - 1]
                    put(layout.DATA_NAME, name)
                    put(layout.DATA_VALUE, float(amount))
                continue
            ident = (row.item.key, row.year)
            value = values.get(ident)
            if (unit, ident) == (CONFLICT[0], CONFLICT[1]):
                value = CONFLICT[2]
            if (unit, ident) == (BAD_VALUE[0], BAD_VALUE[1]):
                put(layout.DATA_VALUE, BAD_VALUE[2])
            elif value is not None:
                put(layout.DATA_VALUE, float(value))
                put(layout.DATA_SOURCE, "县统计年报" if row.year else "部门业务台账")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _deliver(project, books, deadline: date) -> list[str]:
    """Put the filled returns in 2-回收 as they would arrive; returns what happened, in words."""
    on_time = datetime.combine(deadline - timedelta(days=5), time(10)).astimezone()
    late = datetime.combine(deadline + timedelta(days=1), time(16)).astimezone()
    folder = project.returned
    with OutputSet(folder) as out:  # the returns arrive together, or (Ctrl-C) none does
        for book in books:
            if book.unit in NEVER:
                continue
            when = late if book.unit in LATE else on_time
            data = _saved(fill_return(project, book.unit, book.path), when)
            if book.unit == ZIPPED:
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                    zf.writestr(book.path.name, data)
                out.write(f"{book.unit}报送材料.zip", buffer.getvalue())
                continue
            if book.unit == DUPLICATE:
                first = _saved(fill_return(project, book.unit, book.path, first_version=True),
                               on_time - timedelta(days=2))
                out.write(f"{book.path.stem}（初稿）.xlsx", first)
            out.write(book.path.name, data)
    return [f"模拟回收：{len(books) - len(NEVER)}个单位交回（{ZIPPED}用压缩包报送；{DUPLICATE}先交初稿后交修改稿；"
            f"{'、'.join(LATE)}逾期一天才交；{CONFLICT[0]}与{SUPERVISION}填报的市场主体数量不一致；"
            f"{BAD_VALUE[0]}在数值栏填了「{BAD_VALUE[2]}」），{'、'.join(NEVER)}尚未交回。"]


def run_demo(directory) -> DemoRun:
    """Build the demo project in ``directory`` and score it; see the module docstring for the story."""
    from zonekit.collect import collect
    from zonekit.generate import generate
    from zonekit.plan import import_plan_file
    from zonekit.project import Assignment
    from zonekit.scorecmd import run_score
    from zonekit.workbench import create_project, load_project, read_units_file, write_assignments

    root = prepare(directory)
    run = DemoRun(root)
    units, report = read_units_file(SAMPLES / "单位名单.xlsx")
    if not report.valid:
        raise ProjectError("示例单位名单有误：\n" + report.render())
    deadline = date.today() - timedelta(days=3)
    project = create_project(root, "2022", REGION, PROVINCE, deadline=deadline, units=units)
    run.steps.append(f"建立项目：{root}（{REGION}，{project.scheme.title}，评估年度"
                     f"{'、'.join(map(str, project.years))}，{len(units)}个单位，截止日期{deadline.isoformat()}）")
    imported = import_plan_file(root, SAMPLES / "分解表.xlsx")
    if not imported.written:
        raise ProjectError("示例分解表未能导入：\n" + imported.report.render())
    leads = [Assignment(number, leads=names.split(layout.LIST_SEPARATOR)) for number, names in LEADS.items()]
    leads += [Assignment(i.number, leads=[SUPERVISION]) for i in project.scheme.indicators if i.number not in LEADS]
    write_assignments(root, leads, fields=("leads",))
    _edit_workbench(root, project.years)
    run.steps.append(f"导入任务分解：{len(imported.assignments)}项指标（示例分解表只列责任单位，牵头单位由演示补上）；"
                     f"填写全国数据和一条评分核定")
    project = load_project(root)
    generated = generate(project)
    run.steps.append(f"生成填报表：{len(generated.books)}份，在 {generated.out_dir}")
    run.steps += _deliver(project, generated.books, deadline)
    collected = collect(project)
    counts = "，".join(f"{k}{v}个" for k, v in collected.counts().items() if v)
    run.steps.append(f"回收（zonekit collect）：{len(collected.returns)}个文件（{counts}），"
                     f"回收登记在 {collected.intake_log}")
    run.score = run_score(root, unit_reports=True)
    run.next = next_steps(root, collected)
    return run


def next_steps(root: Path, collected) -> list[str]:
    """The commands a clerk would try next on the demo folder; each of them works there."""
    clean = next((r for r in collected.returns if r.status == layout.STATUS_ADOPTED and not r.errors
                  and r.file.endswith(".xlsx")), None)
    # run through dev.py, `zonekit` is not on PATH: dev.py says how it was called
    zonekit = os.environ.get("ZONEKIT_COMMAND") or "zonekit"
    steps = [f"{zonekit} mail {root} --drafts      # 给各单位的邮件草稿（附填报表）",
             f"{zonekit} status {root}             # 各单位 已报/未报/逾期/退回",
             f"{zonekit} remind {root} --drafts    # 只催未报、逾期、被退回的单位",
             f"{zonekit} score {root}              # 重新评分（改了工作台的评分核定后）"]
    if clean is not None:
        steps.append(f"{zonekit} check {root / clean.file} --project {root}   # 检查一份交回的表")
    return steps
