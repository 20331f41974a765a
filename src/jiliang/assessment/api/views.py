"""The assessment API: each step of a file is one action of the viewset, one use case of
``jiliang.assessment.services``; a refusal is a 400 naming the field and the rule (403 for
who may act)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from jiliang.registry.api.permissions import request_actor
from jiliang.registry.api.refusals import NewestFirst, RefusalsAnswered

from .. import certificate as signing
from .. import services
from ..models import Application, Assessor, ChangeFiling, Finding, StandardCertificate
from ..policies import ASSESSOR_POLICY, policy_for
from . import serializers as s


class SignedIn(permissions.BasePermission):
    """Reads of a public table are open; everything else needs a signed-in user (the
    services decide, per file, who acts)."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS and view.policy.public:
            return True
        if not request_actor(request).authenticated:
            raise exceptions.NotAuthenticated()
        return True


class AssessmentViewSet(RefusalsAnswered, viewsets.GenericViewSet):
    permission_classes = [SignedIn]
    pagination_class = NewestFirst
    filter_backends: list = []

    @property
    def actor(self):
        return request_actor(self.request)

    @property
    def policy(self):
        return policy_for(self.queryset.model)

    def get_queryset(self):
        return self.policy.visible(self.actor, self.queryset.all())

    def _body(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AssessmentViewSet):
    """计量标准考核申请: filed by the holder, accepted and decided by the authority, evaluated by the assessors."""

    queryset = Application.objects.prefetch_related("documents", "assignments__assessor__person", "results", "findings")
    serializer_class = s.ApplicationSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = super().get_queryset()
        state = self.request.query_params.get("status")
        if state:
            queryset = queryset.filter(status=state)
        return queryset

    def _answer(self, app, code=status.HTTP_200_OK):
        return Response(s.ApplicationSerializer(Application.objects.get(pk=app.pk)).data, status=code)

    @extend_schema(request=s.ApplicationOpenSerializer, responses={201: s.ApplicationSerializer})
    def create(self, request):
        v = self._body(s.ApplicationOpenSerializer)
        app = services.open_application(
            self.actor,
            kind=v["kind"],
            holder=v["holder"],
            standard=v.get("standard"),
            name=v.get("name", ""),
            tier=v.get("tier", ""),
            level=v.get("level", ""),
            rank=v.get("rank", "highest"),
            field=v.get("field"),
            equipment=v.get("equipment", []),
            specifications=v.get("specifications", []),
            catalog_items=v.get("catalog_items", []),
            people=v.get("people", []),
            responsible=v.get("responsible"),
            report=v.get("report", {}),
            late=v.get("late", False),
            commitment=v.get("commitment", False),
        )
        return self._answer(app, status.HTTP_201_CREATED)

    @extend_schema(request=s.AttachSerializer, responses={201: s.AssessmentDocumentSerializer})
    @action(detail=True, methods=["post"])
    def attach(self, request, pk=None):
        app = self.get_object()
        v = self._body(s.AttachSerializer)
        upload = v["file"]
        doc = services.attach(self.actor, app, v["kind"], upload.name, upload.read(), upload.content_type or "")
        return Response(s.AssessmentDocumentSerializer(doc).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: {"type": "object"}})
    @action(detail=True, methods=["get"])
    def check(self, request, pk=None):
        """What the platform finds against the file today (completeness and known facts)."""
        app = self.get_object()
        problems = services.check_application(app)
        return Response({"ready": not problems, "problems": [{"field": f, "reason": r} for f, r in problems]})

    @extend_schema(request=None, responses={200: s.ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._answer(services.submit(self.actor, self.get_object()))

    @extend_schema(request=s.ReturnSerializer, responses={200: s.ApplicationSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        app = self.get_object()
        return self._answer(services.return_application(self.actor, app, self._body(s.ReturnSerializer)["reasons"]))

    @extend_schema(request=None, responses={200: s.ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._answer(services.accept(self.actor, self.get_object()))

    @extend_schema(request=s.AssignSerializer, responses={200: s.ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        app = self.get_object()
        services.assign(self.actor, app, self._body(s.AssignSerializer)["assessors"])
        return self._answer(app)

    @extend_schema(request=s.ItemRecordSerializer, responses={200: s.ItemResultSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        app = self.get_object()
        v = self._body(s.ItemRecordSerializer)
        return Response(s.ItemResultSerializer(services.record_result(self.actor, app, **v)).data)

    @extend_schema(request=s.FindingRaiseSerializer, responses={201: s.AssessmentFindingSerializer})
    @action(detail=True, methods=["post"])
    def findings(self, request, pk=None):
        app = self.get_object()
        v = self._body(s.FindingRaiseSerializer)
        finding = services.raise_finding(
            self.actor, app, clause=v["clause"], description=v["description"], deadline=v.get("deadline")
        )
        return Response(s.AssessmentFindingSerializer(finding).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        return self._answer(services.conclude(self.actor, self.get_object()))

    @extend_schema(request=s.ReasonSerializer, responses={201: s.StandardCertificateSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        cert = services.approve(self.actor, self.get_object(), self._body(s.ReasonSerializer)["reason"])
        return Response(s.StandardCertificateSerializer(cert).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._answer(services.refuse(self.actor, self.get_object(), self._body(s.ReasonSerializer)["reason"]))

    @extend_schema(request=s.PostCheckSerializer, responses={200: s.ApplicationSerializer})
    @action(detail=True, methods=["post"], url_path="post-check")
    def post_check(self, request, pk=None):
        body = self._body(s.PostCheckSerializer)
        return self._answer(services.post_check(self.actor, self.get_object(), body["conforming"], body["note"]))


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AssessmentViewSet):
    """整改项: the applicant responds, the assessor closes or reopens."""

    queryset = Finding.objects.select_related("application")
    serializer_class = s.AssessmentFindingSerializer

    @extend_schema(request=s.RespondSerializer, responses={200: s.AssessmentFindingSerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        finding = services.respond(self.actor, self.get_object(), self._body(s.RespondSerializer)["response"])
        return Response(s.AssessmentFindingSerializer(finding).data)

    @extend_schema(request=None, responses={200: s.AssessmentFindingSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return Response(s.AssessmentFindingSerializer(services.close_finding(self.actor, self.get_object(), True)).data)

    @extend_schema(request=None, responses={200: s.AssessmentFindingSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return Response(s.AssessmentFindingSerializer(services.close_finding(self.actor, self.get_object(), False)).data)


class AssessorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, AssessmentViewSet):
    """计量标准考评员 register: specialities and validity."""

    queryset = Assessor.objects.select_related("person").prefetch_related("specialities")
    serializer_class = s.AssessorSerializer

    def perform_create(self, serializer):
        authority = serializer.validated_data["registered_by"]
        probe = Assessor(registered_by=authority)
        if not ASSESSOR_POLICY.writable(self.actor, probe):
            raise exceptions.PermissionDenied("only an administration registers its assessors")
        serializer.save()


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AssessmentViewSet):
    """计量标准考核证书, looked up by number, with the check of its signature."""

    queryset = StandardCertificate.objects.select_related("standard__holder", "authority")
    serializer_class = s.StandardCertificateSerializer
    lookup_field = "number"
    lookup_value_regex = "[^/]+"

    @extend_schema(request=None, responses={200: {"type": "object"}})
    @action(detail=True, methods=["get"])
    def verify(self, request, number=None):
        return Response(signing.check(self.get_object()))


class ChangeFilingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AssessmentViewSet):
    """计量标准变更申报: filed by the holder, reviewed by the authority (封存/撤销/恢复 write the registry status)."""

    queryset = ChangeFiling.objects.select_related("standard")
    serializer_class = s.ChangeFilingSerializer

    @extend_schema(request=s.ChangeFilingSerializer, responses={201: s.ChangeFilingSerializer})
    def create(self, request):
        v = self._body(s.ChangeFilingSerializer)
        filing = services.file_change(
            self.actor, v["standard"], kind=v["kind"], description=v["description"], effective_on=v.get("effective_on")
        )
        return Response(s.ChangeFilingSerializer(filing).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReviewSerializer, responses={200: s.ChangeFilingSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        v = self._body(s.ReviewSerializer)
        return Response(
            s.ChangeFilingSerializer(services.review_change(self.actor, self.get_object(), v["action"], v["note"])).data
        )
