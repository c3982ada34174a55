"""The in-memory answer set that scoring consumes, independent of any workbook layout.

Intake fills it from returned workbooks; tests and the library API build it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass
class ListEntry:
    """One row of a list data item, e.g. a newly qualifying firm and its annual sales (万元)."""

    name: str
    amount: Fraction | None
    year: int | None = None


@dataclass
class Answers:
    values: dict[tuple[str, int | None], Fraction] = field(default_factory=dict)  # (data item, year or None)
    lists: dict[str, list[ListEntry]] = field(default_factory=dict)
    claims: dict[str, bool] = field(default_factory=dict)  # sub-item key ("12.1") -> 是 / 否
    judged: dict[str, Fraction] = field(default_factory=dict)  # indicator or item key -> self/expert score

    def value(self, key: str, year: int | None) -> Fraction | None:
        return self.values.get((key, year))
