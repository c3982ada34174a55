"""The README's two commands, from nothing: a clean copy of the checkout without .venv, `python3 dev.py demo 示例项目`
(a brand-new virtual environment, zonekit installed, the demo run) and `python3 dev.py test` (the test extra added
to the same environment, pytest run there), and every package a test imports installed by that extra.

Slow (pip installs into a new environment): `python3 dev.py test` and CI run it, a bare `pytest` skips it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.environ.get("ZONEKIT_SLOW_TESTS"),
                                 reason="慢测试（新建虚拟环境并安装依赖，约1–2分钟）：python3 dev.py test 会运行它，"
                                        "或设置 ZONEKIT_SLOW_TESTS=1")]


def checkout_files() -> list[Path]:
    """The files a fresh clone would have (with this working tree's edits): git's list, else the tree."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode("utf-8").split("\0")
        return [ROOT / name for name in listed if name and (ROOT / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if p.is_file() and not SKIP_DIRS & set(p.relative_to(ROOT).parts)
                and not p.name.endswith(".egg-info")]


def clean_copy(dst: Path) -> Path:
    for src in checkout_files():
        target = dst / src.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dst


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(ROOT / ".venv")))
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def imported_packages(folder: Path) -> set[str]:
    """Top-level names every test module imports, anywhere in it (fixtures import inside functions too)."""
    names = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    local = {p.stem for p in folder.glob("*.py")} | {"zonekit"}
    return names - local - set(sys.stdlib_module_names)


def test_readme_commands__clean_copy_without_venv__demo_runs_and_tests_run_in_one_new_environment(tmp_path):
    copy = clean_copy(tmp_path / "zonekit")
    assert not (copy / ".venv").exists() and (copy / "dev.py").is_file()
    python = getattr(sys, "_base_executable", None) or sys.executable  # the Python this venv was made from

    demo = run([python, "dev.py", "demo", "示例项目"], copy)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "首次运行：正在创建虚拟环境" in demo.stderr
    assert "示范县：总分84.5分（合格线85分），不合格" in demo.stdout
    assert "  python3 dev.py mail 示例项目 --drafts" in demo.stdout  # the next commands, as they run here
    assert (copy / "示例项目" / "3-输出" / "评分汇总表.xlsx").is_file()
    venv_python = copy / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    again = run([python, "dev.py", "status", "示例项目"], copy)  # the environment is reused, not reinstalled
    assert again.returncode == 0 and "正在安装" not in again.stderr and "共23个单位" in again.stdout

    # the test command: the test extra goes into the same .venv, then pytest runs there (one small module here:
    # the whole suite is what this very run is part of)
    tests = run([python, "dev.py", "test", "tests/test_scheme.py", "-p", "no:cacheprovider"], copy)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "正在安装 zonekit（含test）" in tests.stderr

    packages = imported_packages(copy / "tests")
    assert {"pytest", "openpyxl", "cryptography", "aiosmtpd"} <= packages
    check = run([str(venv_python), "-c", "import importlib.util, sys\n"
                 "print(' '.join(n for n in sys.argv[1:] if importlib.util.find_spec(n) is None))",
                 *sorted(packages)], copy)
    assert check.returncode == 0 and check.stdout.strip() == "", f"not installed by the test extra: {check.stdout}"
    pandas = run([str(venv_python), "-c", "import importlib.util; print(importlib.util.find_spec('pandas'))"], copy)
    assert pandas.stdout.strip() == "None"  # a benchmark extra, not a dependency of zonekit
