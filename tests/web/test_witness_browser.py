"""The witness log's public page (诚信计量见证日志, issue 26) in a real browser, in Chinese and
in English: anyone reads the latest signed tree head and the entries, follows an entry's
link to its inclusion proof (JSON that leads to that root); the province's auditor also
sees the checkpoint the centre refused, and the public does not."""

from __future__ import annotations

import json

import pytest

WORDS = {
    "zh-hans": {"title": "诚信计量见证日志", "proof": "包含证明", "refused": "拒收的检查点"},
    "en": {"title": "Witnessed ledgers", "proof": "Inclusion proof", "refused": "Refused checkpoints"},
}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_witness_log_and_an_inclusion_proof_through_the_pages(new_page, site, lang):
    words, head = WORDS[lang], site.data["witness"]
    visitor = new_page(lang=lang)
    response = visitor.goto(site.at("/witness/"))
    assert response is not None and response.status == 200 and not visitor.js_errors
    assert visitor.locator("h1").inner_text() == words["title"]
    assert visitor.locator("#sth-root").inner_text() == head["root"]
    assert visitor.locator("#refusals").count() == 0  # refusals are evidence for supervisors
    link = visitor.locator("#entries a", has_text=words["proof"]).first
    proof = visitor.request.get(site.at(link.get_attribute("href")))
    bundle = json.loads(proof.text())
    assert bundle["sth"]["root_hash"] == head["root"] and bundle["sth"]["tree_size"] == head["size"]

    auditor = new_page(lang=lang, role="auditor")
    auditor.goto(site.at("/witness/"))
    assert words["refused"] in auditor.locator("#refusals h2").inner_text()
    assert auditor.locator("#refusals tbody tr").first.inner_text().count("witness_signature_invalid") == 1
