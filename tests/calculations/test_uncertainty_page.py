"""The uncertainty calculator page (issue 4): build a model, run it, read the budget and
the histogram, download the result; bad input is reported next to the field it names.

Published numbers: GUM (JCGM 100:2008) H.1 end-gauge calibration, u_c = 32 nm,
ν_eff = 16, k = 2.92, U99 = 93 nm (H.1.6), budget table H.1; JCGM 101:2008 §9.2.4, the
additive model whose GUM interval is not validated by Monte Carlo.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest
import yaml
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from lxml import html
from rest_framework.test import APIClient

from jiliang.calculations.api.views import CalculatorThrottle
from jiliang.calculations.examples import EXAMPLES
from jiliang.calculations.histogram import PLOT_H
from jiliang.core.uncertainty import evaluate_document
from tests.core.uncertainty.test_published_examples import END_GAUGE, _additive

pytestmark = pytest.mark.django_db

PAGE = "/uncertainty/"
ROW = "/uncertainty/row/"
DOWNLOAD = "/uncertainty/download/"
CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()  # the calculator throttles count in the cache
    yield
    cache.clear()


@pytest.fixture
def client():
    return Client()


def form_fields(page: bytes | str, css_class: str = "unc-builder") -> dict[str, list[str]]:
    """What a browser would submit from the form: every named field, in document order."""
    tree = html.fromstring(page)
    form = tree.xpath(f"//form[contains(@class, '{css_class}')]")[0]
    data: dict[str, list[str]] = defaultdict(list)
    for element in form.xpath(".//input | .//select | .//textarea"):
        name = element.get("name")
        kind = element.get("type")
        if not name or kind in ("submit", "file"):
            continue
        if element.tag == "select":
            chosen = element.xpath("./option[@selected]") or element.xpath("./option")
            data[name].append(chosen[0].get("value"))
        elif kind == "radio":
            if element.get("checked") is not None:
                data[name].append(element.get("value"))
        elif element.tag == "textarea":
            data[name].append(element.text or "")
        else:
            data[name].append(element.get("value") or "")
    return dict(data)


def example_fields(client, key: str, **overrides) -> dict:
    page = client.get(PAGE, {"example": key})
    assert page.status_code == 200
    data = form_fields(page.content)
    data.update({k: [v] if isinstance(v, str) else v for k, v in overrides.items()})
    return data


def summary(tree, output: str) -> dict[tuple[str, str], str]:
    """(quantity, method) -> the cell's text, from the result table of ``output``."""
    cells = tree.xpath(f"//table[contains(@class,'unc-summary-table') and @data-output='{output}']//td[@data-method]")
    return {(td.getparent().get("data-quantity"), td.get("data-method")): td.text_content().strip() for td in cells}


def row_error(tree, input_name: str, column: str) -> str:
    """The error shown in the builder row of ``input_name``, under ``column``."""
    rows = [
        tr
        for tr in tree.xpath("//tbody[@id='input-rows']/tr")
        if tr.xpath(f".//input[@name='in_name' and @value='{input_name}']")
    ]
    assert len(rows) == 1, f"no builder row for {input_name}"
    return " ".join(
        p.text_content().strip() for p in rows[0].xpath(f".//p[contains(@class,'error') and @data-column='{column}']")
    )


def field_error(tree, field_name: str) -> str:
    return " ".join(p.text_content().strip() for p in tree.xpath(f"//*[@id='error-{field_name}']"))


def builder_post(**fields) -> dict:
    """A builder form from keyword fields; rows as in_* lists."""
    data = {
        "source": "builder",
        "measurand": "P",
        "equation": "V**2 / R",
        "method": "gum",
        "trials": "10000",
        "seed": "1",
        "coverage_probability": "0.95",
        "derived": "",
        "constants": "",
        "correlations": "",
        "in_name": ["V", "R"],
        "in_distribution": ["normal", "rectangular"],
        "in_value": ["5", "10"],
        "in_u": ["0.01", "0.05"],
        "in_param": ["", ""],
        "in_dof": ["", ""],
        "in_unit": ["", ""],
    }
    data.update(fields)
    return data


# ---------------------------------------------------------------------------- the page


def test_the_page_is_open_to_everyone_and_linked_from_the_navigation(client):
    page = client.get(PAGE)
    assert page.status_code == 200
    tree = html.fromstring(page.content)
    assert tree.xpath("//nav[contains(@class,'site-nav')]//a[@href='/uncertainty/' and @aria-current='page']")
    assert tree.xpath("//form[contains(@class,'unc-builder')]//tbody[@id='input-rows']/tr")
    assert {a.get("href") for a in tree.xpath("//nav[contains(@class,'unc-examples')]//a")} == {
        f"?example={key}" for key in EXAMPLES
    }
    home = client.get("/")
    assert html.fromstring(home.content).xpath("//nav[contains(@class,'site-nav')]//a[@href='/uncertainty/']")


def test_the_examples_are_the_published_documents_the_core_tests_check():
    assert EXAMPLES["gum-h1"].document == END_GAUGE
    assert EXAMPLES["jcgm101-9.2.2"].document == _additive("normal")
    assert EXAMPLES["jcgm101-9.2.3"].document == _additive("rectangular")
    assert EXAMPLES["jcgm101-9.2.4"].document == _additive("mixed")


def test_an_example_loads_into_the_builder_by_htmx(client):
    partial = client.get(PAGE, {"example": "gum-h1"}, HTTP_HX_REQUEST="true")
    text = partial.content.decode().strip()
    assert text.startswith('<div id="calculator"') and "<html" not in text
    assert "HX-Request" in partial["Vary"]
    data = form_fields(text)
    assert data["in_name"] == list(END_GAUGE["inputs"])
    assert data["in_distribution"] == ["normal", "normal", "rectangular", "normal", "arcsine", "rectangular", "rectangular"]
    assert data["derived"] == ["theta = theta_bar + Delta"] and data["coverage_probability"] == ["0.99"]


def test_gum_h1_end_gauge_through_the_page_gives_the_published_numbers(client):
    response = client.post(PAGE, example_fields(client, "gum-h1", method="gum"))
    assert response.status_code == 200
    tree = html.fromstring(response.content)
    cells = summary(tree, "l")
    # GUM H.1.6: l = 50.000 838 mm, u_c = 32 nm, nu_eff = 16, k = 2.92, U99 = 93 nm.
    assert cells[("value", "gum")] == "50.000838"
    assert cells[("u", "gum")] == "0.000032"
    assert cells[("dof", "gum")] == "16"
    assert cells[("k", "gum")] == "2.92"
    assert cells[("U", "gum")] == "0.000093"
    assert cells[("reported", "gum")] == "50.000838 ± 0.000093 mm"
    assert ("u", "mc") not in cells  # GUM only
    # Table H.1: u_i(l) = 25 nm (l_s), 9.7 nm (d), 2.9 nm (delta_alpha), 16.6 nm (delta_theta), 0 for alpha_s, theta.
    budget = {tr.get("data-input"): tr for tr in tree.xpath("//table[contains(@class,'unc-budget')]/tbody/tr")}
    assert list(budget) == list(END_GAUGE["inputs"])
    contribution = {n: float(tr.xpath("./td[@data-column='contribution']")[0].get("title")) for n, tr in budget.items()}
    assert {n: round(v * 1e6, 1) for n, v in contribution.items()} == {
        "l_s": 25.0,
        "d": 9.7,
        "alpha_s": 0.0,
        "theta_bar": 0.0,
        "Delta": 0.0,
        "delta_alpha": 2.9,
        "delta_theta": 16.6,
    }
    shares = [float(tr.xpath("./td[@data-column='share']")[0].text) for tr in budget.values()]
    assert sum(shares) == pytest.approx(100.0, abs=0.2)
    sensitivity = budget["delta_theta"].xpath("./td[@data-column='sensitivity']")[0]
    assert float(sensitivity.get("title")) == pytest.approx(-50.000623 * 11.5e-6)  # c = -l_s * alpha_s (H.1.3)
    assert not tree.xpath("//svg")  # no Monte Carlo, no histogram


def test_monte_carlo_renders_a_histogram_consistent_with_the_result(client):
    fields = example_fields(client, "jcgm101-9.2.4", method="both", trials="50000", seed="2008")
    response = client.post(PAGE, fields, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    tree = html.fromstring(response.content)
    expected = evaluate_document(_additive("mixed"), method="both", trials=50000, seed=2008)
    mc = expected["mc"]["outputs"]["Y"]
    counts = mc["histogram"]["counts"]

    svg = tree.xpath("//svg[contains(@class,'histogram')]")
    assert len(svg) == 1
    bars = svg[0].xpath(".//rect[contains(@class,'hist-bar')]")
    assert len(bars) == len(counts) == int(svg[0].get("data-bins"))
    assert [int(b.get("data-count")) for b in bars] == counts
    assert int(svg[0].get("data-total")) == sum(counts) == 50000
    heights = [float(b.get("height")) for b in bars]
    # Equal bins: each bar's height is its count over the tallest bar's, scaled to the plot.
    tallest = max(heights)
    for height, count in zip(heights, counts):
        assert height == pytest.approx(tallest * count / max(counts), abs=0.002)
    assert PLOT_H * 0.35 < tallest <= PLOT_H  # the density axis ends on a round number above the peak
    xs = [float(b.get("x")) for b in bars]
    assert xs == sorted(xs)
    # The coverage intervals are drawn where the result puts them, and the GUM's curve is there.
    assert [float(line.get("data-x")) for line in svg[0].xpath(".//line[contains(@class,'hist-mc-interval') and @data-x]")] == mc[
        "interval"
    ]
    assert [
        float(line.get("data-x")) for line in svg[0].xpath(".//line[contains(@class,'hist-gum-interval') and @data-x]")
    ] == expected["gum"]["outputs"]["Y"]["interval"]
    assert svg[0].xpath(".//polyline[contains(@class,'hist-gum-pdf')]")

    cells = summary(tree, "Y")
    # JCGM 101 9.2.4: u(y) = 10.15 both ways; GUM 95 % interval ±19.9, Monte Carlo ±17.0, not validated.
    assert cells[("u", "gum")] == "10" and cells[("U", "gum")] == "20"
    assert float(tree.xpath("//td[@data-method='gum' and ../@data-quantity='u']")[0].get("title")) == pytest.approx(
        10.15, abs=0.005
    )
    low, high = (float(x) for x in cells[("interval", "mc")].strip("[]").split(","))
    assert low == pytest.approx(-17.0, abs=0.3) and high == pytest.approx(17.0, abs=0.3)
    assert tree.xpath("//p[contains(@class,'unc-validation')]")[0].get("data-validated") == "false"
    assert "2008" in tree.xpath("//figcaption")[0].text_content()


def test_the_result_downloads_as_the_cli_json_and_the_model_as_a_document(client):
    fields = example_fields(client, "jcgm101-9.2.2", method="both", trials="20000", seed="")
    page = client.post(PAGE, fields)
    download = form_fields(page.content, "unc-download")
    seed = int(download["seed"][0])  # drawn by the page, shown, and carried to the download
    assert str(seed) in html.fromstring(page.content).xpath("//figcaption")[0].text_content()

    result = client.post(DOWNLOAD, {**download, "what": "result"})
    assert result.status_code == 200
    assert result["Content-Disposition"] == 'attachment; filename="uncertainty-result.json"'
    doc = json.loads(download["document"][0])
    assert doc["outputs"] == {"Y": "X1 + X2 + X3 + X4"}
    assert json.loads(result.content) == evaluate_document(doc, method="both", trials=20000, seed=seed)
    # The numbers shown are the numbers downloaded.
    shown = summary(html.fromstring(page.content), "Y")
    mc_u = json.loads(result.content)["mc"]["outputs"]["Y"]["rounded"]["u"]
    assert float(shown[("u", "mc")]) == mc_u

    model = client.post(DOWNLOAD, {**download, "what": "model"})
    assert model["Content-Disposition"] == 'attachment; filename="uncertainty-model.json"'
    assert json.loads(model.content) == doc
    assert evaluate_document(_additive("normal"))["outputs"] == evaluate_document(doc)["outputs"]

    bad = client.post(DOWNLOAD, {**download, "document": "{not json", "what": "result"})
    assert bad.status_code == 400 and bad.json()["field"] == "document"
    assert client.get(DOWNLOAD).status_code == 405


# ---------------------------------------------------------------------------- bad input


def test_a_negative_uncertainty_is_shown_on_its_cell_in_chinese_then_english(client):
    data = builder_post(in_u=["-0.01", "0.05"])
    response = client.post(PAGE, data)
    assert response.status_code == 400
    tree = html.fromstring(response.content)
    assert row_error(tree, "V", "u") == "不能为负数（输入值 -0.01）"
    assert row_error(tree, "R", "u") == ""
    alert = tree.xpath("//div[contains(@class,'form-errors')]")[0].text_content()
    assert "输入量 V · 标准不确定度 u 或半宽 a" in alert
    assert not tree.xpath("//table[contains(@class,'unc-summary-table')]")  # nothing computed
    # The form comes back as typed.
    assert form_fields(response.content)["in_u"] == ["-0.01", "0.05"]

    english = Client(HTTP_ACCEPT_LANGUAGE="en").post(PAGE, data)
    assert row_error(html.fromstring(english.content), "V", "u") == "must not be negative (got -0.01)"


def test_an_unknown_name_in_the_equation_is_reported_on_the_equation(client):
    response = client.post(PAGE, builder_post(equation="V**2 / Q"))
    assert response.status_code == 400
    assert field_error(html.fromstring(response.content), "equation") == "未知名称 'Q'：既不是输入量，也不是常量或导出量"


def test_a_correlation_matrix_that_is_not_positive_definite_is_reported_on_the_correlations(client):
    data = builder_post(
        equation="A + B + C",
        in_name=["A", "B", "C"],
        in_distribution=["normal"] * 3,
        in_value=["1", "2", "3"],
        in_u=["0.1"] * 3,
        in_param=[""] * 3,
        in_dof=[""] * 3,
        in_unit=[""] * 3,
        correlations="A B 0.9\nB C 0.9\nA C -0.9",
    )
    tree = html.fromstring(client.post(PAGE, data).content)
    message = field_error(tree, "correlations")
    assert message.startswith("相关系数矩阵不是半正定矩阵（最小特征值 -")
    data["correlations"] = "A B 0.3\nA Z 0.2"
    tree = html.fromstring(client.post(PAGE, data).content)
    assert field_error(tree, "correlations") == "第 2 行：未知的输入量 'Z'"


def test_typing_mistakes_are_caught_before_the_core_and_name_their_cell(client):
    data = builder_post(in_name=["V", "V"], in_value=["5", "ten"], in_dof=["", "many"], trials="12", method="mc")
    response = client.post(PAGE, data)
    assert response.status_code == 400
    tree = html.fromstring(response.content)
    rows = tree.xpath("//tbody[@id='input-rows']/tr")
    second = rows[1]
    assert second.xpath(".//p[@data-column='name']")[0].text_content() == "名称 V 重复"
    assert second.xpath(".//p[@data-column='value']")[0].text_content() == "必须是数字（输入值 ten）"
    assert second.xpath(".//p[@data-column='dof']")[0].text_content() == "必须是数字"
    assert "100" in tree.xpath("//*[@id='run-builder-trials-error']")[0].text_content()
    t_without_dof = builder_post(in_distribution=["t", "rectangular"])
    assert row_error(html.fromstring(client.post(PAGE, t_without_dof).content), "V", "dof") == "t 分布须给出自由度"
    spans_zero = builder_post(in_value=["5", "0.01"])  # R rectangular over [-0.04, 0.06]
    assert field_error(html.fromstring(client.post(PAGE, spans_zero).content), "equation").startswith(
        "除数 R 可能为零：其取值范围 [-0.04, 0.06] 包含零"
    )
    bare_percent = html.fromstring(client.post(PAGE, builder_post(coverage_probability="95")).content)
    assert field_error(bare_percent, "coverage_probability") == "须大于 0 且小于 1（输入值 95.0）"
    percent = html.fromstring(client.post(PAGE, builder_post(coverage_probability="99 %")).content)
    assert summary(percent, "P")[("k", "gum")] == "2.58"  # normal inputs, p = 0.99


def test_a_model_document_is_evaluated_from_yaml_text_or_an_uploaded_file(client):
    text = yaml.safe_dump(END_GAUGE)
    response = client.post(PAGE, {"source": "document", "document": text, "method": "gum", "trials": "", "seed": ""})
    assert response.status_code == 200
    assert summary(html.fromstring(response.content), "l")[("U", "gum")] == "0.000093"

    upload = SimpleUploadedFile("h1.json", json.dumps(END_GAUGE).encode(), content_type="application/json")
    response = client.post(PAGE, {"source": "document", "document": "", "document_file": upload, "method": "gum"})
    assert summary(html.fromstring(response.content), "l")[("u", "gum")] == "0.000032"


def test_a_bad_model_document_names_the_field_in_the_document(client):
    bad = {"outputs": {"P": "V"}, "inputs": {"V": {"value": 1, "u": -0.1}}}
    response = client.post(PAGE, {"source": "document", "document": json.dumps(bad), "method": "gum"})
    assert response.status_code == 400
    tree = html.fromstring(response.content)
    errors = tree.xpath("//ul[@id='error-document']/li")
    assert [li.text_content() for li in errors] == ["inputs.V.u：不能为负数（输入值 -0.1）"]
    assert tree.xpath("//details[contains(@class,'unc-document') and @open]")  # the document form stays open
    unreadable = client.post(PAGE, {"source": "document", "document": '{"outputs": ', "method": "gum"})
    assert "JSON 格式错误（第 1 行" in html.fromstring(unreadable.content).xpath("//ul[@id='error-document']")[0].text_content()
    aliases = "a: &x [1, 2]\nb: *x\n"
    refused = client.post(PAGE, {"source": "document", "document": aliases, "method": "gum"})
    assert "别名" in html.fromstring(refused.content).xpath("//ul[@id='error-document']")[0].text_content()


# ---------------------------------------------------------------------------- HTMX rows


def test_the_add_row_partial_is_one_empty_input_row(client):
    response = client.get(ROW, {"action": "add-row"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = html.fragment_fromstring(response.content.decode().strip())
    assert fragment.tag == "tr"
    names = [el.get("name") for el in fragment.xpath(".//input | .//select")]
    assert names == ["in_name", "in_distribution", "in_value", "in_u", "in_param", "in_dof", "in_unit"]
    assert all(not el.get("value") for el in fragment.xpath(".//input"))
    remove = fragment.xpath(".//button[contains(@class,'unc-remove')]")[0]
    assert (remove.get("hx-get"), remove.get("hx-target"), remove.get("hx-swap")) == (ROW, "closest tr", "delete")
    assert client.get(ROW, {"action": "remove:"}, HTTP_HX_REQUEST="true").content == b""

    # The page's add button appends that row to the table body.
    page = html.fromstring(client.get(PAGE).content)
    add = page.xpath("//button[@value='add-row']")[0]
    assert (add.get("hx-get"), add.get("hx-target"), add.get("hx-swap")) == (ROW, "#input-rows", "beforeend")
    # A row filled in after it was added takes part in the model.
    data = builder_post(
        equation="V**2 / R + W",
        in_name=["V", "R", "W"],
        in_distribution=["normal", "rectangular", "normal"],
        in_value=["5", "10", "0"],
        in_u=["0.01", "0.05", "0.1"],
        in_param=[""] * 3,
        in_dof=[""] * 3,
        in_unit=[""] * 3,
    )
    tree = html.fromstring(client.post(PAGE, data).content)
    assert [tr.get("data-input") for tr in tree.xpath("//table[contains(@class,'unc-budget')]/tbody/tr")] == ["V", "R", "W"]


def test_rows_are_added_and_removed_without_javascript_too(client):
    data = builder_post(action="add-row")
    tree = html.fromstring(client.post(PAGE, data).content)
    assert form_fields(html.tostring(tree))["in_name"] == ["V", "R", ""]
    assert not tree.xpath("//table[contains(@class,'unc-summary-table')]")
    data = builder_post(action="remove:0")
    assert form_fields(client.post(PAGE, data).content)["in_name"] == ["R"]
    # A blank row is ignored when the model runs.
    data = builder_post(
        in_name=["V", "R", ""],
        in_distribution=["normal", "rectangular", "normal"],
        in_value=["5", "10", ""],
        in_u=["0.01", "0.05", ""],
        in_param=[""] * 3,
        in_dof=[""] * 3,
        in_unit=[""] * 3,
    )
    assert client.post(PAGE, data).status_code == 200


# ---------------------------------------------------------------------------- access and rate


def test_the_page_shares_the_calculator_apis_throttle(client, monkeypatch):
    monkeypatch.setattr(CalculatorThrottle, "rate", "2/min")
    assert client.post(PAGE, builder_post()).status_code == 200
    assert client.post(PAGE, builder_post()).status_code == 200
    refused = client.post(PAGE, builder_post(), HTTP_HX_REQUEST="true")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "请求过于频繁" in refused.content.decode()
    # The same counter as POST /api/uncertainty/evaluate/ (the page is no way round it).
    api = APIClient().post(
        "/api/uncertainty/evaluate/", {"outputs": {"Y": "X"}, "inputs": {"X": {"value": 1, "u": 0.1}}}, format="json"
    )
    assert api.status_code == 429
    # Building the model (adding a row) is not a calculation and is not counted.
    assert client.post(PAGE, builder_post(action="add-row")).status_code == 200


def test_the_english_page_has_no_chinese_in_its_headings_and_labels(client):
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = english.post(PAGE, example_fields(english, "jcgm101-9.2.2", method="both", trials="5000", seed="1"))
    tree = html.fromstring(response.content)
    texts = [
        t.strip()
        for t in tree.xpath(
            "//main//*[self::h1 or self::h2 or self::h3 or self::th or self::label or self::legend"
            " or self::summary or self::button]//text()"
        )
        if t.strip()
    ]
    texts += [t.strip() for t in tree.xpath("//svg//text()") if t.strip()]
    assert texts and not [t for t in texts if CJK.search(t)]
