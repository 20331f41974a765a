"""Matplotlib for the plots of the core: the Agg backend and a font that has Chinese.

Matplotlib's default font (DejaVu Sans) has no CJK glyphs, so laboratory and region names
in Chinese come out as empty boxes. The first call picks a Chinese font the machine has
(Noto/Source Han Sans SC, WenQuanYi, the usual Windows and macOS ones) and otherwise
registers the subset of WenQuanYi Micro Hei shipped in ``fonts/`` (see LICENSE-NOTES.md),
keeping DejaVu Sans after it for Latin letters and symbols."""

from __future__ import annotations

from functools import cache
from importlib import resources

# Preference order: the fonts a Chinese desktop or server usually has.
SYSTEM_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
SHIPPED_FONT = "WenQuanYiMicroHei-GB2312.ttf"


@cache
def cjk_family() -> str:
    """Set up matplotlib once (Agg, a CJK sans-serif first) and return the family used."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    family = next((name for name in SYSTEM_CJK_FAMILIES if name in installed), None)
    if family is None:
        path = resources.files("jiliang.core").joinpath("fonts", SHIPPED_FONT)
        with resources.as_file(path) as font_file:
            font_manager.fontManager.addfont(str(font_file))
            family = font_manager.FontProperties(fname=str(font_file)).get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # U+2212 is missing from some CJK fonts
    return family


def figure_class():
    """matplotlib.figure.Figure, after the backend and fonts are set."""
    cjk_family()
    from matplotlib.figure import Figure

    return Figure
