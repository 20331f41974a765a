"""Complaints: a citizen files one (validated field by field, photos checked by their
bytes, throttled per address), gets a reference, and the administrators of the
instrument's region, and only they, see it in their queue and mark it handled."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import html
from PIL import Image

from jiliang.audit.models import AuditEntry
from jiliang.portal import services
from jiliang.portal.models import Complaint, ComplaintPhoto

pytestmark = pytest.mark.django_db

DESCRIPTION = "加油机显示加油 30 升，用量筒复核只有 29.2 升。"


def png(width=40, height=30, name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def jpeg(name="photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 200)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def file(portal, code="xihu", **kwargs) -> Complaint:
    return services.file_complaint(
        instrument_code=portal.instruments[code].code, description=kwargs.pop("description", DESCRIPTION), **kwargs
    )


# ---------------------------------------------------------------- filing


def test_filing_gives_a_reference_copies_the_region_and_stores_photos(portal, settings):
    complaint = file(portal, contact="13800000000", photos=[png(), jpeg()])
    assert re.fullmatch(r"TS\d{8}[A-HJ-NP-Z2-9]{6}", complaint.reference)
    assert complaint.region == portal.regions["330106"]
    assert complaint.status == Complaint.Status.OPEN
    photos = list(complaint.photos.all())
    assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
    files = media_files(settings)
    assert len(files) == 2 and all(f.suffix in (".png", ".jpg") for f in files)
    assert all("photo" not in f.name for f in files)  # the citizen's file name is not kept
    # One ledger entry, naming the complaint but not the citizen's words or contact.
    entry = AuditEntry.objects.get(object_type="portal.complaint", object_id=str(complaint.pk))
    assert entry.action == "create" and entry.actor == services.PUBLIC_ACTOR
    assert entry.new["reference"] == complaint.reference and entry.new["photos"] == 2
    assert "13800000000" not in entry.new_values and "加油机" not in entry.new_values


def test_every_missing_field_is_named_at_once_and_nothing_is_written(portal, settings):
    with pytest.raises(ValidationError) as caught:
        services.file_complaint(instrument_code="", description="坏了", photos=[png()])
    assert set(caught.value.message_dict) == {"instrument_code", "description"}
    assert Complaint.objects.count() == 0 and ComplaintPhoto.objects.count() == 0
    assert media_files(settings) == []


def test_unknown_instrument_code_is_refused(portal):
    with pytest.raises(ValidationError) as caught:
        services.file_complaint(instrument_code="NO-SUCH-CODE", description=DESCRIPTION)
    assert list(caught.value.message_dict) == ["instrument_code"]
    assert "NO-SUCH-CODE" in caught.value.message_dict["instrument_code"][0]


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (SimpleUploadedFile("evil.jpg", b"#!/bin/sh\necho hi\n", content_type="image/jpeg"), "JPEG"),  # name and type lie
        (SimpleUploadedFile("empty.png", b"", content_type="image/png"), "empty.png"),
        (SimpleUploadedFile("cut.png", png().read()[:60], content_type="image/png"), "cut.png"),  # truncated
        (SimpleUploadedFile("x.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", content_type="image/webp"), "x.webp"),  # RIFF, not WebP
    ],
)
def test_bad_photos_are_refused_naming_the_file(portal, settings, upload, reason):
    with pytest.raises(ValidationError) as caught:
        file(portal, photos=[png(name="good.png"), upload])
    assert list(caught.value.message_dict) == ["photos"]
    assert reason in caught.value.message_dict["photos"][0]
    assert Complaint.objects.count() == 0 and media_files(settings) == []


def test_photo_size_pixel_and_count_limits(portal, settings):
    settings.JILIANG_COMPLAINT_PHOTO_MAX_BYTES = 2000
    big = SimpleUploadedFile("big.png", png().read() + b"\0" * 3000, content_type="image/png")
    with pytest.raises(ValidationError, match="big.png"):
        file(portal, photos=[big])
    settings.JILIANG_COMPLAINT_PHOTO_MAX_BYTES = 5 * 1024 * 1024
    settings.JILIANG_COMPLAINT_PHOTO_MAX_PIXELS = 1000
    with pytest.raises(ValidationError, match="41×30"):  # a decompression bomb is refused by its header
        file(portal, photos=[png(41, 30)])
    with pytest.raises(ValidationError) as caught:
        file(portal, photos=[png(), png(), png(), png()])
    assert list(caught.value.message_dict) == ["photos"]
    assert Complaint.objects.count() == 0


def test_form_page_shows_errors_next_to_their_fields(client, portal):
    response = client.post(
        reverse("portal:complaint-new"), {"instrument_code": "NOPE", "description": "短", "contact": "x" * 101}
    )
    assert response.status_code == 400
    page = html.fromstring(response.content)
    summary = page.xpath("//*[contains(@class, 'form-errors')]//li")
    labels = {li.xpath(".//strong")[0].text for li in summary}
    assert labels == {"器具编号", "问题描述", "联系方式（可选）"}
    assert page.xpath("//*[@id='id_instrument_code']")[0].get("value") == "NOPE"  # input kept
    assert Complaint.objects.count() == 0


def test_form_page_files_and_redirects_to_the_reference(client, portal):
    # The QR code on an instrument links here with its code filled in.
    page = client.get(reverse("portal:complaint-new"), {"instrument": portal.instruments["xihu"].code})
    assert portal.instruments["xihu"].code in page.content.decode()
    response = client.post(
        reverse("portal:complaint-new"),
        {
            "instrument_code": portal.instruments["xihu"].code,
            "description": DESCRIPTION,
            "photos": [png()],
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.photos.count() == 1
    status = client.get(response["Location"])
    text = status.content.decode()
    assert complaint.reference in text and "待处理" in text
    assert DESCRIPTION not in text  # the status page shows no details


def test_public_form_is_throttled_per_address(client, portal, settings):
    settings.JILIANG_COMPLAINT_RATE = "2/hour"
    data = {"instrument_code": portal.instruments["xihu"].code, "description": DESCRIPTION}
    assert client.post(reverse("portal:complaint-new"), data).status_code == 302
    assert client.post(reverse("portal:complaint-new"), data).status_code == 302
    third = client.post(reverse("portal:complaint-new"), data)
    assert third.status_code == 429
    assert Complaint.objects.count() == 2
    # Another address is not affected.
    assert client.post(reverse("portal:complaint-new"), data, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_failed_attempts_are_throttled_too(client, portal, settings):
    settings.JILIANG_COMPLAINT_RATE = "1/hour"
    for _ in range(services.ATTEMPTS_PER_FILING):
        assert client.post(reverse("portal:complaint-new"), {"instrument_code": "NOPE"}).status_code == 400
    assert client.post(reverse("portal:complaint-new"), {"instrument_code": "NOPE"}).status_code == 429


def test_status_lookup_of_an_unknown_reference(client, portal):
    response = client.get(reverse("portal:complaint-status"), {"reference": "TS20200101AAAAAA"})
    assert response.status_code == 200 and "未找到" in response.content.decode()


# ---------------------------------------------------------------- the queue


def queue_references(client) -> set[str]:
    page = html.fromstring(client.get(reverse("portal:complaints"), {"status": "all"}).content)
    return {a.text for a in page.xpath("//table[contains(@class, 'complaints')]//a")}


def test_anonymous_cannot_see_the_queue(client, portal):
    complaint = file(portal)
    for url in (reverse("portal:complaints"), reverse("portal:complaint", args=[complaint.reference])):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(reverse("portal:complaint-handle", args=[complaint.reference]), {"handling_note": "x"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.OPEN


@pytest.mark.parametrize("user", ["citizen", "station_user"])
def test_users_without_a_region_role_are_refused(client, portal, user):
    complaint = file(portal)
    client.force_login(portal.users[user])
    assert client.get(reverse("portal:complaints")).status_code == 403
    assert client.get(reverse("portal:complaint", args=[complaint.reference])).status_code == 403


def test_queue_is_scoped_to_the_administrators_region(client, portal):
    xihu = file(portal, "xihu")
    ningbo = file(portal, "ningbo")
    client.force_login(portal.users["hangzhou_admin"])  # 杭州市 ⊃ 西湖区
    assert queue_references(client) == {xihu.reference}
    assert client.get(reverse("portal:complaint", args=[ningbo.reference])).status_code == 403
    client.force_login(portal.users["ningbo_admin"])
    assert queue_references(client) == {ningbo.reference}
    assert client.get(reverse("portal:complaint", args=[xihu.reference])).status_code == 403
    response = client.post(reverse("portal:complaint-handle", args=[xihu.reference]), {"handling_note": "已处理"})
    assert response.status_code == 403
    xihu.refresh_from_db()
    assert xihu.status == Complaint.Status.OPEN
    client.force_login(portal.users["national"])
    assert queue_references(client) == {xihu.reference, ningbo.reference}


def test_administrator_handles_with_a_note_audited(client, portal):
    complaint = file(portal, photos=[png()])
    client.force_login(portal.users["hangzhou_admin"])
    page = html.fromstring(client.get(reverse("portal:complaint", args=[complaint.reference])).content)
    assert DESCRIPTION in page.text_content()
    # An empty note is refused on its field.
    response = client.post(reverse("portal:complaint-handle", args=[complaint.reference]), {"handling_note": "  "})
    assert response.status_code == 400
    assert html.fromstring(response.content).xpath("//*[contains(@class, 'form-row')]//*[@class='error']")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.OPEN
    note = "已派员现场检定，加油机超差，责令停用并调修。"
    response = client.post(
        reverse("portal:complaint-handle", args=[complaint.reference]), {"handling_note": note, "substantiated": "on"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.HANDLED and complaint.handled_by == portal.users["hangzhou_admin"]
    assert complaint.handling_note == note and complaint.handled_at is not None
    entry = AuditEntry.objects.filter(object_type="portal.complaint", action="status_change").get()
    assert entry.actor == "hangzhou_admin" and entry.reason == note
    assert entry.new == {"status": "handled", "substantiated": True}  # 查实: enters the owner's credit record
    assert complaint.substantiated is True
    # Handled twice: refused, naming the status.
    with pytest.raises(ValidationError) as caught:
        services.handle_complaint(complaint, user=portal.users["hangzhou_admin"], note="again")
    assert list(caught.value.message_dict) == ["status"]
    # The open tab no longer lists it; the handled tab does.
    open_page = html.fromstring(client.get(reverse("portal:complaints")).content)
    assert not open_page.xpath("//table[contains(@class, 'complaints')]")
    handled = html.fromstring(client.get(reverse("portal:complaints"), {"status": "handled"}).content)
    assert [a.text for a in handled.xpath("//table[contains(@class, 'complaints')]//a")] == [complaint.reference]


def test_auditor_sees_but_cannot_handle(client, portal):
    complaint = file(portal)
    client.force_login(portal.users["province_auditor"])
    assert queue_references(client) == {complaint.reference}
    page = client.get(reverse("portal:complaint", args=[complaint.reference])).content.decode()
    assert "handling_note" not in page
    assert client.post(reverse("portal:complaint-handle", args=[complaint.reference]), {"handling_note": "x"}).status_code == 403


def test_photos_are_served_only_within_scope(client, portal):
    upload = png()
    data = upload.read()
    upload.seek(0)
    complaint = file(portal, photos=[upload])
    photo = complaint.photos.get()
    url = reverse("portal:complaint-photo", args=[complaint.reference, photo.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(portal.users["ningbo_admin"])
    assert client.get(url).status_code == 403
    client.force_login(portal.users["hangzhou_admin"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == data


def test_audit_ledger_verifies_after_filing_and_handling(portal):
    from jiliang.audit.services import verify

    complaint = file(portal, photos=[png()])
    services.handle_complaint(complaint, user=portal.users["hangzhou_admin"], note="已处理")
    report = verify()
    assert not [f for f in report.findings if "portal" in str(f)], report.findings


def test_oversized_body_is_refused_before_it_is_read(client, portal, settings):
    settings.JILIANG_COMPLAINT_PHOTO_MAX_BYTES = 1000
    settings.JILIANG_COMPLAINT_MAX_PHOTOS = 1
    body = png(400, 400)  # padded past the limit of 1 photo × 1000 B + 1 MiB of form fields
    padded = SimpleUploadedFile("huge.png", body.read() + b"\0" * (2 * 1024 * 1024), content_type="image/png")
    response = client.post(
        reverse("portal:complaint-new"),
        {"instrument_code": portal.instruments["xihu"].code, "description": DESCRIPTION, "photos": [padded]},
    )
    assert response.status_code == 413
    assert "照片" in html.fromstring(response.content).xpath("//*[contains(@class, 'form-errors')]")[0].text_content()
    assert Complaint.objects.count() == 0
