"""click's own words in Chinese: usage lines, help headings, usage errors ("Missing argument", "Invalid value"),
"Aborted!", metavars. Changes only what click shows; never how it parses.

click looks its messages up through ``gettext`` when it shows them; ``install()`` points those look-ups in click's
modules at the catalogue below (process-wide, idempotent), so the translation holds whatever locale the office
PC has. ``ZhCommand``/``ZhGroup`` give every command Chinese metavars ([选项], 项目目录, 文本).
"""

from __future__ import annotations

import importlib

import click

# msgid (as in click 8.1–8.3) -> Chinese. Messages about mistakes in zonekit's own code (a bad decorator) are
# left in English on purpose: no user can cause them.
CATALOG = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Error: {message}": None,  # a _Sentence, below
    "required": "必填",
    "Try '{command} {option}' for help.": "运行 {command} {option} 查看用法。",
    "Aborted!": "已中止。",
    "deprecated": "已停用",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": "提示：命令 {name!r} 已停用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "提示：{param_type} {name!r} 已停用。{extra_message}",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Invalid value: {message}": "取值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效：{message}",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "unknown error": "未知错误",
    "Value must be an iterable.": "这里需要一组值。",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "(dynamic)": "（动态）",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，这里需要文件夹。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹，这里需要文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取（没有权限）。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入（没有权限）。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不能执行。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Choice({choices})": "可选（{choices}）",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否，可用：{states}",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不能跟值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要{nargs}个值。",
    "Press any key to continue...": "按任意键继续……",
    "Repeat for confirmation": "请再输入一次",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "直接确认，不再询问。",
    "Unknown color {colour!r}": "未知的颜色 {colour!r}",
    "Unknown standard stream '{name}'": "未知的标准流 '{name}'",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
}

# (singular msgid) -> Chinese, for ngettext: Chinese says both with one sentence
PLURALS = {
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Takes {nargs} values but 1 was given.": "需要{nargs}个值，实际只给了1个。",
    "Did you mean {possibility}?": "是否想用 {possibility}？",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{len_type} values are required, but {len_value} was given.": "需要{len_type}个值，实际给了{len_value}个。",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面需要一个值。",
}
PLURAL_FORMS = {  # the plural msgid's placeholders can differ from the singular's
    "Takes {nargs} values but 1 was given.": "需要{nargs}个值，实际给了{len}个。",
    "Did you mean {possibility}?": "（是否想用其中之一：{possibilities}？）",
    "{value!r} is not {choice}.": "{value!r} 不是 {choices} 之一。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合 {formats} 中的任何一种格式。",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面需要{nargs}个值。",
}

# the names click prints for value types (in metavars and in '… is not a valid integer')
TYPE_NAMES = {"StringParamType": "文本", "UnprocessedParamType": "文本", "IntParamType": "整数", "IntRange": "整数",
              "FloatParamType": "数字", "FloatRange": "数字", "BoolParamType": "是/否", "UUIDParameterType": "UUID",
              "DateTime": "日期时间", "File": "文件"}

# Chinese metavars for arguments by their parameter name (a command may still give its own metavar)
ARGUMENT_NAMES = {"directory": "项目目录", "dir": "项目目录", "file": "文件", "files": "文件", "paths": "路径",
                  "path": "路径", "name": "名称", "table": "分解表", "source": "来源文件", "target": "目标"}

_MODULES = ("core", "exceptions", "types", "parser", "termui", "decorators", "formatting", "utils", "_termui_impl")


class _Sentence(str):
    """'错误：{message}' whose message, put together by click as '缺少参数 '项目目录'.', ends as Chinese does."""

    def format(self, *args, **kwargs) -> str:
        text = str.format(self, *args, **kwargs)
        return text[:-1] + "。" if text.endswith(".") and not text.endswith("..") else text


CATALOG["Error: {message}"] = _Sentence("错误：{message}")


def gettext(message: str) -> str:
    return CATALOG.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    if singular in PLURALS:
        return PLURALS[singular] if n == 1 else PLURAL_FORMS.get(singular, PLURALS[singular])
    return singular if n == 1 else plural


def install() -> None:
    """Make click speak Chinese in this process."""
    for name in _MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # a module a later click no longer has
            continue
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
    for name, shown in TYPE_NAMES.items():
        cls = getattr(click.types, name, None)
        if cls is not None:
            cls.name = shown


def _chinese_metavars(params) -> None:
    """Arguments named in Chinese, decorated as click decorates its own ('[路径]...'); options need nothing:
    click names them by their type, which install() has named in Chinese."""
    for param in params:
        if param.metavar is None and isinstance(param, click.Argument) and param.name in ARGUMENT_NAMES:
            shown = ARGUMENT_NAMES[param.name]
            if not param.required:
                shown = f"[{shown}]"
            param.metavar = shown + ("..." if param.nargs != 1 else "")


class ZhCommand(click.Command):
    """A command whose usage line and metavars are Chinese: 用法: zonekit collect [选项] 项目目录 [路径]..."""

    def __init__(self, *args, options_metavar: str | None = "[选项]", **kwargs):
        super().__init__(*args, options_metavar=options_metavar, **kwargs)
        _chinese_metavars(self.params)


class ZhGroup(click.Group):
    """A group whose usage line, metavars and sub-commands are Chinese (用法: zonekit [选项] 命令 [参数]...)."""

    command_class = ZhCommand

    def __init__(self, *args, options_metavar: str | None = "[选项]", subcommand_metavar: str | None = None,
                 **kwargs):
        super().__init__(*args, options_metavar=options_metavar,
                         subcommand_metavar=subcommand_metavar or "命令 [参数]...", **kwargs)
        _chinese_metavars(self.params)


ZhGroup.group_class = ZhGroup
