"""Plain-text views of schemes for the terminal (`zonekit scheme list/show`). Reads schemes, writes nothing."""

from __future__ import annotations

from zonekit.exact import fmt_number
from zonekit.scheme import Scheme, available_schemes, check_scheme, describe_rate


def list_schemes() -> str:
    lines = []
    for path in available_schemes():
        scheme, report = check_scheme(path)
        if scheme is None:
            lines.append(f"{path.stem}\t（无法读取：{report.issues[0].message}）")
            continue
        former = f"（旧名称：{'、'.join(scheme.aliases)}）" if scheme.aliases else ""
        lines.append(f"{scheme.name}{former}\t{scheme.title}\t{len(scheme.indicators)}项指标\t{fmt_number(scheme.total_points)}分"
                     f"\t合格：总分≥{fmt_number(scheme.total_min)}且一级指标得分率≥{describe_rate(scheme.level_rate_min)}")
    return "\n".join(lines) if lines else "（templates/schemes 下没有指标体系文件）"


def _indicator_line(ind, indent: str, detail: bool) -> list[str]:
    rules = "、".join(dict.fromkeys(i.rule.title for i in ind.items))
    lines = [f"{indent}{ind.number:>3}  {ind.name}（{fmt_number(ind.points)}分）［{ind.nature}｜{rules}］"]
    if ind.attainable < ind.points:
        lines[-1] += f"  ⚠ 实际最高{fmt_number(ind.attainable)}分"
    if detail:
        pad = indent + "      "
        lines += [pad + "打分标准：" + ind.criteria.replace("\n", "\n" + pad + "          ")]
        if not ind.single:
            for item in ind.items:
                lines.append(f"{pad}· {item.key} {item.text}（{fmt_number(item.points)}分，{item.rule.title}）")
        if ind.reading:
            lines.append(f"{pad}理解：{ind.reading}")
    return lines


def render_tree(scheme: Scheme, detail: bool = False) -> str:
    former = f"；旧名称 {'、'.join(scheme.aliases)} 仍可使用" if scheme.aliases else ""
    lines = [f"{scheme.title}（{scheme.name}，版本 {scheme.version}{former}）",
             f"合格标准：总分≥{fmt_number(scheme.total_min)}分，且每个一级指标得分率≥{describe_rate(scheme.level_rate_min)}",
             f"共{len(scheme.indicators)}项{scheme.indicator_label}，合计{fmt_number(scheme.total_points)}分", ""]
    for level in scheme.levels:
        lines.append(f"{level.name}（{fmt_number(level.points)}分）")
        inds = scheme.indicators_of(level.name)
        if level.children:
            for child in level.children:
                lines.append(f"  {child.name}（{fmt_number(child.points)}分）")
                for ind in inds:
                    if ind.level2 == child.name:
                        lines += _indicator_line(ind, "    ", detail)
        else:
            for ind in inds:
                lines += _indicator_line(ind, "  ", detail)
    return "\n".join(lines)
