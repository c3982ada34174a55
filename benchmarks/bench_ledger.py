"""Benchmark of a round with the ledger (not a test): a first collect against the bare calamine read of the sheets
intake needs (same files, same worker pool), a re-collect of the unchanged folder, score after collect, the serial
tail of a collect and its main-process memory — on copies of the demo's returns (one project, many returns) and on
the realistic shape (many projects of 40 distinct units each). run.py drives it; its children do the measuring.

    python benchmarks/bench_ledger.py --realistic 10     # quick look: 10 projects × 40 units

Builds its own inputs in a temporary folder and deletes them afterwards.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's zonekit, not an installed copy

from zonekit import layout  # noqa: E402

NEEDED = (layout.SHEET_INDICATORS, layout.SHEET_DATA, layout.SHEET_IDENTITY)  # the sheets intake reads
UNITS_PER_PROJECT = 40


# ---------------------------------------------------------------- the floor: calamine, the same pool


def _floor_init() -> None:
    pass


def _floor_read(path: str) -> int:
    """The bare calamine read of the sheets intake needs, of every workbook in one file (zips opened)."""
    from python_calamine import CalamineWorkbook

    data = Path(path).read_bytes()
    books = [data]
    if path.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            books = [zf.read(n) for n in zf.namelist() if n.endswith(".xlsx")]
    cells = 0
    for book_bytes in books:
        book = CalamineWorkbook.from_filelike(io.BytesIO(book_bytes))
        for name in NEEDED:
            if name in book.sheet_names:
                cells += sum(len(r) for r in book.get_sheet_by_name(name).to_python(skip_empty_area=False))
    return cells


def _floor_failed(path: str, reason: str) -> int:
    raise RuntimeError(f"{path}: {reason}")


def floor(paths: list[Path], workers: int) -> float:
    """Seconds to read ``paths`` with calamine through zonekit.pool, as collect reads them."""
    from zonekit import pool

    start = time.perf_counter()
    for _ in pool.run([str(p) for p in paths], _floor_init, (), _floor_read, _floor_failed, workers=workers):
        pass
    return time.perf_counter() - start


# ---------------------------------------------------------------- one round, measured in a child process


def main_rss() -> int:
    """Peak RSS of this process (bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak * (1 if sys.platform == "darwin" else 1024)


def round_child(roots: list[str]) -> None:
    """For each project: a first collect (with the time its last file was read), the calamine floor of the same
    files in the same pool, a re-collect of the unchanged folder, score after collect. Prints one JSON line."""
    from zonekit.collect import collect, input_files
    from zonekit.scorecmd import run_score
    from zonekit.workbench import load_project

    workers = min(os.cpu_count() or 1, 8)
    spent = {"collect": 0.0, "tail": 0.0, "floor": 0.0, "recollect": 0.0, "score": 0.0, "returns": 0}
    counts: dict[str, int] = {}
    for root in roots:
        project = load_project(root, remember=True)  # as `zonekit collect` loads it (score then reads no workbook)
        last = {}
        start = time.perf_counter()
        result = collect(project, on_file=lambda n: last.__setitem__("read", time.perf_counter()))
        end = time.perf_counter()
        spent["collect"] += end - start
        spent["tail"] += end - last.get("read", start)
        spent["returns"] += len(result.returns)
        for status, n in result.counts().items():
            counts[status] = counts.get(status, 0) + n
        rss_collect = main_rss()
        spent["floor"] += floor(input_files(project), workers)
        start = time.perf_counter()
        again = collect(project)
        spent["recollect"] += time.perf_counter() - start
        assert again.opened == 0, again.opened
        start = time.perf_counter()
        run_score(root)
        spent["score"] += time.perf_counter() - start
    print(json.dumps({**spent, "counts": counts, "rss_main": rss_collect, "workers": workers}, ensure_ascii=False))


# ---------------------------------------------------------------- the realistic shape


def realistic_projects(work: Path, count: int) -> tuple[list[Path], str]:
    """``count`` county projects of 40 units each, every unit with work, every return distinct: one project built
    and filled as `zonekit demo` fills its returns, then copied with another project id (工作台 and returns)."""
    from zonekit.demo import fill_return
    from zonekit.generate import generate
    from zonekit.project import Assignment, Unit
    from zonekit.scheme import load_scheme
    from zonekit.workbench import create_project, load_project, write_assignments

    first = work / "county-000"
    units = [Unit(f"第{n:02d}局", contact="联系人", phone="0359-7520000", emails=[f"u{n}@example.cn"])
             for n in range(1, UNITS_PER_PROJECT + 1)]
    create_project(first, "2022", "示范县", "山西省", deadline=date.today() + timedelta(days=30), units=units)
    scheme = load_scheme("2022")
    names = [u.name for u in units]
    write_assignments(first, [Assignment(ind.number, [names[i % len(names)]], [names[(i + 7) % len(names)]])
                              for i, ind in enumerate(scheme.indicators)])
    project = load_project(first)
    project.returned.mkdir(parents=True, exist_ok=True)
    for book in generate(project).books:
        (project.returned / book.path.name).write_bytes(fill_return(project, book.unit, book.path))
    shutil.rmtree(project.outgoing)
    roots = [first]
    old = project.project_id.encode()
    for n in range(1, count):
        root = work / f"county-{n:03d}"
        new = f"{n:0{len(old)}d}"[-len(old):].encode()  # another id of the same length
        root.mkdir()
        (root / layout.PROJECT_WORKBOOK).write_bytes(_patched(first / layout.PROJECT_WORKBOOK, old, new))
        (root / layout.RETURNED_DIR).mkdir()
        for path in (first / layout.RETURNED_DIR).iterdir():
            (root / layout.RETURNED_DIR / path.name).write_bytes(_patched(path, old, new))
        roots.append(root)
    return roots, (f"{count} projects × {UNITS_PER_PROJECT} units, every unit a lead or responsible unit, "
                   f"every return distinct (filled as `zonekit demo` fills them)")


def _patched(path: Path, old: bytes, new: bytes) -> bytes:
    """A workbook with every occurrence of ``old`` in its parts replaced by ``new`` (same length)."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info).replace(old, new))
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realistic", type=int, default=10, help="projects of 40 units (default 10)")
    parser.add_argument("--round", nargs="+", metavar="DIR", help=argparse.SUPPRESS)  # the measured child
    args = parser.parse_args(argv)
    if args.round:
        round_child(args.round)
        return 0
    from bench_intake import measured_child

    work = Path(tempfile.mkdtemp(prefix="zonekit-bench-"))
    try:
        roots, how = realistic_projects(work, args.realistic)
        seen, peak = measured_child([__file__, "--round", *map(str, roots)])
        print(how)
        print(json.dumps(seen, ensure_ascii=False, indent=1), f"peak RSS of the tree {peak / 2**20:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
