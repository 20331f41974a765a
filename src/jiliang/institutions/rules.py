"""The capability evaluation's scored items and the target of registered metrologists,
read once from data/evaluation.json (each item with the clause it follows and where the
platform chose)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).with_name("data") / "evaluation.json"


@dataclass(frozen=True)
class Item:
    code: str
    points: float
    label_zh: str
    label_en: str
    basis: str
    method: str

    def label(self, language: str) -> str:
        return self.label_zh if language.startswith("zh") else self.label_en


@dataclass(frozen=True)
class Rules:
    version: int
    basis: str
    items: tuple[Item, ...]
    results: tuple[tuple[str, float], ...]  # (code, min score), highest first
    target: dict
    declaration_months: int

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def result_for(self, score: float) -> str:
        for code, minimum in self.results:
            if score >= minimum:
                return code
        return self.results[-1][0]


@functools.cache
def rules() -> Rules:
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    return Rules(
        version=int(doc["version"]),
        basis=doc["basis"],
        items=tuple(
            Item(i["code"], float(i["points"]), i["label_zh"], i["label_en"], i["basis"], i["method"]) for i in doc["items"]
        ),
        results=tuple((r["code"], float(r["min_score"])) for r in doc["results"]),
        target=doc["target"],
        declaration_months=int(doc["declaration_months"]),
    )
