"""The translation catalogs are complete and compiled, and English pages show no Chinese
in their navigation and headings.

The source language is Chinese (zh-hans): every msgid in the sources needs an English
translation in ``locale/en``, and the few msgids written in English need a Chinese one in
``locale/zh_Hans``. The check runs Django's own ``makemessages`` over a temporary copy of
the package with the committed catalogs, so a new string, an edited one (msgmerge marks it
fuzzy) or a forgotten translation fails here with the msgid named.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from lxml import html

import jiliang

PACKAGE = Path(jiliang.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
CATALOGS = {"en": LOCALE / "en" / "LC_MESSAGES", "zh_Hans": LOCALE / "zh_Hans" / "LC_MESSAGES"}
CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")

needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgfmt") is None,
    reason="GNU gettext is not installed (scripts/install-system-packages.sh installs it)",
)


def _msgattrib(po: Path, *options: str) -> list[str]:
    """The msgids of the entries of ``po`` that msgattrib selects (header left out)."""
    out = subprocess.run(
        ["msgattrib", "--no-wrap", "--no-obsolete", *options, str(po)], check=True, capture_output=True, text=True
    ).stdout
    return [m for m in re.findall(r'^msgid "(.*)"$', out, flags=re.M) if m]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, Path]:
    """makemessages run over a copy of the package that holds the committed catalogs."""
    copy = tmp_path_factory.mktemp("i18n") / "jiliang"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static", "*.mo"))
    cwd = os.getcwd()
    os.chdir(copy)
    try:
        # LOCALE_PATHS points makemessages at the copy's catalogs, never the committed ones.
        with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
            call_command("makemessages", locale=list(CATALOGS), add_location="file", verbosity=0)
    finally:
        os.chdir(cwd)
    return {lang: copy / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in CATALOGS}


@needs_gettext
def test_every_source_string_has_an_english_translation(extracted):
    untranslated = _msgattrib(extracted["en"], "--untranslated")
    fuzzy = _msgattrib(extracted["en"], "--only-fuzzy")
    assert not untranslated, f"msgids without an English translation in locale/en: {untranslated}"
    assert not fuzzy, f"fuzzy (changed or guessed) English translations in locale/en: {fuzzy}"


@needs_gettext
def test_strings_written_in_english_have_a_chinese_translation(extracted):
    untranslated = [m for m in _msgattrib(extracted["zh_Hans"], "--untranslated") if not CJK.search(m)]
    fuzzy = [m for m in _msgattrib(extracted["zh_Hans"], "--only-fuzzy") if not CJK.search(m)]
    assert not untranslated, f"English msgids without a zh-hans translation in locale/zh_Hans: {untranslated}"
    assert not fuzzy, f"fuzzy zh-hans translations in locale/zh_Hans: {fuzzy}"


@needs_gettext
def test_the_extraction_finds_the_strings_of_templates_and_python(extracted):
    # Guards the check above against an extraction that silently finds nothing.
    msgids = set(_msgattrib(extracted["en"]))
    assert {"计量标准", "强制检定", "证书核验", "已公布的计量比对"} <= msgids
    assert len(msgids) > 500


@needs_gettext
@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_committed_mo_is_compiled_from_the_committed_po(lang, tmp_path):
    directory = CATALOGS[lang]
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(directory / "django.po")], check=True)
    with open(directory / "django.mo", "rb") as committed, open(fresh, "rb") as compiled:
        committed_catalog = gettext.GNUTranslations(committed)._catalog
        compiled_catalog = gettext.GNUTranslations(compiled)._catalog
    stale = {k for k in committed_catalog.keys() ^ compiled_catalog.keys() if k}
    changed = {k for k in committed_catalog.keys() & compiled_catalog.keys() if k and committed_catalog[k] != compiled_catalog[k]}
    assert not stale and not changed, (
        f"locale/{lang}/LC_MESSAGES/django.mo is out of date with django.po: run `django-admin compilemessages` "
        f"(differing msgids: {sorted(map(str, stale | changed))[:10]})"
    )


def test_english_catalog_translates_the_key_terms():
    # The metrology vocabulary of JJF 1001-2011 (通用计量术语及定义) in its usual English.
    with open(CATALOGS["en"] / "django.mo", "rb") as handle:
        english = gettext.GNUTranslations(handle)
    assert english.gettext("计量标准") == "Measurement standards"
    assert english.gettext("计量基准") == "Primary standards"
    assert english.gettext("强制检定") == "Mandatory verification"
    assert english.gettext("校准") == "Calibration"
    assert english.gettext("考核证书编号") == "Assessment certificate number"
    assert english.ngettext("本页 %(counter)s 条", "本页 %(counter)s 条", 1) == "%(counter)s record on this page"
    assert english.ngettext("本页 %(counter)s 条", "本页 %(counter)s 条", 2) == "%(counter)s records on this page"


# ---------------------------------------------------------------------------- rendered pages

KEY_PAGES = [
    "/",
    "/instruments/",
    "/standards/",
    "/regions/",
    "/certificates/",
    "/comparisons/public/",
    "/prepack/",
]


def _navigation_and_headings(page: str) -> list[str]:
    tree = html.fromstring(page)
    parts = tree.xpath("//nav[contains(@class,'site-nav')]//text() | //title//text()")
    parts += tree.xpath("//main//*[self::h1 or self::h2 or self::h3 or self::th]//text()")
    return [t.strip() for t in parts if t.strip()]


@pytest.mark.django_db
@pytest.mark.parametrize("path", KEY_PAGES)
def test_english_pages_have_no_chinese_in_navigation_and_headings(client, django_user_model, reference_data, path):
    if path == "/instruments/":  # not public (the instruments' policy): read as a national administrator
        client.force_login(django_user_model.objects.create_user("national", is_superuser=True))
    english = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    assert english.headers["Content-Language"] == "en"
    texts = _navigation_and_headings(english.content.decode())
    assert texts, f"{path}: no navigation or headings found"
    chinese = [t for t in texts if CJK.search(t)]
    assert not chinese, f"{path} in English still shows Chinese: {chinese}"

    # The same page in the source language is Chinese: the check above can tell them apart.
    source = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert any(CJK.search(t) for t in _navigation_and_headings(source.content.decode()))
