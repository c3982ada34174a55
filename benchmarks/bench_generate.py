"""Benchmark: `zonekit generate` for 40 and 1,000 units (targets ≤ 0.5 s and ≤ 5 s). Not a test.

Run: python benchmarks/bench_generate.py [--repeat N]; prints one markdown row per size.
Each unit leads one indicator and is responsible for three more (scheme 2022), so every unit gets a workbook.
The CPU column (this process and its worker processes) shows the work apart from other load on the machine:
above PARALLEL_FROM units the workbooks are built on every core, so on an idle machine wall ≈ CPU / cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's zonekit, not an installed copy

from zonekit.generate import generate  # noqa: E402
from zonekit.project import Assignment, Project, Unit  # noqa: E402
from zonekit.scheme import load_scheme  # noqa: E402

TARGETS = {40: 0.5, 1000: 5.0}


def synthetic_project(root: Path, n_units: int) -> Project:
    scheme = load_scheme("2022")
    numbers = [i.number for i in scheme.indicators]
    units = [Unit(f"测试单位{u:04d}", contact="联系人", phone="0359-0000000", emails=[f"u{u}@example.cn"])
             for u in range(n_units)]
    assignments = {n: Assignment(n) for n in numbers}
    for u, unit in enumerate(units):
        assignments[numbers[u % len(numbers)]].leads.append(unit.name)
        for offset in (7, 19, 30):
            assignments[numbers[(u + offset) % len(numbers)]].responsibles.append(unit.name)
    return Project(root=root, project_id="BENCH", region="新绛县", province="山西省", region_class="中部",
                   scheme=scheme, years=[2023, 2024], deadline=date(2024, 6, 30), office="创建办",
                   contact="刘洋", phone="0359-7520000", email="cjb@example.cn", units=units, assignments=assignments)


def _cpu() -> float:
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def measure(n_units: int, repeat: int) -> tuple[float, float, int]:
    """Median wall seconds, median CPU seconds and bytes written for one generate run of ``n_units``."""
    walls, cpus, total_bytes = [], [], 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            project = synthetic_project(Path(tmp), n_units)
            start, cpu = time.perf_counter(), _cpu()
            result = generate(project, force=True)  # a few units leave indicators without a lead: still timed
            walls.append(time.perf_counter() - start)
            cpus.append(_cpu() - cpu)
            total_bytes = sum(e.path.stat().st_size for e in result.entries)
            assert len(result.entries) == n_units
    return statistics.median(walls), statistics.median(cpus), total_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    measure(5, 1)  # warm-up: imports, scheme cache
    print(f"| units | median wall s ({args.repeat} runs) | target s | median CPU s | MB written | cores | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, target in TARGETS.items():
        wall, cpu, size = measure(n, args.repeat)
        verdict = "ok" if wall <= target else "SLOW"
        print(f"| {n} | {wall:.3f} | ≤ {target} ({verdict}) | {cpu:.2f} | {size / 1e6:.1f} | {os.cpu_count()} "
              f"| {os.getloadavg()[0]:.1f} |")


if __name__ == "__main__":
    main()
