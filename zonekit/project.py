"""The project: the region, its units, who answers for which indicator, national benchmarks and settings,
as read from the project workbook (工作台.xlsx). This module holds the model; reading and writing the
workbook lives in ``zonekit.workbench``. Never writes outside the project folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path

from zonekit import layout
from zonekit.scheme import Indicator, Scheme


@dataclass
class Unit:
    name: str
    aliases: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    contact: str = ""
    phone: str = ""
    emails: list[str] = field(default_factory=list)


@dataclass
class Assignment:
    number: str
    leads: list[str] = field(default_factory=list)
    responsibles: list[str] = field(default_factory=list)
    tasks: str = ""
    deadline: str = ""


@dataclass
class Phase:
    name: str
    start: date | None = None
    end: date | None = None
    note: str = ""


@dataclass
class MailSettings:
    host: str = ""
    port: int | None = None
    security: str = "SSL"  # SSL | STARTTLS | 无
    user: str = ""
    sender: str = ""
    sender_name: str = ""
    pause: float = 1.0
    timeout: float = 60.0  # seconds to wait for each server reply; a message left without one is 状态不明


@dataclass
class Target:
    number: str
    data_key: str = ""
    op: str = ">="
    value: Fraction | None = None
    text: str = ""


@dataclass
class Verification:
    number: str
    score: Fraction | None
    reason: str
    by: str = ""
    when: str = ""
    row: int = 0  # row in 评分核定, for messages
    typed: str = ""  # what the clerk typed in 核定得分 when it is not a number (verify refuses the row)
    cells: dict[str, str] = field(default_factory=dict)  # header -> A1 address as found (columns may be reordered)


@dataclass
class Project:
    root: Path
    project_id: str
    region: str
    province: str
    region_class: str
    scheme: Scheme
    years: list[int]
    deadline: date | None = None
    round: str = "第1轮"
    office: str = ""
    contact: str = ""
    phone: str = ""
    email: str = ""
    phases: list[Phase] = field(default_factory=list)
    mail: MailSettings = field(default_factory=MailSettings)
    units: list[Unit] = field(default_factory=list)
    assignments: dict[str, Assignment] = field(default_factory=dict)
    national: dict[tuple[str, int | None], Fraction] = field(default_factory=dict)
    national_sources: dict[tuple[str, int | None], str] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    mail_templates: dict[str, tuple[str, str]] = field(default_factory=dict)  # purpose -> (subject, body)

    # folders
    @property
    def workbook_path(self) -> Path:
        return self.root / layout.PROJECT_WORKBOOK

    @property
    def outgoing(self) -> Path:
        return self.root / layout.OUTGOING_DIR

    @property
    def returned(self) -> Path:
        return self.root / layout.RETURNED_DIR

    @property
    def output(self) -> Path:
        return self.root / layout.OUTPUT_DIR

    def unit(self, name: str) -> Unit:
        for u in self.units:
            if u.name == name:
                return u
        raise KeyError(name)

    def roles_of(self, unit_name: str) -> list[tuple[Indicator, str]]:
        """The unit's indicators in scheme order with its role (牵头 beats 责任 when listed as both)."""
        out = []
        for ind in self.scheme.indicators:
            a = self.assignments.get(ind.number)
            if a is None:
                continue
            if unit_name in a.leads:
                out.append((ind, layout.ROLE_LEAD))
            elif unit_name in a.responsibles:
                out.append((ind, layout.ROLE_RESPONSIBLE))
        return out
