"""The outputs of one run: replaced together or not at all, an open workbook named, killed runs cleaned up."""

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from zonekit import files
from zonekit.errors import OutputError
from zonekit.files import STAGING_DIR, OutputSet, atomic_path, sweep, write_atomic


def outputs(tmp_path, **contents):
    folder = tmp_path / "3-输出"
    folder.mkdir(exist_ok=True)
    for name, text in contents.items():
        (folder / f"{name}.xlsx").write_text(text, encoding="utf-8")
    return folder


def texts(folder):
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()}


def test_output_set__two_outputs__both_replaced_and_no_temp_left(tmp_path):
    folder = outputs(tmp_path, 回收登记="旧登记", 合并结果="旧合并")
    with OutputSet(folder, ["回收登记.xlsx", "合并结果.xlsx"]) as out:
        out.write("回收登记.xlsx", "新登记")
        out.path("合并结果.xlsx").write_text("新合并", encoding="utf-8")
        assert texts(folder) == {"合并结果.xlsx": "旧合并", "回收登记.xlsx": "旧登记"}  # nothing moves before commit
    assert texts(folder) == {"合并结果.xlsx": "新合并", "回收登记.xlsx": "新登记"}
    assert sorted(os.listdir(folder)) == ["合并结果.xlsx", "回收登记.xlsx"]


@pytest.mark.parametrize("lock", ["~$回收登记.xlsx", ".~lock.回收登记.xlsx#"])
def test_output_set__workbook_open_in_office__one_message_and_nothing_changed(tmp_path, lock):
    folder = outputs(tmp_path, 回收登记="旧登记", 合并结果="旧合并")
    (folder / lock).write_text("owner", encoding="utf-8")
    with pytest.raises(OutputError) as caught:
        with OutputSet(folder, ["合并结果.xlsx", "回收登记.xlsx"]) as out:
            out.write("合并结果.xlsx", "新合并")
    assert "回收登记.xlsx 正在 Excel、WPS 或 LibreOffice 中打开" in str(caught.value)
    assert "请先关闭它后重试" in str(caught.value) and "没有改动任何输出文件" in str(caught.value)
    assert texts(folder)["合并结果.xlsx"] == "旧合并" and not (folder / STAGING_DIR).exists()


def test_output_set__output_name_taken_by_a_folder__named_and_nothing_changed(tmp_path):
    folder = outputs(tmp_path, 合并结果="旧合并")
    (folder / "回收登记.xlsx").mkdir()
    with pytest.raises(OutputError, match="是一个文件夹，无法写成文件"):
        with OutputSet(folder, ["合并结果.xlsx"]) as out:
            out.write("合并结果.xlsx", "新合并")
            out.write("回收登记.xlsx", "新登记")
    assert texts(folder) == {"合并结果.xlsx": "旧合并"}


def test_output_set__output_folder_is_a_file__named(tmp_path):
    (tmp_path / "3-输出").write_text("不是文件夹", encoding="utf-8")
    with pytest.raises(OutputError, match="是一个文件而不是文件夹"):
        OutputSet(tmp_path / "3-输出", ["回收登记.xlsx"])


def test_output_set__error_while_writing__previous_outputs_whole(tmp_path):
    folder = outputs(tmp_path, 回收登记="旧登记")
    with pytest.raises(KeyboardInterrupt):
        with OutputSet(folder, ["回收登记.xlsx"]) as out:
            out.write("回收登记.xlsx", "写了一半")
            raise KeyboardInterrupt
    assert texts(folder) == {"回收登记.xlsx": "旧登记"} and not (folder / STAGING_DIR).exists()


def test_output_set__replace_fails_half_way__first_output_put_back(tmp_path, monkeypatch):
    folder = outputs(tmp_path, 回收登记="旧登记", 合并结果="旧合并")
    real = os.replace
    calls = []

    def flaky(src, dst):
        if str(dst).endswith("合并结果.xlsx") and not calls:  # the move into place fails, once (as a lock would)
            calls.append(dst)
            raise PermissionError(13, "Permission denied", str(dst))
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", flaky)
    with pytest.raises(OutputError, match="已恢复为本次运行之前的文件"):
        with OutputSet(folder, ["回收登记.xlsx", "合并结果.xlsx"]) as out:
            out.write("回收登记.xlsx", "新登记")
            out.write("合并结果.xlsx", "新合并")
    assert texts(folder) == {"合并结果.xlsx": "旧合并", "回收登记.xlsx": "旧登记"}
    assert not (folder / STAGING_DIR).exists()


def test_output_set__removal__happens_at_commit_only(tmp_path):
    folder = outputs(tmp_path, 旧图片="png")
    with pytest.raises(RuntimeError):
        with OutputSet(folder) as out:
            out.remove("旧图片.xlsx")
            raise RuntimeError
    assert (folder / "旧图片.xlsx").exists()
    with OutputSet(folder) as out:
        out.remove("旧图片.xlsx")
    assert not (folder / "旧图片.xlsx").exists()


KILLED = textwrap.dedent("""
    import os, sys
    from zonekit import files
    folder, moment = sys.argv[1], sys.argv[2]
    real = os.replace
    def dying(src, dst):
        if moment == "commit" and str(dst).endswith("合并结果.xlsx"):
            os._exit(9)  # as SIGKILL: no cleanup at all
        return real(src, dst)
    files.os.replace = dying
    out = files.OutputSet(folder, ["回收登记.xlsx", "合并结果.xlsx"])
    out.write("回收登记.xlsx", "新登记")
    out.write("合并结果.xlsx", "新合并")
    if moment == "staging":
        os._exit(9)
    out.commit()
""")


@pytest.mark.parametrize("moment", ["staging", "commit"])
def test_output_set__killed__next_run_restores_previous_outputs_and_removes_temps(tmp_path, moment):
    folder = outputs(tmp_path, 回收登记="旧登记", 合并结果="旧合并")
    done = subprocess.run([sys.executable, "-c", KILLED, str(folder), moment], cwd=os.getcwd())
    assert done.returncode == 9
    assert (folder / STAGING_DIR).exists()  # what the killed run left behind
    if moment == "commit":
        assert texts(folder).get("回收登记.xlsx") == "新登记"  # half committed: the previous set is broken
    sweep(folder)  # what any later run does first
    assert texts(folder) == {"合并结果.xlsx": "旧合并", "回收登记.xlsx": "旧登记"}
    assert not (folder / STAGING_DIR).exists()


def test_output_set__sweep__leaves_a_running_run_alone(tmp_path):
    folder = outputs(tmp_path, 回收登记="旧登记")
    out = OutputSet(folder, ["回收登记.xlsx"])
    temp = out.path("回收登记.xlsx")
    temp.write_text("新登记", encoding="utf-8")
    sweep(folder)
    assert temp.exists()
    out.commit()
    assert texts(folder) == {"回收登记.xlsx": "新登记"}


def test_atomic_path__single_file__written_with_normal_permissions(tmp_path):
    with atomic_path(tmp_path / "a" / "工作台.xlsx") as tmp:
        tmp.write_bytes(b"data")
    target = tmp_path / "a" / "工作台.xlsx"
    assert target.read_bytes() == b"data" and sorted(os.listdir(tmp_path / "a")) == ["工作台.xlsx"]
    if os.name != "nt":
        assert target.stat().st_mode & 0o644 == 0o644
    write_atomic(target, "文本")
    assert target.read_text(encoding="utf-8") == "文本"


def test_output_set__sweep_meets_a_folder_not_yet_locked__leaves_it(tmp_path):
    folder = outputs(tmp_path)
    fresh = folder / STAGING_DIR / "4242-justmade"
    fresh.mkdir(parents=True)  # another run made its staging folder and is about to lock it
    sweep(folder)
    assert fresh.exists()
    old = os.path.getmtime(fresh) - files.UNLOCKED_GRACE - 1
    os.utime(fresh, (old, old))  # a run killed between making the folder and locking it, long ago
    sweep(folder)
    assert not (folder / STAGING_DIR).exists()


def test_output_set__word_report_open__names_word(tmp_path):
    folder = outputs(tmp_path)
    (folder / "自评报告（初稿）.docx").write_bytes(b"docx")
    (folder / "~$自评报告（初稿）.docx").write_bytes(b"owner")
    with pytest.raises(OutputError, match="正在 Word 或 WPS 中打开"):
        OutputSet(folder, ["自评报告（初稿）.docx"])


def test_output_set__relative_root_and_targets_given_from_the_working_folder__written_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    drafts = os.path.join("示例", "1-下发", "邮件草稿")  # as `zonekit mail 示例 --drafts` passes them
    target = os.path.join(drafts, "下发-县商务局.eml")
    with OutputSet(drafts, [target]) as out:
        out.write(target, "草稿")
        out.write("催报-县统计局.eml", "催报")  # a name relative to the root
    assert (tmp_path / "示例" / "1-下发" / "邮件草稿" / "下发-县商务局.eml").read_text(encoding="utf-8") == "草稿"
    assert sorted(os.listdir(tmp_path / "示例" / "1-下发" / "邮件草稿")) == ["下发-县商务局.eml", "催报-县统计局.eml"]


@pytest.mark.parametrize("error, said", [
    (OSError(errno.EROFS, "Read-only file system"), "在只读的磁盘或共享文件夹上，无法写入。请把项目文件夹复制到可以写入的位置后重试。"),
    (PermissionError(errno.EACCES, "Permission denied"), "没有权限写入"),
])
def test_output_set__output_folder_read_only__names_the_folder_and_nothing_changed(tmp_path, monkeypatch, error,
                                                                                   said):
    (tmp_path / "a.xlsx").write_bytes(b"old")
    real_mkdir = Path.mkdir

    def refused(self, *args, **kwargs):
        if STAGING_DIR in self.parts:
            error.filename = str(self)
            raise error
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refused)
    with pytest.raises(OutputError) as caught:
        with OutputSet(tmp_path, ["a.xlsx"]) as out:
            out.write("a.xlsx", b"new")
    assert str(caught.value).startswith(f"{tmp_path} ") or str(caught.value).startswith(f"没有权限写入 {tmp_path}。")
    assert said in str(caught.value) and str(caught.value).endswith("本次运行没有改动任何输出文件。")
    assert STAGING_DIR not in str(caught.value) and (tmp_path / "a.xlsx").read_bytes() == b"old"
