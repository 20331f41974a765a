"""Plots draw Chinese labels with a font that has them (issue #23 item 8): matplotlib warns
"Glyph … missing from font(s)" and draws an empty box when it falls back to DejaVu Sans."""

import warnings

import pytest

from jiliang.core import plotting
from jiliang.core.comparison.plots import comparison_figure

LABS = ["浙江省计量科学研究院", "杭州市计量检定测试院", "宁波市计量测试研究院"]


def _draw():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = comparison_figure(LABS, [1.0, 1.1, 0.9], [0.1, 0.1, 0.1], 1.0, 0.05, [0.0, 0.1, -0.1], [0.1, 0.1, 0.1])
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    return image, missing


@pytest.fixture
def fresh_fonts():
    plotting.cjk_family.cache_clear()
    yield
    plotting.cjk_family.cache_clear()


def test_chinese_laboratory_names_have_glyphs(fresh_fonts):
    image, missing = _draw()
    assert image.startswith(b"\x89PNG")
    assert missing == []


def test_the_shipped_font_serves_a_machine_without_chinese_fonts(fresh_fonts, monkeypatch):
    monkeypatch.setattr(plotting, "SYSTEM_CJK_FAMILIES", ())
    assert plotting.cjk_family() == "WenQuanYi Micro Hei"
    _, missing = _draw()
    assert missing == []
