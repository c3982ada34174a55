"""Benchmark of intake (not a test): reading and validating one returned workbook, and collecting a folder of
returns end to end. Builds its own inputs in a temporary folder and deletes them afterwards.

    python benchmarks/bench_intake.py            # quick: collect 1,000 returns
    python benchmarks/bench_intake.py --full     # collect 10,000 returns

Targets (issue 4): one workbook read + validated in a median ≤ 1 ms and ≥ 10× faster than a
pandas.read_excel(engine="openpyxl") loop over the same files; 10,000 returns collected in ≤ 15 s on 2 cores
with peak memory (RSS of the whole process tree) ≤ 500 MB. The returns are the generated unit workbooks,
filled in and saved again by LibreOffice when it is installed (as a clerk's office suite would), else by
openpyxl. The per-file work is the same whether the returns come from one region or from 250.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import make_project  # noqa: E402
from tests.returns_corpus import completed, when  # noqa: E402
from zonekit import layout  # noqa: E402
from zonekit.collect import collect  # noqa: E402
from zonekit.intake import Plan, read_return  # noqa: E402

UNITS = ("县市场监管局", "县商务局", "县统计局", "县税务局", "县人社局")


def build_samples(work: Path, per_unit: int, office: bool) -> tuple[object, list[tuple[str, bytes]]]:
    """Filled returns of every unit, ``per_unit`` variants each, saved by LibreOffice when asked and found."""
    project = make_project(work / "project")
    raw = work / "filled"
    raw.mkdir(parents=True)
    paths = []
    for unit in UNITS:
        for seed in range(per_unit):
            path = raw / f"{unit}-{seed}.xlsx"
            path.write_bytes(completed(project, unit, seed=seed, saved=when(10 + seed % 15)))
            paths.append(path)
    if office and shutil.which("soffice"):
        from zonekit.office import convert_many

        paths = convert_many(paths, "xlsx", work / "saved")
        how = "LibreOffice"
    else:
        how = "openpyxl"
    print(f"样本：{len(paths)} 份填报表（{len(UNITS)} 个单位 × {per_unit}），由 {how} 保存。")
    return project, [(p.name, p.read_bytes()) for p in paths]


def bench_read(project, samples, rounds: int) -> float:
    plan = Plan(project)
    for name, data in samples:  # warm up (imports, caches of the template's parts)
        record = read_return(data, name, project, plan=plan)
        assert record.unit and not record.errors, (name, record.issues[:3])
    times = []
    for _ in range(rounds):
        for name, data in samples:
            start = time.perf_counter()
            read_return(data, name, project, plan=plan)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_pandas(samples, rounds: int) -> float:
    import pandas as pd

    times = []
    for _ in range(rounds):
        for _name, data in samples:
            start = time.perf_counter()
            pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl", header=layout.HEADER_ROW - 1)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


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


def bench_collect(project, samples, count: int, workers: int) -> tuple[float, int, dict]:
    """Collect in a fresh interpreter (only zonekit imported), measuring its process tree's peak RSS."""
    import json
    import subprocess

    returned = project.returned
    returned.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        name, data = samples[n % len(samples)]
        (returned / f"{n:05d}-{name}").write_bytes(data)
    child = subprocess.Popen([sys.executable, __file__, "--collect", str(project.root), "--workers", str(workers)],
                             stdout=subprocess.PIPE, text=True)
    with TreeMemory(child.pid) as memory:
        out, _ = child.communicate()
    report = json.loads(out.strip().splitlines()[-1])
    return report["elapsed"], memory.peak, report["counts"]


def collect_only(root: str, workers: int) -> None:
    import json

    project = make_project(Path(root))
    start = time.perf_counter()
    result = collect(project, workers=workers)
    elapsed = time.perf_counter() - start
    print(json.dumps({"elapsed": elapsed, "counts": result.counts()}, ensure_ascii=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="collect 10,000 returns (default 1,000)")
    parser.add_argument("--count", type=int, help="number of returns to collect")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for collect (default 2)")
    parser.add_argument("--per-unit", type=int, default=4, help="distinct returns per unit (default 4)")
    parser.add_argument("--no-office", action="store_true", help="do not re-save the returns with LibreOffice")
    parser.add_argument("--collect", metavar="DIR", help=argparse.SUPPRESS)  # the measured child process
    args = parser.parse_args(argv)
    if args.collect:
        collect_only(args.collect, args.workers)
        return 0
    count = args.count or (10_000 if args.full else 1_000)
    work = Path(tempfile.mkdtemp(prefix="zonekit-bench-"))
    ok = True
    try:
        project, samples = build_samples(work, args.per_unit, not args.no_office)
        ours = bench_read(project, samples, rounds=50)
        theirs = bench_pandas(samples, rounds=3)
        ratio = theirs / ours
        print(f"读取并校验一份填报表：中位数 {ours * 1000:.3f} ms（目标 ≤ 1 ms）")
        print(f"pandas.read_excel(engine='openpyxl')：中位数 {theirs * 1000:.2f} ms；快 {ratio:.1f} 倍（目标 ≥ 10 倍）")
        ok &= ours <= 0.001 and ratio >= 10
        elapsed, peak, counts = bench_collect(project, samples, count, args.workers)
        target = 15 * count / 10_000
        print(f"回收 {count} 份（{args.workers} 个进程）：{elapsed:.2f} s（按比例目标 ≤ {target:.1f} s），"
              f"峰值内存 {peak / 2**20:.0f} MB（目标 ≤ 500 MB）；{counts}")
        ok &= elapsed <= target and peak <= 500 * 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("达标" if ok else "未达标")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
