"""Mail to the units: compose each unit's message from the project's templates, write it as a draft (.eml)
or send it over SMTP, recording every attempt in the send log; reminders go to units that have not returned.

Never writes the SMTP password anywhere, and never sends a message the send log records as delivered
(same unit, purpose and attachment) unless asked to resend. A message whose content went out but whose reply
never came is 状态不明: it may have arrived, so it is never sent again automatically (a unit never gets two
copies); the clerk checks and confirms, or asks for it again with --resend-unknown.
"""

from __future__ import annotations

import base64
import csv
import difflib
import hashlib
import io
import json
import os
import re
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Callable, Iterable

from zonekit import layout
from zonekit.errors import MailError
from zonekit.files import OutputSet
from zonekit.issues import ERROR, WARNING, Issue, define, issue
from zonekit.project import Project, Unit

PASSWORD_ENV = "ZONEKIT_SMTP_PASSWORD"

PURPOSE_SEND, PURPOSE_REMIND, PURPOSE_REFUSED = layout.MAIL_PURPOSES  # 下发, 催报, 退回

# returns states (zonekit.collect) that call for a reminder, and the template each one uses
REMIND_STATES = {layout.STATE_MISSING: PURPOSE_REMIND, layout.STATE_LATE: PURPOSE_REMIND,
                 layout.STATE_RETURNED: PURPOSE_REFUSED}

PLACEHOLDERS = ("单位", "地区", "截止日期", "期限说明", "联系人", "联系电话", "联系邮箱", "指标数", "附件", "问题清单",
                "附件说明")
# where the clerk fills the value a placeholder stands for, for the message when it is empty
_PLACEHOLDER_SOURCE = {
    "地区": f"基本信息 的「{layout.INFO_REGION}」",
    "截止日期": f"基本信息 的「{layout.INFO_DEADLINE}」",
    "期限说明": f"基本信息 的「{layout.INFO_DEADLINE}」",
    "联系人": f"基本信息 的「{layout.INFO_CONTACT}」",
    "联系电话": f"基本信息 的「{layout.INFO_PHONE}」",
    "联系邮箱": f"基本信息 的「{layout.INFO_EMAIL}」",
}

SECURITY_SSL, SECURITY_STARTTLS, SECURITY_NONE = "SSL", "STARTTLS", "无"
DEFAULT_PORTS = {SECURITY_SSL: 465, SECURITY_STARTTLS: 587, SECURITY_NONE: 25}

# send log (发送记录.csv): one row per attempt, appended and flushed as it happens
LOG_COLUMNS = ("时间", "用途", "轮次", "单位", "收件人", "邮件ID", "附件", "附件SHA256", "结果", "说明")
LOG_OK = "成功"
LOG_FAILED = "失败"
LOG_UNKNOWN = "状态不明"  # the content was sent, the server's reply never came: it may have been delivered

# outcome of one message in a run, as the clerk reads it
SENT = "已发送"
SKIPPED = "已发过，跳过"
WOULD_SEND = "将发送（演练）"
FAILED = "发送失败"
UNKNOWN = "状态不明"  # this run: sent, no reply
HELD = "状态不明，未重发"  # an earlier run's 状态不明, not sent again
CONFIRMED = "已确认收到"  # the clerk checked: it did arrive

# what the clerk says about a message left 状态不明 (the ``confirm`` callback of ``send``)
CONFIRM_RECEIVED, CONFIRM_RESEND = "received", "resend"

M_NO_ADDRESS = define("M001", ERROR, "单位「{unit}」在 单位名单 中没有邮箱，未生成邮件。"
                                     "请在 工作台.xlsx 的 单位名单「邮箱」列填写后重新运行。")
M_BAD_ADDRESS = define("M002", ERROR, "单位「{unit}」的邮箱「{value}」格式不对，未生成邮件。"
                                      "请在 工作台.xlsx 的 单位名单「邮箱」列改正（多个邮箱用分号隔开）后重新运行。")
M_NOT_GENERATED = define("M003", ERROR, "单位「{unit}」还没有生成填报表（清单中没有它），未生成邮件。"
                                        "请先运行 zonekit generate 生成填报表，再发邮件。")
M_FILE_MISSING = define("M004", ERROR, "单位「{unit}」的填报表 {file} 不存在，未生成邮件。"
                                       "请重新运行 zonekit generate 生成填报表，再发邮件。")
M_CHANGED = define("M005", WARNING, "填报表 {file} 在生成后被改动过（与清单记录的 SHA256 不一致），"
                                    "邮件附带的是现在的文件。如不是有意修改，请重新运行 zonekit generate。")
M_NOTHING_TO_DO = define("M006", WARNING, "单位「{unit}」没有分到任何指标，不给它发邮件。")
M_NO_PROBLEMS = define("M007", ERROR, "单位「{unit}」的回收状态为「退回」，但没有可列出的问题，未生成退回邮件。"
                                      "请先运行 zonekit collect，查看回收登记后重新运行。")
M_NO_REMINDER = define("M008", WARNING, "单位「{unit}」的回收状态为「{value}」，不需要催报。")
M_UNKNOWN_UNIT = define("M009", WARNING, "回收状态中的单位「{unit}」不在 单位名单 中，未给它发邮件。"
                                         "请核对 工作台.xlsx 的 单位名单。")

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
_ADDRESS_SEPARATORS = re.compile(r"[,;，；、\s]+")
_PLACEHOLDER = re.compile(r"[{｛]([^{}｛｝]*)[}｝]")
_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')

_CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
}


class _MailPolicy(EmailPolicy):
    """policy.default, except that a header stored with ``set_raw`` — already encoded and folded here — is
    written exactly as stored (policy.default would re-encode it, see ``_content_type``)."""

    def fold(self, name, value):
        if type(value) is str:
            return f"{name}: {self.linesep.join(value.splitlines())}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name, value):
        if type(value) is str:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy(linesep="\r\n")


# ------------------------------------------------------------------ messages


@dataclass
class Outgoing:
    """One composed message for one unit, with what the send log needs to recognise it later."""

    unit: str
    purpose: str
    to: list[str]
    message: EmailMessage
    attachment: Path
    sha256: str  # of the attached bytes

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def as_bytes(self) -> bytes:
        return self.message.as_bytes(policy=MAIL_POLICY)


@dataclass
class MailPlan:
    """The messages of one run, and the units left out with the reason (units without an address …)."""

    purposes: tuple[str, ...]
    messages: list[Outgoing] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    only: bool = False  # limited with --only

    @property
    def blocking(self) -> list[Issue]:
        return [i for i in self.issues if i.blocking]


def format_date(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def attachment_note(name: str, refilled: bool) -> str:
    """{附件说明}: what the attached workbook is, and what to do with it."""
    if refilled:
        return (f"附件「{name}」是贵单位填报表的续填版：已填入贵单位报送的内容，有问题的单元格标为{layout.PROBLEM_COLOUR}"
                f"并附批注（鼠标移到单元格上即可查看）。请直接在附件上修改，保存后回复本邮件；未改动的内容不会丢失。")
    return f"附件「{name}」是贵单位的填报表，请在{layout.INPUT_COLOUR}单元格中填写，保存后回复本邮件。"


def deadline_text(deadline: date | None, today: date) -> str:
    """{期限说明}: '截止日期为2026年12月10日', or once it has passed '截止日期2026年11月29日已过，已逾期3天'."""
    if deadline is None:
        return ""
    late = (today - deadline).days
    return (f"截止日期{format_date(deadline)}已过，已逾期{late}天" if late > 0 else
            f"截止日期为{format_date(deadline)}" + ("（今天）" if late == 0 else ""))


def placeholder_values(project: Project, unit: Unit, *, attachment: str = "", indicators: int | None = None,
                       problems: str = "", refilled: bool = False, today: date | None = None) -> dict[str, str]:
    """What each placeholder stands for in this unit's message; {联系人} etc. are the office's contact."""
    if indicators is None:
        indicators = len(project.roles_of(unit.name))
    return {"单位": unit.name, "地区": project.region, "截止日期": format_date(project.deadline),
            "期限说明": deadline_text(project.deadline, today or date.today()),
            "联系人": project.contact, "联系电话": project.phone, "联系邮箱": project.email,
            "指标数": str(indicators), "附件": attachment, "问题清单": problems,
            "附件说明": attachment_note(attachment, refilled) if attachment else ""}


def template_of(project: Project, purpose: str) -> tuple[str, str]:
    """The (subject, body) for a purpose; MailError naming the sheet when it is missing or unusable."""
    where = f"工作台.xlsx 的 {layout.SHEET_MAIL}"
    subject, body = project.mail_templates.get(purpose) or ("", "")
    if not subject.strip() and not body.strip():
        raise MailError(f"{where} 中没有用途为「{purpose}」的邮件模板。请添加一行：用途「{purpose}」、主题、正文"
                        f"（可用占位符：{_placeholder_list()}），然后重新运行。")
    if not subject.strip() or not body.strip():
        part = "主题" if not subject.strip() else "正文"
        raise MailError(f"{where} 中用途「{purpose}」的模板没有{part}。请填写后重新运行。")
    unknown = [name for text in (subject, body) for name in _placeholders_in(text) if name not in PLACEHOLDERS]
    if unknown:
        names = "、".join(dict.fromkeys(f"{{{n}}}" for n in unknown))
        raise MailError(f"{where} 中用途「{purpose}」的模板有不认识的占位符 {names}。"
                        f"可用的占位符：{_placeholder_list()}。请改正后重新运行。")
    return subject, body


def fill_template(text: str, values: dict[str, str], *, purpose: str, part: str) -> str:
    """Replace the placeholders; an unknown one or one with no value is a MailError saying what to fill."""
    def replace(match: re.Match) -> str:
        name = layout.normalize_header(match.group(1))
        if name not in values:
            raise MailError(f"工作台.xlsx 的 {layout.SHEET_MAIL} 中用途「{purpose}」的{part}有不认识的占位符"
                            f"「{match.group(0)}」。可用的占位符：{_placeholder_list()}。请改正后重新运行。")
        value = values[name]
        if value == "":
            raise MailError(f"邮件模板「{purpose}」的{part}用到 {{{name}}}，但{_missing_reason(name, purpose)}")
        return value

    return _PLACEHOLDER.sub(replace, text)


def _placeholders_in(text: str) -> list[str]:
    return [layout.normalize_header(m.group(1)) for m in _PLACEHOLDER.finditer(text)]


def _placeholder_list() -> str:
    return " ".join(f"{{{p}}}" for p in PLACEHOLDERS)


def _missing_reason(name: str, purpose: str) -> str:
    if name in _PLACEHOLDER_SOURCE:
        return f"工作台.xlsx {_PLACEHOLDER_SOURCE[name]} 没有填写。请填写后重新运行。"
    if name == "问题清单":
        return (f"只有「{PURPOSE_REFUSED}」邮件才有问题清单。请从「{purpose}」模板中删去 {{问题清单}} 后重新运行。")
    return "这封邮件没有这一项。请从模板中删去它后重新运行。"


def compose(project: Project, unit: Unit, purpose: str, *, to: list[str], attachment: Path, data: bytes,
            indicators: int | None = None, problems: str = "", now: datetime | None = None,
            refilled: bool = False) -> EmailMessage:
    """The unit's message: template filled in, Chinese subject and names encoded for every mail client,
    the workbook attached (``refilled``: the unit's workbook with its answers filled back in).
    MailError when the template cannot be filled."""
    subject, body = template_of(project, purpose)
    values = placeholder_values(project, unit, attachment=attachment.name, indicators=indicators,
                                problems=problems, refilled=refilled, today=(now or datetime.now()).date())
    subject = " ".join(fill_template(subject, values, purpose=purpose, part="主题").split())
    body = fill_template(body.replace("\r\n", "\n").replace("\r", "\n"), values, purpose=purpose, part="正文")

    settings = project.mail
    msg = EmailMessage()
    msg["Subject"] = subject  # RFC 2047 encoded words on output
    if settings.sender:
        msg["From"] = Address(display_name=settings.sender_name or project.office, addr_spec=settings.sender)
    msg["To"] = ", ".join(to)
    if project.email and project.email != settings.sender:
        msg["Reply-To"] = project.email  # returns go to the office's mailbox, not the sending account
    msg["Date"] = format_datetime((now or datetime.now()).astimezone())
    domain = settings.sender.rpartition("@")[2] if "@" in settings.sender else "zonekit.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(body if body.endswith("\n") else body + "\n", cte="base64")
    ctype = _CONTENT_TYPES.get(attachment.suffix.lower(), "application/octet-stream")
    maintype, subtype = ctype.split("/")
    # Content-Disposition gets filename*= (RFC 2231) from the email package
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment.name)
    part = list(msg.iter_attachments())[-1]
    del part["Content-Type"]
    part.set_raw("Content-Type", _content_type(ctype, attachment.name))
    return msg


def _content_type(ctype: str, filename: str) -> str:
    """Content-Type with name="=?utf-8?b?…?=": Outlook and Foxmail read the file name from here and do
    not understand RFC 2231. policy.default would turn it into name*= (and, for long values, mangle the
    type itself), so the header is folded here and stored raw; each line stays within 78 characters."""
    if filename.isascii():
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
        return f'{ctype};\n name="{quoted}"'
    words = _encoded_words(filename)
    return f'{ctype};\n name="' + "\n ".join(words) + '"'


def _encoded_words(text: str, limit: int = 42) -> list[str]:
    """RFC 2047 'B' words of at most ``limit`` UTF-8 bytes each, never splitting a character."""
    chunks, chunk = [], b""
    for ch in text:
        raw = ch.encode("utf-8")
        if chunk and len(chunk) + len(raw) > limit:
            chunks.append(chunk)
            chunk = b""
        chunk += raw
    chunks.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks]


def split_addresses(unit: Unit) -> tuple[list[str], list[str]]:
    """(good, bad) addresses of a unit; a cell holding several addresses is split at , ; 、 and spaces."""
    good, bad = [], []
    for entry in unit.emails:
        for address in _ADDRESS_SEPARATORS.split(layout.normalize_text(entry)):
            if address:
                (good if _ADDRESS.match(address) else bad).append(address)
    return list(dict.fromkeys(good)), bad


def format_problems(problems: Iterable[Issue]) -> str:
    """The 退回 list: one numbered line per blocking issue with its sheet and cell (all issues when none
    blocks, so the unit still learns why)."""
    problems = list(problems)
    shown = [p for p in problems if p.blocking] or problems
    lines = []
    for n, p in enumerate(shown, 1):
        where = f"{p.sheet}!{p.cell}" if p.sheet and p.cell else (p.sheet or p.cell)
        shown_where = where and not p.message.startswith(where)  # collect's messages often start with it
        lines.append(f"{n}. {where}：{p.message}" if shown_where else f"{n}. {p.message}")
    return "\n".join(lines)


# ------------------------------------------------------------------ plans


def plan_mail(project: Project, manifest: list, *, only: Iterable[str] | None = None,
              now: datetime | None = None) -> MailPlan:
    """下发: one message per unit of the project with its generated workbook (``manifest``: the entries of
    zonekit.generate.read_manifest). Units left out are in ``plan.issues``."""
    chosen = _resolve_only(project, only)
    plan = MailPlan((PURPOSE_SEND,), only=chosen is not None)
    entries = {e.unit: e for e in manifest}
    for unit in project.units:
        if chosen is not None and unit.name not in chosen:
            continue
        if unit.name not in entries and not project.roles_of(unit.name):
            plan.issues.append(issue(M_NOTHING_TO_DO, unit=unit.name, sheet=layout.SHEET_TASKS))
            continue
        _add(plan, project, unit, PURPOSE_SEND, entries.get(unit.name), now=now)
    return plan


def plan_reminders(project: Project, manifest: list, statuses: list, *, only: Iterable[str] | None = None,
                   now: datetime | None = None, refills: dict | None = None) -> MailPlan:
    """催报 to units whose return is 未报 or 逾期, 退回 (with its blocking issues) to refused ones, each with
    its workbook attached again (``statuses``: zonekit.collect.unit_status). A unit in ``refills``
    (unit → zonekit.refill.Refilled) gets its workbook refilled with its answers and its problems marked,
    and its problem list names the cells of that attachment; the others get the blank form of 1-下发."""
    chosen = _resolve_only(project, only)
    plan = MailPlan((PURPOSE_REMIND, PURPOSE_REFUSED), only=chosen is not None)
    entries = {e.unit: e for e in manifest}
    by_unit = {s.unit: s for s in statuses}
    for name in by_unit.keys() - {u.name for u in project.units}:
        if chosen is None:
            plan.issues.append(issue(M_UNKNOWN_UNIT, unit=name, sheet=layout.SHEET_UNITS))
    for unit in project.units:
        status = by_unit.get(unit.name)
        if status is None or (chosen is not None and unit.name not in chosen):
            continue
        purpose = REMIND_STATES.get(status.state)
        if purpose is None:
            if chosen is not None:
                plan.issues.append(issue(M_NO_REMINDER, unit=unit.name, value=status.state))
            continue
        problems = ""
        refilled = (refills or {}).get(unit.name)
        if purpose == PURPOSE_REFUSED:
            problems = format_problems(refilled.problems if refilled and refilled.problems else status.issues or [])
            if not problems:
                plan.issues.append(issue(M_NO_PROBLEMS, unit=unit.name))
                continue
        _add(plan, project, unit, purpose, entries.get(unit.name), problems=problems, now=now, refilled=refilled)
    return plan


def _add(plan: MailPlan, project: Project, unit: Unit, purpose: str, entry, *, problems: str = "",
         now: datetime | None, refilled=None) -> None:
    good, bad = split_addresses(unit)
    if bad:
        plan.issues.append(issue(M_BAD_ADDRESS, unit=unit.name, sheet=layout.SHEET_UNITS, value="；".join(bad)))
        return
    if not good:
        plan.issues.append(issue(M_NO_ADDRESS, unit=unit.name, sheet=layout.SHEET_UNITS))
        return
    if entry is None:
        plan.issues.append(issue(M_NOT_GENERATED, unit=unit.name))
        return
    indicators = entry.indicators if isinstance(entry.indicators, int) else (
        len(entry.indicators) if entry.indicators else None)
    if refilled is not None:  # made in memory: it travels in the message (and the draft), nowhere else
        name = Path(refilled.name)
        message = compose(project, unit, purpose, to=good, attachment=name, data=refilled.data,
                          indicators=indicators, problems=problems, now=now, refilled=True)
        plan.messages.append(Outgoing(unit.name, purpose, good, message, name, refilled.sha256))
        return
    path = _entry_path(project, entry)
    if not path.is_file():
        plan.issues.append(issue(M_FILE_MISSING, unit=unit.name, file=path.name))
        return
    data = path.read_bytes()
    digest = _sha256(data)
    if entry.sha256 and entry.sha256.lower() != digest:
        plan.issues.append(issue(M_CHANGED, unit=unit.name, file=path.name))
    message = compose(project, unit, purpose, to=good, attachment=path, data=data, indicators=indicators,
                      problems=problems, now=now)
    plan.messages.append(Outgoing(unit.name, purpose, good, message, path, digest))


def _entry_path(project: Project, entry) -> Path:
    path = Path(entry.path)
    if path.is_absolute() or path.is_file():  # read_manifest gives paths as the project folder was named
        return path
    for base in (project.outgoing, project.root):
        if (base / path).is_file():
            return base / path
    return project.outgoing / path


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _resolve_only(project: Project, only: Iterable[str] | None) -> set[str] | None:
    """--only names (unit names or aliases) -> unit names; MailError with close matches for an unknown one."""
    if not only:
        return None
    known = {}
    for unit in project.units:
        for name in (unit.name, *unit.aliases):
            known[layout.normalize_header(name)] = unit.name
    chosen = set()
    for name in only:
        key = layout.normalize_header(name)
        if key not in known:
            close = difflib.get_close_matches(name, [u.name for u in project.units], n=3, cutoff=0.4)
            hint = f"相近的有：{'、'.join(close)}。" if close else ""
            raise MailError(f"单位名单 中没有「{name}」。{hint}请核对 --only 后的单位名称。")
        chosen.add(known[key])
    return chosen


# ------------------------------------------------------------------ drafts


@dataclass
class DraftResult:
    plan: MailPlan
    folder: Path
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)  # stale drafts of the same purposes
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.plan.blocking


def draft_name(purpose: str, unit: str) -> str:
    return _UNSAFE_FILE_CHARS.sub("_", f"{purpose}-{unit}.eml")


def write_drafts(project: Project, plan: MailPlan, *, dry_run: bool = False) -> DraftResult:
    """One .eml per message in outgoing/邮件草稿, marked X-Unsent so Outlook opens it as a message ready to
    send. Without --only, drafts of the same purposes for units no longer in the plan are removed, so the folder
    holds exactly this run's messages. The drafts of one run replace the old ones together, or not at all."""
    folder = project.outgoing / layout.DRAFTS_DIR
    result = DraftResult(plan, folder, dry_run=dry_run)
    result.written = [folder / draft_name(out.purpose, out.unit) for out in plan.messages]
    if not plan.only and folder.is_dir():
        keep = set(result.written)
        result.removed = [stale for purpose in plan.purposes for stale in sorted(folder.glob(f"{purpose}-*.eml"))
                          if stale not in keep]
    if dry_run:
        return result
    with OutputSet(folder, [p.name for p in result.written]) as outputs:  # names: the folder may be relative
        for out, path in zip(plan.messages, result.written):
            outputs.write(path.name, b"X-Unsent: 1\r\n" + out.as_bytes())
        for stale in result.removed:
            outputs.remove(stale.name)
    return result


# ------------------------------------------------------------------ send log


def log_path(project: Project) -> Path:
    return project.root / layout.SEND_LOG


def read_send_log(path: Path) -> list[dict[str, str]]:
    """The rows of the send log; a row cut short by a crash is ignored."""
    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if None not in r and all(r.get(c) is not None for c in LOG_COLUMNS)]


def delivered(rows: list[dict[str, str]]) -> set[tuple[str, str, str]]:
    """(unit, purpose, attachment sha256) of every message the log records as sent."""
    return {(r["单位"], r["用途"], r["附件SHA256"]) for r in rows if r["结果"] == LOG_OK}


def unknown_sends(rows: list[dict[str, str]]) -> dict[tuple[str, str, str], dict[str, str]]:
    """(unit, purpose, attachment sha256) → its last log row, for every message whose last attempt is 状态不明
    and that was never recorded as sent."""
    done, last = delivered(rows), {}
    for r in rows:
        last[(r["单位"], r["用途"], r["附件SHA256"])] = r
    return {key: r for key, r in last.items() if r["结果"] == LOG_UNKNOWN and key not in done}


def pending_path(project: Project) -> Path:
    return project.root / layout.LEDGER_DIR / layout.SEND_PENDING


def _note_pending(path: Path, row: dict[str, str]) -> None:
    """Before a message goes to the server: its log row, on disk, so that a run killed before it could log the
    result leaves a trace (the next run logs it 状态不明 instead of sending it again)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(row, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


def _settle_pending(pending: Path, log: Path) -> None:
    """A message a killed run was handing to the server (see _note_pending) is logged 状态不明."""
    try:
        with open(pending, encoding="utf-8") as fh:
            row = json.load(fh)
    except FileNotFoundError:
        return
    except (OSError, ValueError):  # cut short by the kill itself: written before anything went out
        pending.unlink(missing_ok=True)
        return
    row.update({"时间": datetime.now().isoformat(timespec="seconds"), "结果": LOG_UNKNOWN,
                "说明": f"{row.get('时间', '').replace('T', ' ')} 发送这封邮件时程序被中断（强制结束、断电等），"
                        "不知道服务器是否已经收下，可能已经送达。为免对方收到两份，不会自动重发：请核实后确认，"
                        "或用 --resend-unknown 重发"})
    append_log(log, row)
    pending.unlink()


def append_log(path: Path, row: dict[str, str]) -> None:
    """Add one row and push it to disk before returning, so a crash leaves every finished attempt recorded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    prefix = b""
    if not path.is_file() or path.stat().st_size == 0:
        writer.writerow(LOG_COLUMNS)
        prefix = "\ufeff".encode()  # so Excel opens the Chinese text as UTF-8
    else:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                prefix = b"\r\n"  # finish a line cut short by a crash; the reader drops it
    writer.writerow([row.get(c, "") for c in LOG_COLUMNS])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        fh.write(prefix + buffer.getvalue().encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


# ------------------------------------------------------------------ sending


@dataclass
class SendOutcome:
    unit: str
    purpose: str
    to: list[str]
    result: str  # SENT | SKIPPED | WOULD_SEND | FAILED
    detail: str = ""
    message_id: str = ""


@dataclass
class SendResult:
    plan: MailPlan
    log: Path
    outcomes: list[SendOutcome] = field(default_factory=list)
    stopped: str = ""  # why the run stopped before the end, in Chinese; empty when it ran through
    dry_run: bool = False

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def ok(self) -> bool:
        return not self.stopped and not self.plan.blocking and not any(
            self.count(r) for r in (FAILED, UNKNOWN, HELD))

    @property
    def unsure(self) -> list[SendOutcome]:
        """The messages left 状态不明, by this run or an earlier one: the clerk must check them."""
        return [o for o in self.outcomes if o.result in (UNKNOWN, HELD)]


class _Stop(Exception):
    """The run cannot go on (wrong password, no server, connection lost twice); carries the Chinese message."""


def security_of(value: str) -> str:
    text = layout.normalize_header(value).upper()
    if text in ("SSL", "SSL/TLS", "TLS", ""):
        return SECURITY_SSL
    if text in ("STARTTLS", "START TLS"):
        return SECURITY_STARTTLS
    if text in ("无", "NONE", "否", "不加密", "明文"):
        return SECURITY_NONE
    raise MailError(f"工作台.xlsx 基本信息 的「{layout.INFO_SMTP_SECURITY}」为「{value}」，看不懂。"
                    f"请填 SSL（一般用端口 465）、STARTTLS（端口 587）或 无。")


def check_settings(project: Project) -> None:
    """MailError naming the 基本信息 rows that sending needs and are empty."""
    settings = project.mail
    missing = [label for label, value in ((layout.INFO_SMTP_HOST, settings.host), (layout.INFO_SENDER, settings.sender))
               if not value.strip()]
    if missing:
        raise MailError(f"发送邮件需要 工作台.xlsx 基本信息 中的「{'」「'.join(missing)}」，现在没有填写。"
                        "请填写后重新运行（密码不要写进工作台，运行时输入或放在环境变量 "
                        f"{PASSWORD_ENV} 中）。")
    security_of(settings.security)


class _Tracking:
    """An SMTP client that knows whether the current message's content has gone out in full (the end-of-data
    dot written to the socket): a reply lost after that leaves the message 状态不明, one lost before does not."""

    data_sent = False
    _in_data = False

    def data(self, msg):
        self.data_sent, self._in_data = False, True
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def send(self, s):
        super().send(s)
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.data_sent = True


class _SMTP(_Tracking, smtplib.SMTP):
    pass


class _SMTP_SSL(_Tracking, smtplib.SMTP_SSL):
    pass


class _Connection:
    """One SMTP session that can be opened again after the server drops it."""

    def __init__(self, project: Project, password, ssl_context, timeout: float):
        self.settings = project.mail
        self.security = security_of(self.settings.security)
        self.port = self.settings.port or DEFAULT_PORTS[self.security]
        self._password = password
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.smtp: smtplib.SMTP | None = None

    def password(self) -> str:
        if callable(self._password):
            self._password = self._password()  # asked once, kept in memory only
        return self._password or ""

    def open(self) -> None:
        s, where = self.settings, f"{self.settings.host}:{self.port}"
        context = self.ssl_context or ssl.create_default_context()
        try:
            if self.security == SECURITY_SSL:
                self.smtp = _SMTP_SSL(s.host, self.port, timeout=self.timeout, context=context)
            else:
                self.smtp = _SMTP(s.host, self.port, timeout=self.timeout)
                if self.security == SECURITY_STARTTLS:
                    self.smtp.ehlo()
                    self.smtp.starttls(context=context)
                    self.smtp.ehlo()
            if s.user:
                self.smtp.login(s.user, self.password())
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise _Stop(f"登录邮件服务器 {where} 失败：用户名或密码不对（服务器答复：{_reply(exc)}）。"
                        f"请核对 基本信息 的「{layout.INFO_SMTP_USER}」，密码请用邮箱的授权码"
                        "（QQ、163 等邮箱需在网页版设置中开启 SMTP 并生成授权码），然后重新运行。") from exc
        except smtplib.SMTPNotSupportedError as exc:
            self.close()
            raise _Stop(f"邮件服务器 {where} 不支持{'STARTTLS 加密' if 'STARTTLS' in str(exc).upper() else '登录'}"
                        f"（{exc}）。请核对 基本信息 的「{layout.INFO_SMTP_SECURITY}」和「{layout.INFO_SMTP_PORT}」。") from exc
        except ssl.SSLError as exc:
            self.close()
            raise _Stop(f"与邮件服务器 {where} 建立加密连接失败（{exc}）。请核对「{layout.INFO_SMTP_SECURITY}」："
                        "端口 465 一般用 SSL，587 用 STARTTLS。") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise _Stop(f"连不上邮件服务器 {where}（{exc}）。请核对 基本信息 的「{layout.INFO_SMTP_HOST}」"
                        f"「{layout.INFO_SMTP_PORT}」「{layout.INFO_SMTP_SECURITY}」，以及网络。") from exc

    def send(self, out: Outgoing) -> dict:
        assert self.smtp is not None
        self.smtp.data_sent = False
        return self.smtp.sendmail(self.settings.sender, out.to, out.as_bytes())

    @property
    def data_sent(self) -> bool:
        """Whether the last message's content went out in full (then a missing reply leaves it 状态不明)."""
        return bool(self.smtp is not None and self.smtp.data_sent)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def quit(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.close()


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


def send(project: Project, plan: MailPlan, *, password: str | Callable[[], str] | None = None,
         resend: bool = False, resend_unknown: bool = False, dry_run: bool = False, pause: float | None = None,
         ssl_context: ssl.SSLContext | None = None, timeout: float | None = None,
         sleep: Callable[[float], None] = time.sleep,
         progress: Callable[[SendOutcome], None] | None = None,
         confirm: Callable[[Outgoing, dict], str | None] | None = None) -> SendResult:
    """Send the plan's messages over SMTP, one log row per attempt. Messages the log records as sent are
    skipped unless ``resend``. A refused recipient fails that unit only; a connection dropped before a
    message's content went out is reopened once (and the unit tried again), a second drop or a wrong password
    stops the run (``result.stopped``).

    Exactly once: a message whose content went out but whose reply never came (the server dropped the line,
    or answered after ``timeout`` seconds — default: the project's SMTP超时秒数) is logged 状态不明 and not sent
    again, by this run or a later one, unless ``resend_unknown``; ``confirm(message, last log row)`` may settle
    it: CONFIRM_RECEIVED logs it as sent, CONFIRM_RESEND sends it again, None leaves it 状态不明.
    ``password`` may be a callable, asked only when a login is needed."""
    check_settings(project)
    path, pending = log_path(project), pending_path(project)
    result = SendResult(plan, path, dry_run=dry_run)
    if not dry_run:
        _settle_pending(pending, path)
    rows = read_send_log(path)
    done = set() if resend else delivered(rows)
    unsure = {} if resend or resend_unknown else unknown_sends(rows)
    timeout = project.mail.timeout if timeout is None else timeout

    def log_row(out: Outgoing, log_result: str, detail: str) -> dict[str, str]:
        return {"时间": datetime.now().isoformat(timespec="seconds"), "用途": out.purpose, "轮次": project.round,
                "单位": out.unit, "收件人": "; ".join(out.to), "邮件ID": out.message_id, "附件": out.attachment.name,
                "附件SHA256": out.sha256, "结果": log_result, "说明": detail}

    def record(out: Outgoing, outcome: str, detail: str = "", log_result: str | None = None) -> None:
        item = SendOutcome(out.unit, out.purpose, out.to, outcome, detail, out.message_id)
        result.outcomes.append(item)
        if log_result is not None:
            append_log(path, log_row(out, log_result, detail))
            pending.unlink(missing_ok=True)  # its result is logged
        if progress:
            progress(item)

    todo = []
    for out in plan.messages:
        key = (out.unit, out.purpose, out.sha256)
        if key in done:
            record(out, SKIPPED, "发送记录显示已发送成功；如需再发请加 --resend")
            continue
        if key in unsure:
            answer = confirm(out, unsure[key]) if confirm is not None and not dry_run else None
            if answer == CONFIRM_RECEIVED:
                record(out, CONFIRMED, "经核实对方已收到（上次发送状态不明）", LOG_OK)
                continue
            if answer != CONFIRM_RESEND:
                record(out, HELD, f"{unsure[key]['时间'].replace('T', ' ')} 发送后没有收到服务器的确认，可能已经送达；"
                                  "为免对方收到两份，没有重发")
                continue
        if dry_run:
            record(out, WOULD_SEND)
        else:
            todo.append(out)
    if not todo:
        return result

    pause = project.mail.pause if pause is None else pause
    connection = _Connection(project, password, ssl_context, timeout)
    rest = (f"已发送的邮件都记在 {layout.SEND_LOG} 中；问题解决后重新运行同一命令，只会发送其余单位。")
    try:
        connection.open()
    except _Stop as exc:
        result.stopped = f"{exc} 本次没有发送任何邮件。"
        return result
    reopened = False
    try:
        for n, out in enumerate(todo):
            if n and pause > 0:
                sleep(pause)
            while True:
                try:
                    _note_pending(pending, log_row(out, "", ""))
                    refused = connection.send(out)
                except KeyboardInterrupt:  # Ctrl-C or SIGTERM while the message was being handed over
                    if connection.data_sent:
                        record(out, UNKNOWN, "邮件内容已发出，等待服务器答复时发送被中断，可能已经送达。为免对方收到两份，"
                                             "不会自动重发：请核实后确认，或用 --resend-unknown 重发", LOG_UNKNOWN)
                    else:
                        record(out, FAILED, "发送被中断，这封邮件没有发出", LOG_FAILED)
                    raise
                except smtplib.SMTPRecipientsRefused as exc:
                    detail = "收件地址被拒收：" + "；".join(f"{a}（{_reply_of(r)}）" for a, r in exc.recipients.items())
                    record(out, FAILED, detail + "。请核对 单位名单 中该单位的邮箱。", LOG_FAILED)
                except smtplib.SMTPSenderRefused as exc:
                    record(out, FAILED, f"服务器拒绝发件地址（{_reply(exc)}）", LOG_FAILED)
                    raise _Stop(f"邮件服务器拒绝用 {project.mail.sender} 发信（{_reply(exc)}）。请确认 基本信息 的"
                                f"「{layout.INFO_SENDER}」与「{layout.INFO_SMTP_USER}」是同一个邮箱。{rest}")
                except smtplib.SMTPServerDisconnected as exc:
                    if connection.data_sent:
                        reopened = _unanswered(out, exc, reopened, record, connection, rest)
                        break
                    reopened = _dropped(out, exc, reopened, record, connection, rest)
                    continue
                except smtplib.SMTPResponseException as exc:
                    record(out, FAILED, f"服务器不接收这封邮件（{_reply(exc)}）", LOG_FAILED)
                except smtplib.SMTPException as exc:
                    record(out, FAILED, f"发送出错（{exc}）", LOG_FAILED)
                except OSError as exc:  # reset, broken pipe, timeout: the connection is gone
                    if connection.data_sent:
                        reopened = _unanswered(out, exc, reopened, record, connection, rest)
                        break
                    reopened = _dropped(out, exc, reopened, record, connection, rest)
                    continue
                else:
                    detail = ""
                    if refused:
                        detail = "部分地址被拒收：" + "；".join(f"{a}（{_reply_of(r)}）" for a, r in refused.items())
                    record(out, SENT, detail, LOG_OK)
                break
    except _Stop as exc:
        result.stopped = str(exc)
    finally:
        connection.quit()
    return result


def _dropped(out: Outgoing, exc: Exception, reopened: bool, record, connection: _Connection, rest: str) -> bool:
    """Log the unit as not sent (its content never went out in full); reopen the connection the first time,
    stop the run the second."""
    record(out, FAILED, f"与服务器的连接中断（{exc or type(exc).__name__}），这封邮件没有发出", LOG_FAILED)
    return _reopen(reopened, connection, rest)


def _unanswered(out: Outgoing, exc: Exception, reopened: bool, record, connection: _Connection, rest: str) -> bool:
    """The content went out, the reply never came: 状态不明, never retried; the run goes on with the others."""
    record(out, UNKNOWN, f"邮件内容已发出，但服务器没有答复（{exc or type(exc).__name__}），可能已经送达。"
                         "为免对方收到两份，不会自动重发：请核实后确认，或用 --resend-unknown 重发", LOG_UNKNOWN)
    return _reopen(reopened, connection, rest)


def _reopen(reopened: bool, connection: _Connection, rest: str) -> bool:
    connection.close()
    if reopened:
        raise _Stop(f"与邮件服务器的连接再次中断，已停止发送。{rest}")
    try:
        connection.open()
    except _Stop as again:
        raise _Stop(f"与邮件服务器的连接中断后重连失败：{again} {rest}") from again
    return True


def _reply_of(reply) -> str:
    code, text = reply if isinstance(reply, tuple) else (reply, b"")
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}".strip()


def env_password() -> str:
    """The SMTP password from the environment (``ZONEKIT_SMTP_PASSWORD``), or ''."""
    return os.environ.get(PASSWORD_ENV, "")


# ------------------------------------------------------------------ wrappers taking a project folder


def _plan_for(root: Path | str, *, reminders: bool, only: Iterable[str] | None) -> tuple[Project, MailPlan]:
    from zonekit.generate import read_manifest
    from zonekit.workbench import load_project

    project = load_project(Path(root))
    manifest = read_manifest(project)
    if reminders:
        from zonekit.collect import unit_status
        from zonekit.refill import refill_units

        statuses = unit_status(project)
        refused = {s.unit for s in statuses if s.state == layout.STATE_RETURNED}
        return project, plan_reminders(project, manifest, statuses, only=only,
                                       refills=refill_units(project, refused) if refused else {})
    return project, plan_mail(project, manifest, only=only)


def draft_mail(root: Path | str, *, reminders: bool = False, only: Iterable[str] | None = None,
               dry_run: bool = False) -> DraftResult:
    """Drafts for the project in ``root``: 下发 to every unit, or reminders after a collect."""
    project, plan = _plan_for(root, reminders=reminders, only=only)
    return write_drafts(project, plan, dry_run=dry_run)


def send_mail(root: Path | str, *, reminders: bool = False, only: Iterable[str] | None = None,
              dry_run: bool = False, resend: bool = False, resend_unknown: bool = False, pause: float | None = None,
              timeout: float | None = None, password: str | Callable[[], str] | None = None,
              ssl_context: ssl.SSLContext | None = None, progress: Callable[[SendOutcome], None] | None = None,
              confirm: Callable[[Outgoing, dict], str | None] | None = None) -> SendResult:
    """Send the project's 下发 mail (or reminders) with the settings in 工作台.xlsx; see ``send``."""
    project, plan = _plan_for(root, reminders=reminders, only=only)
    return send(project, plan, password=password, resend=resend, resend_unknown=resend_unknown, dry_run=dry_run,
                pause=pause, timeout=timeout, ssl_context=ssl_context, progress=progress, confirm=confirm)
