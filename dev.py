"""Set up and run zonekit from a checkout in one step, on a fresh machine (Linux, macOS or Windows):

    python3 dev.py demo 示例项目      # first run: makes .venv here and installs zonekit; then runs the demo
    python3 dev.py test               # the whole test suite, in the same .venv (adds the test extra once)
    python3 dev.py status 示例项目    # any other zonekit command runs in .venv too (Windows: py dev.py …)

The virtual environment lives in .venv beside this file and is reused; it is reinstalled only when setup.cfg or
pyproject.toml change. Needs only the Python that runs it (with its venv module) and, the first time, the network.
Never installs anything outside .venv (a distribution's Python refuses that: externally-managed-environment).

This file must not be named zonekit.py: it would shadow the zonekit package.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
STAMP = VENV / "zonekit-dev.json"  # what was installed, so that the next run can skip the install
SLOW_TESTS = "ZONEKIT_SLOW_TESTS"  # set for `test`: the suite then includes its slow tests

USAGE = """用法（在 zonekit 目录中运行；Windows 上把 python3 换成 py）：
  python3 dev.py demo 示例项目     首次运行时自动创建 .venv 并安装 zonekit，然后在 示例项目 中演示全流程
  python3 dev.py test              运行全部测试（首次运行时安装测试所需的包）
  python3 dev.py 其他命令 …        在 .venv 中运行任意 zonekit 命令，如 python3 dev.py status 示例项目
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("setup.cfg", "pyproject.toml"):
        path = HERE / name
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def read_stamp() -> dict:
    try:
        return json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def no_venv_module() -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    say(f"无法创建虚拟环境：这个 Python（{sys.executable}，{version}）缺少 venv/ensurepip 模块。\n"
        f"请先安装后重新运行：\n"
        f"  Debian/Ubuntu：sudo apt install python3-venv（如仍不行：sudo apt install python{version}-venv）\n"
        f"  Fedora/openEuler 等：sudo dnf install python3-pip\n"
        f"  Windows/macOS：从 https://www.python.org/downloads/ 安装 Python（自带 venv）")
    sys.exit(1)


def create_venv() -> None:
    if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
        no_venv_module()
    say(f"首次运行：正在创建虚拟环境 {VENV} ……")
    shutil.rmtree(VENV, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "venv", str(VENV)])
    if done.returncode != 0 or not venv_python().exists():
        shutil.rmtree(VENV, ignore_errors=True)  # a half-made .venv (no pip) would be taken for a usable one
        no_venv_module()


def ensure(extras: set[str]) -> Path:
    """The .venv's python with zonekit (and ``extras``) installed; creates or updates it when needed."""
    python = venv_python()
    stamp = read_stamp() if python.exists() else {}
    if not python.exists():
        create_venv()
    wanted = fingerprint()
    if stamp.get("setup") == wanted and extras <= set(stamp.get("extras", [])):
        return python
    extras = extras | set(stamp.get("extras", []))  # keep what an earlier run installed
    target = f".[{','.join(sorted(extras))}]" if extras else "."
    say(f"正在安装 zonekit{'（含' + '、'.join(sorted(extras)) + '）' if extras else ''}及其依赖到 .venv"
        f"（需要联网，首次约需1–2分钟）……")
    done = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target],
                          cwd=HERE)
    if done.returncode != 0:
        say("安装依赖失败（原因见上面 pip 的输出）。请检查网络后重新运行；在国内可以改用镜像，例如：\n"
            "  PIP_INDEX_URL=https://pypi.tuna.tsinghua.edu.cn/simple python3 dev.py …\n"
            "  （Windows PowerShell：$env:PIP_INDEX_URL=\"https://pypi.tuna.tsinghua.edu.cn/simple\"，再运行 py dev.py …）")
        sys.exit(1)
    STAMP.write_text(json.dumps({"setup": wanted, "extras": sorted(extras)}), encoding="utf-8")
    return python


def main(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    if args[0] == "test":
        python = ensure({"test"})
        env = dict(os.environ, **{SLOW_TESTS: "1"})
        return subprocess.run([str(python), "-m", "pytest", *args[1:]], cwd=HERE, env=env).returncode
    python = ensure(set())
    env = dict(os.environ, ZONEKIT_COMMAND=this_command())  # how the demo writes the commands to try next
    return subprocess.run([str(python), "-m", "zonekit", *args], env=env).returncode


def this_command() -> str:
    """'python3 dev.py' (Windows: 'py dev.py'), with the path to dev.py when it is not in the current folder."""
    script = str(Path(__file__).resolve())
    try:
        relative = os.path.relpath(script)
        script = script if relative.startswith("..") else relative
    except ValueError:  # another drive on Windows
        pass
    script = f'"{script}"' if " " in script else script
    return f"{'py' if os.name == 'nt' else 'python3'} {script}"


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
