"""Everything the command line shows is Chinese: click's own usage errors, help headings, metavars, aborts, and
the rule names of `scheme show`."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from zonekit.cli import main

# what click says in English when nobody translates it
CLICK_ENGLISH = ("Usage", "Options", "Commands", "Error", "Missing", "Invalid value", "does not exist", "Aborted",
                 "Show this message", "Show the version", "for help", "No such", "Try ", "[OPTIONS]", "COMMAND",
                 "[ARGS]", "DIRECTORY", "TEXT", "INTEGER", "FLOAT", "PATH", "FILE", "NAME", "UNIT", "required")
# words a Chinese help text may still carry: the program, formats, protocols, products and file keys it names
ALLOWED = {"zonekit", "xlsx", "xls", "xlsm", "docx", "zip", "eml", "yaml", "YAML", "JSON", "json", "SMTP", "SSL",
           "STARTTLS", "WPS", "Excel", "Word", "Outlook", "Foxmail", "LibreOffice", "Python", "ODR", "pdf", "csv",
           "ZONEKIT_SMTP_PASSWORD", "name", "OCR"}


def run(*args, **kw):
    return CliRunner().invoke(main, list(args), prog_name="zonekit", **kw)


def english_in(text: str) -> list[str]:
    """English a reader would see: click's phrases, and latin words that are not an option, a path, a name or
    what the user typed (quoted back)."""
    found = [w for w in CLICK_ENGLISH if w in text]
    text = re.sub(r"'[^'\n]*'|「[^」]*」", "", text)  # the user's own words, quoted back
    for word in re.findall(r"(?<![-\w./{])[A-Za-z][A-Za-z_]+(?![\w./])", text):
        if word not in ALLOWED and word not in COMMAND_NAMES:
            found.append(word)
    return found


def all_commands(group=main, path=()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*path, name))


COMMAND_NAMES = {word for path, _ in all_commands() for word in path}


def test_cli__missing_argument__chinese_usage_and_error_exit_2():
    result = run("collect")
    assert result.exit_code == 2
    assert "用法: zonekit collect [选项] 项目目录 [路径]..." in result.output
    assert "错误：缺少参数 '项目目录'" in result.output
    assert "运行 zonekit collect --help 查看用法。" in result.output
    assert not english_in(result.output), result.output


def test_cli__directory_that_does_not_exist__chinese_invalid_value_exit_2(tmp_path):
    result = run("status", str(tmp_path / "没有这个目录"))
    assert result.exit_code == 2
    assert "'项目目录' 的取值无效：目录" in result.output and "不存在。" in result.output
    assert not english_in(result.output), result.output


def test_cli__file_given_for_a_directory__says_it_is_a_file(tmp_path):
    path = tmp_path / "工作台.xlsx"
    path.write_bytes(b"x")
    result = run("score", str(path))
    assert result.exit_code == 2 and "是文件，这里需要文件夹" in result.output


def test_cli__unknown_command_and_option__chinese(tmp_path):
    result = run("scroe", str(tmp_path))
    assert result.exit_code == 2 and "没有命令 'scroe'" in result.output
    result = run("score", "--bogus", str(tmp_path))
    assert result.exit_code == 2 and "没有选项 '--bogus'" in result.output
    for output in (run("scroe").output, result.output):
        assert not english_in(output), output


def test_cli__bad_number_for_an_option__chinese(tmp_path):
    result = run("mail", str(tmp_path), "--send", "--pause", "半分钟")
    assert result.exit_code == 2
    assert "'--pause' 的取值无效：'半分钟' 不是有效的数字。" in result.output


def test_cli__prompt_answered_with_nothing__aborted_in_chinese(tmp_path, monkeypatch):
    from zonekit import mail

    def send_mail(directory, password, **kw):
        password()  # asks for the SMTP password; the input ends

    monkeypatch.setattr(mail, "send_mail", send_mail)
    monkeypatch.setattr(mail, "env_password", lambda: None)
    result = run("mail", str(tmp_path), "--send", input="")
    assert result.exit_code == 1
    assert "已中止。" in result.output and "Aborted" not in result.output


@pytest.mark.parametrize("path", [(), *[p for p, _ in all_commands()]], ids=lambda p: " ".join(p) or "zonekit")
def test_cli__help_of_every_command__chinese(path):
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "用法:" in result.output and "选项:" in result.output and "显示本帮助并退出。" in result.output
    assert not english_in(result.output), (path, english_in(result.output))


def test_cli__version__chinese():
    result = run("--version")
    assert result.exit_code == 0 and re.fullmatch(r"zonekit 版本 \S+\n", result.output)


def test_scheme_show__detail__rule_names_in_chinese():
    result = run("scheme", "show", "2022", "--detail")
    assert result.exit_code == 0
    for english in ("yearly_compare", "bands", "weighted_count", "conditions", "claim", "judged", "count"):
        assert re.search(rf"\b{english}\b", result.output) is None, english
    assert "［定量｜逐年比较］" in result.output
    assert "（1分，是否达到）" in result.output
