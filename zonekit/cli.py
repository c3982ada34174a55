"""The command line: parse options, make one library call, render the result. No logic of its own.

Errors in user data come back as reports; ZonekitError becomes a one-line Chinese message and exit 1.
"""

from __future__ import annotations

import json
import sys
import traceback

import click

from zonekit import __version__
from zonekit.errors import ZonekitError


class ZonekitGroup(click.Group):
    """Turns ZonekitError into a clean message (exit 1); a traceback only with --verbose."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ZonekitError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            click.echo(f"错误：{exc}", err=True)
            ctx.exit(1)


@click.group(cls=ZonekitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zonekit")
@click.option("--verbose", is_flag=True, help="出错时显示完整的 Python 调用栈（排查问题用）。")
@click.pass_context
def main(ctx, verbose):
    """zonekit：网络市场监管与服务示范区创建办的填报、回收、评分工具。

    \b
    典型流程：
      zonekit init 项目目录 --scheme 2022 --region 新绛县 --province 山西省
      zonekit generate 项目目录      # 每个单位一份填报表
      zonekit collect 项目目录       # 回收、校验、合并
      zonekit score 项目目录         # 评分汇总表
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def exit_with(code: int) -> None:
    sys.exit(code)


# ------------------------------------------------------------------ scheme (issue 2)


@main.group()
def scheme():
    """指标体系：列出、查看、检查。"""


@scheme.command("list")
def scheme_list():
    """列出可用的指标体系。

    \b
    示例：zonekit scheme list
    """
    from zonekit.schemeview import list_schemes

    click.echo(list_schemes())


@scheme.command("show")
@click.argument("name")
@click.option("--detail", is_flag=True, help="同时显示打分标准、分项与计分规则。")
def scheme_show(name, detail):
    """显示指标体系的层级树和分值。NAME 为名称（2022、2024）或 YAML 文件路径。

    \b
    示例：zonekit scheme show 2022 --detail
    """
    from zonekit.scheme import load_scheme
    from zonekit.schemeview import render_tree

    click.echo(render_tree(load_scheme(name), detail=detail))


@scheme.command("check")
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出检查结果。")
def scheme_check(file, as_json):
    """检查指标体系文件：各级分值合计、分项与指标、规则参数、编号唯一、数据项是否已定义。

    有错误时退出码为 1；只有警告时为 0。

    \b
    示例：zonekit scheme check templates/schemes/2024.yaml
    """
    from zonekit.scheme import check_scheme

    scheme_, report = check_scheme(file)
    if as_json:
        click.echo(report.to_json())
    else:
        if report.issues:
            click.echo(report.render())
        if scheme_ is not None:
            click.echo(f"{scheme_.title}：{len(scheme_.indicators)}项指标，合计{scheme_.total_points}分；"
                       f"错误{len(report.errors)}个，警告{len(report.warnings)}个。")
    exit_with(int(not report.valid))


# ------------------------------------------------------------------ init / import-plan / generate (issue 3)

# ------------------------------------------------------------------ check / collect / status (issue 4)

# ------------------------------------------------------------------ score / demo (issue 5)

# ------------------------------------------------------------------ mail / remind (issue 6)
