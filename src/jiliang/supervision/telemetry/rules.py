"""What each rule's code means to the people who read alerts (the codes are the rule names
of jiliang.core.detectors)."""

from django.utils.translation import gettext_lazy as _

RULE_LABELS = {
    "fuel.k_factor_change": _("加油机脉冲当量（K值）改变"),
    "fuel.amount_mismatch": _("加油机金额与体积×单价不符"),
    "fuel.tank_reconciliation": _("加油站销量与油罐液位不符"),
    "fuel.nozzle_share": _("油枪销量占比异常"),
    "fuel.lock_reset": _("加油机锁定或复位事件"),
    "taxi.distance_ratio": _("计价器里程与GPS里程不符"),
    "taxi.pulse_burst": _("匀速行驶中里程脉冲突增"),
    "taxi.fare_outlier": _("车费与里程不符"),
    "taxi.k_value": _("计价器K值与检定值不符"),
    "scale.opened_without_unlock": _("计价秤未经授权解锁即被打开"),
    "scale.calibration_without_record": _("计价秤标定改变而无检定记录"),
    "charger.billed_energy": _("充电桩计费电量大于计量电量"),
    "charger.clock_error": _("设备时钟误差超限"),
    "device.clock_error": _("设备时钟误差超限"),
    "utility.past_service_life": _("超过使用期限"),
    "utility.tamper": _("开盖、磁干扰等防作弊事件"),
    "utility.reverse_flow": _("表计读数倒退"),
    "utility.district_balance": _("分区总表与分表不平衡"),
    "any.silence": _("设备应报未报（失联）"),
    "any.peer_drift": _("与同组设备相比发生漂移"),
    "device.software_mismatch": _("软件版本或校验和与批准的不符"),
    "device.counter_unexplained": _("事件计数器的变化无检定记录解释"),
    "device.seal_broken": _("封印破坏"),
    "device.change_without_verification": _("参数变更无对应的检定记录"),
}


def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)
