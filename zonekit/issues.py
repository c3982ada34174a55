"""Problems in user data as records: code, severity, position and a Chinese message that says what to do.

Collected, never raised: a report holds all of them, and the CLI renders it as a table or JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

ERROR = "错误"  # blocks the value or the file
WARNING = "警告"  # informs

# code -> (severity, message template). Each module defines its own codes with define(); tests assert on codes.
MESSAGES: dict[str, tuple[str, str]] = {}


def define(code: str, severity: str, template: str) -> str:
    """Register a message; returns the code so modules can keep it in a constant."""
    if code in MESSAGES and MESSAGES[code] != (severity, template):
        raise ValueError(f"message code {code} defined twice")
    MESSAGES[code] = (severity, template)
    return code


@dataclass
class Issue:
    code: str
    severity: str
    message: str
    file: str = ""
    unit: str = ""
    sheet: str = ""
    cell: str = ""
    value: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR

    def where(self) -> str:
        """'文件 x.xlsx 工作表 指标填报!H12' — the position as a clerk reads it."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet and self.cell:
            parts.append(f"{self.sheet}!{self.cell}")
        elif self.sheet:
            parts.append(self.sheet)
        elif self.cell:
            parts.append(self.cell)
        return " ".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)


SHOWN_CHARS = 300  # of a value quoted in a message; a 40,000-character cell must not become the message
VALUE_CHARS = 2000  # of the value kept beside the message


def clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}…（共{len(text)}字）"


def issue(code: str, *, file="", unit="", sheet="", cell="", value="", **params) -> Issue:
    """Build an Issue from the catalogue; ``params`` fill the template (position fields too)."""
    severity, template = MESSAGES[code]
    fill = dict(file=file, unit=unit, sheet=sheet, cell=cell, value=value, **params)
    fill = {k: clip(v, SHOWN_CHARS) if isinstance(v, str) and len(v) > SHOWN_CHARS else v for k, v in fill.items()}
    return Issue(code, severity, template.format(**fill), str(file), unit, sheet, cell,
                 "" if value is None else clip(value, VALUE_CHARS))


@dataclass
class Report:
    """A list of issues with the verdict derived from them (valid = no blocking issue)."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, item: Issue) -> None:
        self.issues.append(item)

    def extend(self, items) -> None:
        self.issues.extend(items)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.blocking]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.blocking]

    @property
    def valid(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [i.code for i in self.issues]

    def to_json(self) -> str:
        return json.dumps(
            {"valid": self.valid, "errors": len(self.errors), "warnings": len(self.warnings),
             "issues": [i.to_dict() for i in self.issues]},
            ensure_ascii=False, indent=2)

    def render(self) -> str:
        """One line per issue: '[错误 S003] 位置：消息'."""
        lines = []
        for i in self.issues:
            where = i.where()
            lines.append(f"[{i.severity} {i.code}] {where + '：' if where else ''}{i.message}")
        return "\n".join(lines)
