"""The server-rendered SVG charts: geometry proportional to the data, accessible, escaped."""

from __future__ import annotations

import pytest
from django.utils.safestring import SafeString
from lxml import etree

from jiliang.charts import bar_chart, format_value, month_chart, nice_max

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> etree._Element:
    # Strict XML parsing: an unescaped "<" or "&" in a label would fail here.
    return etree.fromstring(svg.encode())


def bars(root) -> list[etree._Element]:
    return [r for r in root.iter(f"{SVG}rect") if "chart-bar" in r.get("class", "").split()]


def test_nice_max_and_format():
    assert [nice_max(v) for v in (0.7, 1, 3, 87, 90, 101, 2400)] == [1, 1, 5, 100, 100, 200, 2500]
    assert nice_max(0) == 1
    assert format_value(92.5, "%") == "92.5%"
    assert format_value(12, "kg") == "12 kg"
    assert format_value(30, "件") == "30件"
    assert format_value(None) == "—"


def test_horizontal_bar_widths_are_proportional_and_target_sits_on_its_value():
    svg = bar_chart(["杭州市", "宁波市", "温州市"], [95, 47.5, 0], target=90, title="覆盖率", unit="%", max_value=100)
    assert isinstance(svg, SafeString)
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "覆盖率"
    assert root.find(f"{SVG}title").text == "覆盖率"
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 640 ")
    rects = bars(root)
    widths = [float(r.get("width")) for r in rects]
    assert widths[2] == 0
    assert widths[0] / widths[1] == pytest.approx(95 / 47.5, rel=1e-3)
    # All bars start at the same x (the axis); the full axis (100) spans x0 … x0 + plot_w.
    x0 = float(rects[0].get("x"))
    assert {float(r.get("x")) for r in rects} == {x0}
    plot_w = widths[0] / 0.95
    target = root.find(f".//{SVG}line[@class='chart-target']")
    assert target.get("stroke-dasharray")
    assert float(target.get("x1")) == pytest.approx(x0 + 0.9 * plot_w, abs=0.02)
    assert target.get("x1") == target.get("x2")  # vertical across the rows
    # Bars below the target carry a class of their own; the one above does not.
    assert [("chart-below" in r.get("class")) for r in rects] == [False, True, True]
    # Every value is written out as text, not only drawn.
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"]
    assert values == ["95%", "47.5%", "0%"]
    desc = root.find(f"{SVG}desc").text
    assert "杭州市: 95%" in desc and "90%" in desc


def test_vertical_bar_heights_are_proportional_and_share_a_baseline():
    root = parse(bar_chart(["a", "b", "c", "d"], [10, 20, 40, 5], target=25, orientation="vertical"))
    rects = bars(root)
    heights = [float(r.get("height")) for r in rects]
    assert [h / heights[0] for h in heights] == pytest.approx([1, 2, 4, 0.5], rel=1e-3)
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 2) for r in rects}
    assert len(bottoms) == 1
    (base,) = bottoms
    # Axis auto-rounds to 50 (nice_max of 40): the target at 25 is halfway up the plot.
    plot_h = heights[2] / (40 / 50)
    target = root.find(f".//{SVG}line[@class='chart-target']")
    assert float(target.get("y1")) == pytest.approx(base - 25 / 50 * plot_h, abs=0.02)
    assert target.get("y1") == target.get("y2")


def test_values_above_max_value_are_clipped_but_labelled_truly():
    root = parse(bar_chart(["x", "y"], [150, 50], max_value=100))
    w = [float(r.get("width")) for r in bars(root)]
    assert w[0] == pytest.approx(2 * w[1], rel=1e-3)  # 150 drawn as 100
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"] == ["150", "50"]


def test_labels_and_title_are_escaped():
    evil = '<script>alert("x")</script> & Co'
    svg = str(bar_chart([evil], [1], title='A "quoted" <b>title</b>'))
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)  # still well-formed XML
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-label"]
    assert labels == [evil]
    assert root.get("aria-label") == 'A "quoted" <b>title</b>'
    msvg = str(month_chart(["2025-01"], {evil: [3]}))
    assert "<script>" not in msvg
    assert parse(msvg).find(f".//{SVG}g[@data-series]").get("data-series") == evil


def test_missing_values_draw_no_bar():
    root = parse(bar_chart(["a", "b"], [None, 4]))
    assert len(bars(root)) == 1
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"] == ["—", "4"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bar_chart(["a", "b"], [1]), "values: 1 个数值对应 2 个标签"),
        (lambda: bar_chart(["a"], [-1]), "values[0]: 负值"),
        (lambda: bar_chart(["a"], ["x"]), "values[0]: 不是数字"),
        (lambda: bar_chart(["a"], [float("nan")]), "values[0]: 不是有限数值"),
        (lambda: bar_chart(["a"], [1], max_value=0), "max_value"),
        (lambda: bar_chart(["a"], [1], orientation="diagonal"), "orientation"),
        (lambda: month_chart(["1", "2"], {"due": [1]}), "series['due']: 1 个数值对应 2 个月"),
        (lambda: month_chart(["1"], {"due": [1]}, kind="pie"), "kind"),
    ],
)
def test_bad_input_names_the_field(call, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_bad_input_is_refused_in_chinese_and_in_english():
    from django.utils import translation

    for language, expected in (("zh-hans", "values[0]: 不是数字：'x'"), ("en", "values[0]: not a number: 'x'")):
        with translation.override(language), pytest.raises(ValueError) as refused:
            bar_chart(["a"], ["x"])
        assert str(refused.value) == expected


def test_empty_data_renders_a_placeholder():
    for svg in (bar_chart([], [], title="空"), month_chart([], {}, title="空")):
        root = parse(svg)
        assert root.get("aria-label") == "空"
        assert root.find(f".//{SVG}text[@class='chart-empty']") is not None


def test_month_chart_grouped_bars_are_proportional_and_classed_by_series():
    months = ["2025-01", "2025-02", "2025-03"]
    root = parse(month_chart(months, {"到期": [10, 20, 30], "逾期": [5, 0, 15]}, title="到期与逾期"))
    groups = root.findall(f".//{SVG}g[@data-series]")
    assert [g.get("data-series") for g in groups] == ["到期", "逾期"]
    assert "chart-series-0" in groups[0].get("class") and "chart-series-1" in groups[1].get("class")
    due = [float(r.get("height")) for r in groups[0].iter(f"{SVG}rect")]
    overdue = [float(r.get("height")) for r in groups[1].iter(f"{SVG}rect")]
    assert [h / due[0] for h in due] == pytest.approx([1, 2, 3], rel=1e-3)
    assert overdue[0] == pytest.approx(due[0] / 2, rel=1e-3) and overdue[1] == 0
    # Within a month the second series sits right of the first.
    xs0 = [float(r.get("x")) for r in groups[0].iter(f"{SVG}rect")]
    xs1 = [float(r.get("x")) for r in groups[1].iter(f"{SVG}rect")]
    assert all(b > a for a, b in zip(xs0, xs1, strict=True))
    assert [t.text for t in root.iter(f"{SVG}text") if "chart-month" in (t.get("class") or "")] == months
    # Legend names both series.
    legend = [t.text for t in root.find(f".//{SVG}g[@class='chart-legend']").iter(f"{SVG}text")]
    assert legend == ["到期", "逾期"]


def test_month_chart_lines_break_at_missing_months():
    months = [f"2025-{m:02d}" for m in range(1, 7)]
    root = parse(month_chart(months, {"证书": [1, 2, None, 4, 8, 16]}, kind="lines"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2  # Jan–Feb, then Apr–Jun
    pts = [tuple(map(float, p.split(","))) for p in lines[1].get("points").split()]
    # nice_max(16) = 20; heights above the baseline are proportional to 4, 8, 16.
    base = max(float(line.get("y1")) for line in root.iter(f"{SVG}line") if line.get("class") == "chart-axis")
    heights = [base - y for _, y in pts]
    assert [h / heights[0] for h in heights] == pytest.approx([1, 2, 4], rel=1e-3)
    assert len(list(root.iter(f"{SVG}circle"))) == 5


def test_many_months_thin_out_their_labels():
    months = [f"2020-{m:02d}" for m in range(1, 13)] * 5  # 60 months
    root = parse(month_chart(months, {"n": [1] * 60}))
    shown = [t for t in root.iter(f"{SVG}text") if "chart-month" in (t.get("class") or "")]
    assert 4 <= len(shown) < 60
