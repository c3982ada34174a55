"""LibreOffice headless: convert workbooks (PDF, .xlsx, .xls) and have formulas recalculated, for tests and checks.

Every call runs soffice with its own throw-away profile, never the user's; results are checked on disk because
soffice exits 0 even when a conversion fails; sources are never overwritten.

Recalculation, as verified with LibreOffice 7.4: on loading .xlsx, LibreOffice trusts cached formula results by
default ("Recalculation on file load: never"), so xlsxwriter's default cached 0 would stay 0. Two things make the
computed values appear without UNO: (1) zonekit writes formulas with an empty cached value (``<v></v>``), which
LibreOffice computes on load (openpyxl writes formulas the same way); (2) the private profile written here sets
``Formula/Load/OOXMLRecalcMode`` (and the ODF one) to 0, "always recalculate", so any conversion recalculates
every formula whatever was cached. ``recalculate`` is therefore a conversion .xlsx → .xlsx.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from zonekit.errors import WorkbookError

DEFAULT_TIMEOUT = 180  # seconds for one soffice run (a cold start on a slow CI machine takes ~5 s)

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


# With Writer installed, soffice opens a file Calc cannot read as a text document and "converts" that; naming the
# workbook format's import filter keeps a damaged workbook an error (verified with LibreOffice 7.4).
_CALC_FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".xlsm": "Calc MS Excel 2007 VBA XML", ".xls": "MS Excel 97",
                 ".ods": "calc8"}


def find_soffice() -> str:
    """The soffice executable; WorkbookError when LibreOffice is not installed."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise WorkbookError("找不到 LibreOffice（soffice）。请安装 libreoffice-calc 后重试。")
    return found


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    # Own session, so a hung soffice.bin (started by the soffice wrapper) is killed with its parent.
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise WorkbookError(f"LibreOffice 在 {timeout:.0f} 秒内没有完成转换，已中止。") from None
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def convert_many(sources: list[Path | str], fmt: str, outdir: Path | str,
                 timeout: float = DEFAULT_TIMEOUT) -> list[Path]:
    """Convert several files in one soffice run (one start-up); returns the outputs in the order given.

    ``fmt`` is what ``--convert-to`` takes: "pdf", "xlsx", "xls" or "xlsx:Calc MS Excel 2007 XML".
    Raises WorkbookError when a source is missing, an output would overwrite a source, or any output is absent.
    """
    sources = [Path(s).resolve() for s in sources]
    outdir = Path(outdir).resolve()
    ext = fmt.split(":", 1)[0]
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise WorkbookError(f"要转换的文件不存在：{'、'.join(missing)}")
    targets = [outdir / f"{s.stem}.{ext}" for s in sources]
    if len(set(targets)) != len(targets):
        raise WorkbookError("要转换的文件中有同名文件，输出会互相覆盖；请分批转换。")
    if set(targets) & set(sources):
        raise WorkbookError(f"转换结果会覆盖原文件，请换一个输出目录（{outdir}）。")
    soffice = find_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".soffice-") as work, \
            tempfile.TemporaryDirectory(prefix=".convert-", dir=outdir) as staging:
        profile = Path(work) / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        kinds = {s.suffix.lower() for s in sources}
        only = kinds.pop() if len(kinds) == 1 else ""
        infilter = [f"--infilter={_CALC_FILTERS[only]}"] if only in _CALC_FILTERS else []
        args = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
                "--nodefault", "--nolockcheck", *infilter, "--convert-to", fmt, "--outdir", staging, *map(str, sources)]
        done = _run(args, timeout)
        staged = [Path(staging) / t.name for t in targets]
        failed = [s.name for s, out in zip(sources, staged) if not out.is_file() or out.stat().st_size == 0]
        if failed:
            tail = [line for line in (done.stderr or b"").decode("utf-8", "replace").splitlines()
                    if line.strip() and "javaldx" not in line][-3:]
            raise WorkbookError(f"LibreOffice 未能把 {'、'.join(failed)} 转换为 {ext}"
                                f"（退出码 {done.returncode}{'：' + ' '.join(tail) if tail else ''}）。"
                                f"请确认文件能在 Excel 或 WPS 中正常打开。")
        for out, target in zip(staged, targets):
            os.replace(out, target)
    return targets


def convert(src: Path | str, fmt: str, outdir: Path | str, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Convert one file with LibreOffice headless; returns the path of the output (checked to exist)."""
    return convert_many([src], fmt, outdir, timeout)[0]


def recalculate(src: Path | str, dst: Path | str, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Open ``src`` in LibreOffice, recalculate every formula and save the result as .xlsx at ``dst``."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".recalc-", dir=dst.parent) as tmp:
        out = convert(src, "xlsx", tmp, timeout)
        os.replace(out, dst)
    return dst
