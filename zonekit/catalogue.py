"""The data items the shipped schemes already define, found again by the words a new table uses, so an imported
scheme keeps their keys (全国数据 rows and unit workbooks keep working). Reads scheme files, never writes them.

A quantity is reused when its wording names a known item (label, a label a rule gives it, "表中称…" in its note),
when it is the growth rate or national counterpart of a known item, or when the whole sentence it stands in
is worded as in a shipped scheme; otherwise it becomes a new data item for a person to check.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from zonekit.criteria import _GENERIC_NATIONAL, Part, Ref, flat
from zonekit.scheme import available_schemes

_QUALIFIERS = re.compile(r"^(?:创建地区|创建地|本地区|本地|现有|创建期内|近\d+年内?|当年)")
_CALLED = re.compile(r"表中称[“\"']([^”\"']+)[”\"']")
_PUNCT = re.compile(r"[\s,，;；:：。.、()（）“”\"'《》·\-—/]")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SIMILAR = 0.85  # a sentence worded this much like a shipped one reuses that sentence's data items


def canon(name: str) -> str:
    """The form names are compared in: no spaces or qualifiers such as 创建地区/现有, 'A在B中的占比' = 'A占B比重'."""
    text = flat(name).replace("\n", "").strip("。.")
    while True:
        cut = _QUALIFIERS.sub("", text)
        if cut == text:
            break
        text = cut
    text = re.sub(r"在(.+?)中的占比$", r"占\1比重", text)
    return re.sub(r"占(.+?)的?(?:比重|比例|占比)$", r"占\1比重", text)


def _bare(name: str) -> str:
    return re.sub(r"[(（][^()（）]*[)）]", "", canon(name))


@dataclass
class Known:
    scheme: str
    key: str


@dataclass
class Catalogue:
    specs: dict[tuple[str, str], dict] = field(default_factory=dict)  # (scheme, key) -> data_items entry
    names: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # canon name -> {(scheme, key)}
    rate_of: dict[str, str] = field(default_factory=dict)  # level key -> growth-rate key
    level_of: dict[str, str] = field(default_factory=dict)
    national_of: dict[tuple, dict[str, str]] = field(default_factory=dict)  # local value -> {scheme: national key}
    sentences: list[tuple[str, str, str, list[str]]] = field(default_factory=list)  # scheme, text, type, slot keys
    level_names: set[str] = field(default_factory=set)  # first- and second-level names, to mend OCR slips

    def add_name(self, name, scheme: str, key: str) -> None:
        if not isinstance(name, str) or not name.strip():
            return
        for form in {canon(name), _bare(name)}:
            if form:
                self.names.setdefault(form, set()).add((scheme, key))

    def by_name(self, name: str) -> Known | None:
        """The one key a name means (None when unknown or when two keys share it)."""
        for form in (canon(name), _bare(name)):
            found = self.names.get(form, set())
            if len({k for _, k in found}) == 1:
                scheme, key = max(found)  # the newest scheme's wording and note when several share the key
                return Known(scheme, key)
        return None


def slots(spec) -> list:
    """The data-item places of a rule in a fixed order (keys in a scheme file, Refs in a reading)."""
    if not isinstance(spec, dict):
        return []
    kind = spec.get("type")
    if kind == "yearly_compare":
        return value_slots(spec.get("local")) + value_slots(spec.get("benchmark"))
    if kind == "bands":
        return value_slots(spec.get("value"))
    if kind == "count":
        count = spec.get("count") or {}
        return [count.get("list") or count.get("item")]
    if kind == "weighted_count":
        return [w.get("item") for w in spec.get("weights") or []]
    if kind == "conditions":
        parts = spec.get("all") or spec.get("any") or []
        return [s for p in parts if "claim" not in p for s in value_slots(p.get("value")) + value_slots(p.get("than"))]
    return []


def value_slots(value) -> list:
    if not isinstance(value, dict):
        return []
    if "item" in value:
        return [value["item"]]
    if "ratio" in value:
        return list(value["ratio"])
    if "growth" in value:
        growth = value["growth"]
        return [growth.get("rate"), growth.get("level")]
    return []


def _values(rule: dict) -> list:
    """The value forms of a rule (local, benchmark, value, than …), for growth pairs."""
    out = [rule.get("local"), rule.get("benchmark"), rule.get("value")]
    for part in rule.get("all") or rule.get("any") or []:
        out += [part.get("value"), part.get("than")]
    return [v for v in out if isinstance(v, dict)]


def signature(value) -> tuple | None:
    """What a local value is, by keys: ('item', k), ('ratio', a, b) or ('growth', level)."""
    def key(x):
        return x.key if isinstance(x, Ref) else x
    if not isinstance(value, dict):
        return None
    if "item" in value:
        return ("item", key(value["item"]))
    if "ratio" in value:
        return ("ratio", *map(key, value["ratio"]))
    if "growth" in value:
        return ("growth", key(value["growth"].get("level")))
    return None


def build_catalogue(docs: list[dict]) -> Catalogue:
    """The catalogue of the given scheme documents (as loaded from YAML)."""
    cat = Catalogue()
    for doc in docs:
        scheme = str(doc.get("name", ""))
        for level in doc.get("levels") or []:
            cat.level_names.add(str(level.get("name", "")))
            cat.level_names.update(str(c.get("name", "")) for c in level.get("children") or [])
        for key, spec in (doc.get("data_items") or {}).items():
            spec = dict(spec or {})
            cat.specs[(scheme, key)] = spec
            cat.add_name(spec.get("label"), scheme, key)
            for called in _CALLED.findall(str(spec.get("note", ""))):
                cat.add_name(called, scheme, key)
        for ind in doc.get("indicators") or []:
            items = [{"text": ind.get("criteria", ""), "rule": ind["rule"]}] if "rule" in ind else ind.get("items") or []
            for item in items:
                rule = item.get("rule") or {}
                _learn(cat, scheme, rule)
                keys = slots(rule)
                if keys:
                    cat.sentences.append((scheme, _plain(item.get("text", "")), rule.get("type"), keys))
    return cat


def _learn(cat: Catalogue, scheme: str, rule: dict) -> None:
    """Names rules give their items, growth pairs, and national counterparts of local values."""
    def values():
        if rule.get("type") == "yearly_compare":
            yield rule.get("local"), rule.get("benchmark"), None
        elif rule.get("type") == "bands":
            yield rule.get("value"), None, rule.get("label")
        for part in rule.get("all") or rule.get("any") or []:
            if "claim" not in part:
                yield part.get("value"), part.get("than"), part.get("label")

    for local, benchmark, label in values():
        for value, name in ((local, label), (benchmark, None)):
            if not isinstance(value, dict):
                continue
            name = value.get("label") or name
            if "item" in value:
                cat.add_name(name, scheme, value["item"])
            if "growth" in value:
                growth = value["growth"]
                if growth.get("rate"):
                    cat.add_name(name, scheme, growth["rate"])
                    cat.rate_of.setdefault(growth["level"], growth["rate"])
                    cat.level_of.setdefault(growth["rate"], growth["level"])
        if isinstance(benchmark, dict) and "item" in benchmark:
            national = cat.specs.get((scheme, benchmark["item"]), {})
            sig = signature(local)
            if national.get("source") == "national" and sig:
                cat.national_of.setdefault(sig, {})[scheme] = benchmark["item"]


def _plain(text: str) -> str:
    return _PUNCT.sub("", flat(text))


@lru_cache(maxsize=1)
def shipped_catalogue() -> Catalogue:
    docs = []
    for path in available_schemes():
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # a broken scheme file is reported by scheme check, not here
        if isinstance(doc, dict):
            docs.append(doc)
    return build_catalogue(docs)


# ---------------------------------------------------------------- naming the quantities of a reading


@dataclass
class Naming:
    """Keys given to the quantities of a whole table, and the data_items entries they need."""

    catalogue: Catalogue
    data_items: dict[str, dict] = field(default_factory=dict)
    reused: dict[str, str] = field(default_factory=dict)  # key -> scheme it comes from
    new: dict[str, str] = field(default_factory=dict)  # canon phrase (+ national flag) -> new key

    def name_part(self, part: Part, number: str) -> None:
        refs = [r for r in slots(part.rule) if isinstance(r, Ref)]
        for ref in sorted(refs, key=lambda r: r.national):  # national counterparts need their local keys first
            if ref.national:
                self._pair_growth(part.rule)
            self._by_words(ref)
        self._pair_growth(part.rule)
        if any(r.key is None for r in refs):
            self._by_sentence(part, refs)
            self._pair_growth(part.rule)
        for ref in refs:
            if ref.key is None:
                self._create(ref, number)
            self._use(ref)

    def _compatible(self, ref: Ref, known: Known) -> bool:
        spec = self.catalogue.specs.get((known.scheme, known.key)) or self._any_spec(known.key)
        if spec is None:
            return False
        if (spec.get("source") == "national") != ref.national or spec.get("kind", "number") != ref.kind:
            return False
        if bool(spec.get("per_year")) != ref.per_year:
            return False
        return not ref.unit or (ref.unit == "%") == (spec.get("unit") == "%")

    def _any_spec(self, key: str):
        return next((s for (_, k), s in self.catalogue.specs.items() if k == key), None)

    def _take(self, ref: Ref, known: Known | None, how: str) -> bool:
        if known and self._compatible(ref, known):
            ref.key, ref.found = known.key, how.format(scheme=known.scheme)
            self.reused.setdefault(known.key, known.scheme)
            return True
        return False

    def _by_words(self, ref: Ref) -> None:
        cat = self.catalogue
        if ref.key:
            return
        if ref.national and isinstance(ref.peer, dict):
            found = cat.national_of.get(signature(ref.peer), {})
            local = [self.reused.get(r.key) for r in value_slots(ref.peer) if isinstance(r, Ref)]
            scheme = next((s for s in local if s in found), max(found, default=None))  # the local item's scheme
            if scheme and self._take(ref, Known(scheme, found[scheme]), "沿用{scheme}版的全国数据项（本地数据项的全国对应值）"):
                return
            if flat(ref.phrase)[2:] in _GENERIC_NATIONAL:
                return  # "全国平均水平" alone names nothing
        for name in (ref.phrase, *ref.candidates):
            if self._take(ref, cat.by_name(name), "沿用{scheme}版的数据项（名称相同）"):
                return

    def _by_sentence(self, part: Part, refs: list[Ref]) -> None:
        """The part is worded as a shipped sentence with the same rule: its open places take that one's keys."""
        mine, kind = _plain(part.text), part.rule.get("type")
        best, score = None, SIMILAR
        for scheme, text, their_kind, keys in self.catalogue.sentences:
            if their_kind != kind or len(keys) != len(refs):
                continue
            matcher = difflib.SequenceMatcher(None, mine, text, autojunk=False)
            if matcher.quick_ratio() >= score and matcher.ratio() >= score:
                best, score = (scheme, keys), matcher.ratio()
        if best is None:
            return
        scheme, keys = best
        for ref, key in zip(refs, keys):
            if ref.key is None and key not in {r.key for r in refs}:
                self._take(ref, Known(scheme, key), "沿用{scheme}版的数据项（所在句子措辞相同）")

    def _pair_growth(self, rule: dict) -> None:
        """A growth rate and its level name each other: 快递业务量 → 快递业务量同比增速."""
        for value in _values(rule):
            growth = value.get("growth") if isinstance(value, dict) else None
            if not growth:
                continue
            rate, level = growth.get("rate"), growth.get("level")
            if rate.key is None and level.key in self.catalogue.rate_of:
                key = self.catalogue.rate_of[level.key]
                self._take(rate, Known(self.reused.get(level.key, ""), key), "沿用{scheme}版的数据项（增速与总量成对）")
            if level.key is None and rate.key in self.catalogue.level_of:
                key = self.catalogue.level_of[rate.key]
                self._take(level, Known(self.reused.get(rate.key, ""), key), "沿用{scheme}版的数据项（增速与总量成对）")

    def _create(self, ref: Ref, number: str) -> None:
        ident = (canon(ref.phrase), ref.national, ref.kind)
        if ident in self.new:
            ref.key, ref.found = self.new[ident], "本表新建（与前面的指标共用）"
            return
        base = f"item{number.replace('.', '_')}"
        n = 1 + sum(1 for k in self.data_items if k.startswith(base + "_"))
        key = f"{base}_{n}"
        label = ref.phrase
        if ref.national and isinstance(ref.peer, dict) and flat(ref.phrase)[2:] in _GENERIC_NATIONAL:
            peer = value_slots(ref.peer)[0]
            label = f"{peer.phrase}的{ref.phrase}" if isinstance(peer, Ref) else ref.phrase
        self.data_items[key] = {
            "label": label.replace("\n", ""), "unit": ref.unit, "per_year": ref.per_year,
            "source": "national" if ref.national else "region",
            **({"kind": "list"} if ref.kind == "list" else {}),
            "note": ref.note or "由 zonekit scheme import 按原表新建，请核对名称和单位"}
        self.new[ident] = key
        ref.key, ref.found = key, "新建数据项，须核对名称和单位"

    def _use(self, ref: Ref) -> None:
        if ref.key in self.data_items:
            return
        scheme = self.reused.get(ref.key)
        spec = self.catalogue.specs.get((scheme, ref.key)) or self._any_spec(ref.key)
        self.data_items[ref.key] = dict(spec)
