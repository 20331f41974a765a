"""Working-day deadlines against the State Council's notice for 2026 (国务院办公厅关于2026年
部分节假日安排的通知, 2025-11-04): its breaks are skipped and its 调休 weekend days count."""

import datetime as dt
import json

import pytest

from jiliang.core.workdays import load_calendar

D = dt.date


@pytest.fixture(scope="module")
def calendar():
    return load_calendar()


def test_the_national_day_break_is_skipped_and_its_saturday_worked(calendar):
    # Wednesday 30 September + 5: 1–7 October off, Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13.
    assert calendar.add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert calendar.is_working_day(D(2026, 10, 10)) and not calendar.is_working_day(D(2026, 10, 5))


def test_the_spring_festival_break_of_nine_days(calendar):
    # Saturday 14 February is worked; 15–23 February off; Saturday 28 February worked.
    assert calendar.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert calendar.add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert calendar.add_working_days(D(2026, 2, 27), 1) == D(2026, 2, 28)


def test_a_year_without_a_notice_skips_weekends_only_and_says_so(calendar, tmp_path):
    assert not calendar.covers(D(2027, 1, 1)) and calendar.covers(D(2026, 1, 1))
    assert calendar.add_working_days(D(2027, 1, 1), 1) == D(2027, 1, 4)  # Friday → Monday
    notice = {"years": {"2027": {"source": "test", "off": [["2027-01-01", "2027-01-03"]], "on": []}}}
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(notice), encoding="utf-8")
    extended = load_calendar(path)
    assert extended.covers(D(2027, 1, 1)) and extended.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert extended.add_working_days(D(2026, 12, 30), 1) == D(2026, 12, 31)


def test_zero_days_is_the_day_itself_and_negative_is_refused(calendar):
    assert calendar.add_working_days(D(2026, 3, 2), 0) == D(2026, 3, 2)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2026, 3, 2), -1)
