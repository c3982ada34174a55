"""The command line: parse options, make one library call, render the result. No logic of its own.

Errors in user data come back as reports; ZonekitError becomes a one-line Chinese message and exit 1.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import threading
import traceback

import click

from zonekit import __version__, clickzh
from zonekit.errors import Terminated, ZonekitError

clickzh.install()  # before any command is built: click's own words (usage, errors, metavars) in Chinese


class ZonekitGroup(clickzh.ZhGroup):
    """Turns ZonekitError and any OS error into a clean message (exit 1), Ctrl-C and SIGTERM into a short note
    (exit 130 / 143) after every cleanup has run; a traceback only with --verbose."""

    def invoke(self, ctx):
        previous = _on_sigterm()
        try:
            return super().invoke(ctx)
        except ZonekitError as exc:
            _fail(ctx, f"错误：{exc}", 1)
        except OSError as exc:
            _fail(ctx, f"错误：{os_error_message(exc)}", 1)
        except KeyboardInterrupt as exc:
            what = "收到终止信号" if isinstance(exc, Terminated) else "已中断"
            _fail(ctx, f"{what}：正在写的输出文件没有替换，上次的输出文件保持完整；重新运行同一命令即可。",
                  143 if isinstance(exc, Terminated) else 130)
        finally:
            _restore_sigterm(previous)


class EntryPath(click.Path):
    """A path that must be there as a directory entry: a link whose target is gone, or a link loop, is let through
    (click would call it missing) so that check and collect list it 跳过 with what it is."""

    def convert(self, value, param, ctx):
        if self.exists and os.path.islink(value) and not os.path.exists(value):
            return self.coerce_path_result(value)
        return super().convert(value, param, ctx)


def _fail(ctx, message: str, code: int) -> None:
    if ctx.obj and ctx.obj.get("verbose"):
        traceback.print_exc()
    click.echo(message, err=True)
    ctx.exit(code)


def os_error_message(exc: OSError) -> str:
    """An OS error as one Chinese sentence naming the file and what to do."""
    from zonekit.intake import printable

    where = printable(str(exc.filename)) if getattr(exc, "filename", None) else "文件"
    if isinstance(exc, PermissionError):
        return f"没有权限读写 {where}。请确认它没有在 Excel、WPS 中打开，文件夹不是只读，然后重试。"
    if isinstance(exc, FileNotFoundError):
        return f"找不到 {where}。请确认路径正确、文件没有被移走，然后重试。"
    if isinstance(exc, IsADirectoryError):
        return f"{where} 是一个文件夹，不是文件。请检查路径后重试。"
    if isinstance(exc, NotADirectoryError):
        return f"{where} 的路径中有一部分是文件而不是文件夹。请检查路径后重试。"
    if getattr(exc, "errno", None) == errno.ENOSPC:
        return f"磁盘空间不足，无法写入 {where}。请清理磁盘后重试。"
    return f"读写 {where} 时出错（{exc.strerror or exc}）。请检查文件和文件夹后重试。"


def _on_sigterm():
    """SIGTERM raises Terminated in the main thread, so cleanups (workers, staged outputs) run as for Ctrl-C."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise Terminated()

    return signal.signal(signal.SIGTERM, stop)


def _restore_sigterm(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


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


def show(result, as_json: bool) -> None:
    """A command's result: its ``to_dict()`` as JSON with --json, else its Chinese ``render()``."""
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(result.render())


def exit_with(code: int) -> None:
    sys.exit(code)


# ------------------------------------------------------------------ scheme (issue 2)


@main.group()
def scheme():
    """指标体系：列出、查看、检查，导入新印发的评估指标体系表。"""


@scheme.command("list")
def scheme_list():
    """列出可用的指标体系。

    \b
    示例：zonekit scheme list
    """
    from zonekit.schemeview import list_schemes

    click.echo(list_schemes())


@scheme.command("show")
@click.argument("name", metavar="指标体系")
@click.option("--detail", is_flag=True, help="同时显示打分标准、分项与计分规则。")
def scheme_show(name, detail):
    """显示指标体系的层级树和分值。指标体系写名称（2022、2025）或 YAML 文件路径。

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
    示例：zonekit scheme check templates/schemes/2025.yaml
    """
    from zonekit.exact import fmt_exact
    from zonekit.scheme import check_scheme

    scheme_, report = check_scheme(file)
    if as_json:
        click.echo(report.to_json())
    else:
        if report.issues:
            click.echo(report.render())
        if scheme_ is not None:
            click.echo(f"{scheme_.title}：{len(scheme_.indicators)}项指标，合计{fmt_exact(scheme_.total_points)}分；"
                       f"错误{len(report.errors)}个，警告{len(report.warnings)}个。")
    exit_with(int(not report.valid))


@scheme.command("import")
@click.argument("table", metavar="指标表", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="写出的指标体系文件（.yaml）；旁边同时写出“<文件名>-导入报告.txt”。")
@click.option("--name", help="指标体系的简称（写入文件的 name），默认取输出文件名。")
@click.option("--force", is_flag=True, help="输出文件已存在时覆盖它。")
def scheme_import(table, output, name, force):
    """把新印发的评估指标体系表（Word .docx 或 Excel .xlsx）读成指标体系文件草稿。

    按表头找列（一级指标、二级指标、编号、三级指标/指标、指标说明及打分标准、变量性质、评估方式，顺序和写法不限），
    读出各级指标、分值、合格标准，并按已有指标体系的写法识别计分规则；认不出的指标按评分项（自评或专家评估）处理，
    并在导入报告中逐项写明读成了什么、有多大把握、哪些须人工确认。草稿随即通过 scheme check 的检查。

    \b
    示例：zonekit scheme import 评估指标体系.docx -o 新.yaml
          zonekit scheme check 新.yaml
          zonekit init 新项目 --scheme 新.yaml --region 新绛县 --province 山西省
    """
    from zonekit.schemeimport import describe, import_scheme_file, render_report, report_path

    result = import_scheme_file(table, output, name, force)
    if not result.readable:
        click.echo(render_report(result), err=True)
        click.echo(f"没有写出 {output}：请按上面的提示核对原表后再导入。", err=True)
        exit_with(1)
    click.echo(describe(result))
    click.echo(f"已写出：{output}\n导入报告：{report_path(output)}")
    exit_with(int(not result.check.valid))


# ------------------------------------------------------------------ init / import-plan / generate (issue 3)


@main.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--scheme", "scheme_name", required=True, help="指标体系：2022、2025 或 YAML 文件路径。")
@click.option("--region", required=True, help="创建地区，如 新绛县。")
@click.option("--province", required=True, help="所在省份，如 山西省（用于推定地区类别）。")
@click.option("--years", help="评估年度，逗号分隔，如 2023,2024；默认为截至去年的近N年。")
@click.option("--class", "region_class", help="地区类别（东部/中部/西部/东北），默认按省份推定。")
@click.option("--deadline", help="填报截止日期，如 2026-03-31。")
@click.option("--units", type=click.Path(exists=True, dir_okay=False),
              help="单位名单 .xlsx（列：单位名称、别名、所属群组、联系人、电话、邮箱），写入工作台的 单位名单。")
def init(directory, scheme_name, region, province, years, region_class, deadline, units):
    """新建项目目录：工作台.xlsx 和 1-下发、2-回收、3-输出 三个文件夹。

    工作台包含 基本信息、阶段安排、单位名单、任务分解、全国数据、目标、评分核定、邮件模板，在 Excel 或 WPS 中填写；
    不会覆盖已有的工作台。东北地区用 2022 指标体系时须用 --class 指定按东部、中部或西部计算。

    \b
    示例：zonekit init 新绛创建 --scheme 2022 --region 新绛县 --province 山西省 \\
            --units samples/新绛县/单位名单.xlsx
    """
    from zonekit import layout
    from zonekit.errors import ProjectError
    from zonekit.workbench import create_project, parse_date, parse_years, read_units_file

    try:
        year_list = parse_years(years) if years else None
    except ValueError:
        raise ProjectError(f"--years「{years}」无法识别，请写成 2023,2024 这样的四位年份。") from None
    try:
        due = parse_date(deadline)
    except ValueError:
        raise ProjectError(f"--deadline「{deadline}」不是日期，请写成 2026-03-31 的形式。") from None
    unit_list = []
    if units:
        unit_list, report = read_units_file(units)
        if report.issues:
            click.echo(report.render(), err=True)
        if not report.valid:
            click.echo(f"单位名单 {units} 有错误，未创建项目。", err=True)
            exit_with(1)
    project = create_project(directory, scheme_name, region, province, year_list, region_class, due, unit_list)
    cls_note = "按 --class 指定" if region_class else f"按{province}推定"
    click.echo(f"已创建项目：{directory}\n"
               f"  工作台：{project.workbook_path}\n"
               f"  文件夹：{layout.OUTGOING_DIR}、{layout.RETURNED_DIR}、{layout.OUTPUT_DIR}\n"
               f"  指标体系：{project.scheme.name}（{len(project.scheme.indicators)}项指标）；地区类别：{project.region_class}"
               f"（{cls_note}）；评估年度：{'、'.join(map(str, project.years))}\n"
               f"  单位名单：{len(project.units)}个单位")
    if project.scheme.path is not None and project.scheme.path.parent == project.root:
        click.echo(f"  指标体系文件已复制到 {project.scheme.path}，本项目按这一份评分；以后修改指标体系请改这一份。")
    if len(project.years) != project.scheme.evaluation_years:
        click.echo(f"警告：{project.scheme.name}指标体系按近{project.scheme.evaluation_years}年评估，"
                   f"这里写了{len(project.years)}年，请核对。")
    click.echo(f"下一步：运行 zonekit import-plan {directory} 分解表.docx 导入已有的任务分解表，或直接在工作台中填写 任务分解。")


@main.command("import-plan")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("table", metavar="分解表", type=click.Path(exists=True, dir_okay=False))
@click.option("--add-units", is_flag=True,
              help="把分解表中不在单位名单里的单位加入单位名单（列出加入了哪些；群组列出来请您定义成员）。")
@click.option("--force", is_flag=True, help="指标名称与本项目的指标体系对不上时，仍按编号导入。")
def import_plan(directory, table, add_units, force):
    """把已有的任务分解表（.docx 中的表格或 .xlsx）导入工作台的 任务分解。

    按表头找列（编号、牵头单位、责任单位、涉及方案中具体工作任务 等）；单位名称按 、，; 拆分，
    "-"/"——" 表示无；群组（如 各成员单位）和别名按工作台的 单位名单 展开；被空格或换行断开的名称
    （如 "县工信 科技局"、Word 表格中的 "县税务⏎局"）在能拼成已知单位时合并。每一处这样的处理都会列出；
    不认识的单位列出最接近的名称。

    分解表的指标名称属于另一套指标体系时（例如用 2022 年的分解表导入 2025 项目）不导入，并说明它像哪一套；
    确认要按编号导入时加 --force。单位名单还是空的（或大部分单位不在其中）时只提示一次；加 --add-units
    会把分解表中的单位加入单位名单。

    没有错误时才写入工作台（原工作台另存为 工作台.备份-时间.xlsx），有错误时退出码为 1。分解表本身不会被修改。

    \b
    示例：zonekit import-plan 永川创建 samples/永川区/分解表.docx
          zonekit import-plan 新项目 分解表.docx --add-units
    """
    from zonekit import layout
    from zonekit.issues import Report
    from zonekit.plan import import_plan_file

    result = import_plan_file(directory, table, force=force, add_units=add_units)
    report = result.report
    if report.issues:  # errors first, so that they are not buried under warnings and notes
        click.echo(Report(report.errors + report.warnings).render())
    if result.refused:
        exit_with(1)
    for note in result.notes:
        click.echo(note)
    if result.written and result.new_units:
        click.echo(f"已加入 {layout.SHEET_UNITS}（{len(result.new_units)}个单位）："
                   f"{'、'.join(u.name for u in result.new_units)}。请在工作台补上各单位的联系人、电话和邮箱。")
    if result.written:
        click.echo(f"已写入 {layout.PROJECT_WORKBOOK} 的 {layout.SHEET_TASKS}：{len(result.assignments)}项指标；"
                   f"原工作台已备份为 {result.backup.name}。")
    elif report.valid:
        click.echo(f"分解表中没有可导入的指标行，{layout.PROJECT_WORKBOOK} 未改动。", err=True)
    else:
        click.echo(f"有{len(report.errors)}个错误，{layout.PROJECT_WORKBOOK} 未改动。", err=True)
    exit_with(int(not result.written))


@main.command("generate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="输出目录，默认为项目目录下的 1-下发。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出生成结果。")
@click.option("--force", is_flag=True, help="有指标没有牵头单位（只有责任单位或没有任何单位）时仍然生成（这些指标将无法计分）。")
def generate_command(directory, out_dir, as_json, force):
    """为每个有任务的单位生成一份填报表（序号-单位名称-填报表.xlsx），并写出 清单.xlsx。

    每份只含该单位牵头或负责的指标：填报说明、指标填报、（牵头定量指标时）数据填报。
    没有任务的单位会列出警告；任务分解中有不在单位名单中的单位时不生成任何文件，
    列出这些名称和最接近的已知名称，退出码为 1。数据、是否达到和自评分只发给牵头单位，
    所以评分要用这些内容的指标没有牵头单位（只有责任单位，或没有任何单位）时也不生成，
    列出这些指标；分批下发时加 --force。旧文件不会被删除。

    \b
    示例：zonekit generate 新绛创建
    """
    from zonekit.generate import generate
    from zonekit.workbench import load_project

    result = generate(load_project(directory), out_dir, force=force)
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(result.render())


# ------------------------------------------------------------------ check / collect / status (issue 4)


@main.command("check")
@click.argument("file", type=EntryPath(exists=True, dir_okay=False))
@click.option("--project", "project_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="项目目录（含 工作台.xlsx）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出检查结果。")
def check_command(file, project_dir, as_json):
    """检查一份回收的填报表：身份、表格结构和每个填写值，一次列出全部问题。

    文件可以是 .xlsx/.xlsm/.xls，也可以是 .zip 或 .eml（逐个检查其中的填报表）。有错误时退出码为 1。

    \b
    示例：zonekit check 2-回收/县商务局-填报表.xlsx --project 项目目录
    """
    from zonekit.collect import check_file, records_json, render_records
    from zonekit.workbench import load_project

    records = check_file(load_project(project_dir), file)
    if as_json:
        emit_json(records_json(records))
    else:
        click.echo(render_records(records))
    exit_with(int(any(r.errors for r in records)))


@main.command("collect")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("paths", nargs=-1, type=EntryPath(exists=True))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出回收结果。")
def collect_command(directory, paths, as_json):
    """回收：读取、校验、合并各单位交回的填报表，写出回收登记和合并结果。

    读取 2-回收 目录（含子目录、.zip、.eml）和另外给出的文件或目录，写出 3-输出/回收登记.xlsx、
    合并结果.xlsx 和 佐证材料/。

    每个文件按表内身份识别单位。同一单位交来多份时按表内保存时间排序、逐项合并：每一项取最新一份中填写的值，
    新一份中空着的项沿用较早一份的值（并提示）。收到过的文件都记在项目的回收台账（.zonekit/ledger.sqlite3）中，
    移走或删除后仍然有效；内容没有变动的文件不会重复读取。仍有错误时退出码为 1。

    \b
    示例：zonekit collect 项目目录
          zonekit collect 项目目录 ~/下载/邮件附件
    """
    from zonekit.collect import collect, collect_json, render_collect
    from zonekit.workbench import load_project

    project = load_project(directory, remember=True)  # score, after it, need not open 工作台.xlsx again
    bar = {}

    def on_total(n):
        # a bar only on a console: redirected to a file, click writes its label without an end of line
        if n >= 20 and not as_json and sys.stderr.isatty():
            bar["bar"] = click.progressbar(length=n, label="读取回收文件", file=sys.stderr)
            bar["bar"].__enter__()

    def on_file(n):
        if "bar" in bar:
            bar["bar"].update(n)

    try:
        result = collect(project, paths, on_total=on_total, on_file=on_file)
    finally:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)
    if as_json:
        emit_json(collect_json(result))
    else:
        click.echo(render_collect(result))
    exit_with(int(not result.valid))


@main.command("status")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出各单位状态。")
def status_command(directory, as_json):
    """各单位填报状态（已报/未报/逾期/退回）、最后收到的文件和未填项数，取自最近一次 collect。

    \b
    示例：zonekit status 项目目录
    """
    from zonekit.states import project_status, render_status, status_json

    statuses = project_status(directory)
    if as_json:
        emit_json(status_json(statuses))
    else:
        click.echo(render_status(statuses))


# ------------------------------------------------------------------ score / demo (issue 5)


@main.command("score")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--unit-reports", is_flag=True, help="同时为每个有任务的单位写一份反馈表（3-输出/单位反馈/）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出总分、一级指标、结论和原因。")
def score_command(directory, unit_reports, as_json):
    """评分：按最近一次 collect 合并的结果（取自回收台账，不重新读取回收文件）应用评分核定，写出 3-输出/评分汇总表.xlsx。

    汇总表含 总览（总分与各一级指标得分率对照合格线、结论及原因、图表）、指标得分、差距清单、
    单位进度、问题清单、填报明细、佐证材料；总览中的合计与结论是公式，改动 指标得分 的核定得分后会自动重算。

    是否合格是结果而不是错误：合格与否退出码都是 0；工作台无法使用或 评分核定 中有被拒绝的核定时为 1
    （汇总表仍会写出，被拒绝的核定不计入）。

    \b
    示例：zonekit score 新绛创建
          zonekit score 新绛创建 --unit-reports --json
    """
    from zonekit.scorecmd import run_score

    run = run_score(directory, unit_reports=unit_reports)
    if as_json:
        emit_json(run.to_dict())
    else:
        click.echo(run.render())
    exit_with(int(not run.valid))


@main.group("evidence")
def evidence_group():
    """佐证材料：按指标整理各单位报来的图片，供申报时提交。"""


@evidence_group.command("pack")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出佐证材料包的内容。")
def evidence_pack_command(directory, as_json):
    """佐证材料包：回收各单位填报表，把其中的全部图片按一级指标、指标编号整理到 3-输出/佐证材料包/，
    并写出可打印（A4）的 佐证材料索引.xlsx（指标、单位、来源文件和单元格、收到日期、大小、文件名链接）。

    同一图片用在几处就列几处；不在任何指标行上的图片放在「未对应指标」中。每次运行整体替换上一次的材料包，
    不会删除创建办自己放进去的文件。

    \b
    示例：zonekit evidence pack 新绛创建
    """
    from zonekit.evidencepack import pack_evidence

    show(pack_evidence(directory), as_json)


@evidence_group.command("withdraw")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("code", metavar="图片编号")
@click.option("--reason", default="", metavar="理由", help="撤回理由（必填，撤回时）。")
@click.option("--unit", default=None, metavar="单位", help="同一图片由几个单位报送时，指明撤回哪个单位的。")
@click.option("--undo", is_flag=True, help="恢复一张撤回过的图片。")
def evidence_withdraw_command(directory, code, reason, unit, undo):
    """撤回佐证图片：单位在较新的文件中删去的图片、以前各轮收到的图片，默认一直作为佐证保留
    （本轮删去的提示 R307）；单位说明是误传或不应作为佐证时，创建办用本命令登记撤回，
    此后本轮和以后各轮都不再保留、不再提示（score、report 随即不再列出）。

    图片编号：回收登记.xlsx「图片」表或 佐证材料索引.xlsx 中图片哈希值的前 6 位以上。
    图片本身仍存于台账，可用 --undo 恢复。

    \b
    示例：zonekit evidence withdraw 新绛创建 3fa2c1d0 --reason "单位来函：误传的照片"
          zonekit evidence withdraw 新绛创建 3fa2c1d0 --undo
    """
    from zonekit.withdrawals import withdraw_picture

    click.echo(withdraw_picture(directory, code, reason, unit, undo).render())


@main.command("withdraw")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.argument("file", metavar="文件")
@click.option("--reason", default="", metavar="理由", help="撤回理由（撤回时必填），写入回收登记。")
@click.option("--undo", is_flag=True, help="恢复一份撤回过的文件，重新计入。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出撤回结果。")
def withdraw_command(directory, file, reason, undo, as_json):
    """撤回一份回收文件：误放进 2-回收 的草稿、单位来函说明作废的文件等，从此不再计入。

    收到过的文件都记在回收台账中，从 2-回收 删掉并不会让它不计入（删除的文件照常按收到时的内容计）；
    要让它不计入，用本命令登记撤回。撤回后它的数值不再参与合并（同一单位较早一份的值重新生效），
    它的问题和图片也不再列出，单位状态随之改变；回收登记中列为“撤回”，写明理由和日期；
    文件留在 2-回收 中，以后回收也不会再采用。回收登记、合并结果、佐证材料随即按台账重写
    （不读取 2-回收 中的文件），评分汇总表请再运行 zonekit score。--undo 恢复。

    文件：照 回收登记.xlsx「回收文件」表的“文件”列填写（如 2-回收/县统计局-修改稿.xlsx，压缩包中的文件
    写成 2-回收/报送.zip!县统计局.xlsx），也可以写文件的路径，或只写文件名（不重名时）。
    只能撤回本轮的文件；已结束的一轮结果已存档。

    \b
    示例：zonekit withdraw 新绛创建 2-回收/县统计局-修改稿.xlsx --reason "单位来函：此稿数字有误，以初稿为准"
          zonekit withdraw 新绛创建 县统计局-修改稿.xlsx --undo
    """
    from zonekit.withdrawals import withdraw_return

    show(withdraw_return(directory, file, reason, undo), as_json)


@main.command("report")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="覆盖已被修改过的初稿（修改的内容会丢失）。")
def report_command(directory, force):
    """自评报告初稿：评分（同 zonekit score，评分汇总表一并更新），写出 3-输出/自评报告（初稿）.docx。

    报告含封面、目录、创建工作开展情况、自评得分（总分、一级指标、结论及原因）、指标完成情况（逐项得分、
    计分过程、牵头单位和各单位工作进展）、存在的问题和差距、下一步工作、附件：佐证材料目录。
    需创建办自己写的地方标黄写作【请填写：…】。

    初稿被修改过（在 Word、WPS 中编辑保存过）就不会被覆盖：先把它改名，或加 --force 覆盖。
    退出码同 zonekit score：评分核定中有被拒绝的核定时为 1（报告仍会写出）。

    \b
    示例：zonekit report 新绛创建
          zonekit report 新绛创建 --force
    """
    from zonekit.report import write_report

    run = write_report(directory, force=force)
    click.echo(run.render())
    exit_with(int(not run.valid))


@main.group("round")
def round_group():
    """填报轮次：结束本轮并开始新一轮（各单位的填报表预先填入上一轮报送的内容）、查看各轮结果、撤销误开的一轮。"""


@round_group.command("start")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--name", "name", metavar="轮次", help="新一轮的名称，默认顺延（第1轮之后是第2轮）。")
@click.option("--deadline", metavar="日期", help="新一轮的填报截止日期，如 2026-06-30；不写时沿用本轮的（已过则不设）。")
@click.option("--force", is_flag=True, help="2-回收 中有最近一次回收之后放入的文件时，仍然结束本轮（这些文件不计入本轮）。")
def round_start_command(directory, name, deadline, force):
    """结束本轮、开始新一轮：本轮的回收内容、得分、核定得分和回收率存档在回收台账中，工作台的填报轮次顺延
    （第1轮 → 第2轮），并在 1-下发 中为每个单位生成新一轮的填报表，预先填入该单位本轮报送的全部内容（多次报送的
    逐项合并），各单位只需改动有变化的地方。本轮下发的填报表和清单移存到 1-下发/<轮次>/。

    新一轮开始后，上一轮的填报表交回时在回收登记中列为“跳过”，不计入新一轮；评分汇总表的 趋势 表逐轮对比。
    误开了新一轮（新一轮还没有收到填报表）：zonekit round undo 目录。

    \b
    示例：zonekit round start 新绛创建
          zonekit round start 新绛创建 --deadline 2026-09-30
    """
    from zonekit.rounds import start_round
    from zonekit.workbench import parse_date

    try:
        day = parse_date(deadline) if deadline else None
    except ValueError:
        raise click.BadParameter(f"「{deadline}」不是日期，请写成 2026-06-30 的形式。", param_hint="--deadline")
    click.echo(start_round(directory, name, day, force=force).render())


@round_group.command("list")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出各轮的结果。")
def round_list_command(directory, as_json):
    """各轮填报：开始和结束日期、最近回收时间、回收单位、缺数据指标、总分和结论。已结束的轮次按结束时存档的结果，
    进行中的一轮按最近一次回收计算（不重新读取回收文件，不写任何文件）。

    \b
    示例：zonekit round list 新绛创建
    """
    from zonekit.rounds import list_rounds

    show(list_rounds(directory), as_json)


@round_group.command("undo")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="新一轮的填报表已经发出时仍然撤销（请通知收到的单位不要填写）。")
def round_undo_command(directory, force):
    """撤销误开的一轮：上一轮重新打开（照常回收、评分），工作台的填报轮次和填报截止日期改回，1-下发 中放回上一轮的
    填报表和清单。新一轮已经收到可用的填报表时不能撤销；新一轮的填报表已经发出时需加 --force。

    \b
    示例：zonekit round undo 新绛创建
    """
    from zonekit.rounds import undo_round

    click.echo(undo_round(directory, force=force).render())


@main.command("review")
@click.argument("directories", metavar="项目目录...", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), metavar="文件.xlsx",
              help="写出的汇总表，如 汇总.xlsx（不能放在被比较的项目文件夹中）。")
@click.option("--force", is_flag=True, help="项目使用不同的指标体系时仍放在一张表中（各指标体系的指标得分分表列出）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出各项目的结果。")
def review_command(directories, output, force, as_json):
    """多个地区并排比较（省级初审，或市级汇总所辖县区）：每个项目一行——地区、省份、指标体系、轮次、总分、各一级指标
    得分率、结论、回收率、缺数据指标、冲突指标、核定得分项、最近回收日期——按总分排列；另有 指标×地区 得分矩阵
    （色阶）和总分对比图。

    只读取各项目的工作台和回收台账（只读方式打开），不在任何项目文件夹中写文件，也不重新读取回收文件。不是 zonekit
    项目、还没有回收过的文件夹列出原因，不影响其他项目。使用不同指标体系的项目不能直接比较（会说明是哪些），
    确要放在一起时加 --force。

    \b
    示例：zonekit review 新绛县 稷山县 河津市 -o 运城市汇总.xlsx
          zonekit review 各县/* -o 初审汇总.xlsx --json
    """
    from zonekit.review import review

    show(review(directories, output, force=force), as_json)


@main.command("demo")
@click.argument("directory", metavar="[目录]", required=False, type=click.Path(file_okay=False))
def demo_command(directory):
    """演示：为虚构的示范县走完全程——建项目、生成填报表、模拟各单位交回（有迟交、有冲突、
    有错填、有重复报送）、回收、评分，并给出结论和评分汇总表的位置。

    目录默认为当前目录下的 zonekit-demo；不会覆盖不是由 demo 创建的非空目录。

    \b
    示例：zonekit demo
          zonekit demo /tmp/示范县演示
    """
    from zonekit.demo import run_demo

    run = run_demo(directory or "zonekit-demo")
    click.echo(run.render())


# ------------------------------------------------------------------ mail / remind (issue 6)


def _mail_options(command):
    """The options `mail` and `remind` share."""
    for option in reversed((
        click.argument("directory", metavar="项目目录", type=click.Path(exists=True, file_okay=False)),
        click.option("--drafts", is_flag=True, help="写出邮件草稿（.eml），不发送。"),
        click.option("--send", "send_", is_flag=True, help="通过 SMTP 发送。"),
        click.option("--only", multiple=True, metavar="单位", help="只处理这个单位（可重复）。"),
        click.option("--dry-run", is_flag=True, help="只列出将要写出或发送的邮件，不写文件、不发送。"),
        click.option("--resend", is_flag=True, help="连发送记录中已发送成功的也再发一次（仅 --send）。"),
        click.option("--resend-unknown", is_flag=True,
                     help="重发上次“状态不明”的邮件（已核实对方没有收到时用；仅 --send）。"),
        click.option("--timeout", type=click.FloatRange(min=1, max=3600), metavar="秒",
                     help="等待邮件服务器答复的秒数（仅 --send；默认取 基本信息 的「SMTP超时秒数」，未填为 60）。"),
        click.option("--pause", type=click.FloatRange(min=0), metavar="秒",
                     help="两封邮件之间暂停的秒数（仅 --send；默认取 基本信息 的「发送间隔秒数」）。"),
    )):
        command = option(command)
    return command


def _run_mail(directory, drafts, send_, only, dry_run, resend, pause, reminders, resend_unknown=False,
              timeout=None):
    from zonekit import mail
    from zonekit.issues import Report

    if drafts == send_:
        raise click.UsageError("请在 --drafts（写草稿）和 --send（发送）中选一个。")
    if drafts and (resend or resend_unknown or pause is not None or timeout is not None):
        raise click.UsageError("--resend、--resend-unknown、--pause 和 --timeout 只用于 --send。")
    if drafts:
        result = mail.draft_mail(directory, reminders=reminders, only=only, dry_run=dry_run)
        for path in result.written:
            click.echo(f"{'将写出' if dry_run else '已写出'} {path.name}")
        for path in result.removed:
            click.echo(f"{'将删除' if dry_run else '已删除'}过时的草稿 {path.name}")
        if result.plan.issues:
            click.echo(Report(result.plan.issues).render())
        click.echo(f"{'演练：' if dry_run else ''}{len(result.written)} 封邮件草稿，位于 {result.folder}；"
                   f"{len(result.plan.blocking)} 个单位未生成邮件。")
        exit_with(int(not result.ok))

    def show(outcome):
        detail = f"（{outcome.detail}）" if outcome.detail else ""
        click.echo(f"{outcome.unit}［{outcome.purpose}］{outcome.result}{detail} → {', '.join(outcome.to)}")

    def ask_password():
        return mail.env_password() or click.prompt("SMTP 密码或授权码（不会保存）", hide_input=True)

    def confirm(out, row):
        """A message an earlier run left 状态不明: ask the clerk, who can check the mailbox or phone the unit."""
        click.echo(f"{out.unit}［{out.purpose}］{row['时间'].replace('T', ' ')} 发送后没有收到邮件服务器的确认，"
                   "可能已经送达。请在发件邮箱的“已发送”中查看，或打电话问对方是否收到。")
        answer = click.prompt("对方已收到请输入 y（记为已发送）；确实没有收到、现在重发请输入 r；暂不处理直接回车",
                              default="", show_default=False).strip().lower()
        return {"y": mail.CONFIRM_RECEIVED, "r": mail.CONFIRM_RESEND}.get(answer)

    result = mail.send_mail(directory, reminders=reminders, only=only, dry_run=dry_run, resend=resend,
                            resend_unknown=resend_unknown, pause=pause, timeout=timeout, password=ask_password,
                            progress=show, confirm=confirm if sys.stdin.isatty() else None)
    if result.plan.issues:
        click.echo(Report(result.plan.issues).render())
    if dry_run:
        click.echo(f"演练：将发送 {result.count(mail.WOULD_SEND)} 封，跳过 {result.count(mail.SKIPPED)} 封"
                   f"（已发送过）；{len(result.plan.blocking)} 个单位未生成邮件。")
    else:
        click.echo(f"已发送 {result.count(mail.SENT)} 封，跳过 {result.count(mail.SKIPPED)} 封（已发送过），"
                   f"失败 {result.count(mail.FAILED)} 封；{len(result.plan.blocking)} 个单位未生成邮件。"
                   f"发送记录：{result.log}")
    if result.unsure:
        names = "、".join(dict.fromkeys(f"{o.unit}［{o.purpose}］" for o in result.unsure))
        command = "remind" if reminders else "mail"
        click.echo(f"状态不明 {len(result.unsure)} 封：{names}。这些邮件已发出但没有收到服务器的确认，可能已经送达，"
                   f"为免重复没有重发。请在发件邮箱的“已发送”中查看或电话核实：对方已收到的，在交互终端中重新运行"
                   f"本命令按提示确认；确实没有收到的，运行 zonekit {command} {directory} --send --resend-unknown"
                   f"（可加 --only 单位）重发。")
    if result.stopped:
        click.echo(f"错误：{result.stopped}", err=True)
    exit_with(int(not result.ok))


@main.command("mail")
@_mail_options
def mail_command(directory, drafts, send_, only, dry_run, resend, resend_unknown, timeout, pause):
    """给各单位发填报表（用途「下发」的邮件模板）：写邮件草稿，或通过 SMTP 发送。

    每个单位一封：收件人为 单位名单 中的邮箱，附件为该单位的填报表，主题和正文取自 工作台.xlsx 的 邮件模板。

    占位符：{单位} {地区} {截止日期} {期限说明} {联系人} {联系电话} {联系邮箱} {指标数} {附件}（联系人等为创建办的；
    {期限说明} 截止前是"截止日期为…"，过了截止日期是"截止日期…已过，已逾期N天"）。

    --drafts 把草稿写在 1-下发/邮件草稿/，双击即可在 Outlook、Foxmail 中打开、核对、发送。

    --send 的 SMTP 服务器、端口、加密方式（SSL / STARTTLS / 无）、用户名和发件邮箱取自 基本信息。

    密码（授权码）取自环境变量 ZONEKIT_SMTP_PASSWORD，没有则提示输入，不会写进任何文件。

    每次发送都记入项目目录下的 发送记录.csv；重新运行不会重发已发送成功的邮件（除非 --resend）。

    邮件已发出而服务器没有答复（断线或超时）时记为“状态不明”，不会自动重发，以免对方收到两份；下次 --send
    会列出这些单位，请核实后按提示确认，或用 --resend-unknown 重发。

    没有邮箱的单位会列出来。有单位未发出时退出码为 1。

    \b
    示例：
      zonekit mail 项目目录 --drafts
      zonekit mail 项目目录 --send --dry-run
      zonekit mail 项目目录 --send --pause 5
      zonekit mail 项目目录 --send --only 县商务局 --resend
    """
    _run_mail(directory, drafts, send_, only, dry_run, resend, pause, reminders=False, resend_unknown=resend_unknown,
              timeout=timeout)


@main.command("remind")
@_mail_options
def remind_command(directory, drafts, send_, only, dry_run, resend, resend_unknown, timeout, pause):
    """催报：只给填报表未报、逾期或被退回的单位发邮件，再次附上该单位的填报表。

    未报、逾期的单位用「催报」模板；被退回的单位用「退回」模板，其中 {问题清单} 列出退回原因及所在的工作表和单元格（如 指标填报!H12）。

    回收状态取自 zonekit collect 的结果。其余与 zonekit mail 相同；同一封催报发送成功后不会重发，隔几天再催请加 --resend。

    \b
    示例：
      zonekit collect 项目目录
      zonekit remind 项目目录 --drafts
      zonekit remind 项目目录 --send
      zonekit remind 项目目录 --send --resend     # 隔几天再催一次
    """
    _run_mail(directory, drafts, send_, only, dry_run, resend, pause, reminders=True, resend_unknown=resend_unknown,
              timeout=timeout)
