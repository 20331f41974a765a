"""Issue 17 §8: an inspection is judged by the JJF 1070 edition in force on its sampling
date (JJF 1070-2023 from 2024-10-12, 市场监管总局公告2024年第13号), and the edition is printed
on the page and the report. The 2023 tables are not shipped: a result after that day is
judged provisionally under the 2005 tables and marked so, or refused (a setting)."""

import datetime as dt

import pytest

from jiliang.core import prepack as core


def test_the_edition_in_force_changes_on_the_implementation_date():
    assert core.edition_in_force(dt.date(2024, 10, 11)) == "JJF 1070-2005"
    assert core.edition_in_force(dt.date(2024, 10, 12)) == "JJF 1070-2023"
    before = core.choose_edition(dt.date(2024, 10, 11))
    assert (before.judged_under, before.provisional) == ("JJF 1070-2005", False)
    after = core.choose_edition(dt.date(2026, 12, 7))
    assert (after.judged_under, after.in_force, after.provisional) == ("JJF 1070-2005", "JJF 1070-2023", True)
    assert "JJF 1070-2023 is in force" in after.note


def test_another_edition_than_the_one_in_force_is_refused_with_the_rule():
    with pytest.raises(core.PrepackError, match=r"JJF 1070-2023 \(实施 2024-10-12") as caught:
        core.choose_edition(dt.date(2026, 12, 7), "JJF 1070-2023")  # in force, but its tables are not here
    assert caught.value.field == "edition"
    with pytest.raises(core.PrepackError, match="judged by the edition in force then"):
        core.choose_edition(dt.date(2026, 12, 7), "JJF 1070-2010")
    with pytest.raises(core.PrepackError, match="JJF 1070-2023 is in force on 2026-12-07"):
        core.choose_edition(dt.date(2026, 12, 7), without_tables="refuse")
    assert core.choose_edition(dt.date(2020, 5, 1), "2005").judged_under == "JJF 1070-2005"


@pytest.mark.django_db
def test_an_inspection_today_is_marked_provisional_on_the_page(world, settings):
    from django.template.loader import render_to_string

    inspection = world.task()
    assert inspection.edition == "JJF 1070-2005" and inspection.edition_choice.provisional
    assert inspection.edition_choice.in_force == "JJF 1070-2023"
    inspection.passed = True  # as judged: the result block prints the edition
    html = render_to_string("prepack/_result.html", {"inspection": inspection})
    assert "JJF 1070-2005" in html and "检验日现行版本为 JJF 1070-2023" in html
    settings.JILIANG_PREPACK_WITHOUT_TABLES = "refuse"
    with pytest.raises(core.PrepackError, match="JJF 1070-2023"):
        world.task()
