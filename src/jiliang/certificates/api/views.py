"""Certificate API: list, issue, fetch XML / PDF / verdict, revoke, verify an upload, import
an outside DCC, and the platform's CA certificate and revocation list.

Reads and checks are public (a published certificate is meant to be checked by anyone);
issuing and revoking are for the performing institution's staff (and national
administrators), importing for the staff of the standard's holder.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiliang import messages
from jiliang.core.dcc.errors import DccError
from jiliang.core.errors import InputError
from jiliang.policies import actor_for
from jiliang.registry.models import CalibrationEvent, Instrument, Organisation, Person

from .. import keys, pades, services
from ..models import Certificate
from ..policies import POLICY
from ..views import MAX_UPLOAD, check_url, may_see


class CertificateSerializer(serializers.ModelSerializer):
    # Plain strings (not enums) so the OpenAPI enum names do not collide with the registry's.
    kind = serializers.CharField(read_only=True, help_text="verification | non_conformity | calibration")
    status = serializers.CharField(read_only=True, help_text="issued | imported (an outside DCC, not issued here) | revoked")
    signature_status = serializers.CharField(read_only=True, help_text="platform | trusted | untrusted | unsigned")
    pdf_signature = serializers.CharField(
        read_only=True, help_text="pades | unsigned_sm2 | unsigned_external | '' (PDF not made yet: made on first request)"
    )
    event = serializers.CharField(source="event.certificate_number", read_only=True)
    instrument = serializers.CharField(source="event.instrument.code", read_only=True)
    performer = serializers.CharField(source="event.performer.name", read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "number",
            "kind",
            "status",
            "event",
            "instrument",
            "performer",
            "issued_at",
            "sha256",
            "signers",
            "published",
            "external",
            "signature_status",
            "signed_by",
            "pdf_signature",
            "revoked_at",
            "revocation_reason",
            "links",
        ]

    def get_links(self, obj) -> dict[str, str]:
        request = self.context.get("request")
        build = request.build_absolute_uri if request is not None else (lambda p: p)
        links = {name: build(reverse(f"certificates_api:{name}", args=[obj.number])) for name in ("xml", "pdf", "verdict")}
        return links | {"page": check_url(obj.number, request)}


class SignerSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    role = serializers.CharField(help_text="verifier | checker | approver")


class IssueSerializer(serializers.Serializer):
    event = serializers.CharField(help_text="the calibration event's certificate number")
    signers = SignerSerializer(many=True)
    published = serializers.BooleanField(default=True)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class VerdictSerializer(serializers.Serializer):
    """The verdict with reasons (documentation of ``CheckResult.to_dict``)."""

    valid = serializers.BooleanField()
    outcome = serializers.ChoiceField(
        choices=["valid", "invalid", "not_found"],
        help_text="not_found: no certificate under the number that the requester may see",
    )
    summary = serializers.CharField(help_text="the outcome in the request's language")
    number = serializers.CharField(allow_null=True)
    found = serializers.BooleanField()
    status = serializers.CharField(allow_null=True)
    schema = serializers.DictField()
    signature = serializers.DictField()
    chain = serializers.DictField()
    revoked = serializers.BooleanField()
    revocation_reason = serializers.CharField(allow_null=True)
    record_match = serializers.BooleanField(allow_null=True)
    signatures = serializers.ListField(child=serializers.DictField())
    reasons = serializers.ListField(child=serializers.CharField())
    pdf = serializers.DictField(
        allow_null=True, help_text="an uploaded certificate PDF: its PAdES signature (signed, valid, intact, trusted, signer, …)"
    )


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    number = serializers.CharField(required=False, help_text="the number the file is presented as")


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    device = serializers.CharField(help_text="code of the standard's device")
    performer = serializers.IntegerField(required=False, help_text="organisation id of the outside laboratory")


def _may_act_for(request, organisation_id: int) -> bool:
    return POLICY.acts_for(actor_for(request.user), organisation_id)


def _bad_request(exc: Exception) -> Response:
    """A refusal in the request's language: a core refusal (DccError …) through the catalogue,
    with its code and values for clients that read them."""
    if isinstance(exc, InputError):
        return Response(
            {"detail": messages.render(exc), "code": exc.code, "field": exc.field}, status=status.HTTP_400_BAD_REQUEST
        )
    return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


def _visible(request):
    queryset = Certificate.objects.select_related("event__instrument", "event__performer")
    return POLICY.visible(actor_for(request.user), queryset)


class CertificateList(generics.ListAPIView):
    """Certificates (published ones for the public); POST issues one."""

    serializer_class = CertificateSerializer
    filterset_fields = ["kind", "status", "external"]
    search_fields = ["number", "event__instrument__code"]
    ordering_fields = ["id"]

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    def get_queryset(self):
        return _visible(self.request)

    @extend_schema(
        request=IssueSerializer,
        responses={201: CertificateSerializer, 404: OpenApiResponse(description="no event with this number")},
    )
    def post(self, request):
        data = IssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = (
            CalibrationEvent.objects.select_related("performer").filter(certificate_number=data.validated_data["event"]).first()
        )
        if event is None:
            raise exceptions.NotFound(
                "event: " + gettext("没有编号为 %(number)r 的检定/校准记录") % {"number": data.validated_data["event"]}
            )
        if not _may_act_for(request, event.performer_id):
            raise exceptions.PermissionDenied(
                gettext("只有 %(institution)s 的人员可以出具其证书") % {"institution": event.performer.name}
            )
        people = {p.pk: p for p in Person.objects.filter(pk__in=[s["person"] for s in data.validated_data["signers"]])}
        try:
            signers = [(people[s["person"]], s["role"]) for s in data.validated_data["signers"]]
        except KeyError as exc:
            return _bad_request(ValueError("signers: " + gettext("没有 id 为 %(id)s 的人员") % {"id": exc.args[0]}))
        try:
            cert = services.issue_certificate(event, signers, published=data.validated_data["published"], actor=request.user)
        except (services.CertificateError, DccError, keys.KeyInfrastructureError) as exc:
            return _bad_request(exc)
        return Response(CertificateSerializer(cert, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _certificate(request, number: str) -> Certificate:
    cert = get_object_or_404(Certificate.objects.select_related("event__instrument", "event__performer"), number=number)
    if not may_see(request, cert):
        raise exceptions.NotFound()
    return cert


class CertificateDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=CertificateSerializer)
    def get(self, request, number):
        return Response(CertificateSerializer(_certificate(request, number), context={"request": request}).data)


class CertificateXml(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    def get(self, request, number):
        cert = _certificate(request, number)
        response = HttpResponse(bytes(cert.xml), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{number}.xml"'
        return response


class CertificatePdf(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, number):
        cert = _certificate(request, number)
        pdf = pades.stored_pdf(cert)  # made and PAdES-signed at issue (pades.py)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{number}.pdf"'
        return response


class CertificateVerdict(APIView):
    """The verdict on the certificate held under a number (anyone may check a number)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: VerdictSerializer, 404: VerdictSerializer})
    def get(self, request, number):
        # An unpublished certificate the requester may not see is answered as an unknown number.
        result = services.check_number(number, may_see=lambda cert: may_see(request, cert))
        return Response(result.to_dict(), status=status.HTTP_200_OK if result.found else status.HTTP_404_NOT_FOUND)


class CertificateRevoke(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer)
    def post(self, request, number):
        cert = get_object_or_404(Certificate.objects.select_related("event"), number=number)
        if not _may_act_for(request, cert.event.performer_id):
            raise exceptions.PermissionDenied(gettext("只有出具证书的机构人员可以撤销其证书"))
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            cert = services.revoke_certificate(cert, data.validated_data["reason"], actor=request.user)
        except services.CertificateError as exc:
            return _bad_request(exc)
        return Response(CertificateSerializer(cert, context={"request": request}).data)


def _uploaded(request) -> bytes:
    upload = request.FILES.get("file")
    if upload is None:
        raise exceptions.ValidationError({"file": "attach the DCC XML file as 'file'"})
    if upload.size > MAX_UPLOAD:
        raise exceptions.ValidationError({"file": f"larger than {MAX_UPLOAD} bytes"})
    return upload.read()


class CertificateVerify(APIView):
    """POST a DCC file (multipart field ``file``; optional ``number`` it is presented as)."""

    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses=VerdictSerializer)
    def post(self, request):
        result = services.verify_uploaded(
            _uploaded(request), number=request.data.get("number") or None, may_see=lambda cert: may_see(request, cert)
        )
        return Response(result.to_dict())


class CertificateImport(APIView):
    """POST an outside laboratory's DCC (``file``) for a standard device (``device`` code;
    optional ``performer`` organisation id)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request={"multipart/form-data": ImportSerializer}, responses={201: CertificateSerializer})
    def post(self, request):
        xml = _uploaded(request)
        device = get_object_or_404(Instrument.objects.select_related("standard"), code=request.data.get("device", ""))
        if device.standard_id is None:
            return _bad_request(ValueError("device: " + gettext("%(code)s 不是计量标准的标准器") % {"code": device.code}))
        if not _may_act_for(request, device.standard.holder_id):
            raise exceptions.PermissionDenied(gettext("只有计量标准持有单位的人员可以导入其校准记录"))
        performer = None
        if request.data.get("performer"):
            performer = get_object_or_404(Organisation, pk=request.data["performer"])
        try:
            report = services.import_external_dcc(xml, device, performer=performer, actor=request.user)
        except (services.CertificateError, DccError) as exc:
            return _bad_request(exc)
        body = CertificateSerializer(report.certificate, context={"request": request}).data
        body["notes"] = report.notes
        body["uncertainty"] = report.event.uncertainty
        return Response(body, status=status.HTTP_201_CREATED)


class RevocationListPem(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            (200, "application/x-pem-file"): OpenApiTypes.STR,
            404: OpenApiResponse(description="no certificate authority initialised yet"),
        }
    )
    def get(self, request):
        try:
            crl = keys.current_crl()
        except keys.KeyInfrastructureError as exc:
            raise exceptions.NotFound(str(exc)) from None
        return HttpResponse(crl.crl_pem, content_type="application/x-pem-file")


class AuthorityPem(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            (200, "application/x-pem-file"): OpenApiTypes.STR,
            404: OpenApiResponse(description="no certificate authority initialised yet"),
        }
    )
    def get(self, request):
        try:
            ca = keys.active_authority()
        except keys.KeyInfrastructureError as exc:
            raise exceptions.NotFound(str(exc)) from None
        return HttpResponse(ca.cert_pem, content_type="application/x-pem-file")
