"""One benchmark run (issues 7 and 12): generation, intake against pandas and the calamine floor, a round with the
ledger (first collect against the calamine read of the needed sheets in the same worker pool, re-collect of the
unchanged folder, score after collect, serial tail, main-process memory) on copies of the demo's returns and on
the realistic shape (many projects of 40 distinct units), and start-up time, side by side; prints a markdown
report and writes it to docs/benchmarks.md.

    python benchmarks/run.py            # full (a while): 1,000 and 10,000 copies, 250 projects × 40 units
    python benchmarks/run.py --quick    # a few minutes: 200 and 1,000 copies, 10 projects × 40 units

Builds its own inputs in a temporary folder (the `zonekit demo` project and its returns copied over and over; a
40-unit county filled as the demo fills its returns, copied under other project ids).
The machine may be shared and noisy: every figure is a median of repeats, the load average is recorded at the
start and the end, and the ratios (measured on the same files in the same run) are the headline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import bench_generate  # first: puts this checkout ahead of any installed zonekit
import bench_intake
import bench_ledger
import zonekit
from zonekit import layout
from zonekit.workbench import load_project

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"
LIBRARIES = ("openpyxl", "xlsxwriter", "python-calamine", "pandas", "click")
FULL_SIZE, WALL_TARGET, RSS_TARGET, START_TARGET = 10_000, 15.0, 500, 0.3  # returns, s, MB, s
MB, CORES = 2**20, os.cpu_count() or 1
# issue 12: collect ÷ calamine floor, re-collect ÷ collect, score ÷ collect, status ÷ `python -c pass`, main-process
# growth per 1,000 returns (MB), main process at 20,000 (MB), serial tail ÷ collect wall at 10,000
COLLECT_RATIO, RECOLLECT_RATIO, SCORE_RATIO, STATUS_RATIO = 1.3, 0.05, 0.3, 4.0
MAIN_GROWTH, MAIN_AT_20K, TAIL_RATIO = 1.0, 300, 0.15
SETTINGS = {  # resave: returns saved again by LibreOffice (None: all); rounds: ours and calamine, pandas
    "full": dict(repeat=5, resave=None, rounds=(50, 3), sizes=(1_000, 10_000), collect_repeat=3, starts=10,
                 projects=250),
    "quick": dict(repeat=3, resave=4, rounds=(20, 2), sizes=(200, 1_000), collect_repeat=1, starts=10, projects=10),
}
# `zonekit status` step by step, in a fresh interpreter: where its start-up time goes
STATUS_PARTS = """import json, sys, time
t = [time.perf_counter()]
import click; t.append(time.perf_counter())
from zonekit.states import project_status, render_status; t.append(time.perf_counter())
statuses = project_status(sys.argv[1]); t.append(time.perf_counter())
render_status(statuses); t.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(t, t[1:])]))"""


class Rows(list):
    """The result table (what, measured, target, verdict) and, for each target not met, why."""

    def __init__(self):
        super().__init__()
        self.notes: list[str] = []

    def add(self, what: str, measured: str, target: str = "reference", ok: bool | None = None, why=None) -> None:
        self.append((what, measured, target, "reference" if ok is None else "ok" if ok else "**not met**"))
        if ok is False and why:
            self.notes.append(f"{what}: {why() if callable(why) else why} (load average then {load()}).")


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> list[tuple[str, str]]:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    gib = lambda key: f"{int(info[key].split()[0]) / 2**20:.1f} GiB"  # noqa: E731
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    commit = shutil.which("git") and subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                                                    capture_output=True, text=True).stdout.strip()
    return [("cores", f"{CORES} ({model})"),
            ("memory", f"{gib('MemTotal')} (MemTotal), {gib('MemAvailable')} available at start"),
            ("system", platform.platform()), ("Python", platform.python_version()),
            ("zonekit", f"{zonekit.__version__}, commit {commit or '?'}"),
            *[(name, version(name)) for name in LIBRARIES]]


def bound(cpu: float) -> str:
    return f"it takes {cpu:.2f} s of CPU, so even on an idle machine at least {cpu / CORES:.2f} s on {CORES} cores"


def generation(rows: Rows, repeat: int) -> None:
    bench_generate.measure(5, 1)  # warm-up: imports, scheme cache
    for n, target in bench_generate.TARGETS.items():
        wall, cpu, size = bench_generate.measure(n, repeat)
        rows.add(f"generate {n:,} unit workbooks (median of {repeat})",
                 f"{wall:.2f} s wall, {cpu:.2f} s CPU, {size / MB:.1f} MB", f"≤ {target} s", wall <= target,
                 f"{bound(cpu)} ({cpu / n * 1e3:.1f} ms of CPU per workbook)")


def start_up(rows: Rows, root: Path, runs: int) -> None:
    script = Path(sys.executable).parent / "zonekit"
    zonekit_cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "zonekit"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the console script, running this checkout's code
    commands = {"`python -c pass` (interpreter floor)": [sys.executable, "-c", "pass"],
                "`zonekit --help`": [*zonekit_cmd, "--help"],
                "`zonekit status DIR` (demo project)": [*zonekit_cmd, "status", str(root)]}

    def status_parts() -> str:
        out = subprocess.run([sys.executable, "-c", STATUS_PARTS, str(root)], env=env, check=True,
                             capture_output=True, text=True).stdout
        parts = zip(("importing click", "importing zonekit.states (sqlite3, no workbook library)",
                     "the ledger's snapshot (工作台.xlsx unchanged since the collect)", "the status table itself"),
                    json.loads(out))
        return "in a fresh interpreter: " + ", ".join(f"{what} {s:.3f} s" for what, s in parts)

    floor = None
    for label, argv in commands.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        if floor is None:
            floor = median
            rows.add(f"start-up: {label}, median of {runs}", f"{median:.3f} s")
        elif "status" in label:
            rows.add(f"start-up: {label}, median of {runs}", f"{median:.3f} s = **{median / floor:.1f}×** the floor",
                     f"≤ {STATUS_RATIO:g}× the floor (issue 12)", median <= STATUS_RATIO * floor, status_parts)
        else:
            rows.add(f"start-up: {label}, median of {runs}", f"{median:.3f} s (floor + {median - floor:.3f} s)",
                     f"≤ {START_TARGET} s", median <= START_TARGET)


def intake(rows: Rows, root: Path, samples, rounds: tuple[int, int]) -> dict[str, float]:
    ours, floor = bench_intake.per_file({"ours": bench_intake.our_reader(load_project(root), samples),
                                         "floor": bench_intake.read_calamine}, samples, rounds[0]).values()
    pandas = bench_intake.per_file({"pandas": bench_intake.read_pandas}, samples, rounds[1])["pandas"]
    rows.add("intake: pandas.read_excel(engine=\"openpyxl\") loop ÷ ours, per workbook",
             f"**{pandas / ours:.1f}×** ({pandas * 1e3:.1f} ms ÷ {ours * 1e3:.2f} ms)", "≥ 10×",
             pandas / ours >= 10)
    rows.add("intake: ours ÷ bare python-calamine read of all sheets (the floor)",
             f"**{ours / floor:.2f}×** ({ours * 1e3:.2f} ms ÷ {floor * 1e3:.2f} ms)", "≤ 3×", ours / floor <= 3)
    rows.add("intake: ours, read + validate one returned workbook (median)", f"{ours * 1e3:.2f} ms",
             "≤ 1 ms (issue 4)", ours <= 0.001, f"the bare calamine read of the same files alone takes "
                                                f"{floor * 1e3:.2f} ms")
    return {"ours": ours, "pandas": pandas, "floor": floor}


def round_of(roots: list[Path], repeat: int) -> tuple[dict, int]:
    """bench_ledger's round (first collect, calamine floor, re-collect, score) in fresh interpreters, ``repeat``
    times on fresh copies of ``roots`` (no ledger, no outputs): the medians, and the peak RSS of the process tree."""
    runs = []
    for n in range(repeat):
        copies = []
        for root in roots:
            copy = root.with_name(f"{root.name}-run{n}")
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns(layout.LEDGER_DIR, layout.OUTPUT_DIR))
            copies.append(copy)
        runs.append(bench_intake.measured_child([bench_ledger.__file__, "--round", *map(str, copies)]))
        for copy in copies:
            shutil.rmtree(copy, ignore_errors=True)
    keys = ("collect", "tail", "floor", "recollect", "score", "rss_main")
    seen = {key: statistics.median(r[key] for r, _ in runs) for key in keys}
    seen.update(returns=runs[0][0]["returns"], counts=runs[0][0]["counts"])
    return seen, statistics.median(peak for _, peak in runs)


def ratios(rows: Rows, what: str, m: dict, full: bool) -> None:
    """The issue-12 ratios of one round, side by side."""
    ratio = m["collect"] / m["floor"]
    rows.add(f"{what}: first collect ÷ calamine read of the needed sheets (same files, same worker pool)",
             f"**{ratio:.2f}×** ({m['collect']:.2f} s ÷ {m['floor']:.2f} s)", f"≤ {COLLECT_RATIO:g}×",
             ratio <= COLLECT_RATIO, lambda: f"of the collect, {m['tail']:.2f} s come after the last file is read "
                                             f"(merge, 回收登记 and 合并结果, ledger commit)")
    rows.add(f"{what}: re-collect of the unchanged folder ÷ first collect",
             f"**{m['recollect'] / m['collect']:.1%}** ({m['recollect']:.3f} s ÷ {m['collect']:.2f} s)",
             f"≤ {RECOLLECT_RATIO:.0%}", m["recollect"] / m["collect"] <= RECOLLECT_RATIO)
    rows.add(f"{what}: score after collect ÷ first collect",
             f"**{m['score'] / m['collect']:.2f}×** ({m['score']:.2f} s ÷ {m['collect']:.2f} s)",
             f"≤ {SCORE_RATIO:g}×", m["score"] / m["collect"] <= SCORE_RATIO)
    if full:
        rows.add(f"{what}: serial tail (after the last file is read) ÷ collect wall",
                 f"**{m['tail'] / m['collect']:.1%}** ({m['tail']:.2f} s ÷ {m['collect']:.2f} s)",
                 f"≤ {TAIL_RATIO:.0%}", m["tail"] / m["collect"] <= TAIL_RATIO)


def scale(rows: Rows, root: Path, samples, sizes: tuple[int, int], repeat: int) -> dict[int, dict]:
    """Copies of the demo's returns in one project (the old benchmark's shape, 99.8 % identical)."""
    seen = {}
    for n in sizes:
        copy = root.with_name(f"{n}-returns")
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(layout.RETURNED_DIR, layout.LEDGER_DIR))
        bench_intake.fill_returned(copy / layout.RETURNED_DIR, samples, n)
        seen[n], peak = round_of([copy], repeat)
        seen[n]["peak"] = peak
        shutil.rmtree(copy, ignore_errors=True)
    (n1, small), (n2, large) = seen.items()
    label = " (quick run)" if n2 != FULL_SIZE else ""
    target = WALL_TARGET * n2 / FULL_SIZE
    for n, m in seen.items():
        what = f"copies, {n:,} returns{label}: first collect + score, wall (median of {repeat})"
        measured = (f"{m['collect'] + m['score']:.2f} s (collect {m['collect']:.2f} s, score {m['score']:.2f} s) = "
                    f"{(m['collect'] + m['score']) / n * 1e3:.2f} ms per return")
        if n == n2:
            rows.add(what, measured, f"≤ {target:g} s" + (f" (15 s × {n2:,}/10,000)" if label else ""),
                     m["collect"] + m["score"] <= target)
        else:
            rows.add(what, measured, "— (for growth)")
        ratios(rows, f"copies, {n:,}", m, full=n == n2)
    for n, m in seen.items():
        rows.add(f"copies, {n:,} returns{label}: peak RSS of the process tree",
                 f"{m['peak'] / MB:.0f} MB (main process {m['rss_main'] / MB:.0f} MB)", f"≤ {RSS_TARGET} MB",
                 m["peak"] <= RSS_TARGET * MB)
    slope = (large["rss_main"] - small["rss_main"]) / (n2 - n1) * 1000
    at_20k = large["rss_main"] + (20_000 - n2) * slope / 1000
    rows.add(f"copies, {n1:,} → {n2:,}: main-process memory growth",
             f"{slope / MB:+.2f} MB per 1,000 returns; 20,000 extrapolated: {at_20k / MB:.0f} MB",
             f"≤ {MAIN_GROWTH:g} MB per 1,000, ≤ {MAIN_AT_20K} MB at 20,000",
             slope <= MAIN_GROWTH * MB and at_20k <= MAIN_AT_20K * MB)
    return seen


def realistic(rows: Rows, work: Path, projects: int, repeat: int) -> dict:
    """Many projects of 40 distinct units each (a province's counties), every return distinct."""
    roots, how = bench_ledger.realistic_projects(work / "counties", projects)
    m, peak = round_of(roots, repeat)
    per = f"{m['collect'] / projects:.2f} s per project of {bench_ledger.UNITS_PER_PROJECT}"
    rows.add(f"realistic, {projects} projects × {bench_ledger.UNITS_PER_PROJECT} units: first collect of every "
             f"project, wall (median of {repeat})", f"{m['collect']:.2f} s ({per}); peak RSS {peak / MB:.0f} MB",
             "— (reference)")
    ratios(rows, f"realistic, {projects} × {bench_ledger.UNITS_PER_PROJECT}", m, full=False)
    m["how"] = how
    return m


def render(mode: str, about: list[tuple[str, str]], rows: Rows, headline: str) -> str:
    lines = ["# Benchmarks", "",
             f"Written by `python benchmarks/run.py{' --quick' if mode == 'quick' else ''}` ({mode} run); run it "
             "again rather than editing. Figures are medians of repeated runs; ratios compare our code with the "
             "references on the same files in the same run, so they hold on a busy machine where absolute times do "
             "not. The method is in benchmarks/README.md.", "",
             "| machine and run | |", "|---|---|", *[f"| {k} | {v} |" for k, v in about], "",
             headline, "", "| measured | value | target | result |", "|---|---|---|---|",
             *[f"| {' | '.join(row)} |" for row in rows]]
    if rows.notes:
        lines += ["", "## Targets not met, and why", "", *[f"- {note}" for note in rows.notes]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats, under two minutes")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"markdown file to write (default {OUTPUT})")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    settings, began, start_load, rows = SETTINGS[mode], time.perf_counter(), load(), Rows()
    about = machine() + [("date", datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))]
    generation(rows, settings["repeat"])
    work = Path(tempfile.mkdtemp(prefix="zonekit-bench-"))
    try:
        root, samples, how = bench_intake.demo_samples(work, settings["resave"])
        start_up(rows, root, settings["starts"])
        read = intake(rows, root, samples, settings["rounds"])
        seen = scale(rows, root, samples, settings["sizes"], settings["collect_repeat"])
        real = realistic(rows, work, settings["projects"], settings["collect_repeat"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n, m = list(seen.items())[-1]
    verdicts = [row[3] for row in rows if row[3] != "reference"]
    headline = (f"**Headline:** intake is **{read['pandas'] / read['ours']:.0f}× faster** than a pandas.read_excel "
                f"loop and **{read['ours'] / read['floor']:.2f}×** the bare calamine floor; {n:,} returns are "
                f"collected in **{m['collect']:.1f} s** ({m['collect'] / n * 1e3:.2f} ms per return on {CORES} cores), "
                f"re-collected unchanged in {m['recollect']:.2f} s and scored from the ledger in {m['score']:.2f} s, "
                f"with a peak of **{m['peak'] / MB:.0f} MB**; {real['returns']:,} distinct returns of "
                f"{settings['projects']} projects are collected in {real['collect']:.1f} s. {len(verdicts)} targets, "
                f"{verdicts.count('**not met**')} not met.")
    counts = "，".join(f"{status} {count:,}" for status, count in m["counts"].items())
    about += [("load average (1 / 5 / 15 min; this run's own processes count too)",
               f"start {start_load}; end {load()}"),
              ("inputs", f"{how}; copied over and over into the demo project's returned folder "
                         f"(at {n:,}: {counts}); {real['how']}"),
              ("this run took", f"{time.perf_counter() - began:.0f} s")]
    text = render(mode, about, rows, headline)
    print(text)
    args.output.write_text(text, encoding="utf-8")
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
