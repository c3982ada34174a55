"""Shared fixtures: a Project built in memory (no project workbook needed) and the `office` marker.

Owned by the issue-3 generate work; ask its owner to add fixtures here.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from zonekit import layout
from zonekit.project import Assignment, Project, Unit
from zonekit.scheme import load_scheme

# 单位名单 of a small county: name, contact, phone, email
UNITS = (
    ("县市场监管局", "王芳", "0359-7521001", "scjgj@example.cn"),
    ("县商务局", "李强", "0359-7521002", "swj@example.cn"),
    ("县统计局", "赵敏", "0359-7521003", "tjj@example.cn"),
    ("县税务局", "孙磊", "0359-7521004", "swju@example.cn"),
    ("县人社局", "周静", "0359-7521005", "rsj@example.cn"),
    ("县档案馆", "吴刚", "0359-7521006", "dag@example.cn"),  # listed but given nothing to do
)

# 任务分解 for scheme 2022: number -> (牵头单位, 责任单位); every other indicator is left without a unit
ASSIGNMENTS_2022 = {
    "1": (["县商务局"], ["县统计局"]),
    "3": (["县市场监管局"], ["县统计局"]),
    "4": (["县商务局"], []),
    "7": (["县人社局"], ["县统计局"]),
    "8": (["县税务局"], []),
    "9": (["县市场监管局"], []),
    "10": (["县商务局"], []),
    "11": (["县市场监管局"], []),
    "12": (["县市场监管局"], ["县商务局", "县税务局"]),
    "16": (["县市场监管局"], []),
    "25": (["县市场监管局"], ["县商务局"]),
}

ASSIGNMENTS_2025 = {
    "3": (["县市场监管局"], ["县统计局"]),
    "19": (["县商务局"], ["县市场监管局"]),
    "9": (["县市场监管局"], []),
}


def make_project(tmp_path: Path, scheme: str = "2022", units=UNITS, assignments=None, **fields) -> Project:
    """A Project as the workbench would return it, rooted at ``tmp_path`` (nothing is written)."""
    if assignments is None:
        assignments = ASSIGNMENTS_2022 if scheme == "2022" else ASSIGNMENTS_2025
    settings = dict(project_id="XJ-2024", region="新绛县", province="山西省", region_class="中部",
                    scheme=load_scheme(scheme), years=[2023, 2024], deadline=date(2024, 6, 30),
                    office="新绛县示范区创建办", contact="刘洋", phone="0359-7520000", email="cjb@example.cn")
    settings.update(fields)
    return Project(
        root=Path(tmp_path),
        units=[Unit(name, contact=contact, phone=phone, emails=[email]) for name, contact, phone, email in units],
        assignments={number: Assignment(number, list(leads), list(resps))
                     for number, (leads, resps) in assignments.items()},
        **settings)


@pytest.fixture(name="make_project", scope="session")
def make_project_fixture():
    """The make_project(tmp_path, scheme="2022", units=…, assignments=…, **fields) helper."""
    return make_project


def read_identity(path) -> dict[str, str]:
    """The identity of a .xlsx as the custom properties say, completed from the hidden sheet."""
    wb = openpyxl.load_workbook(path)
    found = {p.name: str(p.value) for p in wb.custom_doc_props.props if p.name in layout.IDENTITY_KEYS}
    if layout.SHEET_IDENTITY in wb.sheetnames:
        for key, value in wb[layout.SHEET_IDENTITY].iter_rows(max_col=2, values_only=True):
            if key in layout.IDENTITY_KEYS:
                found.setdefault(key, "" if value is None else str(value))
    return found


@pytest.fixture(name="read_identity", scope="session")
def read_identity_fixture():
    """read_identity(path) -> {identity key: value} of a generated (or re-saved) .xlsx."""
    return read_identity


def pytest_configure(config):
    config.addinivalue_line("markers", "office: needs LibreOffice (soffice); skipped when it is missing")


def pytest_collection_modifyitems(config, items):
    if shutil.which("soffice"):
        return
    skip = pytest.mark.skip(reason="LibreOffice (soffice) 未安装")
    for item in items:
        if "office" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def s2022():
    """The 2022 scheme as shipped."""
    return load_scheme("2022")


@pytest.fixture(scope="session")
def s2025():
    """The 2025 draft scheme (征求意见稿 of 2025-10-29) as shipped."""
    return load_scheme("2025")
