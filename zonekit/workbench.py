"""The project workbook (工作台.xlsx): create it for a new project, read it back into a Project, and rewrite the
任务分解 unit columns after import-plan.

Reading tolerates what clerks do (moved rows and columns, blank rows, extra columns, stray and full-width
spaces). Writing never leaves a half-written file and keeps a backup of the clerk's previous workbook.
"""

from __future__ import annotations

import io
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import openpyxl
import xlsxwriter
from openpyxl.utils import get_column_letter

from zonekit import layout
from zonekit.errors import ProjectError, SchemeError
from zonekit.exact import NotANumber, from_float, to_decimal, to_fraction
from zonekit.files import atomic_path
from zonekit.pages import setup_print
from zonekit.issues import ERROR, WARNING, Issue, Report, define, issue
from zonekit.layout import Column, header_names, normalize_header, normalize_text
from zonekit.project import Assignment, MailSettings, Phase, Project, Target, Unit, Verification
from zonekit.regions import region_class as province_class
from zonekit.rules import RuleSpecError, parse_op
from zonekit.scheme import SCHEMES_DIR, Scheme, available_schemes, load_scheme
from zonekit.unitnames import JOIN, UnitIndex, build_index, key, resolve, split_list

P_NO_WORKBOOK = define("P000", ERROR, "找不到或打不开工作台：{reason}。请确认目录是用 zonekit init 创建的项目目录。")
P_UNITS_FILE = define("P023", ERROR, "单位名单文件无法作为 .xlsx 打开（{reason}）。"
                                    "请在 Excel 或 WPS 中另存为 .xlsx，表头为 单位名称、别名、所属群组、联系人、电话、邮箱。")
P_SHEET = define("P001", ERROR, "工作台缺少工作表「{sheet}」。请恢复该工作表，或把改过名的工作表改回「{sheet}」。")
P_SHEET_OPTIONAL = define("P002", WARNING, "工作台缺少工作表「{sheet}」，按空表处理；需要时请恢复该工作表。")
P_HEADER = define("P003", ERROR, "工作表「{sheet}」找不到列「{header}」{aliases}。请在表头行恢复该列（列的顺序可以调整）。")
P_INFO_ROW = define("P004", ERROR, "基本信息缺少「{label}」一行。请在「项目」列补上「{label}」，并在「内容」列填写。")
P_INFO_EMPTY = define("P005", ERROR, "请在 {sheet}!{cell} 填写{label}。")
P_CLASS = define("P006", ERROR, "地区类别「{value}」不在{scheme}指标体系的地区类别（{classes}）中，请从下拉列表选择。")
P_SCHEME = define("P007", ERROR, "指标体系「{value}」无法使用：{reason}")
P_YEARS = define("P008", ERROR, "评估年度「{value}」无法识别，请写成 2024,2025 这样的四位年份。")
P_YEAR_COUNT = define("P009", WARNING, "评估年度写了{count}年，但{scheme}指标体系按近{expected}年评估，请核对。")
P_DATE = define("P010", ERROR, "「{value}」不是日期，请写成 2026-03-31 的形式。")
P_NUMBER = define("P011", ERROR, "「{value}」不是可用的数字{hint}。请填写数字，百分比写成 15% 的形式。")
P_DUP_UNIT = define("P012", ERROR, "单位「{name}」在单位名单中出现了两次（第{first}行和第{again}行），请合并为一行。")
P_CLASH = define("P013", ERROR, "「{name}」既是{one}，又是{other}，无法区分。请在单位名单中改掉其中一处。")
P_UNKNOWN_UNIT = define("P014", ERROR, "编号{number}的{column}中「{name}」不在单位名单中{closest}。"
                                       "请改为单位名单中的名称，或把它加入单位名单（可以作为别名或群组）。")
P_NO_UNIT = define("P015", WARNING, "指标{number}「{name}」既没有牵头单位也没有责任单位，生成填报表时不会发给任何单位。"
                                    "请在 任务分解 中填写。")
P_NOT_IN_SCHEME = define("P016", WARNING, "编号「{value}」不在{scheme}指标体系中，该行已忽略。请核对编号。")
P_DUP_NUMBER = define("P017", ERROR, "编号{number}出现了两次（第{first}行和第{again}行），请只保留一行。")
P_MISSING_INDICATOR = define("P018", WARNING, "指标{number}「{name}」不在任务分解中，请补上一行并填写单位。")
P_CHOICE = define("P019", WARNING, "「{value}」不是可选值（{choices}），{action}。请从下拉列表选择。")
P_JOINED = define("P020", WARNING, "编号{number}的{column}：{what}。请在 任务分解 中改为单位名单中的写法。")
P_DATA_KEY = define("P021", WARNING, "数据项键「{value}」不是{scheme}指标体系的{what}，该行已忽略。请不要修改数据项键列。")
P_NO_UNITS_AT_ALL = define("P022", WARNING, "任务分解还没有填写任何单位。请在 任务分解 中填写牵头单位和责任单位，"
                                             "或运行 zonekit import-plan 导入已有的任务分解表。")
P_TARGET_ITEM = define("P060", WARNING, "数据项「{value}」不是{scheme}指标体系中的数据项，该行已忽略。"
                                      "请从下拉列表选择数据项（目标是指标得分时留空）。")
P_EXISTS = "{path} 已有工作台，zonekit init 不会覆盖它。请换一个新目录，或先把现有的 工作台.xlsx 改名备份。"

OPTIONAL_SHEETS = (layout.SHEET_TARGETS, layout.SHEET_VERIFY, layout.SHEET_MAIL)
SHEET_COLUMNS = {layout.SHEET_INFO: layout.INFO_COLUMNS, layout.SHEET_PHASES: layout.PHASE_COLUMNS,
                 layout.SHEET_UNITS: layout.UNIT_COLUMNS, layout.SHEET_TASKS: layout.TASK_COLUMNS,
                 layout.SHEET_NATIONAL: layout.NATIONAL_COLUMNS, layout.SHEET_TARGETS: layout.TARGET_COLUMNS,
                 layout.SHEET_VERIFY: layout.VERIFY_COLUMNS, layout.SHEET_MAIL: layout.MAIL_COLUMNS}
SECURITY_CHOICES = ("SSL", "STARTTLS", "无")
COMPARE_CHOICES = ("≥", ">", "≤", "<")
DEFAULT_PHASES = ("启动阶段", "创建阶段", "验收阶段")  # seed 003 (东营区): 启动、创建、验收三个阶段
UNIT_ROWS = 300  # rows of 单位名单 offered to the 牵头单位 dropdown
DEFAULT_MAIL = {
    "下发": ("【{地区}示范区创建】请{单位}于{截止日期}前填报评估指标材料",
           "{单位}：\n\n按照{地区}创建全国网络市场监管与服务示范区的工作安排，现将贵单位负责的{指标数}项评估指标填报表"
           "发给你们（附件：{附件}）。\n请在表中浅黄色单元格内填写，不要改动表格结构和工作表名称，保存后于{截止日期}前"
           "以附件形式回复本邮件。\n\n如有疑问，请联系{联系人}，电话 {联系电话}，邮箱 {联系邮箱}。\n\n{地区}示范区创建办"),
    "催报": ("【催报】{单位}的示范区创建指标填报表尚未收到（{期限说明}）",
           "{单位}：\n\n贵单位的示范区创建评估指标填报表（{指标数}项指标）尚未收到，{期限说明}。"
           "请尽快填写并以附件形式回复本邮件；如已报送，请忽略本提醒。\n\n联系人：{联系人}，电话 {联系电话}。\n\n{地区}示范区创建办"),
    "退回": ("【退回修改】{单位}报送的示范区创建指标填报表需补充修改",
           "{单位}：\n\n贵单位报送的填报表经核对有以下问题：\n{问题清单}\n\n{附件说明}\n请尽快回复（{期限说明}）。"
           "\n\n联系人：{联系人}，电话 {联系电话}，邮箱 {联系邮箱}。\n\n{地区}示范区创建办"),
}
# Bodies earlier versions wrote into new projects' 邮件模板, which now say something untrue (白色单元格; "edit the
# original" while the refilled workbook is attached): read as today's default, so a clerk who never edited them
# gets the current wording. A body the clerk changed is kept as written.
FORMER_MAIL_BODIES = {
    "下发": ("{单位}：\n\n按照{地区}创建全国网络市场监管与服务示范区的工作安排，现将贵单位负责的{指标数}项评估指标填报表"
           "发给你们（附件：{附件}）。\n请在表中白色单元格内填写，不要改动表格结构和工作表名称，保存后于{截止日期}前"
           "以附件形式回复本邮件。\n\n如有疑问，请联系{联系人}，电话 {联系电话}，邮箱 {联系邮箱}。\n\n{地区}示范区创建办",),
    "退回": ("{单位}：\n\n贵单位报送的填报表经核对有以下问题：\n{问题清单}\n\n请在原表上修改后于{截止日期}前重新回复本邮件。"
           "\n\n联系人：{联系人}，电话 {联系电话}，邮箱 {联系邮箱}。\n\n{地区}示范区创建办",
           "{单位}：\n\n贵单位报送的填报表经核对有以下问题：\n{问题清单}\n\n{附件说明}\n请于{截止日期}前回复。"
           "\n\n联系人：{联系人}，电话 {联系电话}，邮箱 {联系邮箱}。\n\n{地区}示范区创建办"),
    # quoted the deadline as if it were still ahead after it had passed
    "催报": ("{单位}：\n\n贵单位的示范区创建评估指标填报表（{指标数}项指标）尚未收到，截止日期为{截止日期}。"
           "请尽快填写并以附件形式回复本邮件；如已报送，请忽略本提醒。\n\n联系人：{联系人}，电话 {联系电话}。\n\n{地区}示范区创建办",),
}
FORMER_MAIL_SUBJECTS = {"催报": ("【催报】{单位}的示范区创建指标填报表尚未收到（截止{截止日期}）",)}
INFO_HINTS = {
    layout.INFO_PROJECT_ID: "自动生成，请勿修改：回收时用它识别本项目的填报表",
    layout.INFO_REGION: "如：新绛县",
    layout.INFO_PROVINCE: "如：山西省",
    layout.INFO_CLASS: "按省份推定，可从下拉列表改选；决定“规模以上”等门槛",
    layout.INFO_SCHEME: "下发填报表后请勿再改",
    layout.INFO_YEARS: "用逗号分隔的年份，如 2024,2025",
    layout.INFO_DEADLINE: "如 2026-03-31，写入填报说明和邮件",
    layout.INFO_ROUND: "第1轮；新一轮由 zonekit round start 改为 第2轮 等，请勿手改",
    layout.INFO_OFFICE: "填报说明和邮件落款中显示",
    layout.INFO_SMTP_HOST: "如 smtp.qq.com、smtp.163.com 或本单位政务邮箱的 SMTP 服务器",
    layout.INFO_SMTP_PORT: "SSL 常用 465，STARTTLS 常用 587",
    layout.INFO_SMTP_SECURITY: "SSL / STARTTLS / 无",
    layout.INFO_SMTP_USER: "邮箱密码不保存在工作台中，发送时再输入",
    layout.INFO_MAIL_PAUSE: "两封邮件之间等待的秒数",
    layout.INFO_SMTP_TIMEOUT: "等待邮件服务器答复的秒数；超时未答复的邮件记为“状态不明”，不会自动重发",
}


# ------------------------------------------------------------------ small readers shared with import-plan

def cell_text(value) -> str:
    """A cell as text a clerk would read: 3.0 -> '3', dates as 2026-03-31, text trimmed but otherwise as typed
    (names and keys are folded where they are compared, so Chinese punctuation in free text survives)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return layout.YES if value else layout.NO
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(to_decimal(from_float(value)))
    return str(value).strip()


def number_text(value) -> str:
    """An indicator number as the scheme writes it: '3', '11.2' (trailing 、 or . dropped)."""
    text = normalize_text(cell_text(value)).rstrip("、.")
    return str(int(text)) if text.isdigit() else text


def find_header(rows: list[list], columns, scan: int = 15) -> tuple[int | None, dict[str, int]]:
    """The row (0-based, among the first ``scan``) matching most of ``columns``, and header -> column index."""
    best, best_cols = None, {}
    for r, values in enumerate(rows[:scan]):
        names = [normalize_header(value) for value in values]  # each cell once, not once per column
        cols = {}
        for col in columns:
            wanted = header_names(col)
            c = next((c for c, name in enumerate(names) if name and name in wanted), None)
            if c is not None:
                cols[col.header] = c
        if len(cols) > len(best_cols):
            best, best_cols = r, cols
    return best, best_cols


def parse_years(text) -> list[int]:
    """'2024,2025' / '2024、2025年' / 2024 / '2023-2024' -> years; ValueError when unreadable."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = cell_text(text)
    parts = [p for p in re.split(r"[,;、\s]+", normalize_text(text).replace("年", "")) if p]
    years = []
    for part in parts:
        m = re.fullmatch(r"(\d{4})(?:[-—~至](\d{4}))?", part)
        if not m:
            raise ValueError(part)
        first, last = int(m[1]), int(m[2] or m[1])
        if last < first:
            raise ValueError(part)
        years.extend(range(first, last + 1))
    if not years:
        raise ValueError(text)
    return sorted(set(years))


def parse_date(value) -> date | None:
    """A date cell or '2026-03-31' / '2026/3/31' / '2026年3月31日'; None when empty; ValueError when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", normalize_text(value))
    if not m:
        raise ValueError(value)
    return date(int(m[1]), int(m[2]), int(m[3]))


def default_years(scheme: Scheme, today: date | None = None) -> list[int]:
    """The scheme's evaluation years ending last year: 2024, 2025 for the 2022 scheme in 2026."""
    last = (today or date.today()).year - 1
    return list(range(last - scheme.evaluation_years + 1, last + 1))


def choose_class(scheme: Scheme, province: str, given: str | None = None) -> str:
    """The regional class: ``given`` when set (it must be one of the scheme's), else derived from the province."""
    classes = "/".join(scheme.region_classes)
    if given:
        given = normalize_header(given)
        if given not in scheme.region_classes:
            raise ProjectError(f"地区类别「{given}」不在{scheme.name}指标体系的地区类别（{classes}）中。")
        return given
    derived = province_class(province)
    if derived not in scheme.region_classes:
        raise ProjectError(f"{province}属于{derived}地区，但{scheme.name}指标体系只有{classes}地区类别。"
                           f"请用 --class 指定按哪一类计算，例如 --class {scheme.region_classes[0]}。")
    return derived


# ------------------------------------------------------------------ create

def create_project(dir, scheme_name: str, region: str, province: str, years: list[int] | None = None,
                   region_class: str | None = None, deadline: date | None = None,
                   units: list[Unit] | None = None) -> Project:
    """Write a new project folder: 工作台.xlsx and the outgoing/returned/output folders. Refuses to overwrite."""
    root = Path(dir)
    target = root / layout.PROJECT_WORKBOOK
    if target.exists():
        raise ProjectError(P_EXISTS.format(path=root))
    scheme = load_scheme(scheme_name)
    cls = choose_class(scheme, province, region_class)
    years = sorted(years) if years else default_years(scheme)
    scheme_ref = _keep_scheme_file(root, scheme)
    info = {layout.INFO_PROJECT_ID: uuid.uuid4().hex, layout.INFO_REGION: region, layout.INFO_PROVINCE: province,
            layout.INFO_CLASS: cls, layout.INFO_SCHEME: scheme_ref, layout.INFO_YEARS: ",".join(map(str, years)),
            layout.INFO_DEADLINE: deadline, layout.INFO_ROUND: "第1轮", layout.INFO_SMTP_SECURITY: "SSL",
            layout.INFO_MAIL_PAUSE: 1, layout.INFO_SMTP_TIMEOUT: 60}
    with atomic_path(target) as tmp:
        _write_workbook(tmp, scheme, info, years, units or [])
    for folder in (layout.OUTGOING_DIR, layout.RETURNED_DIR, layout.OUTPUT_DIR):
        (root / folder).mkdir(exist_ok=True)
    return load_project(root)


def _keep_scheme_file(root: Path, scheme: Scheme) -> str:
    """What 基本信息 names the scheme by: a shipped scheme by its name; a scheme file of the office's own
    (e.g. written by `zonekit scheme import`) is copied into the project folder and named by its file name, so
    the project keeps scoring against the table it was set up with wherever the folder goes."""
    source = scheme.path
    if source is None or source.resolve().parent == SCHEMES_DIR.resolve():
        return scheme.name
    target = root / source.name
    if target.exists() and target.read_bytes() != source.read_bytes():
        raise ProjectError(f"项目目录中已有 {target.name}，与 --scheme 给出的 {source} 内容不同。请换一个项目目录，"
                           "或先把项目目录中的这个文件改名。")
    root.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(source, target)
    return target.name


def _number(value: Fraction):
    return int(value) if value.denominator == 1 else float(to_decimal(value))


def _key_cell(number: str):
    """Indicator numbers as numbers, so that Excel sorts 2 before 10."""
    return int(number) if number.isdigit() else number


def _write_workbook(path: Path, scheme: Scheme, info: dict, years: list[int], units: list[Unit]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    base = {"font_name": "宋体", "font_size": 11, "valign": "top", "text_wrap": True, "border": 1}
    fmt = {"body": wb.add_format(base),
           "head": wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "valign": "vcenter"}),
           "date": wb.add_format({**base, "num_format": "yyyy-mm-dd"}),
           "pct": wb.add_format({**base, "num_format": "0.00%"})}
    dated = {layout.INFO_DEADLINE}

    info_rows = [(label, info.get(label), INFO_HINTS.get(label, "")) for label in layout.INFO_ROWS]
    ws = _sheet(wb, fmt, layout.SHEET_INFO, layout.INFO_COLUMNS, info_rows,
                {(r, _col(layout.INFO_COLUMNS, "内容")): fmt["date"] for r, (label, *_rest) in enumerate(info_rows, 1)
                 if label in dated})
    row_of = {label: r for r, label in enumerate(layout.INFO_ROWS, 1)}
    content = _col(layout.INFO_COLUMNS, "内容")
    _choices(ws, row_of[layout.INFO_CLASS], content, scheme.region_classes, "地区类别")
    shipped = [p.stem for p in available_schemes()]
    own = [info[layout.INFO_SCHEME]] if info[layout.INFO_SCHEME] not in shipped else []
    _choices(ws, row_of[layout.INFO_SCHEME], content, shipped + own, "指标体系")
    _choices(ws, row_of[layout.INFO_SMTP_SECURITY], content, SECURITY_CHOICES, "加密方式")

    start, end = _col(layout.PHASE_COLUMNS, "开始日期"), _col(layout.PHASE_COLUMNS, "结束日期")
    ws = _sheet(wb, fmt, layout.SHEET_PHASES, layout.PHASE_COLUMNS, [(p, None, None, "") for p in DEFAULT_PHASES],
                {(r, c): fmt["date"] for r in range(1, 40) for c in (start, end)})
    ws.data_validation(1, start, 39, end, {"validate": "date", "criteria": ">", "value": date(2000, 1, 1),
                                     "input_title": "日期", "input_message": "如 2026-03-31"})

    _sheet(wb, fmt, layout.SHEET_UNITS, layout.UNIT_COLUMNS,
           [(u.name, layout.LIST_SEPARATOR.join(u.aliases), layout.LIST_SEPARATOR.join(u.groups), u.contact, u.phone,
             "; ".join(u.emails))
            for u in units])

    tasks = [(_key_cell(i.number), i.level1, i.level2 or "", i.name, _number(i.points), "", "", "", "")
             for i in scheme.indicators]
    ws = _sheet(wb, fmt, layout.SHEET_TASKS, layout.TASK_COLUMNS, tasks)
    lead = _col(layout.TASK_COLUMNS, "牵头单位")
    ws.data_validation(1, lead, len(tasks) + 50, lead, {
        "validate": "list", "source": _range(layout.SHEET_UNITS, layout.UNIT_COLUMNS, "单位名称", UNIT_ROWS), "error_type": "information",
        "show_error": False, "input_title": "牵头单位", "input_message": "可从单位名单选择；多个单位用顿号（、）分隔"})

    national = []
    for item in scheme.data_items.values():
        if item.source == "national":
            for year in (years if item.per_year else [None]):
                national.append((layout.data_key(item.key, year), item.label, year, None, item.unit,
                                 item.note or "请注明发布机构及文件或网址"))
    ws = _sheet(wb, fmt, layout.SHEET_NATIONAL, layout.NATIONAL_COLUMNS, national,
                {(r, _col(layout.NATIONAL_COLUMNS, "数值")): fmt["pct"] for r, row in enumerate(national, 1)
                 if row[4] == "%"})
    # the clerk reads 数据项 and 年度; the row's key (national_online_retail_growth@2024) is for the reader only
    key = _col(layout.NATIONAL_COLUMNS, "数据项键")
    ws.set_column(key, key, layout.NATIONAL_COLUMNS[key].width, None, {"hidden": True})

    _write_targets(wb, fmt, scheme, years, len(tasks))

    verify = [(_key_cell(i.number), i.name, _number(i.points), None, "", "", None) for i in scheme.indicators]
    ws = _sheet(wb, fmt, layout.SHEET_VERIFY, layout.VERIFY_COLUMNS, verify,
                {(r, _col(layout.VERIFY_COLUMNS, "核定日期")): fmt["date"] for r in range(1, len(verify) + 1)})
    score, points = _col(layout.VERIFY_COLUMNS, "核定得分"), _col(layout.VERIFY_COLUMNS, "分值")
    ws.data_validation(1, score, len(verify), score, {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": f"=${get_column_letter(points + 1)}2",
        "error_message": "核定得分应在0到该指标分值之间"})

    ws = _sheet(wb, fmt, layout.SHEET_MAIL, layout.MAIL_COLUMNS, [(p, *DEFAULT_MAIL[p]) for p in layout.MAIL_PURPOSES])
    _choices(ws, (1, 20), _col(layout.MAIL_COLUMNS, "用途"), layout.MAIL_PURPOSES, "用途")
    wb.close()


def _write_targets(wb, fmt, scheme: Scheme, years: list[int], tasks: int, rows: int = 200) -> None:
    """目标: the office picks an indicator number and a data item by its label (or none: the indicator's score)."""
    columns = layout.for_scheme(layout.TARGET_COLUMNS, scheme.indicator_label)
    ws = _sheet(wb, fmt, layout.SHEET_TARGETS, columns, [])
    _choices(ws, (1, rows), _col(layout.TARGET_COLUMNS, "比较"), COMPARE_CHOICES, "比较")
    number = _col(layout.TARGET_COLUMNS, "编号")
    ws.data_validation(1, number, rows, number, {
        "validate": "list", "source": _range(layout.SHEET_TASKS, layout.TASK_COLUMNS, "编号", tasks),
        "input_title": "编号", "input_message": "从下拉列表选择指标编号"})
    # the dropdown's labels sit in a hidden column of the same sheet, out of the table's way
    labels = [item.label for item in scheme.data_items.values() if item.source == "region"]
    spare = len(layout.TARGET_COLUMNS) + 12
    ws.set_column(spare, spare, 40, None, {"hidden": True})
    for r, label in enumerate(labels, start=1):
        ws.write_string(r, spare, label)
    letter = get_column_letter(spare + 1)
    item = _col(layout.TARGET_COLUMNS, "数据项")
    ws.data_validation(1, item, rows, item, {
        "validate": "list", "source": f"=${letter}$2:${letter}${max(len(labels), 1) + 1}",
        "input_title": "数据项", "input_message": "从下拉列表选择该指标要达到目标的数据项；目标是指标得分时留空"})
    if years:
        _choices(ws, (1, rows), _col(layout.TARGET_COLUMNS, "年度"), [str(y) for y in years], "年度")


def _sheet(wb, fmt, name: str, columns: tuple[Column, ...], rows, formats: dict | None = None):
    ws = wb.add_worksheet(name)
    for c, col in enumerate(columns):
        ws.set_column(c, c, col.width)
        ws.write_string(0, c, col.header, fmt["head"])
    for r, values in enumerate(rows, 1):
        for c, value in enumerate(values):
            style = (formats or {}).get((r, c), fmt["body"])
            if value is None or value == "":
                ws.write_blank(r, c, None, style)
            elif isinstance(value, str):
                ws.write_string(r, c, value, style)
            else:
                ws.write(r, c, value, style)
    ws.freeze_panes(1, 0)
    setup_print(ws, 0)
    return ws


def _col(columns: tuple[Column, ...], header: str) -> int:
    return [c.header for c in columns].index(header)


def _range(sheet: str, columns: tuple[Column, ...], header: str, rows: int) -> str:
    """='单位名单'!$A$2:$A$301 — a column's data cells, as a dropdown source."""
    letter = get_column_letter(_col(columns, header) + 1)
    return f"='{sheet}'!${letter}$2:${letter}${rows + 1}"


def _choices(ws, rows: int | tuple[int, int], col: int, values, title: str) -> None:
    first, last = rows if isinstance(rows, tuple) else (rows, rows)
    ws.data_validation(first, col, last, col, {"validate": "list", "source": list(values), "input_title": title,
                                               "input_message": "请从下拉列表选择"})


# ------------------------------------------------------------------ read

@dataclass
class Table:
    """One sheet's data rows, columns found by header text; row numbers are the ones Excel shows."""

    file: str
    sheet: str
    cols: dict[str, int]
    rows: list[tuple[int, tuple]]  # (excel row, openpyxl cells), blank rows left out

    def cell(self, cells, header: str):
        c = self.cols.get(header)
        return cells[c] if c is not None and c < len(cells) else None

    def value(self, cells, header: str):
        cell = self.cell(cells, header)
        return None if cell is None else cell.value

    def text(self, cells, header: str) -> str:
        return cell_text(self.value(cells, header))

    def ref(self, row: int, header: str) -> str:
        return f"{get_column_letter(self.cols.get(header, 0) + 1)}{row}"

    def issue(self, code: str, row: int, header: str, value=None, **params) -> Issue:
        """An issue at a cell of this table; the template's {value} is the cell as the clerk sees it."""
        return issue(code, file=self.file, sheet=self.sheet, cell=self.ref(row, header), value=cell_text(value),
                     **params)


def read_table(ws, columns: tuple[Column, ...], file: str, report: Report) -> Table | None:
    """The sheet as a Table; a missing required header is an error naming the sheet, the header and its aliases."""
    grid = [tuple(row) for row in ws.iter_rows()]
    header, cols = find_header([[c.value for c in row] for row in grid], columns)
    missing = [col for col in columns if col.required and col.header not in cols]
    for col in missing:
        aliases = f"（也可写作：{'、'.join(a.replace(chr(10), '') for a in col.aliases)}）" if col.aliases else ""
        report.add(issue(P_HEADER, file=file, sheet=ws.title, header=col.header, aliases=aliases))
    if missing:
        return None
    rows = [(cells[0].row, cells) for cells in grid[header + 1:] if any(cell_text(c.value) for c in cells)]
    return Table(file, ws.title, cols, rows)


def _find_sheet(wb, name: str):
    for ws in wb.worksheets:
        if normalize_header(ws.title) == normalize_header(name):
            return ws
    return None


def read_project(dir, remember: bool = False) -> tuple[Project | None, Report]:
    """The project and every problem found. The project is None when a sheet or header is missing or the scheme
    cannot be loaded; otherwise it holds what could be read, and the report says what could not.

    ``remember``: take the project from the project's .zonekit folder instead of opening the workbook while its
    bytes (and the scheme file, and zonekit) are what it was read from, and else read it and have it kept there
    once the command succeeds (zonekit.projectcache.keep)."""
    root = Path(dir)
    path, file, report = root / layout.PROJECT_WORKBOOK, layout.PROJECT_WORKBOOK, Report()
    try:
        data = path.read_bytes()  # parsed from these very bytes, so what is remembered is what they hold
        if remember:
            from zonekit import projectcache

            known = projectcache.recall(root, data)
            if known is not None:
                return known
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except FileNotFoundError:
        report.add(issue(P_NO_WORKBOOK, file=str(root), reason=f"{root} 中没有 {layout.PROJECT_WORKBOOK}"))
        return None, report
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        report.add(issue(P_NO_WORKBOOK, file=str(path), reason=f"文件无法作为 .xlsx 打开（{type(exc).__name__}）"))
        return None, report
    tables: dict[str, Table | None] = {}
    for name, columns in SHEET_COLUMNS.items():
        ws = _find_sheet(wb, name)
        if ws is None:
            report.add(issue(P_SHEET_OPTIONAL if name in OPTIONAL_SHEETS else P_SHEET, file=file, sheet=name))
            tables[name] = None
        else:
            tables[name] = read_table(ws, columns, file, report)
    if report.errors:
        return None, report
    info = _read_info(tables[layout.SHEET_INFO], report, root)
    if info is None:
        return None, report
    scheme, fields = info
    units, index = _read_units(tables[layout.SHEET_UNITS], report)
    project = Project(root=root, scheme=scheme, units=units, **fields)
    project.phases = _read_phases(tables[layout.SHEET_PHASES], report)
    project.assignments = _read_tasks(tables[layout.SHEET_TASKS], scheme, index, report)
    project.national, project.national_sources = _read_national(tables[layout.SHEET_NATIONAL], project, report)
    project.targets = _read_targets(tables[layout.SHEET_TARGETS], scheme, report)
    project.verifications = _read_verifications(tables[layout.SHEET_VERIFY], scheme, report)
    project.mail_templates = _read_mail(tables[layout.SHEET_MAIL], report)
    if remember:
        from zonekit import projectcache

        projectcache.note(project, data, report)  # kept when the command that read it succeeds
    return project, report


def load_project(dir, remember: bool = False) -> Project:
    """The project, or ProjectError listing every blocking problem of the project workbook (``remember``: see
    read_project)."""
    project, report = read_project(dir, remember)
    if project is None or report.errors:
        raise ProjectError(f"{Path(dir) / layout.PROJECT_WORKBOOK} 有{len(report.errors)}个错误，请修正后再运行：\n"
                           + Report(report.errors).render())
    return project


def _read_info(table: Table, report: Report, root: Path) -> tuple[Scheme, dict] | None:
    """基本信息 rows by their label; returns the scheme and the Project fields it fills."""
    found = {}
    for row, cells in table.rows:
        label = normalize_header(table.value(cells, "项目"))
        found.setdefault(label, (row, table.value(cells, "内容")))

    def get(label: str, required: bool = False):
        if label not in found:
            if required:
                report.add(issue(P_INFO_ROW, file=table.file, sheet=table.sheet, label=label))
            return None, 0
        row, value = found[label]
        if required and not cell_text(value):
            report.add(table.issue(P_INFO_EMPTY, row, "内容", label=label))
            return None, row
        return value, row

    def text(label: str, required: bool = False) -> str:
        return normalize_text(cell_text(get(label, required)[0]))

    fields = {"project_id": text(layout.INFO_PROJECT_ID, True), "region": text(layout.INFO_REGION, True),
              "province": text(layout.INFO_PROVINCE), "round": text(layout.INFO_ROUND) or "第1轮",
              "office": text(layout.INFO_OFFICE), "contact": text(layout.INFO_CONTACT),
              "phone": text(layout.INFO_PHONE), "email": text(layout.INFO_EMAIL)}
    name, row = get(layout.INFO_SCHEME, True)
    scheme = None
    if name is not None:
        try:
            named = cell_text(name)
            own = Path(named).suffix.lower() in (".yaml", ".yml")  # the office's own scheme, kept in the project
            scheme = load_scheme(root / named if own else normalize_header(named))
        except SchemeError as exc:
            report.add(table.issue(P_SCHEME, row, "内容", name, reason=str(exc)))
    value, row = get(layout.INFO_YEARS, True)
    fields["years"] = []
    if value is not None:
        try:
            fields["years"] = parse_years(value)
        except ValueError:
            report.add(table.issue(P_YEARS, row, "内容", value))
    cls, row = get(layout.INFO_CLASS, True)
    fields["region_class"] = normalize_header(cls)
    if scheme is not None and cls is not None and fields["region_class"] not in scheme.region_classes:
        report.add(table.issue(P_CLASS, row, "内容", cls, scheme=scheme.name,
                               classes="/".join(scheme.region_classes)))
    if scheme is not None and fields["years"] and len(fields["years"]) != scheme.evaluation_years:
        report.add(table.issue(P_YEAR_COUNT, get(layout.INFO_YEARS)[1], "内容", count=len(fields["years"]),
                               scheme=scheme.name, expected=scheme.evaluation_years))
    fields["deadline"] = _date(table, *get(layout.INFO_DEADLINE), report)
    fields["mail"] = _read_mail_settings(table, get, text, report)
    return None if scheme is None else (scheme, fields)


def _read_mail_settings(table: Table, get, text, report: Report) -> MailSettings:
    mail = MailSettings(host=text(layout.INFO_SMTP_HOST), user=text(layout.INFO_SMTP_USER),
                        sender=text(layout.INFO_SENDER), sender_name=text(layout.INFO_SENDER_NAME))
    port = _number_cell(table, *get(layout.INFO_SMTP_PORT), report)
    if port is not None:
        mail.port = int(port)
    pause = _number_cell(table, *get(layout.INFO_MAIL_PAUSE), report)
    if pause is not None:
        mail.pause = float(pause)
    timeout = _number_cell(table, *get(layout.INFO_SMTP_TIMEOUT), report)
    if timeout is not None and timeout > 0:
        mail.timeout = float(min(timeout, 3600))
    security, row = get(layout.INFO_SMTP_SECURITY)
    security = normalize_header(security).upper()
    if security in SECURITY_CHOICES:
        mail.security = security
    elif security:
        report.add(table.issue(P_CHOICE, row, "内容", security, choices="/".join(SECURITY_CHOICES),
                               action=f"按 {mail.security} 处理"))
    return mail


def _date(table: Table, value, row: int, report: Report, header: str = "内容") -> date | None:
    try:
        return parse_date(value)
    except ValueError:
        report.add(table.issue(P_DATE, row, header, value))
        return None


def _number_cell(table: Table, value, row: int, report: Report, header: str = "内容",
                 rate: bool = False, cell=None) -> Fraction | None:
    """Exactly what the clerk typed: floats via from_float; '15%' and %-formatted cells as 0.15."""
    if value is None or cell_text(value) == "":
        return None
    try:
        number = to_fraction(value) if not isinstance(value, str) else to_fraction(normalize_header(value))
    except NotANumber:
        number = None
    formatted_pct = cell is not None and "%" in (cell.number_format or "")
    typed_pct = isinstance(value, str) and "%" in value or formatted_pct
    if number is None or (rate and not typed_pct and abs(number) > 1):
        hint = "（比例请写成 15% 或把单元格设为百分比格式）" if rate and number is not None else ""
        report.add(table.issue(P_NUMBER, row, header, value, hint=hint))
        return None
    return number


def _read_units(table: Table, report: Report) -> tuple[list[Unit], UnitIndex]:
    units, first = [], {}
    for row, cells in table.rows:
        name = key(table.value(cells, "单位名称"))
        if not name:
            continue
        if name in first:
            report.add(table.issue(P_DUP_UNIT, row, "单位名称", name, name=name, first=first[name], again=row))
            continue
        first[name] = row
        units.append(Unit(name, [key(a) for a in split_list(table.text(cells, "别名"))],
                          [key(g) for g in split_list(table.text(cells, "所属群组"))],
                          table.text(cells, "联系人"), table.text(cells, "电话"), split_list(table.text(cells, "邮箱"))))
    index, clashes = build_index(units)
    for name, one, other in clashes:
        report.add(issue(P_CLASH, file=table.file, sheet=table.sheet, value=name, name=name, one=one, other=other))
    return units, index


def read_units_file(path) -> tuple[list[Unit], Report]:
    """A unit list (.xlsx with the 单位名单 headers; its 单位名单 sheet or else the first sheet) for init --units."""
    path, report = Path(path), Report()
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # a missing, damaged or non-xlsx file
        report.add(issue(P_UNITS_FILE, file=str(path), reason=type(exc).__name__))
        return [], report
    ws = _find_sheet(wb, layout.SHEET_UNITS) or wb.worksheets[0]
    table = read_table(ws, layout.UNIT_COLUMNS, path.name, report)
    return (_read_units(table, report)[0] if table else []), report


def _read_phases(table: Table, report: Report) -> list[Phase]:
    phases = []
    for row, cells in table.rows:
        name = table.text(cells, "阶段")
        start = _date(table, table.value(cells, "开始日期"), row, report, "开始日期")
        end = _date(table, table.value(cells, "结束日期"), row, report, "结束日期")
        if name or start or end:
            phases.append(Phase(name, start, end, table.text(cells, "工作内容")))
    return phases


def units_in(table: Table, row: int, cells, header: str, number: str, index: UnitIndex, report: Report,
             unknown: dict | None = None) -> list[str]:
    """The units a 任务分解 cell names (groups expanded); unknown names are errors with the closest names —
    one per name when ``unknown`` collects them: (name, header) -> (first row, closest names, numbers)."""
    res = resolve(table.value(cells, header), index)
    for name, closest in res.unknown:
        if unknown is None:
            report.add(table.issue(P_UNKNOWN_UNIT, row, header, name, number=number, column=header, name=name,
                                   closest=closest_text(closest)))
        else:
            unknown.setdefault((name, header), (row, closest, []))[2].append(number)
    for note in res.notes:
        if note.kind == JOIN:
            report.add(table.issue(P_JOINED, row, header, number=number, column=header, what=note.text))
    return res.names


def closest_text(names: list[str]) -> str:
    return f"（最接近的：{'、'.join(names)}）" if names else ""


def _read_tasks(table: Table, scheme: Scheme, index: UnitIndex, report: Report) -> dict[str, Assignment]:
    out, first, numbers = {}, {}, {i.number for i in scheme.indicators}
    unknown: dict = {}
    for row, cells in table.rows:
        number = number_text(table.value(cells, "编号"))
        if not number:
            continue
        if number not in numbers:
            report.add(table.issue(P_NOT_IN_SCHEME, row, "编号", number, scheme=scheme.name))
            continue
        if number in first:
            report.add(table.issue(P_DUP_NUMBER, row, "编号", number, number=number, first=first[number], again=row))
            continue
        first[number] = row
        out[number] = Assignment(number, units_in(table, row, cells, "牵头单位", number, index, report, unknown),
                                 units_in(table, row, cells, "责任单位", number, index, report, unknown),
                                 table.text(cells, "关联工作任务"), table.text(cells, "完成时限"))
    for (name, header), (row, closest, numbers_) in unknown.items():
        # one error per name, however many rows repeat it (an undefined group is named in many)
        report.add(table.issue(P_UNKNOWN_UNIT, row, header, name, number="、".join(numbers_), column=header,
                               name=name, closest=closest_text(closest)))
    if not any(a.leads or a.responsibles for a in out.values()):
        report.add(issue(P_NO_UNITS_AT_ALL, file=table.file, sheet=table.sheet))
        return out
    for ind in scheme.indicators:
        a = out.get(ind.number)
        if a is None:
            report.add(issue(P_MISSING_INDICATOR, file=table.file, sheet=table.sheet, number=ind.number, name=ind.name))
        elif not a.leads and not a.responsibles:
            report.add(table.issue(P_NO_UNIT, first[ind.number], "牵头单位", number=ind.number, name=ind.name))
    return out


def _read_national(table: Table, project: Project, report: Report):
    values, sources = {}, {}
    for row, cells in table.rows:
        parsed = layout.parse_data_key(table.text(cells, "数据项键"))
        item = project.scheme.data_items.get(parsed[0]) if parsed else None
        if item is None or item.source != "national":
            report.add(table.issue(P_DATA_KEY, row, "数据项键", value=table.text(cells, "数据项键"),
                                   scheme=project.scheme.name, what="全国数据项"))
            continue
        year = parsed[1]
        if item.per_year and year is None:
            try:
                year = parse_years(table.value(cells, "年度"))[0]
            except ValueError:
                report.add(table.issue(P_YEARS, row, "年度", value=table.text(cells, "年度")))
                continue
        value = _number_cell(table, table.value(cells, "数值"), row, report, "数值", item.is_rate,
                             table.cell(cells, "数值"))
        if value is not None:
            ident = (item.key, year if item.per_year else None)
            values[ident] = value
            sources[ident] = table.text(cells, "来源")
    return values, sources


def _data_item(scheme: Scheme, text: str):
    """(data item, year) by the item's label as the dropdown offers it, or by its key as older 目标 sheets
    wrote it (数据项键, with its year: online_retail@2025); (None, None) when neither."""
    wanted = normalize_header(text)
    for item in scheme.data_items.values():
        if wanted and normalize_header(item.label) == wanted:
            return item, None
    parsed = layout.parse_data_key(text)
    return (scheme.data_items.get(parsed[0]), parsed[1]) if parsed else (None, None)


def _read_targets(table: Table | None, scheme: Scheme, report: Report) -> list[Target]:
    targets, numbers = [], {i.number for i in scheme.indicators}
    for row, cells in (table.rows if table else []):
        number = number_text(table.value(cells, "编号"))
        if not number:
            continue
        if number not in numbers:
            report.add(table.issue(P_NOT_IN_SCHEME, row, "编号", number, scheme=scheme.name))
            continue
        chosen = table.text(cells, "数据项")
        item, year = _data_item(scheme, chosen)
        if chosen and item is None:
            report.add(table.issue(P_TARGET_ITEM, row, "数据项", value=chosen, scheme=scheme.name))
            continue
        typed_year = number_text(table.value(cells, "年度"))
        if typed_year.isdigit() and item is not None and item.per_year:
            year = int(typed_year)  # blank: the latest evaluation year (zonekit.gaps)
        data_key = layout.data_key(item.key, year) if item is not None else ""
        op_text = table.text(cells, "比较") or ">="
        try:
            op = parse_op(op_text)
        except RuleSpecError:
            report.add(table.issue(P_CHOICE, row, "比较", op_text, choices="/".join(COMPARE_CHOICES),
                                   action="该行已忽略"))
            continue
        value = _number_cell(table, table.value(cells, "目标值"), row, report, "目标值",
                             bool(item and item.is_rate), table.cell(cells, "目标值"))
        targets.append(Target(number, data_key, op, value, table.text(cells, "说明")))
    return targets


def _read_verifications(table: Table | None, scheme: Scheme, report: Report) -> list[Verification]:
    """Every filled row as typed; zonekit.verify judges them (unknown number, not a number, range, reason),
    so one bad row is refused there instead of stopping the whole project from loading."""
    out = []
    for row, cells in (table.rows if table else []):
        number = number_text(table.value(cells, "编号"))
        raw = table.value(cells, "核定得分")
        score = _number_cell(table, raw, row, Report(), "核定得分")
        typed = cell_text(raw) if score is None else ""
        reason = table.text(cells, "核定理由")
        if not number or (score is None and not typed and not reason):
            continue
        out.append(Verification(number, score, reason, table.text(cells, "核定人"), table.text(cells, "核定日期"),
                                row, typed, {h: table.ref(row, h) for h in ("编号", "核定得分", "核定理由")}))
    return out


def _read_mail(table: Table | None, report: Report) -> dict[str, tuple[str, str]]:
    templates = dict(DEFAULT_MAIL)
    for row, cells in (table.rows if table else []):
        purpose = key(table.value(cells, "用途"))
        if purpose in layout.MAIL_PURPOSES:
            subject, body = table.text(cells, "主题"), str(table.value(cells, "正文") or "").strip()
            if body.replace("\r\n", "\n") in FORMER_MAIL_BODIES.get(purpose, ()):
                body = ""
            if subject in FORMER_MAIL_SUBJECTS.get(purpose, ()):
                subject = ""
            templates[purpose] = (subject or DEFAULT_MAIL[purpose][0], body or DEFAULT_MAIL[purpose][1])
        elif purpose:
            report.add(table.issue(P_CHOICE, row, "用途", purpose,
                                   choices="/".join(layout.MAIL_PURPOSES), action="该行已忽略"))
    return templates


# ------------------------------------------------------------------ write (import-plan)

ASSIGNMENT_FIELDS = {"leads": "牵头单位", "responsibles": "责任单位", "tasks": "关联工作任务", "deadline": "完成时限"}


def write_assignments(dir, assignments: dict[str, Assignment] | list[Assignment],
                      fields=tuple(ASSIGNMENT_FIELDS), new_units: list[Unit] = ()) -> Path:
    """Rewrite the 任务分解 columns named by ``fields`` for these indicators (and append ``new_units`` to
    单位名单), keeping everything else the clerk typed; the previous workbook is kept beside it as
    工作台.备份-<时间>.xlsx, whose path is returned."""
    path = Path(dir) / layout.PROJECT_WORKBOOK
    if isinstance(assignments, dict):
        assignments = list(assignments.values())
    try:
        wb = openpyxl.load_workbook(path)
    except Exception as exc:  # missing or damaged workbook
        raise ProjectError(f"无法打开 {path}（{type(exc).__name__}），任务分解未写入。") from None
    if new_units:
        _append_units(path, wb, new_units)
    ws = _find_sheet(wb, layout.SHEET_TASKS)
    if ws is None:
        raise ProjectError(f"{path} 缺少工作表「{layout.SHEET_TASKS}」，任务分解未写入。")
    header, cols = find_header([[c.value for c in row] for row in ws.iter_rows()], layout.TASK_COLUMNS)
    needed = ["编号", *(ASSIGNMENT_FIELDS[f] for f in fields)]
    missing = [h for h in needed if h not in cols]
    if missing:
        raise ProjectError(f"{path} 的工作表「{layout.SHEET_TASKS}」找不到列：{'、'.join(missing)}，任务分解未写入。")
    rows = {}
    for row in ws.iter_rows(min_row=header + 2):
        number = number_text(row[cols["编号"]].value) if cols["编号"] < len(row) else ""
        rows.setdefault(number, row[0].row)
    for a in assignments:
        r = rows.get(a.number)
        if r is None:
            r = ws.max_row + 1
            ws.cell(r, cols["编号"] + 1, _key_cell(a.number))
        values = {"leads": layout.LIST_SEPARATOR.join(a.leads),
                  "responsibles": layout.LIST_SEPARATOR.join(a.responsibles), "tasks": a.tasks,
                  "deadline": a.deadline}
        for f in fields:
            ws.cell(r, cols[ASSIGNMENT_FIELDS[f]] + 1).value = values[f] or None
    return _save_keeping_backup(path, wb)


def _save_keeping_backup(path: Path, wb) -> Path:
    """Replace 工作台.xlsx with ``wb`` (atomically), keeping the previous one as 工作台.备份-<时间>.xlsx; returns
    the backup's path."""
    backup = path.with_name(layout.PROJECT_BACKUP.format(stamp=datetime.now().strftime("%Y%m%d-%H%M%S")))
    shutil.copy2(path, backup)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return backup


def write_info(dir, values: dict[str, object]) -> Path:
    """Set the 内容 of rows of 基本信息 by their 项目 label (a date as a date cell, None to empty it; a label not
    found is appended), keeping everything else the clerk typed; the previous workbook is kept beside it as
    工作台.备份-<时间>.xlsx, whose path is returned."""
    path = Path(dir) / layout.PROJECT_WORKBOOK
    try:
        wb = openpyxl.load_workbook(path)
    except Exception as exc:  # missing or damaged workbook
        raise ProjectError(f"无法打开 {path}（{type(exc).__name__}），基本信息未写入。") from None
    ws = _find_sheet(wb, layout.SHEET_INFO)
    header, cols = (None, {}) if ws is None else \
        find_header([[c.value for c in row] for row in ws.iter_rows()], layout.INFO_COLUMNS)
    if header is None or "项目" not in cols or "内容" not in cols:
        raise ProjectError(f"{path} 的工作表「{layout.SHEET_INFO}」找不到“项目”“内容”两列，基本信息未写入。")
    rows = {}
    for row in ws.iter_rows(min_row=header + 2):
        label = normalize_header(row[cols["项目"]].value) if cols["项目"] < len(row) else ""
        if label:
            rows.setdefault(label, row[0].row)
    for label, value in values.items():
        r = rows.get(normalize_header(label))
        if r is None:
            r = ws.max_row + 1
            ws.cell(r, cols["项目"] + 1, label)
        cell = ws.cell(r, cols["内容"] + 1)
        cell.value = value
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
    return _save_keeping_backup(path, wb)


def _append_units(path: Path, wb, units: list[Unit]) -> None:
    """Rows for ``units`` after the last filled row of 单位名单 (columns found by their headers)."""
    ws = _find_sheet(wb, layout.SHEET_UNITS)
    if ws is None:
        raise ProjectError(f"{path} 缺少工作表「{layout.SHEET_UNITS}」，单位未加入，任务分解未写入。")
    header, cols = find_header([[c.value for c in row] for row in ws.iter_rows()], layout.UNIT_COLUMNS)
    if header is None or "单位名称" not in cols:
        raise ProjectError(f"{path} 的工作表「{layout.SHEET_UNITS}」找不到列：单位名称，单位未加入，任务分解未写入。")
    last = max((c.row for row in ws.iter_rows(min_row=header + 2) for c in row if cell_text(c.value)),
               default=header + 1)
    for r, unit in enumerate(units, start=last + 1):
        values = {"单位名称": unit.name, "别名": layout.LIST_SEPARATOR.join(unit.aliases),
                  "所属群组": layout.LIST_SEPARATOR.join(unit.groups), "联系人": unit.contact, "电话": unit.phone,
                  "邮箱": "; ".join(unit.emails)}
        for header_name, value in values.items():
            if header_name in cols and value:
                ws.cell(r, cols[header_name] + 1, value)
