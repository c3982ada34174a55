"""The correction round on the demo, through the CLI as a clerk runs it: a refused return, the reminder, the unit
fixes the one cell and sends the form back, collect again — the unit is 已报 with all its answers and the score
moves. Whether the unit types the fix into the reminder's attachment or into the blank form of the first mail."""

from __future__ import annotations

import email
import email.policy
import io
import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from zonekit import layout
from zonekit.cli import main

TAX = "县税务局"  # the demo's unit that typed 约1.86亿 into a 万元 cell


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("correction") / "示范县"
    assert CliRunner().invoke(main, ["demo", str(root)]).exit_code == 0
    wb = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)  # the office's own address, for the reminders
    for row in wb[layout.SHEET_INFO].iter_rows(min_row=2):
        if row[0].value == layout.INFO_EMAIL:
            row[1].value = "cjb@example.cn"
    wb.save(root / layout.PROJECT_WORKBOOK)
    return root


@pytest.fixture
def demo(demo_root, tmp_path):
    root = tmp_path / "示范县"
    shutil.copytree(demo_root, root)
    return root


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def status_of(root) -> dict[str, str]:
    out = run("status", root, "--json")
    assert out.exit_code == 0, out.output
    return {s["unit"]: s["state"] for s in json.loads(out.output)}


def total(root) -> str:
    out = run("score", root, "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)["total"]


def fix_one_cell(data: bytes) -> bytes:
    """What the unit's clerk does: types 18600 (万元) into the refused cell and saves."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[layout.SHEET_DATA]
    cols = {c.value: c.column for c in ws[layout.HEADER_ROW] if c.value}
    row = next(r for r in range(layout.HEADER_ROW + 1, ws.max_row + 1)
               if ws.cell(r, cols[layout.DATA_KEY.header]).value == "ecommerce_tax")
    ws.cell(row, cols[layout.DATA_VALUE.header]).value = 18600
    out = io.BytesIO()
    wb.save(out)  # openpyxl stamps the saved time (core.xml modified) with now
    return out.getvalue()


def refused_then_reminded(root) -> bytes:
    """collect (the tax bureau is refused), remind --drafts; returns the workbook attached to its 退回 mail."""
    collected = run("collect", root)
    assert collected.exit_code == 1 and status_of(root)[TAX] == layout.STATE_RETURNED
    reminded = run("remind", root, "--drafts")
    assert reminded.exit_code == 0, reminded.output
    draft = root / layout.OUTGOING_DIR / layout.DRAFTS_DIR / f"退回-{TAX}.eml"
    message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
    (attachment,) = [p for p in message.iter_attachments()]
    return attachment.get_payload(decode=True)


@pytest.mark.parametrize("form", ["reminder attachment", "first mail's blank form"])
def test_correction_round__one_cell_fixed_in_the_form__unit_reported_and_score_moves(demo, form):
    before = total(demo)
    attached = refused_then_reminded(demo)
    if form == "reminder attachment":
        sent = fix_one_cell(attached)
    else:
        blank = next((demo / layout.OUTGOING_DIR).glob(f"*-{TAX}-填报表.xlsx"))
        sent = fix_one_cell(blank.read_bytes())
    (demo / layout.RETURNED_DIR / f"{TAX}-修改后.xlsx").write_bytes(sent)
    collected = run("collect", demo)
    assert collected.exit_code == 0, collected.output
    assert status_of(demo)[TAX] == layout.STATE_REPORTED
    assert float(total(demo)) > float(before)  # 电子商务税收 now counts
    register = openpyxl.load_workbook(demo / layout.OUTPUT_DIR / layout.INTAKE_LOG)
    units = {r[0]: r for r in register[layout.SHEET_INTAKE_UNITS].iter_rows(min_row=2, values_only=True)}
    files = {r[0]: r for r in register[layout.SHEET_INTAKE_FILES].iter_rows(min_row=2, values_only=True)}
    first = files[f"{layout.RETURNED_DIR}/17-{TAX}-填报表.xlsx"]
    merged = openpyxl.load_workbook(demo / layout.OUTPUT_DIR / layout.MERGED)[layout.SHEET_ANSWERS]
    head = [c.value for c in merged[1]]
    tax = [dict(zip(head, r)) for r in merged.iter_rows(min_row=2, values_only=True) if r[head.index("填报单位")] == TAX]
    fixed = next(r for r in tax if r["键"] == "ecommerce_tax")
    assert float(fixed["填报值"]) == 18600 and fixed["文件"].endswith("修改后.xlsx（第2版）")
    if form == "reminder attachment":  # it carried every answer: the new version gives them all
        assert units[TAX][1] == layout.STATE_REPORTED and units[TAX][4] == "共2版；采用第2版"
        assert first[2] == layout.STATUS_SUPERSEDED
        assert {r["文件"].rsplit("（", 1)[-1] for r in tax} == {"第2版）"}
    else:  # the blank form: everything but the fixed cell comes from the first version
        assert units[TAX][1] == layout.STATE_REPORTED and units[TAX][4].startswith("共2版；采用第2版，沿用第1版")
        assert first[2] == layout.STATUS_ADOPTED and first[3].startswith("部分采用")
        assert {r["文件"].rsplit("（", 1)[-1] for r in tax} == {"第1版）", "第2版）"}  # which version each came from


def test_correction_round__register_agrees_with_the_unit_and_prints_landscape(demo):
    run("collect", demo)
    register = openpyxl.load_workbook(demo / layout.OUTPUT_DIR / layout.INTAKE_LOG)
    ws = register[layout.SHEET_INTAKE_FILES]
    head = [c.value for c in ws[1]]
    assert head[:4] == ["文件", "单位", "状态", "原因"] and head[-1] == "SHA-256"
    tax = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == TAX)
    assert tax[2] == layout.STATUS_REFUSED and "约1.86亿" in tax[3]  # as the unit: 退回
    for sheet in register.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9  # A4
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0  # 1 page wide
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"


def test_score__after_collect__no_return_opened_and_collect_outputs_left_as_they_are(demo, monkeypatch):
    import zonekit.collect as collecting

    run("collect", demo)
    outputs = [demo / layout.OUTPUT_DIR / name for name in (layout.INTAKE_LOG, layout.MERGED)]
    before = [(p.read_bytes(), p.stat().st_mtime_ns) for p in outputs]

    def refuse(*args, **kwargs):
        raise AssertionError("score collected again or opened a returned file")

    for name in ("collect", "read_path", "read_return"):  # no collect, not even one finding the folder unchanged
        monkeypatch.setattr(collecting, name, refuse)
    scored = run("score", demo)
    assert scored.exit_code == 0, scored.output
    assert "评分汇总表" in scored.output and [(p.read_bytes(), p.stat().st_mtime_ns) for p in outputs] == before
