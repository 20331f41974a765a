"""The checklist of each kind of target, each item with the rule it checks.

Items are data: a code (stored on ``ItemResult.item``), the question in the reader's
language, the clause it comes from, whether it takes a measurement (and its unit), and the
severity of a failure. A failed item becomes a ``Finding`` of that severity.

Sources (cited per item):
- 计量法 第九条 (强制检定: in use only when verified) and 第三条 (法定计量单位); 计量法
  第十八条 (the administration inspects the use of instruments);
- 计量违法行为处罚细则 (国家技术监督局令第14号) 第十一条 (使用不合格、未经检定或超过检定周期的
  计量器具) and 第十四条 (破坏计量器具准确度、伪造数据);
- 加油站计量监督管理办法 (质检总局令第35号, 2020 修订) 第五条: the dispensers verified and
  sealed (铅封) and not altered; JJG 443-2015《燃油加油机》: the software version and
  checksum shown by the dispenser match the type approval (型式批准);
- 眼镜制配计量监督管理办法 (2020 修订) 第四条: 焦度计、验光仪、验光镜片箱 verified;
- 集贸市场计量监督管理办法 (质检总局令第17号) 第五条, 第六条: 公平秤 provided by the market,
  traders' scales verified;
- 定量包装商品计量监督管理办法 (总局令第70号, 2023) and JJF 1070: net content;
- 计量法 第三条 and 国务院关于在我国统一实行法定计量单位的命令: units in use.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MINOR, MAJOR = "minor", "major"


@dataclass(frozen=True)
class Item:
    code: str
    question: object
    clause: str
    severity: str = MAJOR
    unit: str = ""  # a measurement is taken (its unit), else ""


VERIFIED = Item(
    "verified",
    _("在用强制检定计量器具均经检定合格且在有效期内"),
    "计量法 第九条；计量违法行为处罚细则 第十一条",
)
UNITS = Item("units", _("使用法定计量单位"), "计量法 第三条", MINOR)

CHECKLISTS: dict[str, tuple[Item, ...]] = {
    "fuel_station": (
        VERIFIED,
        Item("seals", _("加油机铅封完好，无擅自改动、拆装"), "加油站计量监督管理办法 第五条；计量违法行为处罚细则 第十四条"),
        Item(
            "software",
            _("加油机软件版本与校验和与型式批准一致"),
            "JJG 443-2015《燃油加油机》（软件要求）；计量法 第十三条（型式批准）",
        ),
        Item("delivery_error", _("加油量示值误差（现场抽测，%）"), "JJG 443-2015 最大允许误差 ±0.30 %", MAJOR, "%"),
        UNITS,
    ),
    "optician": (
        Item("verified", _("焦度计、验光仪、验光镜片箱经检定合格"), "眼镜制配计量监督管理办法 第四条；计量法 第九条"),
        UNITS,
    ),
    "market": (
        Item("fair_scale", _("市场设置公平秤并经检定合格"), "集贸市场计量监督管理办法 第五条", MINOR),
        Item("verified", _("经营者使用的衡器经检定合格"), "集贸市场计量监督管理办法 第六条；计量法 第九条"),
        UNITS,
    ),
    "prepack_producer": (
        Item(
            "net_content",
            _("抽样商品净含量平均实际含量不低于标注净含量（g）"),
            "定量包装商品计量监督管理办法；JJF 1070",
            MAJOR,
            "g",
        ),
        Item("label", _("净含量标注符合规定"), "定量包装商品计量监督管理办法", MINOR),
        UNITS,
    ),
    "instrument_user": (VERIFIED, UNITS),
}


def checklist(kind: str) -> tuple[Item, ...]:
    return CHECKLISTS.get(kind, (VERIFIED, UNITS))


def item_of(kind: str, code: str) -> Item | None:
    return next((i for i in checklist(kind) if i.code == code), None)
