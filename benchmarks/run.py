"""One benchmark run (issue 7): generation, intake against pandas and the calamine floor, collect + score of many
returns, and start-up time, side by side; prints a markdown report and writes it to docs/benchmarks.md.

    python benchmarks/run.py            # full (a few minutes): collect + score 1,000 and 10,000 returns
    python benchmarks/run.py --quick    # under two minutes: 200 and 1,000 returns, the 10,000 target scaled

Builds its own inputs in a temporary folder (the `zonekit demo` project and its returns, copied over and over).
The machine may be shared and noisy: every figure is a median of repeats, the load average is recorded at the
start and the end, and the ratios (measured on the same files in the same run) are the headline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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
import zonekit
from zonekit import layout
from zonekit.workbench import load_project

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"
LIBRARIES = ("openpyxl", "xlsxwriter", "python-calamine", "pandas", "click")
FULL_SIZE, WALL_TARGET, RSS_TARGET, START_TARGET = 10_000, 15.0, 500, 0.3  # returns, s, MB, s
MB, CORES = 2**20, os.cpu_count() or 1
SETTINGS = {  # resave: returns saved again by LibreOffice (None: all); rounds: ours and calamine, pandas
    "full": dict(repeat=5, resave=None, rounds=(50, 3), sizes=(1_000, 10_000), collect_repeat=5, starts=10),
    "quick": dict(repeat=3, resave=4, rounds=(20, 2), sizes=(200, 1_000), collect_repeat=3, starts=10),
}
# `zonekit status` step by step, in a fresh interpreter: where its start-up time goes
STATUS_PARTS = """import json, sys, time
t = [time.perf_counter()]
from zonekit.workbench import load_project; t.append(time.perf_counter())
from zonekit.collect import render_status, unit_status; t.append(time.perf_counter())
project = load_project(sys.argv[1]); t.append(time.perf_counter())
render_status(unit_status(project)); t.append(time.perf_counter())
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
        parts = zip(("importing zonekit.workbench (openpyxl, which imports numpy)", "importing zonekit.collect",
                     "load_project (工作台.xlsx by openpyxl, the scheme's YAML)", "the status table itself"),
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
        else:
            rows.add(f"start-up: {label}, median of {runs}", f"{median:.3f} s (floor + {median - floor:.3f} s)",
                     f"≤ {START_TARGET} s", median <= START_TARGET, status_parts if "status" in label else None)


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


def score_child(root: str) -> None:
    """The measured child: `zonekit score` as the library runs it, timing the collect inside it."""
    import zonekit.collect as collecting
    from zonekit.scorecmd import run_score

    inner, spans = collecting.collect, {}

    def timed(*args, **kwargs):
        start = time.perf_counter()
        result = inner(*args, **kwargs)
        spans["collect"], spans["counts"] = time.perf_counter() - start, result.counts()
        return result

    def usage():
        return [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]

    collecting.collect = timed  # run_score imports it at call time
    cpu, start = sum(u.ru_utime + u.ru_stime for u in usage()), time.perf_counter()
    run_score(root)
    wall, after = time.perf_counter() - start, usage()
    print(json.dumps({"wall": wall, "collect": spans["collect"], "counts": spans["counts"],
                      "cpu": sum(u.ru_utime + u.ru_stime for u in after) - cpu,
                      "rss_main": after[0].ru_maxrss * 1024, "rss_worker": after[1].ru_maxrss * 1024}))


def scale(rows: Rows, root: Path, samples, sizes: tuple[int, int], repeat: int, floor: float) -> dict[int, dict]:
    roots, runs, seen = {n: root.with_name(f"{n}-returns") for n in sizes}, {n: [] for n in sizes}, {}
    for n, copy in roots.items():  # one copy of the project per size, so the sizes can take turns
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(layout.RETURNED_DIR))
        bench_intake.fill_returned(copy / layout.RETURNED_DIR, samples, n)
    for _ in range(repeat):  # taking turns: a slow spell of a shared machine weighs on every size alike
        for n, copy in roots.items():
            runs[n].append(bench_intake.measured_child([__file__, "--score", str(copy)]))
    for n, measured in runs.items():
        seen[n] = {key: statistics.median(r[key] for r, _ in measured)
                   for key in ("wall", "collect", "cpu", "rss_main", "rss_worker")}
        seen[n].update(peak=statistics.median(peak for _, peak in measured), counts=measured[0][0]["counts"])
    (n1, small), (n2, large) = seen.items()
    label = " (quick run)" if n2 != FULL_SIZE else ""
    target = WALL_TARGET * n2 / FULL_SIZE
    for n, m in seen.items():
        what = f"collect + score {n:,} returns{label}, wall (median of {repeat})"
        measured = (f"{m['wall']:.2f} s (collect {m['collect']:.2f} s, load + score {m['wall'] - m['collect']:.2f} s;"
                    f" CPU {m['cpu']:.2f} s) = {m['wall'] / n * 1e3:.2f} ms per return")
        if n == n2:
            rows.add(what, measured, f"≤ {target:g} s" + (f" (15 s × {n2:,}/10,000)" if label else ""),
                     m["wall"] <= target, f"{bound(m['cpu'])}, {m['cpu'] / n * 1e3:.2f} ms of CPU per return; "
                                          f"the bare calamine read alone ({floor * 1e3:.2f} ms per workbook) "
                                          f"would take {floor * n / CORES:.1f} s on {CORES} cores")
        else:
            rows.add(what, measured, "— (for growth)")
    for n, m in seen.items():
        rows.add(f"collect + score {n:,} returns{label}, peak RSS of the process tree",
                 f"{m['peak'] / MB:.0f} MB (main process {m['rss_main'] / MB:.0f} MB, "
                 f"largest worker {m['rss_worker'] / MB:.0f} MB)", f"≤ {RSS_TARGET} MB", m["peak"] <= RSS_TARGET * MB)
    growth = (large["wall"] / n2) / (small["wall"] / n1)
    extrapolated = large["wall"] + (FULL_SIZE - n2) * (large["wall"] - small["wall"]) / (n2 - n1)
    rows.add(f"growth {n1:,} → {n2:,}: time per return",
             f"{small['wall'] / n1 * 1e3:.2f} → {large['wall'] / n2 * 1e3:.2f} ms (×{growth:.2f})"
             + (f"; 10,000 extrapolated: {extrapolated:.1f} s" if label else ""), "linear: ≤ ×1.1", growth <= 1.1)
    slope = (large["peak"] - small["peak"]) / (n2 - n1)
    rss_10k = large["peak"] + (FULL_SIZE - n2) * slope
    rows.add(f"growth {n1:,} → {n2:,}: peak RSS",
             f"{small['peak'] / MB:.0f} → {large['peak'] / MB:.0f} MB ({slope * 1000 / MB:+.1f} MB per 1,000 returns)"
             + (f"; 10,000 extrapolated: {rss_10k / MB:.0f} MB" if label else ""),
             f"flat: ≤ {RSS_TARGET} MB at 10,000", rss_10k <= RSS_TARGET * MB)
    return seen


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
    parser.add_argument("--score", metavar="DIR", help=argparse.SUPPRESS)  # the measured child process
    args = parser.parse_args(argv)
    if args.score:
        score_child(args.score)
        return 0
    mode = "quick" if args.quick else "full"
    settings, began, start_load, rows = SETTINGS[mode], time.perf_counter(), load(), Rows()
    about = machine() + [("date", datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))]
    generation(rows, settings["repeat"])
    work = Path(tempfile.mkdtemp(prefix="zonekit-bench-"))
    try:
        root, samples, how = bench_intake.demo_samples(work, settings["resave"])
        start_up(rows, root, settings["starts"])
        read = intake(rows, root, samples, settings["rounds"])
        seen = scale(rows, root, samples, settings["sizes"], settings["collect_repeat"], read["floor"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n, m = list(seen.items())[-1]
    verdicts = [row[3] for row in rows if row[3] != "reference"]
    headline = (f"**Headline:** intake is **{read['pandas'] / read['ours']:.0f}× faster** than a pandas.read_excel "
                f"loop and **{read['ours'] / read['floor']:.2f}×** the bare calamine floor; {n:,} returns are "
                f"collected and scored in **{m['wall']:.1f} s** ({m['wall'] / n * 1e3:.2f} ms per return on {CORES} "
                f"cores) with a peak of **{m['peak'] / MB:.0f} MB**. {len(verdicts)} targets, "
                f"{verdicts.count('**not met**')} not met.")
    counts = "，".join(f"{status} {count:,}" for status, count in m["counts"].items())
    about += [("load average (1 / 5 / 15 min; this run's own processes count too)",
               f"start {start_load}; end {load()}"),
              ("inputs", f"{how}; for collect + score copied over and over into the demo project's returned folder "
                         f"(at {n:,}: {counts})"),
              ("this run took", f"{time.perf_counter() - began:.0f} s")]
    text = render(mode, about, rows, headline)
    print(text)
    args.output.write_text(text, encoding="utf-8")
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
