"""What zonekit.workbench.read_project read from 工作台.xlsx (the project and every problem found), kept as JSON in
the project's .zonekit folder once the command that read it has succeeded (collect, score), and used instead of
opening the workbook again (openpyxl takes a tenth of a second) while the workbook's bytes, the scheme file and
zonekit's own code are those it was read with.

Never trusted beyond that: anything unreadable, or from other bytes, another scheme file or another zonekit, is
ignored and the workbook read again; the JSON names only the classes below, so nothing in it can run.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import zonekit
from zonekit import layout
from zonekit.errors import ZonekitError
from zonekit.files import write_atomic
from zonekit.issues import Issue, Report
from zonekit.project import Assignment, MailSettings, Phase, Project, Target, Unit, Verification

FORMAT = 1
_CLASSES = {cls.__name__: cls for cls in (Unit, Assignment, Phase, MailSettings, Target, Verification, Issue)}
_NOT_KEPT = ("root", "scheme")  # the folder it is read from; the scheme is loaded from its file again


def cache_path(root: Path | str) -> Path:
    return Path(root) / layout.LEDGER_DIR / layout.PROJECT_CACHE


def key(root: Path | str, data: bytes, scheme_path: Path | None) -> dict:
    """What a remembered reading depends on: the folder, the workbook's bytes, the scheme file as it is now and
    zonekit."""
    return {"format": FORMAT, "root": str(Path(root).resolve()), "workbook": hashlib.sha256(data).hexdigest(),
            "scheme": _file_stamp(scheme_path), "zonekit": _code_stamp()}


def recall(root: Path | str, data: bytes) -> tuple[Project, Report] | None:
    """The project and report remembered for these workbook bytes, or None (then the workbook is read)."""
    from zonekit.scheme import load_scheme

    try:
        kept = json.loads(cache_path(root).read_text(encoding="utf-8"))
        scheme_path = Path(kept["scheme_path"])
        if kept["key"] != key(root, data, scheme_path):
            return None
        fields = {name: _decode(value) for name, value in kept["project"].items()}
        project = Project(root=Path(root), scheme=load_scheme(scheme_path), **fields)
        return project, Report([_decode(i) for i in kept["issues"]])
    except Exception:  # missing, damaged, from another version of a class: read the workbook instead
        return None


def note(project: Project, data: bytes, report: Report) -> None:
    """What ``project`` was read from, to be kept by ``keep`` once the run that read it has succeeded (a run that
    fails leaves the project folder as it was)."""
    project.__dict__[_NOTED] = (data, report)


def keep(project: Project) -> None:
    """Keep what ``project`` was read from (see ``note``); a folder that cannot be written just means no
    shortcut next time."""
    noted = project.__dict__.pop(_NOTED, None)
    if noted is not None:
        _write(project.root, noted[0], project, noted[1])


_NOTED = "_projectcache_read_from"


def _write(root: Path | str, data: bytes, project: Project, report: Report) -> None:
    scheme_path = Path(project.scheme.path) if getattr(project.scheme, "path", None) else None
    if scheme_path is None:
        return
    try:
        text = json.dumps({"key": key(root, data, scheme_path), "scheme_path": str(scheme_path),
                           "project": {f.name: _encode(getattr(project, f.name)) for f in dataclasses.fields(project)
                                       if f.name not in _NOT_KEPT},
                           "issues": [_encode(i) for i in report.issues]}, ensure_ascii=False)
        path = cache_path(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
    except (OSError, TypeError, ValueError, ZonekitError):
        pass


def _file_stamp(path: Path | None) -> list:
    if path is None:
        return []
    info = path.stat()
    return [str(path.resolve()), info.st_size, info.st_mtime_ns]


@functools.lru_cache(maxsize=1)
def _code_stamp() -> str:
    """zonekit's version and every module of it as installed (name, size, time): a reader changed in any way
    reads the workbook again."""
    folder = Path(zonekit.__file__).parent
    files = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.py"))
    return hashlib.sha256(json.dumps([zonekit.__version__, files]).encode()).hexdigest()[:32]


def _encode(value):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Fraction):
        return {"#fraction": f"{value.numerator}/{value.denominator}"}
    if isinstance(value, datetime):
        return {"#datetime": value.isoformat()}
    if isinstance(value, date):
        return {"#date": value.isoformat()}
    if isinstance(value, tuple):
        return {"#tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"#dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and type(value).__name__ in _CLASSES:
        return {"#class": type(value).__name__,
                **{f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"not kept: {type(value).__name__}")


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "#fraction" in value:
        return Fraction(value["#fraction"])
    if "#datetime" in value:
        return datetime.fromisoformat(value["#datetime"])
    if "#date" in value:
        return date.fromisoformat(value["#date"])
    if "#tuple" in value:
        return tuple(_decode(v) for v in value["#tuple"])
    if "#dict" in value:
        return {_decode(k): _decode(v) for k, v in value["#dict"]}
    cls = _CLASSES[value["#class"]]
    return cls(**{name: _decode(v) for name, v in value.items() if name != "#class"})
