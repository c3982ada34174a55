"""Benchmark of intake (not a test): reading and validating one returned workbook, and collecting a folder of
returns end to end. Builds its own inputs in a temporary folder and deletes them afterwards.

    python benchmarks/bench_intake.py            # quick: collect 1,000 returns
    python benchmarks/bench_intake.py --full     # collect 10,000 returns

Targets (issues 4 and 7): one workbook read + validated in a median ≤ 1 ms, ≥ 10× faster than a
pandas.read_excel(engine="openpyxl") loop over the same files and ≤ 3× a bare python-calamine read of all their
sheets (the floor); 10,000 returns collected in ≤ 15 s on 2 cores with peak memory (RSS of the whole process
tree) ≤ 500 MB. The returns are those of `zonekit demo` (20 units of the sample county, one of them zipped),
saved again by LibreOffice when it is installed (as a clerk's office suite would). The per-file work is the
same whether the returns come from one region or from 250.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's zonekit, not an installed copy

from zonekit import layout  # noqa: E402
from zonekit.intake import Plan, read_return  # noqa: E402
from zonekit.workbench import load_project  # noqa: E402

Samples = list[tuple[str, bytes]]


def demo_samples(work: Path, resave: int | None = None) -> tuple[Path, Samples, str]:
    """The `zonekit demo` project built in ``work``/demo and its returned workbooks (zips opened), the first
    ``resave`` of them (all when None) saved again by LibreOffice when soffice is found; also says how."""
    from zonekit.demo import run_demo

    root = run_demo(work / "demo").root
    samples = []
    for path in sorted((root / layout.RETURNED_DIR).iterdir()):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                samples += [(Path(n).name, zf.read(n)) for n in zf.namelist() if n.endswith(".xlsx")]
        else:
            samples.append((path.name, path.read_bytes()))
    count = len(samples) if resave is None else min(resave, len(samples))
    if count and shutil.which("soffice"):
        from zonekit.office import convert_many

        raw = work / "filled"
        raw.mkdir()
        for name, data in samples[:count]:
            (raw / name).write_bytes(data)
        saved = convert_many([raw / name for name, _ in samples[:count]], "xlsx", work / "saved")
        samples[:count] = [(p.name, p.read_bytes()) for p in saved]
        how = f"{count} of them saved again by LibreOffice"
    else:
        how = "as written by openpyxl"
    return root, samples, f"{len(samples)} returned workbooks of `zonekit demo`, {how}"


def per_file(readers: dict[str, Callable[[str, bytes], object]], samples: Samples, rounds: int) -> dict[str, float]:
    """Median seconds of each ``read(name, data)`` over every sample, ``rounds`` times, after one warm-up pass.
    The readers take turns on each file, so a slower spell of a shared machine weighs on all of them alike."""
    times: dict[str, list[float]] = {label: [] for label in readers}
    for warm_up in [True] + [False] * rounds:
        for name, data in samples:
            for label, read in readers.items():
                start = time.perf_counter()
                read(name, data)
                if not warm_up:
                    times[label].append(time.perf_counter() - start)
    return {label: statistics.median(spent) for label, spent in times.items()}


def our_reader(project, samples: Samples) -> Callable[[str, bytes], object]:
    """zonekit's read + validate of one return; checks first that the project recognises every sample."""
    plan = Plan(project)

    def read(name: str, data: bytes):
        return read_return(data, name, project, plan=plan)

    for name, data in samples:
        record = read(name, data)
        assert record.unit and record.readable, (name, record.issues[:3])
    return read


def read_pandas(_name: str, data: bytes):
    import pandas as pd

    return pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl", header=layout.HEADER_ROW - 1)


def read_calamine(_name: str, data: bytes):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [book.get_sheet_by_name(name).to_python() for name in book.sheet_names]


class TreeMemory:
    """Peak RSS of a process plus its children (the worker pool), sampled every 10 ms from /proc."""

    def __init__(self, pid: int | None = None):
        self.pid = pid or os.getpid()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    out += [int(c) for c in fh.read().split()]
        except OSError:
            pass
        return out

    def _run(self):
        me = self.pid
        while not self._stop.is_set():
            total = self._rss(me) + sum(self._rss(c) for c in self._children(me))
            self.peak = max(self.peak, total)
            self._stop.wait(0.01)

    def __enter__(self):
        if os.path.exists("/proc/self/statm"):
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def fill_returned(folder: Path, samples: Samples, count: int) -> None:
    """``count`` returns in ``folder``, the samples over and over (files already there are kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        name, data = samples[n % len(samples)]
        path = folder / f"{n:05d}-{name}"
        if not path.exists():
            path.write_bytes(data)


def measured_child(args: list[str]) -> tuple[dict, int]:
    """Run ``python args…`` in a fresh interpreter; its last stdout line (JSON) and its process tree's peak RSS."""
    child = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True)
    with TreeMemory(child.pid) as memory:
        out, _ = child.communicate()
    if child.returncode:
        raise RuntimeError(f"{args} exited with {child.returncode}")
    return json.loads(out.strip().splitlines()[-1]), memory.peak


def collect_only(root: str, workers: int) -> None:
    from zonekit.collect import collect

    project = load_project(root)
    start = time.perf_counter()
    result = collect(project, workers=workers)
    print(json.dumps({"elapsed": time.perf_counter() - start, "counts": result.counts()}, ensure_ascii=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="collect 10,000 returns (default 1,000)")
    parser.add_argument("--count", type=int, help="number of returns to collect")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for collect (default 2)")
    parser.add_argument("--no-office", action="store_true", help="do not re-save the returns with LibreOffice")
    parser.add_argument("--collect", metavar="DIR", help=argparse.SUPPRESS)  # the measured child process
    args = parser.parse_args(argv)
    if args.collect:
        collect_only(args.collect, args.workers)
        return 0
    count = args.count or (10_000 if args.full else 1_000)
    work = Path(tempfile.mkdtemp(prefix="zonekit-bench-"))
    try:
        root, samples, how = demo_samples(work, 0 if args.no_office else None)
        print(f"样本：{how}")
        ours, floor = per_file({"ours": our_reader(load_project(root), samples), "floor": read_calamine},
                               samples, rounds=50).values()
        pandas = per_file({"pandas": read_pandas}, samples, rounds=3)["pandas"]
        print(f"读取并校验一份填报表：中位数 {ours * 1000:.3f} ms（目标 ≤ 1 ms）")
        print(f"pandas.read_excel(engine='openpyxl')：中位数 {pandas * 1000:.2f} ms；快 {pandas / ours:.1f} 倍（目标 ≥ 10 倍）")
        print(f"python-calamine 读全部工作表：中位数 {floor * 1000:.3f} ms；本工具为其 {ours / floor:.2f} 倍（目标 ≤ 3 倍）")
        ok = ours <= 0.001 and pandas / ours >= 10 and ours / floor <= 3
        shutil.rmtree(root / layout.RETURNED_DIR)
        fill_returned(root / layout.RETURNED_DIR, samples, count)
        report, peak = measured_child([__file__, "--collect", str(root), "--workers", str(args.workers)])
        target = 15 * count / 10_000
        print(f"回收 {count} 份（{args.workers} 个进程）：{report['elapsed']:.2f} s（按比例目标 ≤ {target:.1f} s），"
              f"峰值内存 {peak / 2**20:.0f} MB（目标 ≤ 500 MB）；{report['counts']}")
        ok &= report["elapsed"] <= target and peak <= 500 * 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("达标" if ok else "未达标")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
