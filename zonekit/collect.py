"""Collect the returned files of a project: walk the folder (zips, nested zips and e-mails included), read and
validate every workbook, keep the newest return per unit, merge the lead units' answers into one answer set,
say per unit what is in and what is missing, and write 回收登记 / 合并结果 and the state for `status`/`remind`.

Never modifies an input file; one bad file never stops the run; outputs are written atomically; the same
inputs give the same result.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import zipfile
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Callable, Iterable

from zonekit import layout, pool, values
from zonekit.answers import Answers, ListEntry
from zonekit.evidence import R_PICTURE_DROPPED, EvidenceFile, dropped_pictures, extract as extract_pictures, what
from zonekit.files import STAGING_DIR, write_atomic
from zonekit.intake import (KIND_CLAIM, KIND_DATA, KIND_JUDGED, KIND_LIST, MAX_UNPACKED_BYTES, R_BOMB, R_LOCK,
                            R_NAME_BYTES, R_NOT_WORKBOOK, R_SPECIAL, R_UNREADABLE, R_UNSAFE, R_ZIP_PASSWORD, Answer,
                            Plan, ProgressEntry, ReturnRecord, is_lock_file, member_name, parse_time, plausible_time,
                            printable, read_regular, read_return, sniff, zip_guard)
from zonekit.issues import WARNING, Issue, Report, define, issue
from zonekit.project import Project

R_SUPERSEDED = define("R401", WARNING, "已被同一单位较新的文件「{newer}」替代（{why}），本文件未采用。无需处理。")
R_CONFLICT = define("R402", WARNING, "{what}：「{unit}」填报 {value}，「{used_unit}」填报 {used}，两者不一致；"
                                     "按任务分解中排在前面的牵头单位「{used_unit}」的 {used} 计分。请两单位核对后统一。")
R_OVERDUE = define("R403", WARNING, "填报截止日期 {deadline} 已过，仍未收到「{unit}」可用的填报表。请催报。")
R_LATE = define("R404", WARNING, "「{unit}」的填报表于 {time} 收到，晚于填报截止日期 {deadline}。")
R_NOT_RETURNED = define("R405", WARNING, "尚未收到「{unit}」的填报表（截止日期 {deadline}）。")
R_NEWER_REFUSED = define("R407", WARNING, "「{unit}」较新的文件「{newer}」被退回，暂采用较早的「{file}」。"
                                          "请让该单位按退回原因修改后重新发送。")

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
MAX_DEPTH = 3  # archives inside archives inside archives, no deeper
STATE_VERSION = 1

_DESCRIBED = {".pdf": "PDF 文件", ".doc": "Word 文档", ".docx": "Word 文档", ".wps": "WPS 文字文档",
              ".jpg": "图片", ".jpeg": "图片", ".png": "图片", ".gif": "图片", ".bmp": "图片", ".txt": "文本文件",
              ".csv": "CSV 文件", ".rar": "RAR 压缩包（请改用 zip）", ".7z": "7z 压缩包（请改用 zip）",
              ".msg": "Outlook 邮件（请另存为 .eml）", ".ods": "ODF 表格（请另存为 .xlsx）",
              ".et": "WPS 表格专用格式（请另存为 .xlsx）", ".xlsb": "二进制工作簿（请另存为 .xlsx）"}


# ---------------------------------------------------------------- results


@dataclass
class UnitStatus:
    """Completeness and timeliness of one unit that has work to do (as DHIS2 reports them).

    state: 已报 (a usable return without blocking errors) / 未报 (nothing usable yet) / 逾期 (nothing usable
    and the deadline has passed) / 退回 (its return has blocking errors, or every file it sent was refused).
    A return received after the deadline is 已报 with a R404 warning."""

    unit: str
    state: str
    last_file: str = ""  # the adopted return, else the newest refused one
    received_at: str = ""  # ISO 8601: the e-mail's Date, else the workbook's saved time, else the file's time
    missing: list[str] = field(default_factory=list)  # required inputs still missing, as labels
    issues: list[Issue] = field(default_factory=list)  # of the adopted (or refused) return, plus unit-level ones
    role: str = ""  # 牵头 / 责任 / 牵头、责任
    files: list[str] = field(default_factory=list)  # every file identified as this unit's

    @property
    def errors(self) -> list[Issue]:
        return Report(self.issues).errors

    @property
    def warnings(self) -> list[Issue]:
        return Report(self.issues).warnings

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "UnitStatus":
        data = dict(data)
        data["issues"] = [Issue(**i) for i in data.get("issues", [])]
        return cls(**data)


@dataclass
class Contribution:
    """One answer a unit gave and whether it is the one scored. Iterates as (unit, key, text, used)."""

    unit: str
    key: str  # row key: online_retail@2023, new_large_traders#2, 11.3
    text: str  # the value as read (12.5%, 是, "甲公司：12000"), or as typed when not used
    used: bool
    kind: str = ""  # data | list | claim | judged | national
    indicator: str = ""  # indicator number(s) reading it, "3、9"
    label: str = ""
    value: object = None  # Fraction | bool | None
    year: int | None = None
    measure: str = ""  # 计量单位
    file: str = ""
    sheet: str = ""
    cell: str = ""
    status: str = ""  # 采用 / 冲突未采用 / 相同未重复计 / 有错误未采用
    note: str = ""  # 数据来源及说明

    def __iter__(self):
        return iter((self.unit, self.key, self.text, self.used))


@dataclass
class CollectResult:
    """What a collect found; the scoring/summary helpers read it.

    answers:       the merged answer set (lead units' inputs, national values from 全国数据) for scoring.
    returns:       one ReturnRecord per file seen, sorted by path, each with status 采用/已被替代/退回/跳过 and
                   reason; superseded returns keep identity and issues but not their answers.
    units:         UnitStatus for every unit with work to do, in 单位名单 order.
    issues:        Report of every issue: of every file, plus conflicts and unit-level ones.
    contributions: who gave which answer (iterates as (unit, key, text, used)); one per answer per unit.
    progress:      indicator number → ProgressEntry of each unit (leads first, in 任务分解 order):
                   unit, role, progress (工作进展), evidence (佐证材料说明), files (佐证材料清单), problems (存在问题).
    evidence:      pictures copied to 3-输出/佐证材料/<unit>/<indicator>/.
    conflicts:     indicator numbers where two lead units disagree.
    """

    project: Project
    answers: Answers
    returns: list[ReturnRecord]
    units: list[UnitStatus]
    issues: Report
    contributions: list[Contribution]
    progress: dict[str, list[ProgressEntry]]
    evidence: list[EvidenceFile]
    conflicts: set[str] = field(default_factory=set)
    intake_log: Path | None = None
    merged: Path | None = None
    state: Path | None = None

    @property
    def remaining(self) -> list[Issue]:
        """Blocking issues someone still has to act on: not those of superseded returns, nor of a refused file
        whose unit has since sent a newer return that was adopted."""
        records = {r.file: r for r in self.returns}
        adopted = {r.unit: r for r in self.returns if r.status == layout.STATUS_ADOPTED}
        out = []
        for found in self.issues.errors:
            rec = records.get(found.file)
            if rec is not None and rec.status == layout.STATUS_SUPERSEDED:
                continue
            if rec is not None and rec.status == layout.STATUS_REFUSED and rec.unit in adopted \
                    and not _newer(rec, adopted[rec.unit]):
                continue
            out.append(found)
        return out

    @property
    def valid(self) -> bool:
        return not self.remaining

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in (layout.STATUS_ADOPTED, layout.STATUS_SUPERSEDED, layout.STATUS_REFUSED,
                              layout.STATUS_SKIPPED)}
        for r in self.returns:
            out[r.status] = out.get(r.status, 0) + 1
        return out


# ---------------------------------------------------------------- walking the inputs


def input_files(project: Project, extra_paths: Iterable = ()) -> list[Path]:
    """Every entry under the returned folder and the extra paths, recursively, sorted, without repeats: regular
    files and also what is not one (links, FIFOs, sockets, devices, folders that cannot be opened), so that
    read_path can list each with a reason. Symbolic links to folders are listed, not entered (no loops)."""
    roots = [project.returned, *[Path(p) for p in extra_paths]]
    seen, out = set(), []  # by absolute path; symlinks are not resolved (cheap for 10,000 files)
    for root in roots:
        if root.is_dir():
            candidates = sorted(_entries(root))
        elif os.path.lexists(root):
            candidates = [root]
        else:
            continue
        for path in candidates:
            key = os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                out.append(path)
    return out


def _entries(folder: Path):
    """Everything below ``folder`` except the folders themselves (a folder that cannot be opened is an entry)."""
    try:
        with os.scandir(folder) as found:
            items = list(found)
    except OSError:
        yield folder
        return
    for item in items:
        path = Path(item.path)
        try:
            real_folder = item.is_dir(follow_symlinks=False)
        except OSError:
            real_folder = False
        if real_folder and item.name == STAGING_DIR:
            continue  # a staging folder zonekit itself left (outputs being replaced), not a return
        if real_folder:
            yield from _entries(path)
        else:
            yield path


def display_path(path: Path, project: Project) -> str:
    """The path relative to the project folder (forward slashes), or as given when outside it; bytes of a name
    that are not UTF-8 are shown as escapes."""
    full, root = os.path.abspath(path), os.path.abspath(project.root)
    if full.startswith(root + os.sep):
        return printable(Path(full[len(root) + 1:]).as_posix())
    return printable(str(path))


def read_path(path: Path, project: Project, plan: Plan) -> list[ReturnRecord]:
    """The records of one entry on disk: one per workbook inside it (archives and e-mails are opened); an entry
    that is not a regular file is skipped with its reason, never opened (a FIFO would block)."""
    walk = _Walk(project, plan)
    shown, origin, name = display_path(path, project), (str(path),), printable(path.name)
    if is_lock_file(name):  # often still locked by the office suite: do not even read it
        try:
            size = path.lstat().st_size
        except OSError:
            size = 0
        walk.note(ReturnRecord(shown, name, size=size, origin=origin), R_LOCK)
        return walk.out
    got = read_regular(path)
    if got.data is None:
        walk.note(ReturnRecord(shown, name, size=got.size, origin=origin, file_time=got.mtime), got.code,
                  reason=got.reason)
    else:
        walk.arrived = got.mtime
        walk.expand(got.data, path.name, shown, origin, got.mtime)
    return walk.out


def _hash(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


class _Walk:
    """Opens one file on disk down to its workbooks: archives inside archives, e-mail attachments."""

    def __init__(self, project: Project, plan: Plan):
        self.project, self.plan = project, plan
        self.out: list[ReturnRecord] = []
        self.budget = MAX_UNPACKED_BYTES  # for every archive inside this one file together
        self.arrived = ""  # when the file on disk reached the office (its time on disk)

    def note(self, record: ReturnRecord, code: str, **params) -> None:
        """A file that is not read as a workbook: skipped for R004/R005/R008, refused for every other code."""
        if code in (R_LOCK, R_NOT_WORKBOOK, R_SPECIAL):
            record.skipped = True
            record.add(code, **params)
        else:
            record.refuse(code, **params)
        self.out.append(record)

    @staticmethod
    def leaf(name, shown, origin, data, stamp) -> ReturnRecord:
        return ReturnRecord(shown, name, size=len(data), sha256=_hash(data), origin=origin, file_time=stamp,
                            received_at=stamp, format=Path(name).suffix.lower().lstrip("."))

    def workbook(self, data, name, shown, origin, stamp, received, sender) -> None:
        self.out.append(read_return(data, name, self.project, plan=self.plan, file=shown, file_time=stamp,
                                    received_at=received, sender=sender, origin=origin,
                                    arrived=received or self.arrived))

    def expand(self, data: bytes, name: str, shown: str, origin: tuple, stamp: str, received: str = "",
               sender: str = "", depth: int = 0) -> None:
        if printable(name) != name:  # a GBK name from a Windows USB stick, or 8-bit bytes in a mail header
            first = len(self.out)
            self.expand(data, printable(name), printable(shown), origin, stamp, received, sender, depth)
            for rec in self.out[first:]:
                rec.add(R_NAME_BYTES, value=printable(name), guess=_guess_name(name))
            return
        suffix = Path(name).suffix.lower()
        if is_lock_file(name):
            self.note(self.leaf(name, shown, origin, data, stamp), R_LOCK)
            return
        kind = sniff(data)
        if kind == "zip" and suffix in WORKBOOK_SUFFIXES:  # the common case: opened once, by intake
            self.workbook(data, name, shown, origin, stamp, received, sender)
        elif kind == "zip":
            try:
                zf = zipfile.ZipFile(io.BytesIO(data))
                names = set(zf.namelist())
            except (zipfile.BadZipFile, ValueError) as exc:
                self.note(self.leaf(name, shown, origin, data, stamp), R_UNREADABLE, reason=f"压缩结构损坏：{exc}")
                return
            if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                self.workbook(data, name, shown, origin, stamp, received, sender)
            elif "[Content_Types].xml" in names or "mimetype" in names:
                self.note(self.leaf(name, shown, origin, data, stamp), R_NOT_WORKBOOK,
                          reason=_DESCRIBED.get(suffix, "Office 文档，不是 Excel 表格"))
            else:
                self.archive(zf, data, name, shown, origin, stamp, received, sender, depth)
        elif kind == "ole" and suffix in (".doc", ".ppt", ".msg", ".wps"):
            self.note(self.leaf(name, shown, origin, data, stamp), R_NOT_WORKBOOK,
                      reason=_DESCRIBED.get(suffix, "Office 文档"))
        elif kind == "ole":
            self.workbook(data, name, shown, origin, stamp, received, sender)
        elif suffix == ".eml" or (suffix == "" and _looks_like_mail(data)):
            self.mail(data, name, shown, origin, stamp, depth)
        elif suffix in WORKBOOK_SUFFIXES:
            self.note(self.leaf(name, shown, origin, data, stamp), R_UNREADABLE,
                      reason="文件已损坏，或不是真正的 Excel 文件（可能是网页或文本改了扩展名）")
        else:
            self.note(self.leaf(name, shown, origin, data, stamp), R_NOT_WORKBOOK,
                      reason=_DESCRIBED.get(suffix, f"{suffix or '无扩展名'} 文件"))

    def archive(self, zf, data, name, shown, origin, stamp, received, sender, depth) -> None:
        reason = zip_guard(zf, self.budget)
        if reason is None and depth >= MAX_DEPTH:
            reason = f"压缩包嵌套超过 {MAX_DEPTH} 层"
        if reason:
            self.note(self.leaf(name, shown, origin, data, stamp), R_BOMB, reason=reason)
            return
        self.budget -= sum(i.file_size for i in zf.infolist())
        members = sorted((i for i in zf.infolist() if not i.is_dir()), key=member_name)
        if not members:
            self.note(self.leaf(name, shown, origin, data, stamp), R_NOT_WORKBOOK, reason="空压缩包")
            return
        for info in members:
            inner = member_name(info)
            base = inner.rsplit("/", 1)[-1]
            if base.startswith("__MACOSX") or "/__MACOSX/" in f"/{inner}" or base == ".DS_Store":
                continue  # macOS metadata, not something the sender meant to send
            try:
                member_stamp = datetime(*info.date_time).astimezone(timezone.utc).isoformat()
            except (ValueError, OverflowError):
                member_stamp = stamp
            record = ReturnRecord(f"{shown}!{inner}", base, size=info.file_size,
                                  origin=origin + (f"zip:{info.filename}",), file_time=member_stamp)
            if info.flag_bits & 0x1:
                self.note(record, R_ZIP_PASSWORD, value=inner)
                continue
            try:
                content = zf.read(info)
            except (zipfile.BadZipFile, RuntimeError, OSError, NotImplementedError, EOFError) as exc:
                self.note(record, R_UNREADABLE, reason=f"压缩包中的文件损坏：{exc}")
                continue
            self.expand(content, base, record.file, record.origin, member_stamp, received, sender, depth + 1)

    def mail(self, data, name, shown, origin, stamp, depth) -> None:
        try:
            message = email.message_from_bytes(data, policy=email.policy.default)
            sender = printable(parseaddr(str(message.get("From", "")))[1])
            received = _mail_date(message.get("Date"))
            parts = _attachments(message)
        except Exception as exc:  # the e-mail parser is lenient; this catches only truly broken files
            self.note(self.leaf(name, shown, origin, data, stamp), R_UNREADABLE, reason=f"邮件无法解析：{exc}")
            return
        if not parts:
            self.note(self.leaf(name, shown, origin, data, stamp), R_NOT_WORKBOOK, reason="邮件中没有附件")
            return
        for n, part in enumerate(parts):
            filename = part.get_filename() or f"附件{n + 1}"
            content = part.get_payload(decode=True) or b""
            self.expand(content, filename, f"{shown}!{filename}", origin + (f"eml:{n}",), received or stamp,
                        received, sender, depth + 1)


def _mail_date(sent) -> str:
    """The e-mail's Date as ISO 8601 UTC; "" when missing, unreadable or not a believable time."""
    try:
        moment = parsedate_to_datetime(str(sent)) if sent else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return ""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat() if plausible_time(moment) else ""


def _guess_name(name: str) -> str:
    """What a name that is not UTF-8 reads as in GBK (Windows' Chinese code page), when it does."""
    try:
        guess = name.encode("utf-8", "surrogateescape").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return ""
    return f"（按 GBK 编码读作「{guess}」）"


def _looks_like_mail(data: bytes) -> bool:
    head = data[:2048].lower()
    return b"\nfrom:" in b"\n" + head and (b"\nsubject:" in head or b"\nmime-version:" in head)


def _attachments(message) -> list:
    """Attachment parts in order, descending into forwarded messages."""
    return [part for part in message.walk() if not part.is_multipart() and part.get_filename()]


def load_origin(origin: tuple[str, ...]) -> bytes:
    """The bytes of a (possibly nested) file again, from its origin (path, zip:member, eml:index …)."""
    data = Path(origin[0]).read_bytes()
    for step in origin[1:]:
        how, _, which = step.partition(":")
        if how == "zip":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                data = zf.read(which)
        elif how == "eml":
            message = email.message_from_bytes(data, policy=email.policy.default)
            data = _attachments(message)[int(which)].get_payload(decode=True) or b""
    return data


# ---------------------------------------------------------------- reading, each file isolated

_WORKER: dict = {}


def _init_worker(project: Project) -> None:
    _WORKER["project"] = project
    _WORKER["plan"] = Plan(project)


def _work(path: str) -> list[ReturnRecord]:
    return [r.pack() for r in read_path(Path(path), _WORKER["project"], _WORKER["plan"])]


def read_all(project: Project, paths: list[Path], workers: int | None = None,
             on_file: Callable[[int], None] | None = None, sink: Callable[[list[ReturnRecord]], None] | None = None,
             *, seconds: float = pool.FILE_SECONDS, memory: int | None = pool.FILE_MEMORY) -> None:
    """Read every path, each in a worker process under a time (``seconds``) and memory budget — one file too,
    as for `zonekit check`: a file that crashes, aborts, exhausts memory or hangs its reader is refused with
    R020 and the rest goes on. ``sink`` receives each file's records as they arrive (order may vary)."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 8)

    def unsafe(path: str, reason: str) -> list[ReturnRecord]:
        entry = Path(path)
        try:
            size = entry.lstat().st_size
        except OSError:
            size = 0
        record = ReturnRecord(display_path(entry, project), printable(entry.name), size=size, origin=(path,))
        record.refuse(R_UNSAFE, reason=reason)
        return [record]

    results = pool.run([str(p) for p in paths], _init_worker, (project,), _work, unsafe, workers=workers,
                       seconds=seconds, memory=memory)
    with closing(results):  # whatever stops this loop (a sink that raises, Ctrl-C) stops the workers at once
        for _, records in results:
            if sink:
                sink(records)
            if on_file:
                on_file(1)


# ---------------------------------------------------------------- choosing, merging, completeness


class _Selection:
    """Keeps the newest readable return per unit as records stream in; losers drop their answers at once."""

    def __init__(self):
        self.records: list[ReturnRecord] = []
        self.best: dict[str, ReturnRecord] = {}

    def add(self, records: list[ReturnRecord]) -> None:
        for rec in records:
            self.records.append(rec)
            if rec.skipped:
                rec.status = layout.STATUS_SKIPPED
            elif not rec.readable:
                rec.status = layout.STATUS_REFUSED
            else:
                current = self.best.get(rec.unit)
                if current is None or _newer(rec, current):
                    if current is not None:
                        _strip(current)
                    self.best[rec.unit] = rec
                else:
                    _strip(rec)
            if rec.status in (layout.STATUS_SKIPPED, layout.STATUS_REFUSED) and not rec.reason:
                rec.reason = _reason(rec)


def _newer(a: ReturnRecord, b: ReturnRecord) -> bool:
    """a newer than b: by saved time (file time as fallback); equal times: the later path wins, for determinism."""
    return (a.order_time, a.file) > (b.order_time, b.file)


def _strip(rec: ReturnRecord) -> None:
    # its pictures stay: evidence is kept across versions
    rec.answers, rec.progress, rec.texts, rec.packed = [], [], {}, None
    rec.status = layout.STATUS_SUPERSEDED


def _reason(rec: ReturnRecord) -> str:
    first = rec.errors[0] if rec.errors else (rec.issues[0] if rec.issues else None)
    return first.message if first else ""


def _local(text: str) -> str:
    """'2024-06-30 17:05' in local time, for people."""
    moment = parse_time(text)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def _local_date(text: str) -> date | None:
    moment = parse_time(text)
    return moment.astimezone().date() if moment else None


def _ranks(project: Project) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Lead units in 任务分解 order per data item and per scheme item: the first one listed is scored."""
    by_data: dict[str, list[str]] = {}
    by_item: dict[str, list[str]] = {}
    for ind in project.scheme.indicators:
        a = project.assignments.get(ind.number)
        if a is None:
            continue
        keys = [n.key for n in ind.needs(project.years) if n.kind in ("data", "list")]
        for key in keys:
            rank = by_data.setdefault(key, [])
            rank += [u for u in a.leads if u not in rank]
        for item in ind.items:
            rank = by_item.setdefault(item.key, [])
            rank += [u for u in a.leads if u not in rank]
    return by_data, by_item


def _role_of(project: Project, unit: str) -> str:
    roles = {role for _, role in project.roles_of(unit)}
    if not roles:
        return ""
    if len(roles) == 2:
        return f"{layout.ROLE_LEAD}{layout.LIST_SEPARATOR}{layout.ROLE_RESPONSIBLE}"
    return roles.pop()


def merge(project: Project, adopted: list[ReturnRecord]) -> tuple[Answers, list[Contribution], list[Issue], set[str]]:
    """Merge the adopted returns into one answer set; conflicts between lead units become R402 issues."""
    by_data, by_item = _ranks(project)
    answers = Answers()
    contributions: list[Contribution] = []
    issues: list[Issue] = []
    conflicts: set[str] = set()

    groups: dict[tuple, list[tuple[ReturnRecord, Answer]]] = {}
    lists: dict[str, dict[str, list[tuple[ReturnRecord, Answer]]]] = {}
    for rec in adopted:
        for ans in rec.answers:
            if ans.kind == KIND_LIST:
                lists.setdefault(ans.item, {}).setdefault(rec.unit, []).append((rec, ans))
            elif ans.kind == KIND_DATA:
                groups.setdefault((KIND_DATA, ans.item, ans.year), []).append((rec, ans))
            else:
                groups.setdefault((ans.kind, ans.item, None), []).append((rec, ans))

    def order(rank: list[str], unit: str) -> tuple:
        return (rank.index(unit), "") if unit in rank else (len(rank), unit)

    for (kind, item, year), given in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        rank = by_data.get(item, []) if kind == KIND_DATA else by_item.get(item, [])
        given.sort(key=lambda ra: order(rank, ra[0].unit))
        chosen = next(((r, a) for r, a in given if a.value is not None), None)
        for rec, ans in given:
            if ans.value is None and not ans.blocked:
                continue  # a blank cell is not an answer
            used = chosen is not None and ans is chosen[1]
            status = layout.STATUS_ADOPTED if used else ""
            if not used:
                if ans.value is None:
                    status = "有错误未采用"
                elif ans.value == chosen[1].value:
                    status = "相同未重复计"
                else:
                    status = "冲突未采用"
                    conflicts.update(ans.indicator.split(layout.LIST_SEPARATOR))
                    issues.append(issue(R_CONFLICT, file=rec.file, unit=rec.unit, sheet=ans.sheet, cell=ans.cell,
                                        value=ans.shown, what=_what(kind, item, year, ans),
                                        used_unit=chosen[0].unit, used=chosen[1].shown))
            contributions.append(Contribution(rec.unit, ans.key, ans.shown, used, kind, ans.indicator, ans.label,
                                              ans.value, ans.year, ans.measure, rec.file, ans.sheet, ans.cell,
                                              status, ans.note))
        if chosen is None:
            continue
        value = chosen[1].value
        if kind == KIND_DATA:
            answers.values[(item, year)] = value
        elif kind == KIND_CLAIM:
            answers.claims[item] = value
        elif kind == KIND_JUDGED:
            answers.judged[item] = value

    for item, per_unit in sorted(lists.items()):
        rank = by_data.get(item, [])
        units = sorted(per_unit, key=lambda u: order(rank, u))
        chosen_unit = units[0]
        chosen = [ListEntry(a.name, a.value) for _, a in per_unit[chosen_unit]]
        answers.lists[item] = chosen
        signature = sorted((e.name, e.amount or 0) for e in chosen)
        for unit in units:
            rows = per_unit[unit]
            used = unit == chosen_unit
            differs = not used and sorted((a.name, a.value or 0) for _, a in rows) != signature
            for rec, ans in rows:
                status = layout.STATUS_ADOPTED if used else ("冲突未采用" if differs else "相同未重复计")
                contributions.append(Contribution(rec.unit, ans.key, ans.shown, used, KIND_LIST, ans.indicator,
                                                  ans.label, ans.value, None, ans.measure, rec.file, ans.sheet,
                                                  ans.cell, status, ans.note))
            if differs:
                rec, ans = rows[0]
                conflicts.update(ans.indicator.split(layout.LIST_SEPARATOR))
                shown = layout.LIST_SEPARATOR.join(a.shown for _, a in rows)
                used_shown = layout.LIST_SEPARATOR.join(a.shown for _, a in per_unit[chosen_unit]) or "（空）"
                issues.append(issue(R_CONFLICT, file=rec.file, unit=unit, sheet=ans.sheet, cell=ans.cell,
                                    value=shown, what=f"名单「{ans.label}」", used_unit=chosen_unit, used=used_shown))

    for (key, year), value in sorted(project.national.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        answers.values[(key, year)] = value
        item = project.scheme.data_items.get(key)
        measure = item.unit if item else ""
        kind = values.SHARE if measure == "%" else values.AMOUNT
        contributions.append(Contribution("全国数据", layout.data_key(key, year), values.show_value(value, kind),
                                          True, "national", "", item.label if item else key, value, year, measure,
                                          layout.PROJECT_WORKBOOK, layout.SHEET_NATIONAL, "", layout.STATUS_ADOPTED,
                                          project.national_sources.get((key, year), "")))
    return answers, contributions, issues, conflicts


def _what(kind: str, item: str, year, ans: Answer) -> str:
    if kind == KIND_DATA:
        return f"{year}年{ans.label.split('（')[0]}" if year else ans.label
    if kind == KIND_CLAIM:
        return f"分项 {item} 是否达到"
    return f"{item} 自评分"


def _progress(project: Project, adopted: list[ReturnRecord]) -> dict[str, list[ProgressEntry]]:
    out: dict[str, list[ProgressEntry]] = {}
    for rec in adopted:
        for entry in rec.progress:
            out.setdefault(entry.indicator, []).append(entry)
    for number, entries in out.items():
        a = project.assignments.get(number)
        listed = (a.leads + a.responsibles) if a else []
        entries.sort(key=lambda e: (listed.index(e.unit) if e.unit in listed else len(listed), e.unit))
    order = {ind.number: i for i, ind in enumerate(project.scheme.indicators)}
    return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], len(order))))


def expected_missing(project: Project, plan: Plan, unit: str) -> list[str]:
    """What a unit that sent nothing still owes: every required input of its workbook, as labels."""
    up = plan.unit(unit)
    out = []
    for row in up.indicator_rows.values():
        label = f"指标{row.key}" if not row.is_item else f"分项{row.key}"
        if row.claim is not None:
            out.append(f"{label} {layout.IND_CLAIM.header}")
        if row.judged is not None:
            out.append(f"{label} {layout.IND_SELF.header}")
        if row.progress_required:
            out.append(f"{label} {layout.IND_PROGRESS.header}")
    for row in up.data_rows.values():
        if not row.optional:
            out.append(row.item.label + (f"（{row.year}年）" if row.year is not None else ""))
    return out


def unit_states(project: Project, plan: Plan, records: list[ReturnRecord], best: dict[str, ReturnRecord],
                today: date) -> tuple[list[UnitStatus], list[Issue]]:
    deadline = project.deadline
    by_unit: dict[str, list[ReturnRecord]] = {}
    for rec in records:
        if rec.unit:
            by_unit.setdefault(rec.unit, []).append(rec)
    statuses, extra = [], []
    for unit in project.units:
        role = _role_of(project, unit.name)
        if not role:
            continue  # no work, nothing to return
        mine = sorted(by_unit.get(unit.name, []), key=lambda r: (r.order_time, r.file))
        adopted = best.get(unit.name)
        refused = [r for r in mine if r.status == layout.STATUS_REFUSED]
        status = UnitStatus(unit.name, layout.STATE_MISSING, role=role, files=[r.file for r in mine])
        if adopted is not None:
            status.last_file, status.received_at = adopted.file, adopted.received_at
            status.missing = list(adopted.missing)
            status.issues = list(adopted.issues)
            status.state = layout.STATE_RETURNED if adopted.errors else layout.STATE_REPORTED
            newer = [r for r in refused if (r.order_time, r.file) > (adopted.order_time, adopted.file)]
            if newer:
                found = issue(R_NEWER_REFUSED, file=adopted.file, unit=unit.name, newer=newer[-1].file)
                status.issues.append(found)
                extra.append(found)
            received = _local_date(adopted.received_at)
            if deadline and received and received > deadline:
                found = issue(R_LATE, file=adopted.file, unit=unit.name, time=_local(adopted.received_at),
                              deadline=deadline.isoformat())
                status.issues.append(found)
                extra.append(found)
        elif refused:
            last = refused[-1]
            status.state = layout.STATE_RETURNED
            status.last_file, status.received_at = last.file, last.received_at
            status.issues = list(last.issues)
            status.missing = expected_missing(project, plan, unit.name)
        else:
            status.missing = expected_missing(project, plan, unit.name)
            if deadline and today > deadline:
                status.state = layout.STATE_LATE
                found = issue(R_OVERDUE, unit=unit.name, deadline=deadline.isoformat())
            else:
                found = issue(R_NOT_RETURNED, unit=unit.name, deadline=deadline.isoformat() if deadline else "未定")
            status.issues.append(found)
            extra.append(found)
        statuses.append(status)
    return statuses, extra


# ---------------------------------------------------------------- the whole run


def collect(project: Project, extra_paths: Iterable = (), *, today: date | None = None, workers: int | None = None,
            on_total: Callable[[int], None] | None = None, on_file: Callable[[int], None] | None = None,
            write: bool = True) -> CollectResult:
    """Collect every returned file of ``project`` (and ``extra_paths``), merge, and write the outputs.

    ``on_total(n)`` is told the number of files first and ``on_file(1)`` after each (for a progress bar);
    ``write=False`` leaves the output folder alone (no 回收登记, 合并结果, evidence or state)."""
    today = today or date.today()
    paths = input_files(project, extra_paths)
    if on_total:
        on_total(len(paths))
    selection = _Selection()
    read_all(project, paths, workers, on_file, selection.add)
    records = sorted(selection.records, key=lambda r: (r.file, r.sha256))
    best = selection.best
    for winner in best.values():
        winner.unpack()

    report = Report()
    for unit, winner in best.items():
        winner.status = layout.STATUS_ADOPTED
        winner.reason = "有错误，相关数值未采用，需退回修改" if winner.errors else ""
    for rec in records:
        if rec.status == layout.STATUS_SUPERSEDED:
            winner = best[rec.unit]
            why = ("内容与之完全相同" if rec.sha256 == winner.sha256 else
                   f"保存时间 {_local(winner.order_time)}，本文件 {_local(rec.order_time) or '未知'}")
            found = issue(R_SUPERSEDED, file=rec.file, unit=rec.unit, newer=winner.file, why=why)
            rec.issues.append(found)
            rec.reason = found.message
    adopted = sorted(best.values(), key=lambda r: [u.name for u in project.units].index(r.unit)
                     if r.unit in [u.name for u in project.units] else len(project.units))
    answers, contributions, conflict_issues, conflicts = merge(project, adopted)
    plan = Plan(project)
    units, unit_issues = unit_states(project, plan, records, best, today)
    for rec in records:
        report.extend(rec.issues)
    report.extend(conflict_issues)
    report.extend(unit_issues)
    for status in units:  # the conflicts a unit is part of are its business too
        status.issues += [i for i in conflict_issues if i.unit == status.unit]

    result = CollectResult(project, answers, records, units, report, contributions, _progress(project, adopted),
                           [], conflicts)
    if write:
        previous = _previous_evidence(project)
        result.evidence = _extract_evidence(project, adopted, records, report)
        _remove_stale(project, previous, {e.path for e in result.evidence})
        from zonekit.intakelog import write_intake_log, write_merged

        result.intake_log = write_intake_log(project.output / layout.INTAKE_LOG, result)
        result.merged = write_merged(project.output / layout.MERGED, result)
        result.state = save_state(project, result)
    return result


def _extract_evidence(project: Project, adopted: list[ReturnRecord], records: list[ReturnRecord],
                      report: Report) -> list[EvidenceFile]:
    """Copy the pictures of the adopted returns, and those an earlier version of the same unit carried and the
    adopted one no longer does (kept, with an R307 warning to the unit and the office)."""
    files: list[EvidenceFile] = []
    taken: set[str] = set()

    def copy(rec: ReturnRecord, pictures, kept: str = "") -> bool:
        try:
            files.extend(extract_pictures(project.output, rec.unit, rec.file, load_origin(rec.origin), pictures,
                                          taken, rec.received_at, kept))
            return True
        except (OSError, zipfile.BadZipFile, KeyError, IndexError, ValueError) as exc:
            found = issue(R_UNREADABLE, file=rec.file, unit=rec.unit, reason=f"提取图片失败：{exc}")
            rec.issues.append(found)
            report.add(found)
            return False

    for rec in adopted:
        if rec.pictures:
            copy(rec, rec.pictures)
    for current in adopted:
        earlier = [r for r in records if r.unit == current.unit and r.status == layout.STATUS_SUPERSEDED]
        for rec, lost in dropped_pictures(earlier, current):
            if not copy(rec, lost, kept=current.file):
                continue
            for pic in lost:
                found = issue(R_PICTURE_DROPPED, file=rec.file, unit=rec.unit, sheet=pic.sheet, cell=pic.cell,
                              newer=current.file, what=what(pic))
                rec.issues.append(found)
                report.add(found)
    return files


def _previous_evidence(project: Project) -> set[str]:
    state = _read_state(project)
    return {e.get("path", "") for e in (state or {}).get("evidence", [])}


def _remove_stale(project: Project, previous: set[str], current: set[str]) -> None:
    """Remove pictures the previous collect extracted and this one did not (never anything else)."""
    base = (project.output / layout.EVIDENCE_DIR).resolve()
    for rel in sorted(previous - current):
        target = (project.output / rel).resolve()
        if base not in target.parents:
            continue
        target.unlink(missing_ok=True)
        for folder in (target.parent, target.parent.parent):
            try:
                if folder != base and base in folder.parents:
                    folder.rmdir()  # only when empty
            except OSError:
                pass


# ---------------------------------------------------------------- state for `status` and `remind`


def state_path(project: Project) -> Path:
    return project.output / layout.STATE_FILE


def save_state(project: Project, result: CollectResult) -> Path:
    """The machine-readable result (units, files, evidence), so status and remind need not re-read files."""
    data = {
        "version": STATE_VERSION,
        "project": project.project_id,
        "deadline": project.deadline.isoformat() if project.deadline else "",
        "units": [u.to_dict() for u in result.units],
        "files": [{"file": r.file, "size": r.size, "sha256": r.sha256, "unit": r.unit, "status": r.status,
                   "reason": r.reason, "saved_at": r.saved_at, "received_at": r.received_at,
                   "errors": len(r.errors), "warnings": len(r.warnings)} for r in result.returns],
        "evidence": [asdict(e) for e in result.evidence],
        "conflicts": sorted(result.conflicts, key=lambda n: (len(n), n)),
        "valid": result.valid,
    }
    path = state_path(project)
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1, default=str))
    return path


def _read_state(project: Project) -> dict | None:
    path = state_path(project)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("version") != STATE_VERSION or data.get("project") != project.project_id:
        return None
    return data


def has_collected(project: Project) -> bool:
    """Whether a collect has run for this project (score says so in its first line when none has)."""
    return _read_state(project) is not None


def unit_status(project: Project, today: date | None = None) -> list[UnitStatus]:
    """Per-unit state from the last collect (3-输出/.zonekit-collect.json); before any collect every unit with
    work is 未报 (or 逾期 after the deadline) and owes everything. A 未报 unit becomes 逾期 once the deadline
    has passed, even if the last collect ran before it."""
    today = today or date.today()
    state = _read_state(project)
    if state is None:
        units, _ = unit_states(project, Plan(project), [], {}, today)
        return units
    known = {u.name for u in project.units}
    out = []
    for raw in state.get("units", []):
        status = UnitStatus.from_dict(raw)
        if status.unit not in known:
            continue
        if status.state == layout.STATE_MISSING and project.deadline and today > project.deadline:
            status.state = layout.STATE_LATE
        out.append(status)
    seen = {s.unit for s in out}
    missing_units = [u.name for u in project.units if u.name not in seen and _role_of(project, u.name)]
    if missing_units:  # units added to 单位名单 after the last collect
        extra, _ = unit_states(project, Plan(project), [], {}, today)
        out += [s for s in extra if s.unit in missing_units]
    return out


def last_collect_files(project: Project) -> list[dict]:
    """The per-file rows of the last collect (file, unit, status, reason …), [] before any collect."""
    state = _read_state(project)
    return list((state or {}).get("files", []))


# ---------------------------------------------------------------- one file, and rendering for the terminal


def check_file(project: Project, path: Path | str) -> list[ReturnRecord]:
    """Read and validate one returned file as collect would (a zip or an e-mail gives one record per workbook)."""
    records: list[ReturnRecord] = []
    read_all(project, [Path(path)], workers=1, sink=records.extend)  # isolated like every file of a collect
    records = [r.unpack() for r in records]
    for rec in records:
        if rec.skipped:
            rec.status = layout.STATUS_SKIPPED
        elif not rec.readable:
            rec.status = layout.STATUS_REFUSED
        else:
            rec.status = layout.STATUS_REFUSED if rec.errors else layout.STATUS_ADOPTED
        rec.reason = _reason(rec) if rec.status != layout.STATUS_ADOPTED else ""
    return records


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned for a terminal that shows Chinese characters two columns wide."""
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [str(v) + " " * (w - _width(str(v))) for v, w in zip(row, widths)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def render_records(records: list[ReturnRecord]) -> str:
    lines = []
    for rec in records:
        who = f"{rec.unit}（按{rec.identified_by}识别）" if rec.unit else "未识别单位"
        lines.append(f"{rec.file}：{who}，{rec.status}；错误{len(rec.errors)}个，警告{len(rec.warnings)}个。")
        if rec.issues:
            lines.append(rec.report.render())
    return "\n".join(lines)


def records_json(records: list[ReturnRecord]) -> dict:
    return {"valid": not any(r.errors for r in records),
            "files": [{"file": r.file, "unit": r.unit, "identified_by": r.identified_by, "status": r.status,
                       "saved_at": r.saved_at, "errors": len(r.errors), "warnings": len(r.warnings),
                       "missing": r.missing, "issues": [i.to_dict() for i in r.issues]} for r in records]}


def status_rows(statuses: list[UnitStatus]) -> list[list[str]]:
    return [[s.unit, s.state, s.role, s.last_file or "—", _local(s.received_at) or "—", str(len(s.errors)),
             str(len(s.warnings)), str(len(s.missing))] for s in statuses]


STATUS_HEADER = ["单位", "状态", "角色", "最后文件", "收到时间", "错误", "警告", "未填项"]


def render_status(statuses: list[UnitStatus]) -> str:
    if not statuses:
        return "没有需要填报的单位（任务分解中没有分配单位）。"
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.state] = counts.get(s.state, 0) + 1
    summary = "，".join(f"{state}{counts.get(state, 0)}个" for state in
                       (layout.STATE_REPORTED, layout.STATE_RETURNED, layout.STATE_MISSING, layout.STATE_LATE))
    return render_table(STATUS_HEADER, status_rows(statuses)) + f"\n共{len(statuses)}个单位：{summary}。"


def status_json(statuses: list[UnitStatus]) -> list[dict]:
    return [{**s.to_dict(), "issues": [i.to_dict() for i in s.issues]} for s in statuses]


def render_collect(result: CollectResult, limit: int = 200) -> str:
    """The terminal summary: one line per file (up to ``limit``), the units, and where the outputs are."""
    lines = []
    rows = [[r.status, r.file, r.unit or "—", r.reason] for r in result.returns]
    if rows:
        shown = rows if len(rows) <= limit else [r for r in rows if r[0] != layout.STATUS_SUPERSEDED][:limit]
        lines.append(render_table(["状态", "文件", "单位", "原因"], [[a, b, c, d[:60]] for a, b, c, d in shown]))
        if len(shown) < len(rows):
            lines.append(f"……共{len(rows)}个文件，完整列表见回收登记。")
    else:
        lines.append(f"没有找到回收文件（请把收到的文件放入 {result.project.returned}）。")
    counts = result.counts()
    lines.append("文件：" + "，".join(f"{k}{v}个" for k, v in counts.items()) + "。")
    lines.append(render_status(result.units))
    if result.conflicts:
        lines.append(f"牵头单位填报不一致的指标：{layout.LIST_SEPARATOR.join(sorted(result.conflicts, key=lambda n: (len(n), n)))}"
                     "（见回收登记的问题清单）。")
    errors, warnings = len(result.issues.errors), len(result.issues.warnings)
    remaining = len(result.remaining)
    lines.append(f"错误{errors}个（其中仍需处理{remaining}个），警告{warnings}个。")
    if result.intake_log:
        lines.append(f"回收登记：{result.intake_log}")
    if result.merged:
        lines.append(f"合并结果：{result.merged}")
    if result.evidence:
        lines.append(f"佐证材料：{len(result.evidence)}张图片，在 {result.project.output / layout.EVIDENCE_DIR}")
    return "\n".join(lines)


def collect_json(result: CollectResult) -> dict:
    return {"valid": result.valid, "counts": result.counts(),
            "files": [{"file": r.file, "size": r.size, "sha256": r.sha256, "unit": r.unit,
                       "identified_by": r.identified_by, "status": r.status, "reason": r.reason,
                       "saved_at": r.saved_at, "received_at": r.received_at, "errors": len(r.errors),
                       "warnings": len(r.warnings)} for r in result.returns],
            "units": status_json(result.units),
            "conflicts": sorted(result.conflicts, key=lambda n: (len(n), n)),
            "issues": [i.to_dict() for i in result.issues.issues],
            "intake_log": str(result.intake_log or ""), "merged": str(result.merged or ""),
            "evidence": [e.path for e in result.evidence]}
