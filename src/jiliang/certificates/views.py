"""Public pages (no login): check a certificate by number or by upload, and the
certificate page the QR code opens, with its PDF and XML."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods

from jiliang.policies import actor_for

from . import pades, services
from . import render as rendering
from .models import Certificate
from .policies import POLICY
from .reasons import check_error

MAX_UPLOAD = 5 * 1024 * 1024
# Other signed documents the check page recognises by number (an app registers a function
# number, request -> (template, context) or None from its AppConfig.ready(); the
# certificates app imports none of them).
OTHER_NUMBERS: list = []


def register_number_check(check) -> None:
    if check not in OTHER_NUMBERS:
        OTHER_NUMBERS.append(check)


def check_url(number: str, request=None) -> str:
    """The absolute URL of the public page of certificate ``number`` (what the QR code holds)."""
    try:
        path = reverse("certificates:certificate", args=[number])
    except NoReverseMatch:  # pages not wired into this URLconf
        path = f"/certificates/{number}/"
    if request is not None:
        return request.build_absolute_uri(path)
    return getattr(settings, "JILIANG_PUBLIC_URL", "http://localhost:8000").rstrip("/") + path


def may_see(request, cert: Certificate) -> bool:
    """Whether the request's user may see the certificate (its policy)."""
    return POLICY.may_view(actor_for(getattr(request, "user", None)), cert)


def _certificate(number: str, request) -> Certificate:
    cert = Certificate.objects.select_related("event__instrument", "event__performer").filter(number=number).first()
    if cert is None or not may_see(request, cert):
        raise Http404("no such certificate")
    return cert


@require_http_methods(["GET", "POST"])
def check(request):
    """The check page: a number in the query string, or a DCC file posted."""
    result, error = None, None
    number = request.GET.get("number", "").strip()
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = check_error("no_file")
        elif upload.size > MAX_UPLOAD:
            error = check_error("too_large", mb=MAX_UPLOAD // (1024 * 1024))
        else:
            result = services.verify_uploaded(
                upload.read(), number=request.POST.get("number") or None, may_see=lambda cert: may_see(request, cert)
            )
    elif number:
        result = services.check_number(number, may_see=lambda cert: may_see(request, cert))
        if not result.found:
            for other in OTHER_NUMBERS:
                found = other(number, request)
                if found is not None:
                    template, context = found
                    return render(request, template, {"number": number, **context})
    cert = None
    if result is not None and result.found:
        cert = Certificate.objects.filter(number=result.number).first()
        if cert is not None and not may_see(request, cert):
            cert = None
    return render(
        request,
        "certificates/check.html",
        {"result": result, "data": result.to_dict() if result else None, "number": number, "error": error, "certificate": cert},
        status=400 if error else 200,
    )


@require_GET
def certificate_page(request, number: str):
    cert = _certificate(number, request)
    view = rendering.certificate_view(cert, check_url(number, request))
    result = services.check_number(number, may_see=lambda c: may_see(request, c))
    return render(request, "certificates/certificate.html", {"view": view, "certificate": cert, "data": result.to_dict()})


@require_GET
def certificate_pdf(request, number: str):
    cert = _certificate(number, request)
    pdf = pades.stored_pdf(cert)  # made and signed at issue; see pades.py for why not per request
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{number}.pdf"'
    return response


@require_GET
def certificate_xml(request, number: str):
    cert = _certificate(number, request)
    response = HttpResponse(bytes(cert.xml), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{number}.xml"'
    return response
