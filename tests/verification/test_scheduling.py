"""Scheduling: due and overdue lists, staged reminders sent once and re-armed when the due
date moves, escalation of overdue instruments to the region's administration, and the
end-of-life replacement list."""

import datetime as dt

import pytest
from django.test import override_settings

from jiliang.verification import scheduling
from jiliang.verification.models import Notice, Reminder
from tests.catalog import PRICE_SCALE, SPHYGMOMANOMETER, WATER_METER

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def due_soon(province):
    p = province
    p.scale = p.instrument("330102", PRICE_SCALE)
    p.verify(p.scale, p.today - 300 * DAY, p.today + 45 * DAY)
    return p


def test_reminders_are_sent_once_per_stage_and_rearmed_when_the_due_date_moves(due_soon):
    p = due_soon
    due = p.today + 45 * DAY
    assert scheduling.send_reminders(p.today) == 1  # 45 days left: the 60-day stage
    assert scheduling.send_reminders(p.today) == 0  # never twice
    assert scheduling.send_reminders(p.today + 5 * DAY) == 0  # 40 days left: still the 60-day stage
    assert scheduling.send_reminders(p.today + 20 * DAY) == 1  # 25 days left: the 30-day stage
    assert scheduling.send_reminders(p.today + 40 * DAY) == 1  # 5 days left: the 7-day stage
    assert list(Reminder.objects.order_by("-stage").values_list("stage", "due_on", "recipient")) == [
        (60, due, p.enterprise["330102"].id),
        (30, due, p.enterprise["330102"].id),
        (7, due, p.enterprise["330102"].id),
    ]
    # Verified again: the new due date arms every stage again.
    p.verify(p.scale, p.today + 41 * DAY, p.today + 400 * DAY)
    assert scheduling.send_reminders(p.today + 41 * DAY) == 0  # 359 days left
    assert scheduling.send_reminders(p.today + 345 * DAY) == 1
    assert Reminder.objects.filter(due_on=p.today + 400 * DAY).get().stage == 60


def test_reminder_stages_are_a_setting(due_soon):
    p = due_soon
    with override_settings(JILIANG_REMINDER_STAGES=[90, 14]):
        assert scheduling.send_reminders(p.today) == 1
    assert Reminder.objects.get().stage == 90
    with override_settings(JILIANG_REMINDER_STAGES=[0]), pytest.raises(ValueError, match="JILIANG_REMINDER_STAGES"):
        scheduling.send_reminders(p.today)


def test_due_and_overdue_lists(due_soon):
    p = due_soon
    late = p.instrument("330106", SPHYGMOMANOMETER)
    p.verify(late, p.today - 400 * DAY, p.today - 36 * DAY)
    never = p.instrument("330203", PRICE_SCALE, installed=p.today - 10 * DAY)
    p.instrument("330102", PRICE_SCALE, status="stopped")
    summary = scheduling.due_list(p.today, days=30)
    assert (summary.overdue, summary.due, summary.replacement) == (2, 0, 0)
    assert [(i["code"], i["days_left"], i["kind"]) for i in summary.instruments] == [
        (late.code, -36, "overdue"),
        (never.code, -10, "overdue"),
    ]
    wider = scheduling.due_list(p.today, days=60)
    assert (wider.overdue, wider.due) == (2, 1)
    assert {r["code"]: (r["overdue"], r["due"]) for r in wider.by_region} == {
        "330102": (0, 1),
        "330106": (1, 0),
        "330203": (1, 0),
    }
    assert scheduling.due_list(p.today, days=60, region_code="330100").to_json()["overdue"] == 1
    with pytest.raises(ValueError, match="days"):
        scheduling.due_list(p.today, days=-1)


def test_overdue_is_escalated_once_to_the_regions_administration(due_soon):
    p = due_soon
    late = p.instrument("330102", PRICE_SCALE)
    p.verify(late, p.today - 400 * DAY, p.today - 3 * DAY)
    haishu = p.instrument("330203", PRICE_SCALE)
    p.verify(haishu, p.today - 400 * DAY, p.today - 3 * DAY)
    assert scheduling.escalate_overdue(p.today) == 2
    assert scheduling.escalate_overdue(p.today + DAY) == 0
    notices = {n.instrument_id: n for n in Notice.objects.filter(kind="overdue")}
    assert notices[late.id].addressee == p.admin["330102"]
    assert notices[haishu.id].addressee == p.admin["330200"]  # no county bureau: the city's
    assert notices[late.id].due_on == p.today - 3 * DAY


def test_end_of_life_replacement_list(province):
    p = province
    meter = p.instrument("330102", WATER_METER)
    p.verify(meter, p.today - 6 * 365 * DAY, p.today + 20 * DAY)  # water meter: six years of life
    scale = p.instrument("330102", PRICE_SCALE)
    p.verify(scale, p.today - 300 * DAY, p.today + 20 * DAY)
    assert scheduling.replacement_list(p.today, days=30) == [meter.id]
    summary = scheduling.due_list(p.today, days=30)
    assert (summary.due, summary.replacement) == (1, 1)
