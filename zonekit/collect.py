"""Collect the returned files of a project: walk the folder (zips, nested zips and e-mails included), read and
validate every workbook, keep the newest return per unit, merge the lead units' answers into one answer set,
say per unit what is in and what is missing, and write 回收登记 / 合并结果 and the state for `status`/`remind`.

Never modifies an input file; one bad file never stops the run; outputs are written atomically; the same
inputs give the same result.
"""

from __future__ import annotations

import email
import email.policy
import functools
import io
import json
import os
import re
import zipfile
from contextlib import closing
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Callable, Iterable

from zonekit import __version__, layout, pool, projectcache, values
from zonekit.answers import Answers, ListEntry
from zonekit.evidence import (R_PICTURE_DROPPED, R_PICTURE_UNREADABLE, EvidenceFile, ImageStore, Picture,
                              dropped_pictures, extract as extract_pictures, what)
from zonekit.files import STAGING_DIR, OutputSet
from zonekit.intake import (CONTENT_FORMAT, ID_BY_IDENTITY, KIND_CLAIM, KIND_DATA, KIND_JUDGED, KIND_LIST,
                            MAX_UNPACKED_BYTES, R_BOMB, R_LOCK, R_NAME_BYTES, R_NOT_WORKBOOK, R_OTHER_ROUND, R_SPECIAL,
                            R_UNREADABLE, R_UNSAFE, R_WRONG_UNIT, R_ZIP_PASSWORD, Answer, Plan, ProgressEntry, ReturnRecord,
                            is_lock_file, member_name, other_unit_named, parse_time, plausible_time, printable,
                            progress_entries, read_regular, read_return, sniff, unpack_content, zip_guard)
from zonekit.issues import WARNING, Issue, Report, define, issue
from zonekit.ledger import Ledger, ledger_path
from zonekit.project import Project
from zonekit.states import (SNAPSHOT, UnitStatus, WithIssues, local_minutes, render_status, render_table,
                            status_json, workbook_stamp)
from zonekit.versions import Taken, UnitMerge, merge_versions, order_key, why

R_SUPERSEDED = define("R401", WARNING, "已被同一单位较新的文件「{newer}」替代（{why}），本文件未采用。无需处理。")
R_CONFLICT = define("R402", WARNING, "{what}：「{unit}」填报 {value}，「{used_unit}」填报 {used}，两者不一致；"
                                     "按任务分解中排在前面的牵头单位「{used_unit}」的 {used} 计分。请两单位核对后统一。")
R_OVERDUE = define("R403", WARNING, "填报截止日期 {deadline} 已过，仍未收到「{unit}」可用的填报表。请催报。")
R_LATE = define("R404", WARNING, "「{unit}」的填报表于 {time} 收到，晚于填报截止日期 {deadline}。")
R_NOT_RETURNED = define("R405", WARNING, "尚未收到「{unit}」的填报表（截止日期 {deadline}）。")
R_NEWER_REFUSED = define("R407", WARNING, "「{unit}」较新的文件「{newer}」被退回，暂采用较早的「{file}」。"
                                          "请让该单位按退回原因修改后重新发送。")
R_SAME = define("R409", WARNING, "与「{same}」内容完全相同，按同一份计。无需处理。")

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et"}
MAX_DEPTH = 3  # archives inside archives inside archives, no deeper
BATCH_ROWS = 2000  # locations written to the ledger at a time

_DESCRIBED = {".pdf": "PDF 文件", ".doc": "Word 文档", ".docx": "Word 文档", ".wps": "WPS 文字文档",
              ".jpg": "图片", ".jpeg": "图片", ".png": "图片", ".gif": "图片", ".bmp": "图片", ".txt": "文本文件",
              ".csv": "CSV 文件", ".rar": "RAR 压缩包（请改用 zip）", ".7z": "7z 压缩包（请改用 zip）",
              ".msg": "Outlook 邮件（请另存为 .eml）", ".ods": "ODF 表格（请另存为 .xlsx）",
              ".et": "WPS 表格专用格式（请另存为 .xlsx）", ".xlsb": "二进制工作簿（请另存为 .xlsx）"}


# ---------------------------------------------------------------- results


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


@dataclass(slots=True)
class FileEntry(WithIssues):
    """One place a file was found, as 回收登记 lists it: what it holds and what became of it.

    status: 采用 (values taken from it) / 已被替代 (a newer version, or the same content elsewhere, took its place) /
    退回 (refused, or its values have errors to fix) / 跳过 (not a workbook)."""

    file: str  # display path: relative to the project folder, archive members after '!'
    unit: str
    status: str
    reason: str = ""
    name: str = ""
    size: int = 0
    sha256: str = ""
    format: str = ""
    identified_by: str = ""
    saved_at: str = ""
    saved_from: str = ""  # where saved_at comes from (core.xml / SummaryInformation / meta.xml)
    file_time: str = ""
    received_at: str = ""
    sender: str = ""
    version: str = ""  # 第2版: which of the unit's versions (oldest first), when it sent more than one
    used: int = 0  # inputs taken from this version
    present: bool = True  # found by this collect (False: moved or deleted since it was received)
    issues: list[Issue] = field(default_factory=list)  # the issues of the content it holds
    pictures: list[Picture] = field(default_factory=list)  # the pictures in it (at its version's main place)



@dataclass
class CollectResult:
    """What a collect found (or the ledger holds); the scoring/summary helpers read it.

    answers:       the merged answer set (lead units' inputs, national values from 全国数据) for scoring.
    returns:       one FileEntry per place a file of this round was found, sorted by path (files moved or deleted
                   since are listed while their content is in use), with status 采用/已被替代/退回/跳过 and reason.
    units:         UnitStatus for every unit with work to do, in 单位名单 order.
    issues:        Report of the issues that still apply: of each unit's merged versions, of refused and skipped
                   files, conflicts and unit-level ones (not those of inputs a newer version replaced).
    contributions: who gave which answer (iterates as (unit, key, text, used)); one per answer per unit.
    progress:      indicator number → ProgressEntry of each unit (leads first, in 任务分解 order):
                   unit, role, progress (工作进展), evidence (佐证材料说明), files (佐证材料清单), problems (存在问题).
    evidence:      pictures copied to 3-输出/佐证材料/<unit>/<indicator>/.
    conflicts:     indicator numbers where two lead units disagree.
    merges:        unit → its versions merged item by item (zonekit.versions.UnitMerge).
    remaining:     the blocking issues someone still has to act on.
    opened:        files this collect opened (the others were known to the ledger).
    withdrawn:     (unit, sha256) → reason: pictures the office withdrew (zonekit evidence withdraw), in any round.
    withdrawn_returns: sha256 → (unit, file, reason, at): the round's returns the office withdrew (zonekit withdraw),
                   listed with status 撤回 and never merged.
    """

    project: Project
    answers: Answers
    returns: list[FileEntry]
    units: list[UnitStatus]
    issues: Report
    contributions: list[Contribution]
    progress: dict[str, list[ProgressEntry]]
    evidence: list[EvidenceFile]
    conflicts: set[str] = field(default_factory=set)
    merges: dict[str, UnitMerge] = field(default_factory=dict)
    remaining: list[Issue] = field(default_factory=list)
    today: date | None = None  # the day the states were judged on (逾期 after the deadline)
    opened: int = 0
    withdrawn: dict[tuple[str, str], str] = field(default_factory=dict)
    withdrawn_returns: dict[str, object] = field(default_factory=dict)
    unchanged: bool = False  # nothing changed since the last collect: its outputs stand, nothing was rewritten
    intake_log: Path | None = None
    merged: Path | None = None
    ledger: Path | None = None

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
            candidates = _entries(root)  # sorted
        elif os.path.lexists(root):
            candidates = [root]
        else:
            continue
        # below a folder given as an absolute, normal path every entry's path is one already
        normal = os.path.abspath(root) == str(root)
        for path in candidates:
            key = os.path.normcase(str(path) if normal else os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                out.append(path)
    return out


def _entries(folder: Path):
    """Everything below ``folder`` except the folders themselves (a folder that cannot be opened is an entry), in
    the order their paths sort in as Path objects (part by part, case-blind where the system is): each folder's
    entries by name, a subfolder's contents where its name falls. Sorting 10,000 Paths took a quarter of a
    second."""
    try:
        with os.scandir(folder) as found:
            items = sorted(found, key=lambda item: os.path.normcase(item.name))
    except OSError:
        yield folder
        return
    for item in items:
        path = folder / item.name  # as Path(item.path), for half the cost
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
    full, root = os.path.abspath(path), _absolute(str(project.root))
    if full.startswith(root + os.sep):  # abspath is normalised: only the separators differ from as_posix()
        relative = full[len(root) + 1:]
        return printable(relative.replace(os.sep, "/") if os.sep != "/" else relative)
    return printable(str(path))


def _absolute(folder: str) -> str:
    """os.path.abspath of the project folder, worked out once per folder (and working folder)."""
    return _absolute_in(folder, "" if os.path.isabs(folder) else os.getcwd())


@functools.lru_cache(maxsize=16)
def _absolute_in(folder: str, cwd: str) -> str:
    return os.path.abspath(folder)


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
            filename = _attachment_name(part) or f"附件{n + 1}"
            content = part.get_payload(decode=True) or b""
            self.expand(content, filename, f"{shown}!{printable(filename)}", origin + (f"eml:{n}",), received or stamp,
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


def _attachment_name(part) -> str:
    """The attachment's file name. 8-bit bytes in the header (old mail clients send a GBK name raw) are kept as
    they came (surrogates), so that expand shows them escaped with what they read as in GBK instead of ����."""
    name = part.get_filename() or ""
    if "\ufffd" in name:
        for header, raw in part.raw_items():
            found = re.search(r'\bfilename\s*=\s*"([^"]*)"', str(raw)) if header.lower() == "content-disposition" else None
            if found and printable(found.group(1)) != found.group(1):
                return found.group(1)
    return name


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


# ---------------------------------------------------------------- recording what was found in the ledger


def reading_context(project: Project) -> str:
    """A fingerprint of everything reading a return depends on besides its bytes: the project's identity, scheme,
    unit list and 任务分解, the template and the reader itself. A file read under another context is read again."""
    scheme = project.scheme
    try:
        scheme_bytes = Path(scheme.path).read_bytes() if scheme.path else b""
    except OSError:
        scheme_bytes = b""
    parts = {"zonekit": __version__, "content": CONTENT_FORMAT, "template": layout.TEMPLATE_VERSION,
             "project": project.project_id, "round": project.round, "years": list(project.years),
             "scheme": [scheme.name, scheme.version, _hash(scheme_bytes)],
             "units": [[u.name, list(u.aliases), list(u.emails)] for u in project.units],
             "tasks": sorted([n, list(a.leads), list(a.responsibles)] for n, a in project.assignments.items())}
    return _hash(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode("utf-8"))[:32]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _variant(rec: ReturnRecord) -> str:
    """'' when reading the content does not depend on its file name or sender (identified by its identity and
    nothing said about the name): the same bytes anywhere are the same version. Otherwise what it depends on."""
    if not rec.sha256:  # nothing was read (a lock file, an oversized or unreadable file): this place, this state
        return f"\0{rec.file}\0{rec.size}\0{rec.file_time}"
    if rec.readable and rec.identified_by == ID_BY_IDENTITY and not any(i.code == R_WRONG_UNIT for i in rec.issues):
        return ""
    return f"{rec.name}\n{rec.sender}"


def _state(rec: ReturnRecord) -> str:
    return "skipped" if rec.skipped else "read" if rec.readable else "refused"


def _issue_rows(issues: list[Issue]) -> str:
    return json.dumps([[i.code, i.severity, i.message, i.unit, i.sheet, i.cell, i.value] for i in issues],
                      ensure_ascii=False, separators=(",", ":"))


class _Recorder:
    """Puts what a collect finds into the ledger as it arrives (main process): one version per distinct content,
    one location per place, the answers stored once, in the JSON the worker packed them in."""

    def __init__(self, project: Project, ledger: Ledger, context: str, run: int, now: str):
        self.project, self.ledger, self.context, self.run, self.now = project, ledger, context, run, now
        self.round = project.round
        self.stamps: dict[str, tuple[int, int]] = {}  # source → (size, mtime_ns) taken before it was read
        self.opened = 0
        self.versions: dict[tuple[str, str], int] = {}  # (sha256, variant) → version id, as found this run
        self.places: list[tuple] = []  # locations found, written in batches
        self.sources: list[tuple] = []  # files on disk as seen, written in batches

    def version_of(self, rec: ReturnRecord) -> int:
        variant = _variant(rec)
        key = (rec.sha256, variant)
        if key in self.versions:
            return self.versions[key]
        for version, found in self.ledger.find(rec.sha256, self.context, self.round):
            if found == variant:
                self.versions[key] = version
                return version
        rec.pack()
        row = {"round": self.round, "sha256": rec.sha256, "variant": variant, "context": self.context,
               "size": rec.size, "format": rec.format, "name": rec.name, "sender": rec.sender, "unit": rec.unit,
               "identified_by": rec.identified_by, "identity": json.dumps(rec.identity, ensure_ascii=False),
               "saved_at": rec.saved_at, "saved_from": rec.saved_from, "ordered_at": rec.ordered_at,
               "state": _state(rec),
               "issues": _issue_rows(rec.issues), "missing": json.dumps(rec.missing, ensure_ascii=False),
               "content": rec.packed, "seen_at": self.now, "run": self.run}
        pictures = [(p.sheet, p.cell, p.row, p.col, p.member, p.kind, p.indicator, p.key, p.sha256, p.size, p.name,
                     json.dumps(list(p.numbers))) for p in rec.pictures]
        self.versions[key] = self.ledger.add_version(row, pictures)
        return self.versions[key]

    def found(self, version: int, path: str, source: str, origin: tuple | str, file_time: str, mailed_at: str,
              sender: str) -> None:
        """``version`` found at ``path`` in this run (written with the next batch)."""
        origin = origin if isinstance(origin, str) else json.dumps(list(origin))  # ASCII: names may carry bytes
        self.places.append((version, path, source, origin, file_time, mailed_at, sender, self.now, self.now,
                            self.run, self.run))
        if len(self.places) >= BATCH_ROWS:
            self.flush()

    def seen(self, source: str, size: int, mtime_ns: int) -> None:
        self.sources.append((source, size, mtime_ns, self.context, self.round, self.run))

    def flush(self) -> None:
        self.ledger.found_many(self.places)
        self.ledger.set_sources(self.sources)
        self.places, self.sources = [], []

    def add(self, records: list[ReturnRecord]) -> None:
        """The records of one file on disk, as read_all hands them over."""
        if not records:
            return
        source = display_path(Path(records[0].origin[0]), self.project) if records[0].origin else records[0].file
        for rec in records:
            self.found(self.version_of(rec), rec.file, source, rec.origin, rec.file_time, rec.mailed_at, rec.sender)
        self.opened += 1
        stamp = self.stamps.get(source)
        # a file that could not be read this time (locked, vanished) is tried again next time
        if stamp and all(r.sha256 or r.skipped for r in records):
            self.seen(source, *stamp)

    def unchanged(self, shown: str, size: int, mtime_ns: int, sources, leaves) -> bool:
        """Record a file on disk exactly as the last collect saw it from the ledger, without opening it."""
        known = sources.get(shown)
        if known is None or (known.size, known.mtime_ns, known.context, known.round) != \
                (size, mtime_ns, self.context, self.round) or shown not in leaves:
            return False
        for version, where, origin, file_time, mailed_at, sender in leaves[shown]:
            self.found(version, where, shown, origin, file_time, mailed_at, sender)
        self.seen(shown, size, mtime_ns)
        return True

    def same_content(self, path: Path, shown: str, digest: str, mtime: str, plan: Plan) -> bool:
        """Record a workbook whose content (``digest``) is already a version (in the ledger, or read earlier in this
        run) that reading it under this name would give again; False when it must be read."""
        for version, variant in self.ledger.find(digest, self.context, self.round):
            unit = self.ledger.db.execute("SELECT unit FROM versions WHERE id = ?", (version,)).fetchone()[0]
            if variant == f"{path.name}\n" or (variant == "" and not other_unit_named(plan, unit, path.name)):
                self.found(version, shown, shown, (str(path),), mtime, "", "")
                self.seen(shown, *self.stamps[shown])
                return True
        return False


def _gather(project: Project, recorder: _Recorder, paths: list[Path], workers, on_file) -> None:
    """Record every path: from the ledger when it is unchanged on disk or its content is known (a workbook's bytes
    are hashed: hashing costs far less than reading), else read in worker processes — each content once, the
    other copies of it then recorded as places of the version read."""
    ledger, plan = recorder.ledger, Plan(project)
    sources, leaves = ledger.sources(), ledger.leaves(project.round)
    unread, first, copies = [], {}, []  # to read; digest → the path read for it; copies of those, to record
    for path in paths:
        shown = display_path(path, project)
        try:
            info = path.stat()
        except OSError:
            unread.append(path)  # read_path says why
            continue
        recorder.stamps[shown] = (info.st_size, info.st_mtime_ns)
        if recorder.unchanged(shown, info.st_size, info.st_mtime_ns, sources, leaves):
            if on_file:
                on_file(1)
            continue
        if path.suffix.lower() not in WORKBOOK_SUFFIXES or is_lock_file(path.name):
            unread.append(path)
            continue
        got = read_regular(path)
        if got.data is None:
            unread.append(path)
            continue
        digest = _hash(got.data)
        if digest in first:  # the ledger said no for its first copy: asked again once that one is read
            copies.append((path, shown, digest, got.mtime))
        elif recorder.same_content(path, shown, digest, got.mtime, plan):
            if on_file:
                on_file(1)
        else:
            first[digest] = path
            unread.append(path)
    if unread:
        read_all(project, unread, workers, on_file, recorder.add)
    again = []
    for path, shown, digest, mtime in copies:  # the first copy was read and recorded: the others are places of it
        if recorder.same_content(path, shown, digest, mtime, plan):
            if on_file:
                on_file(1)
        else:
            again.append(path)  # read as itself (its name or sender decides something)
    if again:
        read_all(project, again, workers, on_file, recorder.add)
    recorder.flush()


# ---------------------------------------------------------------- from the ledger back to versions and merges


def _record_of(row, where, project: Project) -> ReturnRecord:
    """A version as a ReturnRecord (content still packed), at the place ``where`` (a locations row)."""
    rec = ReturnRecord(where["path"], row["name"], size=row["size"], sha256=row["sha256"], format=row["format"],
                       origin=tuple(json.loads(where["origin"])), unit=row["unit"],
                       identified_by=row["identified_by"], identity=json.loads(row["identity"]),
                       saved_at=row["saved_at"], saved_from=row["saved_from"], ordered_at=row["ordered_at"],
                       file_time=where["file_time"],
                       mailed_at=where["mailed_at"], sender=where["sender"] or row["sender"],
                       missing=json.loads(row["missing"]), refused=row["state"] == "refused",
                       skipped=row["state"] == "skipped", version=row["id"], seen_at=row["seen_at"])
    rec.received_at = rec.mailed_at or rec.ordered_at or rec.saved_at or rec.file_time  # as read_return sets it
    rec.issues = [Issue(code, severity, message, where["path"], unit, sheet, cell, value)
                  for code, severity, message, unit, sheet, cell, value in json.loads(row["issues"])]
    return rec


def _load(project: Project, ledger: Ledger,
          withdrawn: dict | None = None) -> tuple[list[ReturnRecord], dict[int, list]]:
    """The versions of the current round (one per content: the latest reading of it) as records at their main
    place (the first present one by path, else the last seen), and version id → every place it was found.
    A version whose content the office withdrew (``withdrawn``: sha256 → row) comes with status 撤回, its reason
    and no issues: it is listed, never merged."""
    withdrawn = withdrawn or {}
    chosen: dict[tuple[str, str], object] = {}
    for row in ledger.versions(project.round):
        key = (row["sha256"], row["variant"]) if row["sha256"] else (str(row["id"]), "")
        if key not in chosen or row["run"] >= chosen[key]["run"]:
            chosen[key] = row
    rows = {row["id"]: row for row in chosen.values()}
    places: dict[int, list] = {}
    for where in ledger.locations(project.round):
        if where["version"] in rows:
            places.setdefault(where["version"], []).append(where)
    records = []
    for version, row in rows.items():
        found = places.get(version)
        if not found:
            continue
        present = any(w["present"] for w in found)
        taken_back = withdrawn.get(row["sha256"]) if row["sha256"] and row["state"] != "skipped" else None
        if not present and row["state"] != "read" and taken_back is None:
            continue  # a refused or skipped file that is gone has nothing left to say
        rec = _record_of(row, _main_place(found), project)
        rec.pictures = [Picture(*p[:11], numbers=tuple(json.loads(p[11]))) for p in ledger.pictures(version)]
        if taken_back is not None:
            rec.status, rec.reason, rec.issues = layout.STATUS_WITHDRAWN, withdrawal_reason(taken_back), []
        records.append(rec)
    return records, places


def _main_place(found: list) -> object:
    """Where a version is shown: the first place (by path) the last collect found it, else the last seen."""
    present = [w for w in found if w["present"]]
    return present[0] if present else max(found, key=lambda w: (w["last_seen"], w["path"]))


def withdrawal_reason(row) -> str:
    """回收登记's reason for a withdrawn return: when, why, and that it stays out even while the file is there."""
    return (f"创建办于 {_local_date(row['at']) or row['at'][:10]} 撤回：{row['reason']}。不计入，即使文件仍在 "
            f"{layout.RETURNED_DIR} 中也不再采用；恢复：zonekit withdraw 项目目录 {row['file']} --undo")


def _withdrawn(rec: ReturnRecord) -> bool:
    return rec.status == layout.STATUS_WITHDRAWN


def _unit_merges(ledger: Ledger, records: list[ReturnRecord]) -> dict[str, UnitMerge]:
    by_unit: dict[str, list[ReturnRecord]] = {}
    for rec in records:
        if rec.readable and not _withdrawn(rec):
            by_unit.setdefault(rec.unit, []).append(rec)
    merges = {}
    for unit, mine in by_unit.items():
        mine.sort(key=order_key)
        for rec in mine:
            content = ledger.content(rec.version)
            if content:
                rec.answers, rec.text_answers, rec.progress = unpack_content(content)
        merges[unit] = merge_versions(unit, mine)
        for rec in mine:  # the merge keeps what it took; the rest of each version can go
            rec.answers, rec.text_answers, rec.progress = [], [], []
    return merges


# ---------------------------------------------------------------- merging units, completeness


def _unread_status(rec: ReturnRecord) -> str:
    """跳过 for what is not a workbook, 退回 for what could not be read as a unit's return, '' otherwise."""
    return layout.STATUS_SKIPPED if rec.skipped else "" if rec.readable else layout.STATUS_REFUSED


def _reason(rec) -> str:
    first = rec.errors[0] if rec.errors else (rec.issues[0] if rec.issues else None)
    return first.message if first else ""


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


def merge(project: Project, merges: list[UnitMerge]) -> tuple[Answers, list[Contribution], list[Issue], set[str]]:
    """Merge the units' merged answers into one answer set; conflicts between lead units become R402 issues
    (between different units the lead unit listed first in 任务分解 wins, whatever the versions)."""
    by_data, by_item = _ranks(project)
    answers = Answers()
    contributions: list[Contribution] = []
    issues: list[Issue] = []
    conflicts: set[str] = set()

    groups: dict[tuple, list[tuple[UnitMerge, Taken]]] = {}
    lists: dict[str, dict[str, list[tuple[UnitMerge, Taken]]]] = {}
    for um in merges:
        for taken in um.answers:
            ans = taken.answer
            if ans.kind == KIND_LIST:
                lists.setdefault(ans.item, {}).setdefault(um.unit, []).append((um, taken))
            elif ans.kind == KIND_DATA:
                groups.setdefault((KIND_DATA, ans.item, ans.year), []).append((um, taken))
            else:
                groups.setdefault((ans.kind, ans.item, None), []).append((um, taken))

    def order(rank: list[str], unit: str) -> tuple:
        return (rank.index(unit), "") if unit in rank else (len(rank), unit)

    def given_by(um: UnitMerge, taken: Taken, used: bool, status: str) -> Contribution:
        ans = taken.answer
        return Contribution(um.unit, ans.key, ans.shown, used, ans.kind, ans.indicator, ans.label, ans.value,
                            ans.year, ans.measure, um.where(taken.version), ans.sheet, ans.cell, status, ans.note)

    for (kind, item, year), given in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        rank = by_data.get(item, []) if kind == KIND_DATA else by_item.get(item, [])
        given.sort(key=lambda ut: order(rank, ut[0].unit))
        chosen = next(((u, t) for u, t in given if t.answer.value is not None), None)
        for um, taken in given:
            ans = taken.answer
            if ans.value is None and not ans.blocked:
                continue  # a blank cell is not an answer
            used = chosen is not None and taken is chosen[1]
            status = layout.STATUS_ADOPTED if used else ""
            if not used:
                if ans.value is None:
                    status = "有错误未采用"
                elif ans.value == chosen[1].answer.value:
                    status = "相同未重复计"
                else:
                    status = "冲突未采用"
                    conflicts.update(ans.indicator.split(layout.LIST_SEPARATOR))
                    issues.append(issue(R_CONFLICT, file=taken.version.file, unit=um.unit, sheet=ans.sheet,
                                        cell=ans.cell, value=ans.shown, what=_what(kind, item, year, ans),
                                        used_unit=chosen[0].unit, used=chosen[1].answer.shown))
            contributions.append(given_by(um, taken, used, status))
        if chosen is None:
            continue
        value = chosen[1].answer.value
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
        chosen = [ListEntry(t.answer.name, t.answer.value) for _, t in per_unit[chosen_unit]]
        answers.lists[item] = chosen
        signature = sorted((e.name, e.amount or 0) for e in chosen)
        for unit in units:
            rows = per_unit[unit]
            used = unit == chosen_unit
            differs = not used and sorted((t.answer.name, t.answer.value or 0) for _, t in rows) != signature
            for um, taken in rows:
                status = layout.STATUS_ADOPTED if used else ("冲突未采用" if differs else "相同未重复计")
                contributions.append(given_by(um, taken, used, status))
            if differs:
                um, taken = rows[0]
                ans = taken.answer
                conflicts.update(ans.indicator.split(layout.LIST_SEPARATOR))
                shown = layout.LIST_SEPARATOR.join(t.answer.shown for _, t in rows)
                used_shown = layout.LIST_SEPARATOR.join(t.answer.shown for _, t in per_unit[chosen_unit]) or "（空）"
                issues.append(issue(R_CONFLICT, file=taken.version.file, unit=unit, sheet=ans.sheet, cell=ans.cell,
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


def _progress(project: Project, plan: Plan, merges: list[UnitMerge]) -> dict[str, list[ProgressEntry]]:
    """What each unit wrote per indicator, from its merged texts (each entry names the version its 工作进展 is
    from); leads first, as in 任务分解."""
    out: dict[str, list[ProgressEntry]] = {}
    for um in merges:
        texts = [t.answer for t in um.texts]
        source = {(t.answer.key, t.answer.item): um.where(t.version) for t in um.texts}
        for entry in progress_entries(um.unit, plan.unit(um.unit).indicator_rows, texts, um.newest.file):
            entry.file = source.get((entry.indicator, layout.IND_PROGRESS.header), entry.file)
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


def unit_states(project: Project, plan: Plan, records: list[ReturnRecord], merges: dict[str, UnitMerge],
                today: date) -> tuple[list[UnitStatus], list[Issue]]:
    """Each unit's state from its merged versions: 已报 when nothing blocking remains in them, 退回 when something
    does (or everything it sent was refused), 未报 / 逾期 when it sent nothing usable."""
    deadline = project.deadline
    by_unit: dict[str, list[ReturnRecord]] = {}
    for rec in records:
        if rec.unit and not _withdrawn(rec):
            by_unit.setdefault(rec.unit, []).append(rec)
    statuses, extra = [], []
    for unit in project.units:
        role = _role_of(project, unit.name)
        if not role:
            continue  # no work, nothing to return
        mine = sorted(by_unit.get(unit.name, []), key=order_key)
        um = merges.get(unit.name)
        refused = [r for r in mine if r.status == layout.STATUS_REFUSED and not r.readable]
        status = UnitStatus(unit.name, layout.STATE_MISSING, role=role, files=[r.file for r in mine])
        if um is not None:
            newest = um.newest
            status.last_file, status.received_at = newest.file, newest.received_at
            status.missing = list(um.missing)
            status.issues = list(um.issues)
            status.state = layout.STATE_RETURNED if any(i.blocking for i in um.issues) else layout.STATE_REPORTED
            newer = [r for r in refused if order_key(r) > order_key(newest)]
            if newer:
                found = issue(R_NEWER_REFUSED, file=newest.file, unit=unit.name, newer=newer[-1].file)
                status.issues.append(found)
                extra.append(found)
            received = _local_date(newest.received_at)
            if deadline and received and received > deadline:
                found = issue(R_LATE, file=newest.file, unit=unit.name, time=local_minutes(newest.received_at),
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


# ---------------------------------------------------------------- what became of each file


def _statuses(records: list[ReturnRecord], merges: dict[str, UnitMerge]) -> None:
    """Status and reason of every version: 采用 when values are taken from it, 退回 when it was refused or errors
    in the values taken from it remain, 已被替代 when a newer version took all its place, 跳过."""
    for rec in records:
        if _unread_status(rec) and not _withdrawn(rec):
            rec.status, rec.reason = _unread_status(rec), _reason(rec)
    for um in merges.values():
        newest = um.newest
        for n, rec in enumerate(um.versions):
            own = um.own.get(n, [])
            errors = [i for i in own if i.blocking]
            used = um.used.get(n, 0)
            if rec is not newest and not used:
                rec.status = layout.STATUS_SUPERSEDED
                rec.reason = issue(R_SUPERSEDED, file=rec.file, unit=um.unit, newer=newest.file,
                                   why=why(newest, rec)).message
            elif errors:
                rec.status = layout.STATUS_REFUSED
                rec.reason = errors[0].message + (f"（共{len(errors)}个错误，其余数值已采用）" if len(errors) > 1 else
                                                  "（其余数值已采用）")
            else:
                rec.status = layout.STATUS_ADOPTED
                rec.reason = "" if rec is newest else \
                    f"部分采用：较新的「{newest.file}」中为空的{used}项沿用本文件（{why(newest, rec)}）。"


GONE_NOTE = ("（文件已不在原处，仍按收到时的内容计入；不应计入的，请用 zonekit withdraw 项目目录 文件 --reason 理由 "
             "撤回）")


def _file_entries(records: list[ReturnRecord], places: dict[int, list],
                  merges: dict[str, UnitMerge]) -> list[FileEntry]:
    """One entry per place, sorted by path: a version's main place carries its status; other places holding the
    same content say so; places no longer present are listed only while the content is in use."""
    out = []
    labels = {id(v): (um.label(v), um.used.get(n, 0)) for um in merges.values() for n, v in enumerate(um.versions)}
    for rec in records:
        label, used = labels.get(id(rec), ("", 0))
        same = None  # R409 names the main place only: one message for all the other places of a version
        for where in places.get(rec.version, []):
            main = where["path"] == rec.file
            present = bool(where["present"])
            kept = rec.status in (layout.STATUS_ADOPTED, layout.STATUS_REFUSED) and rec.readable
            if not present and (not main or not (kept or _withdrawn(rec))):
                continue  # moved or deleted: only a version in use (or withdrawn on purpose) stays listed
            status, reason = rec.status, rec.reason
            if not main:
                status = layout.STATUS_SUPERSEDED if rec.readable and not _withdrawn(rec) else rec.status
                same = same or issue(R_SAME, file=where["path"], unit=rec.unit, same=rec.file).message
                reason = same
            elif not present and kept:
                reason = (reason + " " if reason else "") + GONE_NOTE
            out.append(FileEntry(where["path"], rec.unit, status, reason, rec.name, rec.size, rec.sha256, rec.format,
                                 rec.identified_by, rec.saved_at, rec.saved_from, where["file_time"],
                                 where["mailed_at"] or rec.ordered_at or rec.saved_at or where["file_time"], where["sender"],
                                 label, used if main else 0, present, rec.issues, rec.pictures if main else []))
    out.sort(key=lambda e: (e.file, e.sha256))
    return out


# ---------------------------------------------------------------- the whole run


def collect(project: Project, extra_paths: Iterable = (), *, today: date | None = None, workers: int | None = None,
            on_total: Callable[[int], None] | None = None, on_file: Callable[[int], None] | None = None,
            write: bool = True) -> CollectResult:
    """Collect every returned file of ``project`` (and ``extra_paths``) into its ledger, merge, and write the outputs.

    Files the ledger already knows (same content) are not opened again. ``on_total(n)`` is told the number of
    files first and ``on_file(1)`` after each (for a progress bar); ``write=False`` changes nothing on disk (no
    回收登记, 合并结果, evidence, nor ledger). The ledger commits only once the outputs are in place."""
    today = today or date.today()
    out = OutputSet(project.output, [layout.INTAKE_LOG, layout.MERGED]) if write else None  # before reading anything
    path = ledger_path(project.root)
    ledger = Ledger(path if write or path.is_file() else None)
    try:
        now, context = _now(), reading_context(project)
        paths = input_files(project, extra_paths)
        if on_total:
            on_total(len(paths))
        if write and (found := _unchanged(project, ledger, paths, context, today)) is not None:
            if on_file:
                on_file(len(paths))
            return found
        run = ledger.begin(project.round, context, now, __version__)
        recorder = _Recorder(project, ledger, context, run, now)
        _gather(project, recorder, paths, workers, on_file)
        ledger.finish(run, _now(), len(paths), recorder.opened)
        result = assemble(project, ledger, today)
        result.opened = recorder.opened
        if write:
            _write_outputs(project, ledger, result, out, now)
            ledger.commit()
            projectcache.keep(project)  # what 工作台.xlsx held, for score after it (when it was read to remember)
        return result
    finally:
        if out is not None:
            out.discard()
        ledger.rollback()
        ledger.close()


def _write_outputs(project: Project, ledger: Ledger, result: CollectResult, out: OutputSet, now: str) -> None:
    """佐证材料, 回收登记 and 合并结果 of ``result``, replaced together through ``out``; the evidence and what
    `status` reads recorded in the ledger (in the caller's transaction: it commits once the outputs are in place)."""
    from zonekit.intakelog import write_intake_log, write_merged

    with out:
        result.evidence, versions = _evidence(project, ledger, result.merges, out, result.issues, result.withdrawn)
        write_intake_log(out.path(layout.INTAKE_LOG), result)
        write_merged(out.path(layout.MERGED), result)
        result.intake_log, result.merged = project.output / layout.INTAKE_LOG, project.output / layout.MERGED
        ledger.set_evidence([(e.path, versions[e.path], e.unit, e.indicator, e.source, e.sheet, e.cell, e.kind,
                              e.size, e.sha256, e.received_at, json.dumps(list(e.numbers)), e.kept, e.round)
                             for e in result.evidence])
        ledger.set_snapshot(SNAPSHOT, snapshot(project, result), now)
        result.ledger = ledger.path
    _prune_folders(project)


def rewrite(project: Project, change: Callable[[Ledger], None], today: date | None = None) -> CollectResult:
    """Make ``change`` to the project's ledger (a withdrawal) and write collect's outputs again from the ledger
    alone: no returned file is opened (files put into 2-回收 since the last collect wait for the next one). All of
    it or nothing: an output open in Excel stops it before the ledger changes."""
    today = today or date.today()
    out = OutputSet(project.output, [layout.INTAKE_LOG, layout.MERGED])  # before changing anything
    ledger = Ledger(ledger_path(project.root))
    try:
        ledger.begin_change()  # waits for a collect still running
        change(ledger)
        result = assemble(project, ledger, today)
        _write_outputs(project, ledger, result, out, _now())
        ledger.commit()
        return result
    finally:
        out.discard()
        ledger.rollback()
        ledger.close()


def outcome_key(project: Project, today: date, withdrawn: dict, withdrawn_returns: dict) -> str:
    """What the outputs depend on besides the returns on record: what reading depends on, the national figures,
    the deadline (and whether it has passed today), the pictures and the returns the office withdrew."""
    parts = [reading_context(project), sorted([k, y, str(v)] for (k, y), v in project.national.items()),
             project.deadline.isoformat() if project.deadline else "",
             bool(project.deadline and today > project.deadline), sorted(f"{u}\n{h}\n{r}" for (u, h), r in
                                                                        withdrawn.items()),
             sorted(f"{sha}\n{row['reason']}" for sha, row in withdrawn_returns.items())]
    return _hash(json.dumps(parts, ensure_ascii=False).encode("utf-8"))[:32]


def _unchanged(project: Project, ledger: Ledger, paths: list[Path], context: str,
               today: date) -> "CollectResult | None":
    """The last collect's result when nothing it depends on changed since (every file on disk as it was, the same
    project settings, the same side of the deadline, its outputs still there); None otherwise."""
    data = ledger.snapshot(SNAPSHOT)
    if not data or data.get("outcome") != outcome_key(project, today, ledger.withdrawn(),
                                                      ledger.withdrawn_returns(project.round)) or \
            data.get("round") != project.round or \
            not all((project.output / name).is_file() for name in (layout.INTAKE_LOG, layout.MERGED)):
        return None
    sources = ledger.sources()
    if len(sources) != len(paths):
        return None
    for path in paths:
        known = sources.get(display_path(path, project))
        try:
            info = path.stat()
        except OSError:
            return None
        if known is None or (known.size, known.mtime_ns, known.context, known.round) != \
                (info.st_size, info.st_mtime_ns, context, project.round):
            return None
    return _Unchanged(project, today, data)


class _Unchanged(CollectResult):
    """A collect of an unchanged folder: the last collect's outputs stand, nothing was read or written. The
    states, counts and validity come from the ledger's snapshot; everything else is assembled from the ledger
    the first time it is asked for."""

    def __init__(self, project: Project, today: date, data: dict):  # noqa: super().__init__ on purpose not called
        self.project, self._today, self._data = project, today, data
        self.units = [UnitStatus.from_dict(raw).as_of(today, project.deadline) for raw in data.get("units", [])]
        self.opened, self.unchanged = 0, True
        self.intake_log, self.merged = project.output / layout.INTAKE_LOG, project.output / layout.MERGED
        self.ledger = ledger_path(project.root)

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in {f.name for f in fields(CollectResult)}:
            raise AttributeError(name)
        full = from_ledger(self.project, self._today)
        for f in fields(CollectResult):
            if f.name not in self.__dict__:
                setattr(self, f.name, getattr(full, f.name))
        return getattr(self, name)

    @property
    def valid(self) -> bool:
        return bool(self._data.get("valid"))

    def counts(self) -> dict[str, int]:
        return dict(self._data.get("counts", {}))


def assemble(project: Project, ledger: Ledger, today: date) -> CollectResult:
    """What the ledger holds for the project's current round, merged: versions per unit item by item, units by
    lead precedence, each unit's state, each file's status. Opens no returned file."""
    plan = Plan(project)
    taken_back = ledger.withdrawn_returns(project.round)
    records, places = _load(project, ledger, taken_back)
    merges = _unit_merges(ledger, records)
    _statuses(records, merges)
    ordered = [merges[u.name] for u in project.units if u.name in merges] + \
        [m for name, m in sorted(merges.items()) if name not in {u.name for u in project.units}]
    answers, contributions, conflict_issues, conflicts = merge(project, ordered)
    units, unit_issues = unit_states(project, plan, records, merges, today)
    for status in units:  # the conflicts a unit is part of are its business too
        status.issues += [i for i in conflict_issues if i.unit == status.unit]
    report = Report()
    for um in ordered:
        report.extend(um.issues)
    newest = {u: order_key(m.newest) for u, m in merges.items()}
    remaining_refused = []
    for rec in sorted(records, key=lambda r: r.file):
        if rec.readable or _withdrawn(rec):
            continue
        report.extend(rec.issues)
        if rec.unit not in newest or order_key(rec) > newest[rec.unit]:
            remaining_refused += [i for i in rec.issues if i.blocking]
    report.extend(conflict_issues)
    report.extend(unit_issues)
    remaining = [i for um in ordered for i in um.issues if i.blocking] + remaining_refused + \
        [i for i in conflict_issues + unit_issues if i.blocking]
    withdrawn = ledger.withdrawn()
    result = CollectResult(project, answers, _file_entries(records, places, merges), units, report, contributions,
                           _progress(project, plan, ordered), _kept_evidence(ledger, withdrawn), conflicts, merges,
                           remaining)
    result.today, result.withdrawn, result.withdrawn_returns = today, withdrawn, taken_back
    return result


def from_ledger(project: Project, today: date | None = None) -> CollectResult:
    """The last collect's result, from the ledger alone (score reads this: no file is opened, nothing written).
    Before any collect: every unit owes everything."""
    ledger = Ledger.open(project.root, create=False)
    if ledger is None:
        ledger = Ledger(None)
    with ledger:
        result = assemble(project, ledger, today or date.today())
    for e in result.evidence:  # collect says R307 as it keeps the picture; the unit reports and summary read this
        if e.kept:
            result.issues.add(issue(R_PICTURE_DROPPED, file=e.source, unit=e.unit, sheet=e.sheet, cell=e.cell,
                                    newer=e.kept, what=what(e)))
    return result


def merged_returns(result: CollectResult) -> dict[str, ReturnRecord]:
    """unit → its versions merged into one record, what a refilled workbook writes back: the winning answers and
    text inputs (blank ones too), its progress, the issues that still apply, and the newest version's file, times
    and pictures."""
    out = {}
    for unit, um in result.merges.items():
        newest = um.newest
        rec = ReturnRecord(newest.file, newest.name, size=newest.size, sha256=newest.sha256, format=newest.format,
                           origin=newest.origin, unit=unit, identified_by=newest.identified_by,
                           identity=dict(newest.identity), saved_at=newest.saved_at, saved_from=newest.saved_from,
                           file_time=newest.file_time, received_at=newest.received_at, ordered_at=newest.ordered_at,
                           mailed_at=newest.mailed_at, sender=newest.sender, version=newest.version,
                           seen_at=newest.seen_at, status=newest.status)
        rec.answers = [t.answer for t in um.answers]
        rec.text_answers = [t.answer for t in um.texts]
        rec.progress = [e for entries in result.progress.values() for e in entries if e.unit == unit]
        rec.pictures, rec.issues, rec.missing = list(newest.pictures), list(um.issues), list(um.missing)
        out[unit] = rec
    return out


def has_collected(project: Project) -> bool:
    """Whether a collect has run for this project (its ledger has a committed run); score says so in its first
    line when none has."""
    ledger = Ledger.open(project.root, create=False)
    if ledger is None:
        return False
    with ledger:
        return ledger.runs() > 0


# ---------------------------------------------------------------- evidence


def _evidence(project: Project, ledger: Ledger, merges: dict[str, UnitMerge], out: OutputSet,
              report: Report, withdrawn: dict[tuple[str, str], str]) -> tuple[list[EvidenceFile], dict[str, int]]:
    """Copy into 佐证材料 (through ``out``) the pictures of each unit's newest version, those an earlier version
    carried and no later one does (by content hash: kept, with R307 to the unit and the office), and those a
    version of an earlier round carried and no version since does (kept without a message: the next round's
    pre-filled workbooks cannot carry pictures, and their 续填说明 tells the units the office kept them) — none
    that the office withdrew. Every picture of every version goes into the image store while its file is there,
    so a version whose file is gone still gives its pictures. Returns the files and each one's version id."""
    previous = {row["path"]: row for row in ledger.evidence()}
    copied = {(row["version"], row["sheet"], row["cell"], row["sha256"]): row for row in previous.values()}
    store = ImageStore(project.root)
    files: list[EvidenceFile] = []
    versions: dict[str, int] = {}
    taken: set[str] = set()

    def package(rec: ReturnRecord):
        try:
            return load_origin(rec.origin)
        except (OSError, zipfile.BadZipFile, KeyError, IndexError, ValueError):
            return None  # moved or deleted since it was received

    def copy(rec: ReturnRecord, pictures: list[Picture], kept: str = "", round_name: str = project.round) -> bool:
        ready, before = [p for p in pictures if store.has(p)], len(files)
        for pic in pictures:
            if store.has(pic):
                continue
            row = copied.get((rec.version, pic.sheet, pic.cell, pic.sha256))  # received before the image store
            if row is not None and (project.output / row["path"]).is_file():
                taken.add(row["path"])
                files.append(_evidence_file(row))
                files[-1].round = files[-1].round or round_name
                versions[row["path"]] = rec.version
            else:
                found = issue(R_PICTURE_UNREADABLE, file=rec.file, unit=rec.unit, sheet=pic.sheet, cell=pic.cell,
                              reason="原文件已不在或已损坏，图片库中也没有这张图片")
                rec.issues.append(found)
                report.add(found)
        made = extract_pictures(project.output, rec.unit, rec.file, ready, taken, rec.received_at, kept,
                                read=store.read, write=lambda target, data: out.write(Path(target).resolve(), data),
                                round_name=round_name, earlier=round_name != project.round)
        files.extend(made)
        versions.update((e.path, rec.version) for e in made)
        return len(files) > before

    have: dict[str, set[str]] = {}  # unit → the images it is on record with (or that the office withdrew)
    for unit, sha in withdrawn:
        have.setdefault(unit, set()).add(sha)
    for unit, um in sorted(merges.items()):
        for rec in um.versions:
            if rec.pictures:
                store.keep(rec.pictures, lambda rec=rec: package(rec))
        current = um.newest
        gone = have.setdefault(unit, set())
        shown = [p for p in current.pictures if p.sha256 not in gone]
        if shown:
            copy(current, shown)
        for rec, lost in dropped_pictures(um.versions[:-1], current, set(gone)):
            if not copy(rec, lost, kept=current.file):
                continue
            for pic in lost:
                found = issue(R_PICTURE_DROPPED, file=rec.file, unit=rec.unit, sheet=pic.sheet, cell=pic.cell,
                              newer=current.file, what=what(pic))
                rec.issues.append(found)
                report.add(found)
        gone.update(p.sha256 for rec in um.versions for p in rec.pictures)
    for round_name, rec in _earlier_versions(project, ledger):  # newest round, newest version first
        gone = have.setdefault(rec.unit, set())
        lost = [p for p in rec.pictures if p.sha256 and p.sha256 not in gone]  # at every place in the version
        gone.update(p.sha256 for p in rec.pictures)
        if lost:
            store.keep(lost, lambda rec=rec: package(rec))
            copy(rec, lost, round_name=round_name)
    base = (project.output / layout.EVIDENCE_DIR).resolve()
    for rel in sorted(set(previous) - {e.path for e in files}):  # stale copies, and never anything else
        target = (project.output / rel).resolve()
        if base in target.parents:
            out.remove(target)
    return files, versions


def _earlier_versions(project: Project, ledger: Ledger) -> list[tuple[str, ReturnRecord]]:
    """(round, version with its pictures at its main place) for every readable version of the rounds before the
    current one that carried pictures, newest round first and newest version first; returns the office withdrew
    in their round left out. Only versions with pictures are loaded (a collect of a later round stays cheap)."""
    names = [r["name"] for r in ledger.rounds()]
    earlier = names[:names.index(project.round)] if project.round in names else names
    out = []
    for round_name in reversed(earlier):
        taken_back = ledger.withdrawn_returns(round_name)
        mine = []
        for row in ledger.versions_with_pictures(round_name):
            found = ledger.places(row["id"])
            if row["sha256"] in taken_back or not found:
                continue
            rec = _record_of(row, _main_place(found), project)
            rec.pictures = [Picture(*p[:11], numbers=tuple(json.loads(p[11]))) for p in ledger.pictures(row["id"])]
            mine.append(rec)
        out += [(round_name, rec) for rec in sorted(mine, key=order_key, reverse=True)]
    return out


def _evidence_file(row) -> EvidenceFile:
    return EvidenceFile(row["unit"], row["indicator"], row["path"], row["source"], row["sheet"], row["cell"],
                        row["kind"], row["size"], row["sha256"], row["received_at"], tuple(json.loads(row["numbers"])),
                        row["kept"], row["round"])


def _kept_evidence(ledger: Ledger, withdrawn: dict[tuple[str, str], str]) -> list[EvidenceFile]:
    """The pictures the last collect copied (score reads them; collect replaces them with what it copies), less
    those the office withdrew since (score and the report leave them out at once)."""
    return [_evidence_file(row) for row in ledger.evidence() if (row["unit"], row["sha256"]) not in withdrawn]


def _prune_folders(project: Project) -> None:
    """Empty unit and indicator folders left in 佐证材料 once stale pictures are gone."""
    base = project.output / layout.EVIDENCE_DIR
    if not base.is_dir():
        return
    for folder in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass


# ---------------------------------------------------------------- what `status` and `remind` read


def snapshot(project: Project, result: CollectResult) -> dict:
    """What `status` needs, valid while 工作台.xlsx is unchanged (its size and modification time)."""
    return {"project": project.project_id, "round": project.round, "workbook": workbook_stamp(project.root),
            "deadline": project.deadline.isoformat() if project.deadline else "",
            "units": [u.to_dict() for u in result.units], "valid": result.valid,
            "conflicts": sorted(result.conflicts, key=lambda n: (len(n), n)), "counts": result.counts(),
            "outcome": outcome_key(project, result.today, result.withdrawn, result.withdrawn_returns),
            "files": len(result.returns),
            "errors": len(result.issues.errors), "warnings": len(result.issues.warnings),
            "remaining": len(result.remaining), "evidence": len(result.evidence)}


def _read_snapshot(project: Project) -> dict | None:
    ledger = Ledger.open(project.root, create=False)
    if ledger is None:
        return None
    with ledger:
        data = ledger.snapshot(SNAPSHOT)
    if not data or data.get("project") != project.project_id or data.get("round") != project.round:
        return None
    return data


def unit_status(project: Project, today: date | None = None) -> list[UnitStatus]:
    """Per-unit state from the last collect (kept in the project's ledger); before any collect every unit with
    work is 未报 (or 逾期 after the deadline) and owes everything. A 未报 unit becomes 逾期 once the deadline
    has passed, even if the last collect ran before it."""
    today = today or date.today()
    state = _read_snapshot(project)
    if state is None:
        units, _ = unit_states(project, Plan(project), [], {}, today)
        return units
    known = {u.name for u in project.units}
    out = [UnitStatus.from_dict(raw).as_of(today, project.deadline) for raw in state.get("units", [])
           if raw.get("unit") in known]
    seen = {s.unit for s in out}
    missing_units = [u.name for u in project.units if u.name not in seen and _role_of(project, u.name)]
    if missing_units:  # units added to 单位名单 after the last collect
        extra, _ = unit_states(project, Plan(project), [], {}, today)
        out += [s for s in extra if s.unit in missing_units]
    return out


# ---------------------------------------------------------------- one file, and rendering for the terminal


def check_file(project: Project, path: Path | str) -> list[ReturnRecord]:
    """Read and validate one returned file as collect would (a zip or an e-mail gives one record per workbook)."""
    records: list[ReturnRecord] = []
    read_all(project, [Path(path)], workers=1, sink=records.extend)  # isolated like every file of a collect
    records = [r.unpack() for r in records]
    for rec in records:
        rec.status = _unread_status(rec) or (layout.STATUS_REFUSED if rec.errors else layout.STATUS_ADOPTED)
        rec.reason = _reason(rec) if rec.status != layout.STATUS_ADOPTED else ""
    return records


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


def render_collect(result: CollectResult, limit: int = 200) -> str:
    """The terminal summary: one line per file (up to ``limit``), the units, and where the outputs are."""
    if result.unchanged:
        data = result._data
        return "\n".join([f"与上次回收相比没有变化：{data.get('files', 0)}个文件都已登记，未重新读取，回收登记和合并结果保持不变。",
                          "文件：" + "，".join(f"{k}{v}个" for k, v in result.counts().items()) + "。",
                          render_status(result.units),
                          f"错误{data.get('errors', 0)}个（其中仍需处理{data.get('remaining', 0)}个），"
                          f"警告{data.get('warnings', 0)}个。",
                          f"回收登记：{result.intake_log}", f"合并结果：{result.merged}"])
    lines = []
    other = [r for r in result.returns if any(i.code == R_OTHER_ROUND for i in r.issues)]
    rows = [[r.status, r.file, r.unit or "—", r.reason] for r in result.returns
            if not any(i.code == R_OTHER_ROUND for i in r.issues)]
    if rows:
        shown = rows if len(rows) <= limit else [r for r in rows if r[0] != layout.STATUS_SUPERSEDED][:limit]
        lines.append(render_table(["状态", "文件", "单位", "原因"], [[a, b, c, d[:60]] for a, b, c, d in shown]))
        if len(shown) < len(rows):
            lines.append(f"……共{len(rows)}个文件，完整列表见回收登记。")
    elif not other:
        lines.append(f"没有找到回收文件（请把收到的文件放入 {result.project.returned}）。")
    if other:  # earlier rounds' forms still in the folder: one line here, every one of them in 回收登记
        lines.append(f"另有{len(other)}个其他轮次的填报表（如「{other[0].file}」）已跳过，不计入「{result.project.round}」，"
                     f"逐个列在回收登记中。")
    counts = result.counts()
    lines.append("文件：" + "，".join(f"{k}{v}个" for k, v in counts.items()) + "。" +
                 (f"本次打开{result.opened}个文件，其余未变动，取自回收台账。" if result.opened < len(rows) else ""))
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
    gone = [r for r in result.returns if not r.present and r.status in (layout.STATUS_ADOPTED, layout.STATUS_REFUSED)]
    if gone:  # kept on record (issue 12): say so, and how to make one stop counting
        lines.append(f"有{len(gone)}个文件已不在原处（如「{gone[0].file}」），仍按收到时的内容计入；不应计入的，"
                     f"请用 zonekit withdraw {result.project.root} 文件 --reason 理由 撤回。")
    if result.evidence:
        earlier = sum(1 for e in result.evidence if e.earlier(result.project.round))
        lines.append(f"佐证材料：{len(result.evidence)}张图片" +
                     (f"（其中{earlier}张是以前各轮收到、此后没有再报的，已保留，注明轮次）" if earlier else "") +
                     f"，在 {result.project.output / layout.EVIDENCE_DIR}")
    return "\n".join(lines)


def collect_json(result: CollectResult) -> dict:
    return {"valid": result.valid, "counts": result.counts(), "opened": result.opened,
            "files": [{"file": r.file, "size": r.size, "sha256": r.sha256, "unit": r.unit,
                       "identified_by": r.identified_by, "status": r.status, "reason": r.reason,
                       "saved_at": r.saved_at, "received_at": r.received_at, "errors": len(r.errors),
                       "warnings": len(r.warnings)} for r in result.returns],
            "units": status_json(result.units),
            "conflicts": sorted(result.conflicts, key=lambda n: (len(n), n)),
            "issues": [i.to_dict() for i in result.issues.issues],
            "intake_log": str(result.intake_log or ""), "merged": str(result.merged or ""),
            "evidence": [e.path for e in result.evidence]}
