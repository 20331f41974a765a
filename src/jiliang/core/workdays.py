"""Working days (工作日) for the deadlines the rules count in them: an administrative
licence's acceptance and decision (行政许可法 第三十二、四十二条; 计量标准考核办法) count
working days, not calendar days.

A working day is Monday to Friday, except the public holidays of the State Council's
annual notice, plus the weekend days it makes working days (调休). The notices are data
(``data/public_holidays_cn.json``, a year per notice); for a year no notice covers, only
weekends are skipped, and ``Calendar.covers`` says so, so a caller can show the deadline
as provisional. Pure: dates in, dates out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED = Path(__file__).with_name("data") / "public_holidays_cn.json"


@dataclass(frozen=True)
class Calendar:
    off: frozenset[dt.date] = frozenset()  # holidays that fall on weekdays, and the rest of each break
    on: frozenset[dt.date] = frozenset()  # weekend days worked (调休)
    years: frozenset[int] = frozenset()  # the years a notice covers
    sources: dict[int, str] = field(default_factory=dict)

    def covers(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.on:
            return True
        return day.weekday() < 5 and day not in self.off

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (start itself not counted, as a
        period counted in days begins the next day: 民法典 第二百零一条)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day


def calendar_from(data: dict) -> Calendar:
    off: set[dt.date] = set()
    on: set[dt.date] = set()
    years, sources = set(), {}
    for year, notice in data["years"].items():
        years.add(int(year))
        sources[int(year)] = notice.get("source", "")
        for first, last in notice["off"]:
            day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
            while day <= end:
                off.add(day)
                day += dt.timedelta(days=1)
        on.update(dt.date.fromisoformat(d) for d in notice["on"])
    return Calendar(frozenset(off), frozenset(on), frozenset(years), sources)


def load_calendar(*extra_files: Path | str) -> Calendar:
    """The shipped notices, with the years of ``extra_files`` (same shape) added or replacing."""
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    for path in extra_files:
        data["years"].update(json.loads(Path(path).read_text(encoding="utf-8"))["years"])
    return calendar_from(data)
