"""File helpers shared by every writer: the outputs of one run appear together, whole, or not at all; inputs are
only ever read.

Never opens a user's input file for writing. Temporary files live in a ``.zonekit-tmp`` folder beside the outputs,
where any later run finds and removes what a killed run left behind.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from zonekit.errors import OutputError

STAGING_DIR = ".zonekit-tmp"  # beside the outputs: same file system, so every replace is one rename
_LOCK_NAME = "owner.lock"
_JOURNAL = "commit.json"


def lock_files(target: Path) -> list[Path]:
    """The owner files office suites keep beside a workbook while it is open (Excel/WPS ``~$``, LibreOffice
    ``.~lock.…#``)."""
    name = target.name
    candidates = [f"~${name}", f".~lock.{name}#"]
    if len(name) > 2:
        candidates.append(f"~${name[2:]}")  # Word-style owner files drop the first two characters of long names
    return [target.parent / c for c in candidates if (target.parent / c).exists()]


def why_blocked(target: Path) -> str | None:
    """Why ``target`` cannot be replaced now, as a Chinese sentence that says what to do; None when it can."""
    target = Path(target)
    shown = target.name
    for parent in [target.parent, *target.parent.parents]:
        if parent.exists():
            if not parent.is_dir():
                return f"「{parent}」是一个文件而不是文件夹，无法在其中写出 {shown}。请把它移走或改名后重试。"
            break
    if target.is_dir():
        return f"「{target}」是一个文件夹，无法写成文件。请把这个文件夹移走或改名后重试。"
    if target.exists() and not target.is_file():
        return f"「{target}」不是普通文件，无法替换。请把它移走后重试。"
    if target.exists() and lock_files(target):
        return f"{shown} 正在{_office_of(target)}中打开（{target}）。请先关闭它后重试。"
    if target.exists() and os.name == "nt":
        try:  # Excel opens workbooks without sharing write access: the only reliable test on Windows
            with open(target, "r+b"):
                pass
        except PermissionError:
            return f"{shown} 正在被其他程序打开（{target}），无法替换。请先在{_office_of(target)}中关闭它后重试。"
        except OSError:
            pass
    return None


def _office_of(target: Path) -> str:
    """The programs a clerk would have this file open in."""
    if target.suffix.lower() in (".docx", ".doc"):
        return " Word 或 WPS "
    return " Excel、WPS 或 LibreOffice "


class OutputSet:
    """The outputs of one run under one folder: written into a staging folder first, then moved into place
    together by ``commit``; if a move fails, the ones already moved are put back, so the previous outputs stay
    whole. Use as a context manager: leaving it normally commits, leaving it by an exception (Ctrl-C included)
    discards everything staged.

        with OutputSet(project.output, [layout.INTAKE_LOG, layout.MERGED]) as out:
            write_intake_log(out.path(layout.INTAKE_LOG), …)
            write_merged(out.path(layout.MERGED), …)

    ``targets`` named up front are checked before anything is written (an open workbook stops the run with one
    message and changes nothing); ``path`` checks the targets added later in the same way.
    """

    def __init__(self, root: Path | str, targets=()):
        self.root = Path(os.path.abspath(root))  # the working folder may be the project itself (zonekit score .)
        self._staged: dict[Path, Path] = {}  # target -> staged temp file
        self._removals: list[Path] = []
        self._dir: Path | None = None
        self._lock = None
        self.committed: list[Path] = []
        for target in targets:
            self._check(self._target(target))

    # ------------------------------------------------------------ staging
    def _target(self, target) -> Path:
        """Absolute path of a target given absolute, relative to the working folder (a path that already lies
        inside the root, as callers holding ``project.output / name`` pass it), or relative to the root."""
        target = Path(target)
        if target.is_absolute():
            return target
        from_cwd = Path(os.path.abspath(target))
        if str(from_cwd).startswith(str(self.root) + os.sep):
            return from_cwd
        return self.root / target

    def _check(self, target: Path) -> None:
        reason = why_blocked(target)
        if reason:
            raise OutputError(reason + "本次运行没有改动任何输出文件。")

    def _staging(self) -> Path:
        if self._dir is None:
            base = self.root / STAGING_DIR
            try:
                sweep(self.root)
                folder = base / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
                folder.mkdir(parents=True)  # parents too: another run's sweep may just have removed an empty base
                self._lock = _hold_lock(folder / _LOCK_NAME)
            except OSError as exc:  # the clerk knows the output folder, not the staging folder inside it
                raise OutputError(_os_message(exc, self.root, self.root) + "本次运行没有改动任何输出文件。") from None
            self._dir = folder
        return self._dir

    def path(self, target) -> Path:
        """A fresh temporary path to write ``target`` into (relative targets are under the root)."""
        target = self._target(target)
        self._check(target)
        folder = self._staging()
        temp = folder / f"{len(self._staged):04d}{target.suffix}"
        self._staged[target] = temp
        return temp

    def write(self, target, data: bytes | str) -> None:
        temp = self.path(target)
        try:
            if isinstance(data, str):
                temp.write_text(data, encoding="utf-8")
            else:
                temp.write_bytes(data)
        except OSError as exc:
            raise OutputError(_os_message(exc, self.root)) from None

    def remove(self, target) -> None:
        """Delete ``target`` at commit time (e.g. a picture a previous run extracted that is gone now)."""
        target = self._target(target)
        if target.exists():
            self._check(target)
            self._removals.append(target)

    # ------------------------------------------------------------ commit or discard
    def commit(self) -> list[Path]:
        if not self._staged and not self._removals:
            self.discard()
            return []
        folder = self._staging()
        moves = []  # (target, temp or None for a removal, backup or None)
        for n, (target, temp) in enumerate(self._staged.items()):
            moves.append((target, temp, folder / f"bak-{n:04d}" if target.exists() else None))
        for n, target in enumerate(self._removals):
            moves.append((target, None, folder / f"del-{n:04d}"))
        journal = folder / _JOURNAL
        try:
            journal.write_text(json.dumps([[str(t), str(s or ""), str(b or "")] for t, s, b in moves]),
                               encoding="utf-8")
            _mode_for_sharing([s for _, s, _ in moves if s])
        except OSError as exc:
            self.discard()
            raise OutputError(_os_message(exc, self.root)) from None
        done = []
        try:
            for target, temp, backup in moves:
                target.parent.mkdir(parents=True, exist_ok=True)
                if backup is not None:
                    os.replace(target, backup)
                done.append((target, temp, backup))
                if temp is not None:
                    os.replace(temp, target)
        except OSError as exc:
            _roll_back(done)
            self.discard()
            raise OutputError(_os_message(exc, self.root, getattr(exc, "filename", None)) +
                              "已恢复为本次运行之前的文件。") from None
        journal.unlink()  # committed: from here on a sweep must not roll anything back
        self.committed = [t for t, s, _ in moves if s is not None]
        self.discard()
        return self.committed

    def discard(self) -> None:
        if self._lock is not None:
            _release_lock(self._lock)
            self._lock = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            _remove_if_empty(self._dir.parent)
            self._dir = None
        self._staged.clear()
        self._removals.clear()

    def __enter__(self) -> "OutputSet":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def _roll_back(done) -> None:
    for target, temp, backup in reversed(done):
        try:
            if backup is not None and backup.exists():
                os.replace(backup, target)
            elif backup is None and temp is not None and target.exists() and not temp.exists():
                target.unlink()  # a new output that had no previous version
        except OSError:
            pass


def sweep(root: Path | str) -> None:
    """Remove what killed runs left in ``root/.zonekit-tmp``: staging folders whose owner is gone; a folder
    killed in the middle of its commit is rolled back first, so the previous outputs come back whole."""
    base = Path(root) / STAGING_DIR
    try:
        folders = [p for p in base.iterdir() if p.is_dir()]
    except OSError:
        return
    for folder in folders:
        lock = _try_lock(folder / _LOCK_NAME)
        if lock is False:
            continue  # its run is still going
        if lock is None and _age(folder) < UNLOCKED_GRACE:
            continue  # just made by a run that has not taken its lock yet
        try:
            journal = folder / _JOURNAL
            if journal.exists():
                try:
                    moves = json.loads(journal.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    moves = []
                done = [(Path(t), Path(s) if s else None, Path(b) if b else None) for t, s, b in moves]
                _roll_back(done)
        finally:
            if lock is not None:
                _release_lock(lock)
            shutil.rmtree(folder, ignore_errors=True)
    _remove_if_empty(base)


UNLOCKED_GRACE = 600  # seconds a staging folder may exist before its run locks it


def _age(path: Path) -> float:
    import time

    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return UNLOCKED_GRACE


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _hold_lock(path: Path):
    fh = open(path, "a+b")
    if os.name == "nt":
        import msvcrt

        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


def _try_lock(path: Path):
    """The lock of a staging folder if its owner is gone (None when there is no lock file), False if held."""
    if not path.exists():
        return None
    try:
        return _hold_lock(path)
    except OSError:
        return False


def _release_lock(fh) -> None:
    try:
        fh.close()  # closing releases both flock and msvcrt locks
    except OSError:
        pass


def _mode_for_sharing(paths) -> None:
    """Temp files are made 0600; outputs are shared like any file the user saves."""
    mode = 0o666 & ~_umask()
    for path in paths:
        os.chmod(path, mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _os_message(exc: OSError, root: Path, filename=None) -> str:
    where = filename or getattr(exc, "filename", None) or root
    if isinstance(exc, PermissionError):
        return f"没有权限写入 {where}。请确认文件没有在 Excel、WPS 中打开，文件夹不是只读，然后重试。"
    if getattr(exc, "errno", None) == 28:
        return f"磁盘空间不足，无法写入 {where}。请清理磁盘后重试。"
    if getattr(exc, "errno", None) == errno.EROFS:
        return f"{where} 在只读的磁盘或共享文件夹上，无法写入。请把项目文件夹复制到可以写入的位置后重试。"
    return f"无法写入 {where}（{exc.strerror or exc}）。"


@contextmanager
def atomic_path(target: Path | str):
    """Yield a temporary path for ``target``; on success it replaces ``target`` in one step (a one-file
    OutputSet, so an open workbook or a killed run is handled as for any output)."""
    target = Path(target)
    with OutputSet(target.parent, [target.name]) as out:
        yield out.path(target.name)


def write_atomic(target: Path | str, data: bytes | str) -> None:
    target = Path(target)
    with OutputSet(target.parent, [target.name]) as out:
        out.write(target.name, data)


def sha256_of(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
