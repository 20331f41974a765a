"""Telemetry from smart instruments: devices and their keys, readings and device events
(bulk written, deduplicated on the device's sequence number), rejected-message counters,
alerts with their workflow, and the credit signals alerts feed to the owner.

On PostgreSQL ``Reading`` and ``DeviceEvent`` are range-partitioned by month on ``ts``
(created by the migration with RunSQL; see ``partitions.py``); their uniqueness is on
(device, seq, ts) because a partitioned table's unique keys must hold the partition key —
the signed message fixes ``ts`` for a given ``seq``, so a redelivered message still
collides. On SQLite they are plain tables (the database runs in WAL mode).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiliang.registry.models import Instrument, Organisation, Region

from .rules import rule_label


def new_device_key() -> str:
    return secrets.token_hex(32)


class Device(models.Model):
    """A smart instrument's telemetry end: the registered instrument, its protocol and the
    per-device HMAC-SHA256 key issued at registration.

    The key is stored as issued (hex), not hashed: verifying an HMAC needs the secret
    itself. Protect the database accordingly (and rotate with ``rotate_key``)."""

    class Protocol(models.TextChoices):
        MQTT = "mqtt", "MQTT"
        NATS = "nats", "NATS JetStream"
        HTTP = "http", "HTTP"
        FILE = "file", _("文件导入")

    code = models.CharField(_("设备编号"), max_length=40, unique=True, help_text=_("used in the topic jiliang/t/<code>/up"))
    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="telemetry_devices", verbose_name=_("计量器具"))
    kind = models.CharField(_("报文类型"), max_length=12, help_text=_("sale, trip, session, reading, scale"))
    protocol = models.CharField(_("接入协议"), max_length=8, choices=Protocol.choices, default=Protocol.MQTT)
    key = models.CharField(_("设备密钥"), max_length=64, default=new_device_key)
    verified_k = models.FloatField(_("检定K值"), null=True, blank=True)
    software_id = models.CharField(_("批准软件版本"), max_length=40, blank=True)
    software_checksum = models.CharField(_("批准软件校验和"), max_length=64, blank=True)
    expected_interval_s = models.FloatField(_("上报周期(秒)"), default=300.0)
    last_seq = models.BigIntegerField(_("最新序号"), default=0)
    last_seen = models.DateTimeField(_("最近上报"), null=True, blank=True)
    last_counter = models.BigIntegerField(_("事件计数器"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("在线监测设备")
        verbose_name_plural = _("在线监测设备")

    def __str__(self):
        return self.code


class Reading(models.Model):
    device = models.ForeignKey(Device, models.DO_NOTHING, db_constraint=False, related_name="+")
    seq = models.BigIntegerField()
    ts = models.DateTimeField()
    kind = models.CharField(max_length=12)
    values = models.JSONField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "seq", "ts"], name="reading_device_seq_unique")]
        verbose_name = _("读数")
        verbose_name_plural = _("读数")


class DeviceEvent(models.Model):
    device = models.ForeignKey(Device, models.DO_NOTHING, db_constraint=False, related_name="+")
    seq = models.BigIntegerField()
    ts = models.DateTimeField()
    code = models.CharField(max_length=40)
    values = models.JSONField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "seq", "ts"], name="event_device_seq_unique")]
        verbose_name = _("设备事件")
        verbose_name_plural = _("设备事件")


class RejectedMessage(models.Model):
    """Counters of rejected messages per reason, device code (as claimed) and day."""

    class Reason(models.TextChoices):
        FORGED = "forged", _("伪造(未知设备)")
        ALTERED = "altered", _("篡改(签名不符)")
        MALFORMED = "malformed", _("格式错误")

    reason = models.CharField(max_length=10, choices=Reason.choices)
    device_code = models.CharField(max_length=40, blank=True)
    day = models.DateField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reason", "device_code", "day"], name="rejected_unique")]


class Alert(models.Model):
    """An early warning (预警): one rule broken by one instrument, with its evidence, routed
    to the administrator of the instrument's region. Repeats of an open alert's rule on
    the same device add to it (``occurrences``) instead of opening new ones."""

    class Status(models.TextChoices):
        NEW = "new", _("待处理")
        TAKEN = "taken", _("已受理")
        CLOSED = "closed", _("已关闭")
        CASE = "case", _("已立案")

    class Severity(models.TextChoices):
        LOW = "low", _("低")
        MEDIUM = "medium", _("中")
        HIGH = "high", _("高")

    instrument = models.ForeignKey(Instrument, models.PROTECT, related_name="alerts", verbose_name=_("计量器具"))
    device = models.ForeignKey(Device, models.PROTECT, null=True, blank=True, related_name="alerts")
    region = models.ForeignKey(Region, models.PROTECT, related_name="telemetry_alerts", verbose_name=_("所在地区"))
    owner = models.ForeignKey(Organisation, models.PROTECT, related_name="telemetry_alerts", verbose_name=_("使用单位"))
    rule = models.CharField(_("规则"), max_length=60)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices)
    evidence = models.JSONField(_("证据"), default=dict)
    occurrences = models.PositiveIntegerField(_("次数"), default=1)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="telemetry_alerts")
    findings = models.TextField(_("现场检查情况"), blank=True)
    message_ts = models.DateTimeField(_("首条报文时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "status"]), models.Index(fields=["device", "rule", "status"])]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")

    def __str__(self):
        return f"{self.rule} {self.instrument_id}"

    @property
    def rule_label(self) -> str:

        return rule_label(self.rule)


class CreditSignal(models.Model):
    """One alert outcome counted toward the owner's credit (信用): confirmed (a case or a
    closed alert with findings), dismissed (closed without findings), or raised."""

    class Outcome(models.TextChoices):
        RAISED = "raised", _("产生预警")
        DISMISSED = "dismissed", _("核查无问题")
        CONFIRMED = "confirmed", _("核查属实")
        CASE = "case", _("立案")

    owner = models.ForeignKey(Organisation, models.PROTECT, related_name="credit_signals")
    alert = models.ForeignKey(Alert, models.CASCADE, related_name="credit_signals")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    weight = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "outcome"])]
