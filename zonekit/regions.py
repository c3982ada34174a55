"""Regional classes (东部/中部/西部/东北) of the 31 provinces, from templates/regions.yaml.

Data only: the division lives in the YAML file; this module never guesses a province it does not know.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from zonekit.errors import ProjectError
from zonekit.layout import normalize_header
from zonekit.scheme import TEMPLATES

REGIONS_FILE = TEMPLATES / "regions.yaml"
_SUFFIX = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|省|市)$")


def short_name(province: str) -> str:
    """'广西壮族自治区' -> '广西', '山西省' -> '山西', '重庆市' -> '重庆'."""
    return _SUFFIX.sub("", normalize_header(province))


@lru_cache(maxsize=1)
def _classes() -> dict[str, str]:
    doc = yaml.safe_load(REGIONS_FILE.read_text(encoding="utf-8"))
    return {short_name(p): cls for cls, provinces in doc.items() for p in provinces}


def region_class(province: str) -> str:
    """The class of a province given by its full or short name; ProjectError when it is not one of the 31."""
    cls = _classes().get(short_name(province))
    if cls is None:
        raise ProjectError(f"无法识别省份「{province}」。请写省级行政区名称（如 山西省、广西壮族自治区），"
                           "或用 --class 直接指定地区类别。")
    return cls
