"""One source for every name a workbook or folder uses: sheets, column headers and their accepted aliases,
row keys, identity properties, project folders. Every writer and reader imports these; none spells them.

Never put logic here beyond tiny helpers for keys and header matching.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, replace

TEMPLATE_VERSION = "1"  # bump when the unit workbook layout changes; intake refuses other versions

# ---------------------------------------------------------------- project folder
PROJECT_WORKBOOK = "工作台.xlsx"
OUTGOING_DIR = "1-下发"  # generated unit workbooks, 清单.xlsx, 邮件草稿/
RETURNED_DIR = "2-回收"  # the clerk drops returned files (xlsx/xls/zip/eml) here, any sub-folders
OUTPUT_DIR = "3-输出"  # 回收登记.xlsx, 合并结果.xlsx, 评分汇总表.xlsx, 佐证材料/, 单位反馈/
MANIFEST = "清单.xlsx"
DRAFTS_DIR = "邮件草稿"
SEND_LOG = "发送记录.csv"
INTAKE_LOG = "回收登记.xlsx"
MERGED = "合并结果.xlsx"
SUMMARY = "评分汇总表.xlsx"
EVIDENCE_DIR = "佐证材料"
FEEDBACK_DIR = "单位反馈"
STATE_FILE = ".zonekit-collect.json"  # machine-readable result of the last collect, in OUTPUT_DIR


# ---------------------------------------------------------------- project workbook (工作台.xlsx)
@dataclass(frozen=True)
class Column:
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    width: int = 14


SHEET_INFO = "基本信息"
INFO_COLUMNS = (Column("项目", ("字段", "名称")), Column("内容", ("值", "填写内容"), width=40),
                Column("说明", required=False, width=50))
# rows of 基本信息 (column 项目): label -> meaning
INFO_PROJECT_ID = "项目编号"
INFO_REGION = "创建地区"
INFO_PROVINCE = "所在省份"
INFO_CLASS = "地区类别"
INFO_SCHEME = "指标体系"
INFO_YEARS = "评估年度"
INFO_DEADLINE = "填报截止日期"
INFO_ROUND = "填报轮次"
INFO_OFFICE = "创建办名称"
INFO_CONTACT = "创建办联系人"
INFO_PHONE = "联系电话"
INFO_EMAIL = "联系邮箱"
INFO_SMTP_HOST = "SMTP服务器"
INFO_SMTP_PORT = "SMTP端口"
INFO_SMTP_SECURITY = "SMTP加密方式"  # SSL / STARTTLS / 无
INFO_SMTP_USER = "SMTP用户名"
INFO_SENDER = "发件邮箱"
INFO_SENDER_NAME = "发件人名称"
INFO_MAIL_PAUSE = "发送间隔秒数"
INFO_SMTP_TIMEOUT = "SMTP超时秒数"
INFO_ROWS = (INFO_PROJECT_ID, INFO_REGION, INFO_PROVINCE, INFO_CLASS, INFO_SCHEME, INFO_YEARS, INFO_DEADLINE,
             INFO_ROUND, INFO_OFFICE, INFO_CONTACT, INFO_PHONE, INFO_EMAIL, INFO_SMTP_HOST, INFO_SMTP_PORT,
             INFO_SMTP_SECURITY, INFO_SMTP_USER, INFO_SENDER, INFO_SENDER_NAME, INFO_MAIL_PAUSE, INFO_SMTP_TIMEOUT)

SHEET_PHASES = "阶段安排"
PHASE_COLUMNS = (Column("阶段"), Column("开始日期", ("开始",)), Column("结束日期", ("结束", "截止日期")),
                 Column("工作内容", ("说明", "内容"), required=False, width=50))

SHEET_UNITS = "单位名单"
UNIT_COLUMNS = (Column("单位名称", ("单位", "名称"), width=28), Column("别名", ("简称", "曾用名"), required=False, width=24),
                Column("所属群组", ("群组", "分组"), required=False, width=36),
                Column("联系人", required=False), Column("电话", ("联系电话",), required=False),
                Column("邮箱", ("电子邮箱", "email", "E-mail"), required=False, width=28))

SHEET_TASKS = "任务分解"
TASK_COLUMNS = (Column("编号", ("序号", "指标编号"), width=6), Column("一级指标", required=False, width=10),
                Column("二级指标", required=False, width=12), Column("三级指标", ("指标名称",), width=36),
                Column("分值", required=False, width=6), Column("牵头单位", width=24),
                Column("责任单位", ("配合单位",), width=36),
                Column("关联工作任务", ("涉及方案中具体工作任务", "涉及方案中\n具体工作任务", "工作任务"), required=False, width=36),
                Column("完成时限", ("时限", "完成时间"), required=False, width=12))

SHEET_NATIONAL = "全国数据"
NATIONAL_COLUMNS = (Column("数据项键", ("键",), width=30), Column("数据项", width=36), Column("年度", required=False, width=8),
                    Column("数值", width=14), Column("单位", required=False, width=8),
                    Column("来源", ("数据来源",), required=False, width=40))

SHEET_TARGETS = "目标"
# 目标: a target is chosen by indicator number and data-item label (the 数据项键 of older workbooks is still read);
# the name column is headed with the scheme's indicator_label (三级指标 / 二级指标)
TARGET_COLUMNS = (Column("编号", width=6), Column("三级指标", ("二级指标", "指标名称"), required=False, width=36),
                  Column("数据项", ("数据项键",), required=False, width=40), Column("年度", required=False, width=8),
                  Column("比较", ("运算",), required=False, width=8),
                  Column("目标值", width=12), Column("说明", required=False, width=40))

SHEET_VERIFY = "评分核定"
VERIFY_COLUMNS = (Column("编号", width=6), Column("三级指标", required=False, width=36), Column("分值", required=False, width=6),
                  Column("核定得分", width=10), Column("核定理由", ("理由",), width=40),
                  Column("核定人", required=False), Column("核定日期", required=False))

SHEET_MAIL = "邮件模板"
MAIL_COLUMNS = (Column("用途"), Column("主题", width=40), Column("正文", width=80))
MAIL_PURPOSES = ("下发", "催报", "退回")
# placeholders usable in 主题/正文: {单位} {地区} {截止日期} {联系人} {联系电话} {联系邮箱} {指标数} {附件} {问题清单}

PROJECT_SHEETS = (SHEET_INFO, SHEET_PHASES, SHEET_UNITS, SHEET_TASKS, SHEET_NATIONAL, SHEET_TARGETS, SHEET_VERIFY,
                  SHEET_MAIL)

# ---------------------------------------------------------------- unit workbook (one per unit)
SHEET_GUIDE = "填报说明"
SHEET_INDICATORS = "指标填报"
SHEET_DATA = "数据填报"
SHEET_IDENTITY = "_zonekit"  # hidden; key/value rows in columns A:B, same keys as the custom properties

ROLE_LEAD = "牵头"
ROLE_RESPONSIBLE = "责任"

# 指标填报 columns, in order. Rows: one per indicator (key "11") and, for lead units, one per claim or
# judged sub-item (key "11.3"). A single-rule judged indicator takes its 自评分 on the indicator row.
IND_KEY = Column("键", width=7)
IND_NUMBER = Column("编号", width=6)
IND_NAME = Column("指标/分项", width=34)
IND_POINTS = Column("分值", width=6)
IND_ROLE = Column("本单位角色", ("角色",), width=8)
IND_CRITERIA = Column("打分标准", width=46)
IND_CLAIM = Column("是否达到", ("自评（是/否）", "是否符合"), width=9)
IND_SELF = Column("自评分", width=8)
IND_PROGRESS = Column("工作进展", width=34)
IND_EVIDENCE = Column("佐证材料说明", width=30)
IND_FILES = Column("佐证材料清单", ("佐证文件",), width=26)
IND_PROBLEMS = Column("存在问题", width=24)
IND_CONTACT = Column("联系人及电话", ("联系人",), width=14)
IND_CHECK = Column("填报检查", width=26)
INDICATOR_COLUMNS = (IND_KEY, IND_NUMBER, IND_NAME, IND_POINTS, IND_ROLE, IND_CRITERIA, IND_CLAIM, IND_SELF,
                     IND_PROGRESS, IND_EVIDENCE, IND_FILES, IND_PROBLEMS, IND_CONTACT, IND_CHECK)
INDICATOR_INPUTS = (IND_CLAIM, IND_SELF, IND_PROGRESS, IND_EVIDENCE, IND_FILES, IND_PROBLEMS, IND_CONTACT)

# 数据填报 columns. Rows: one per data item and year (key "online_retail@2023"), one per non-yearly item
# ("online_traders"), and N numbered rows per list item ("new_large_traders#1" … with 名称 + 数值).
DATA_KEY = Column("键", width=30)
DATA_NUMBER = Column("指标编号", width=8)
DATA_LABEL = Column("数据项", width=34)
DATA_YEAR = Column("年度", width=7)
DATA_UNIT = Column("计量单位", ("单位",), width=9)
DATA_NAME = Column("名称（名单项）", ("企业名称", "名称"), width=24)
DATA_VALUE = Column("数值", width=14)
DATA_SOURCE = Column("数据来源及说明", ("数据来源", "说明"), width=30)
DATA_CHECK = Column("填报检查", width=26)
DATA_COLUMNS = (DATA_KEY, DATA_NUMBER, DATA_LABEL, DATA_YEAR, DATA_UNIT, DATA_NAME, DATA_VALUE, DATA_SOURCE, DATA_CHECK)
DATA_INPUTS = (DATA_NAME, DATA_VALUE, DATA_SOURCE)
LIST_ROWS = 8  # numbered rows offered per list data item

HEADER_ROW = 3  # 1-based row of the column headers in 指标填报/数据填报 (row 1 title, row 2 hint)

# identity: custom document properties and the hidden sheet carry the same keys
ID_PROJECT = "zonekit_project"
ID_UNIT = "zonekit_unit"
ID_SCHEME = "zonekit_scheme"
ID_SCHEME_VERSION = "zonekit_scheme_version"
ID_TEMPLATE = "zonekit_template"
ID_GENERATED = "zonekit_generated"
ID_ROUND = "zonekit_round"
IDENTITY_KEYS = (ID_PROJECT, ID_UNIT, ID_SCHEME, ID_SCHEME_VERSION, ID_TEMPLATE, ID_GENERATED, ID_ROUND)

YES = "是"
NO = "否"


def data_key(item_key: str, year: int | None = None) -> str:
    return f"{item_key}@{year}" if year is not None else item_key


def list_key(item_key: str, n: int) -> str:
    return f"{item_key}#{n}"


_KEY = re.compile(r"^(?P<item>[a-z][a-z0-9_]*)(?:@(?P<year>\d{4})|#(?P<row>\d+))?$")


def parse_data_key(text: str) -> tuple[str, int | None, int | None] | None:
    """'online_retail@2023' -> ('online_retail', 2023, None); 'x#2' -> ('x', None, 2); bad -> None."""
    m = _KEY.match(normalize_text(text))
    if not m:
        return None
    return m["item"], int(m["year"]) if m["year"] else None, int(m["row"]) if m["row"] else None


def normalize_text(value) -> str:
    """What clerks do to text: full-width characters, stray spaces, line breaks inside cells."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return text.replace("\u3000", " ").strip()


_SPACES = re.compile(r"\s+")


def normalize_header(value) -> str:
    return _SPACES.sub("", normalize_text(value))


def match_header(cell_value, column: Column) -> bool:
    name = normalize_header(cell_value)
    return bool(name) and name in header_names(column)


@functools.lru_cache(maxsize=1024)
def header_names(column: Column) -> frozenset[str]:
    """A column's header and aliases as normalize_header writes them (asked for every cell of a header row)."""
    return frozenset(normalize_header(h) for h in (column.header, *column.aliases))

# ---------------------------------------------------------------- scored summary (评分汇总表.xlsx) and feedback
SHEET_OVERVIEW = "总览"
SHEET_SCORES = "指标得分"
SHEET_GAPS = "差距清单"
SHEET_PROGRESS = "单位进度"
SHEET_ISSUES = "问题清单"
SHEET_ANSWERS = "填报明细"
SHEET_EVIDENCE = "佐证材料"
SHEET_TREND = "趋势"  # one row per round: completeness, total, level rates, verdict; a line chart (issue 14)
SHEET_SCORE_TREND = "指标趋势"  # each indicator's score per round, 提升 / 下降 against the round before
SUMMARY_SHEETS = (SHEET_OVERVIEW, SHEET_TREND, SHEET_SCORES, SHEET_SCORE_TREND, SHEET_GAPS, SHEET_PROGRESS,
                  SHEET_ISSUES, SHEET_ANSWERS, SHEET_EVIDENCE)

# 指标得分 columns, in order; 总览 formulas read 一级指标/二级指标/有效得分 by position. Widths add up to what prints
# on A4 landscape at ≥ 80 % (10-pt text ≥ 8 pt on paper).
SCORE_LEVEL1 = Column("一级指标", width=5)
SCORE_LEVEL2 = Column("二级指标", width=5)
SCORE_NUMBER = Column("编号", width=4)
SCORE_NAME = Column("三级指标", width=13)
SCORE_POINTS = Column("分值", width=4)
SCORE_COMPUTED = Column("计算/自评得分", width=5)
SCORE_VERIFIED = Column("核定得分", width=5)
SCORE_REASON = Column("核定理由", width=9)
SCORE_EFFECTIVE = Column("有效得分", width=5)
SCORE_LOST = Column("失分", width=4)
SCORE_TRACE = Column("计分过程", width=38)
SCORE_LEADS = Column("牵头单位", width=10)
SCORE_RESPONSIBLES = Column("责任单位", width=17)
SCORE_FLAGS = Column("标记", width=5)
SCORE_COLUMNS = (SCORE_LEVEL1, SCORE_LEVEL2, SCORE_NUMBER, SCORE_NAME, SCORE_POINTS, SCORE_COMPUTED, SCORE_VERIFIED,
                 SCORE_REASON, SCORE_EFFECTIVE, SCORE_LOST, SCORE_TRACE, SCORE_LEADS, SCORE_RESPONSIBLES,
                 SCORE_FLAGS)
FLAG_MISSING = "缺报"
FLAG_CONFLICT = "冲突"
FLAG_VERIFIED = "已核定"
FLAG_TARGET = "目标未达"
FLAG_REFUSED = "核定无效"

GAP_COLUMNS = (Column("序号", width=5), Column("编号", width=6), Column("三级指标", width=30), Column("一级指标", width=10),
               Column("分值", width=6), Column("得分", width=6), Column("可挽回分", width=8),
               Column("最少补分方案", width=8), Column("牵头单位", width=18), Column("责任单位", width=22),
               Column("如何得分", width=70))
PROGRESS_COLUMNS = (Column("单位名称", width=26), Column("状态", width=10), Column("牵头指标数", width=8),
                    Column("责任指标数", width=8), Column("牵头指标失分", width=9), Column("回收文件", width=30),
                    Column("回收时间", width=17), Column("错误", width=6), Column("警告", width=6),
                    Column("未填项", width=7), Column("联系人", width=10), Column("电话", width=14),
                    Column("说明", width=30))
ISSUE_COLUMNS = (Column("严重程度", width=8), Column("代码", width=7), Column("单位", width=22), Column("文件", width=30),
                 Column("工作表", width=10), Column("单元格", width=8), Column("所填值", width=14),
                 Column("说明", width=70))
ANSWER_COLUMNS = (Column("指标编号", width=8), Column("类别", width=8), Column("键", width=24), Column("数据项/分项", width=34),
                  Column("年度", width=6), Column("填报值", width=14), Column("计量单位", width=8),
                  Column("填报单位", width=22), Column("文件", width=28), Column("位置", width=14),
                  Column("状态", width=8), Column("说明", width=36))
EVIDENCE_ROUND = Column("轮次", width=8)  # the 填报轮次 whose return carried a picture (evidence is cumulative)
EVIDENCE_COLUMNS = (Column("指标编号", width=8), Column("三级指标", width=30), Column("单位", width=22), EVIDENCE_ROUND,
                    Column("文件名", width=36), Column("打开", width=30), Column("说明", width=30))

# one feedback workbook per unit, in OUTPUT_DIR/FEEDBACK_DIR
FEEDBACK_FILE = "{unit}-评分反馈.xlsx"
SHEET_FEEDBACK_INFO = "反馈说明"
SHEET_FEEDBACK_LOST = "失分指标"
SHEET_FEEDBACK_TODO = "待办事项"
FEEDBACK_LOST_COLUMNS = (Column("编号", width=6), Column("三级指标", width=32), Column("本单位角色", width=8),
                         Column("分值", width=6), Column("得分", width=6), Column("失分", width=6),
                         Column("如何得分", width=60), Column("计分过程", width=50))
FEEDBACK_TODO_COLUMNS = (Column("编号", width=6), Column("三级指标", width=32), Column("待办事项", width=70))

DEMO_MARKER = ".zonekit-demo"  # in a folder made by `zonekit demo`, so a later demo may replace it

# ---------------------------------------------------------------- generated unit workbooks and their manifest
UNIT_BOOK_FILE = "{seq}-{unit}-填报表.xlsx"  # in OUTGOING_DIR; seq is the unit's place in 单位名单, zero-padded
UNIT_BOOK_GLOB = "*-填报表.xlsx"
SHEET_MANIFEST = "清单"
MAN_UNIT = Column("单位", width=28)
MAN_FILE = Column("文件", width=40)
MAN_ROLE = Column("角色", width=18)
MAN_NUMBERS = Column("指标编号", width=40)
MAN_SHA256 = Column("SHA256", width=20)
MAN_GENERATED = Column("生成时间", width=26)
# the hash last and narrow: it is for checking a file, not for reading (read by header, so the order may change)
MANIFEST_COLUMNS = (MAN_UNIT, MAN_FILE, MAN_ROLE, MAN_NUMBERS, MAN_GENERATED, MAN_SHA256)
LIST_SEPARATOR = "、"  # between indicator numbers or unit names inside one cell
CHECK_OK = "✓"  # 填报检查 when a row is complete
CHECK_OPTIONAL = "选填"  # 填报检查 when an optional row is left empty

# ---------------------------------------------------------------- returns: 回收登记.xlsx, 合并结果.xlsx, 佐证材料/
EVIDENCE_UNSORTED = "未对应指标"  # evidence sub-folder for pictures that sit on no indicator row
SHEET_INTAKE_FILES = "回收文件"
SHEET_INTAKE_UNITS = "单位情况"
SHEET_MERGED_PROGRESS = "工作进展"
STATUS_ADOPTED = "采用"
STATUS_SUPERSEDED = "已被替代"
STATUS_REFUSED = "退回"
STATUS_SKIPPED = "跳过"
STATUS_WITHDRAWN = "撤回"  # a return the office withdrew (zonekit withdraw): on record, never merged
STATE_REPORTED = "已报"
STATE_MISSING = "未报"
STATE_LATE = "逾期"
STATE_RETURNED = "退回"
INTAKE_FILE_COLUMNS = (Column("文件", width=33), Column("单位", width=14), Column("状态", width=7),
                       Column("原因", width=38), Column("版本", width=6), Column("采用项数", width=6),
                       Column("保存时间", width=20), Column("时间来源", width=13), Column("收到时间", width=20),
                       Column("错误", width=5), Column("警告", width=5), Column("识别方式", width=9),
                       Column("大小（字节）", width=10), Column("SHA-256", width=66))
INTAKE_FILE_PRINTED = 11  # columns printed (文件 … 警告); identification, size and hash stay on screen
INTAKE_UNIT_COLUMNS = (Column("单位名称", width=18), Column("状态", width=7), Column("最后文件", width=30),
                       Column("收到时间", width=17), Column("版本", width=24), Column("错误", width=5),
                       Column("警告", width=5), Column("未填项", width=60))
MERGED_PROGRESS_COLUMNS = (Column("指标编号", width=8), Column("三级指标", width=30), Column("单位", width=22),
                           Column("角色", width=6), Column("工作进展", width=40), Column("佐证材料说明", width=30),
                           Column("佐证材料清单", width=26), Column("存在问题", width=24), Column("联系人及电话", width=14),
                           Column("文件", width=30))


# ---------------------------------------------------------------- project folder (issue 3, appended)
PROJECT_BACKUP = "工作台.备份-{stamp}.xlsx"  # the clerk's previous 工作台.xlsx, kept by import-plan; stamp 20260301-093000
INTAKE_ISSUE_COLUMNS = (*ISSUE_COLUMNS, Column("文件状态", width=8))  # 回收登记 问题清单: the file's status too

# ---------------------------------------------------------------- scheme import (a published evaluation table)
# Header words of an evaluation table by the role of the column; a header cell takes the first role whose word
# it holds ("指标说明及打分标准" is criteria, not a name). Headers may come in any order and wording.
EVAL_HEADER_WORDS = (("level1", ("一级",)), ("level2", ("二级",)), ("name3", ("三级",)),
                     ("number", ("编号", "序号")), ("points", ("分值", "分数", "满分", "标准分")),
                     ("criteria", ("说明", "打分", "评分", "计分", "标准", "细则")),
                     ("nature", ("性质",)), ("method", ("方式", "方法", "来源")), ("name", ("指标", "内容", "项目")))
EVAL_NUMBER_SHORT = ("号", "编")  # 编号 broken over a two-row header
IMPORT_REPORT_FILE = "{stem}-导入报告.txt"  # beside the scheme draft written by `zonekit scheme import`

# ---------------------------------------------------------------- evidence package for the application (issue 16)
EVIDENCE_PACK_DIR = "佐证材料包"  # in OUTPUT_DIR: <一级指标>/<NN-指标名称>/<单位>-<工作表>-<单元格>.png
EVIDENCE_PACK_INDEX = "佐证材料索引.xlsx"  # in EVIDENCE_PACK_DIR
SHEET_PACK_INDEX = "佐证材料索引"
SHEET_PACK_BY_INDICATOR = "按指标汇总"
PACK_INDEX_COLUMNS = (Column("序号", width=5), Column("一级指标", width=9), Column("指标编号", width=6),
                      Column("指标名称", width=24), Column("单位", width=16), Column("来源文件", width=26),
                      Column("位置", width=11), Column("收到日期", width=10), EVIDENCE_ROUND, Column("大小（KB）", width=8),
                      Column("文件名", width=30), Column("图片编号", width=9), Column("说明", width=22))
PACK_BY_INDICATOR_COLUMNS = (Column("一级指标", width=10), Column("指标编号", width=7), Column("指标名称", width=40),
                             Column("图片数", width=7), Column("文件夹", width=40))
PACK_KEPT = "早先版本的图片（较新的「{newer}」中已没有），已保留"
PACK_SAME = "同一图片另见第{rows}项"
EVIDENCE_ROUND_KEPT = "「{round}」收到，此后交回的文件中没有，已保留"  # a picture of an earlier round, kept
SHEET_INTAKE_PICTURES = "图片"  # 回收登记: every picture each file carried
INTAKE_PICTURE_COLUMNS = (Column("文件", width=40), Column("单位", width=20), Column("文件状态", width=8),
                          Column("位置", width=12), Column("类型", width=9), Column("指标编号", width=7),
                          Column("大小（字节）", width=11), Column("SHA-256", width=18), Column("处理", width=50))


# ---------------------------------------------------------------- headers as the scheme's table names its levels (issue 13)
INDICATOR_HEADER = SCORE_NAME.header  # the default header of a numbered indicator: 三级指标, as the 2022 table says


def for_scheme(columns: tuple[Column, ...], indicator_label: str, second_level: bool = True) -> tuple[Column, ...]:
    """``columns`` as a scheme's table names them: its numbered indicators headed ``indicator_label`` (三级指标 in
    2022, 二级指标 in the 2025 draft), and no 二级指标 column (SCORE_LEVEL2) when it has no separate second level."""
    return tuple(replace(c, header=indicator_label) if c.header == INDICATOR_HEADER and indicator_label else c
                 for c in columns if second_level or c is not SCORE_LEVEL2)


ANSWER_KEY = ANSWER_COLUMNS[2]  # 填报明细's 键 column: internal row keys, written but hidden
ANSWER_VALUE = ANSWER_COLUMNS[5]  # 填报明细's 填报值 column: a number where the answer is a figure

# ---------------------------------------------------------------- self-evaluation report (issue 14)
REPORT = "自评报告（初稿）.docx"  # in OUTPUT_DIR; the office edits it, zonekit replaces it only while unedited
REPORT_RECORD = ".zonekit-report.json"  # in OUTPUT_DIR: the SHA-256 of the draft zonekit last wrote

# ---------------------------------------------------------------- forms a clerk understands (13), refilled books (12)
INPUT_FILL = "#FFF9DB"  # the cells a unit fills in; named INPUT_COLOUR in every sheet and mail that mentions them
INPUT_COLOUR = "浅黄色"
PROBLEM_FILL = "#FFC7CE"  # cells of a refilled workbook that have a problem; a comment carries the message
PROBLEM_COLOUR = "浅红色"
REFILLED_BOOK_FILE = "{seq}-{unit}-填报表（续填）.xlsx"  # the unit's workbook with its answers filled back in
GUIDE_REFILL = "续填说明"  # row label in 填报说明 of a refilled workbook

# ---------------------------------------------------------------- the project's ledger of returns (issue 12, appended)
LEDGER_DIR = ".zonekit"  # in the project folder
LEDGER_FILE = "ledger.sqlite3"  # every file collect has seen, every answer of every version (zonekit.ledger)
IMAGE_STORE_DIR = "images"  # in LEDGER_DIR: every picture ever received, once per content (<sha256[:2]>/<sha256>.png)
PROJECT_CACHE = "project.json"  # in LEDGER_DIR: what 工作台.xlsx held when last read (zonekit.projectcache)

# ---------------------------------------------------------------- rounds (issue 14)
TREND_UP = "提升"
TREND_DOWN = "下降"
TREND_SAME = "持平"
SHEET_REVIEW = "汇总"  # zonekit review: one row per project
SHEET_REVIEW_CHART = "总分对比"
SHEET_REVIEW_MATRIX = "指标得分"  # indicators × regions; one per scheme with --force

# ---------------------------------------------------------------- mail exactly once (issue 11, appended)
SEND_PENDING = "mail-sending.json"  # in LEDGER_DIR: the message being handed to the SMTP server right now
