"""The cases API: the cases the actor sees, one case with its deadlines, steps open to the
actor, evidence and history; opening a clue, taking a step, adding a note or a file; and the
public list of published penalty decisions. Reads go through the policy (a case the actor
may not see is a 404); writes are the services' (a refusal is a 400 naming the field and
the rule, a missing right a 403)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.api.refusals import RefusalsAnswered

from .. import services
from ..models import Case
from ..policies import CASES, EVIDENCE, STEPS
from . import serializers as s


class Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class Base(RefusalsAnswered, GenericAPIView):
    pagination_class = None
    permission_classes = [IsAuthenticated]
    queryset = Case.objects.none()  # for the schema; reads use the policy
    serializer_class = s.EnforcementCaseSerializer

    @property
    def actor(self):
        return actor_for(self.request.user)

    def case(self) -> Case:
        return get_object_or_404(CASES.visible(self.actor, Case.objects.select_related("party", "region")), pk=self.kwargs["pk"])


def _party(code: str | None):
    if not code:
        return None
    party = reg.Organisation.objects.filter(credit_code=code.strip().upper()).first()
    if party is None:
        raise exceptions.ValidationError({"party": [f"no organisation with credit code {code}"]})
    return party


def detail(actor, user, case: Case) -> dict:
    return {
        "case": case,
        "deadlines": services.deadlines_of(case),
        "allowed_actions": services.allowed_actions(user, case),
        "evidence": list(EVIDENCE.visible(actor, case.evidence.all())),
        "steps": list(STEPS.visible(actor, case.steps.all())),
    }


class CaseList(Base):
    pagination_class = Pages

    @extend_schema(operation_id="cases_list", responses=s.EnforcementCaseSerializer(many=True))
    def get(self, request):
        queryset = CASES.visible(self.actor, Case.objects.select_related("party"))
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in Case.Status.values:
                raise exceptions.ValidationError({"status": [f"one of {', '.join(Case.Status.values)}"]})
            queryset = queryset.filter(status=wanted)
        page = self.paginate_queryset(queryset.order_by("id"))
        return self.get_paginated_response(s.EnforcementCaseSerializer(page, many=True).data)

    @extend_schema(operation_id="cases_open", request=s.CaseOpenSerializer, responses={201: s.EnforcementCaseSerializer})
    def post(self, request):
        data = self.valid(s.CaseOpenSerializer)
        if not CASES.works(self.actor):
            raise exceptions.PermissionDenied("cases are opened by the administrators")
        common = {"violation": data["violation"], "summary": data["summary"]}
        if data.get("alert"):
            from jiliang.supervision.telemetry.models import Alert

            alert = Alert.objects.select_related("region", "owner", "instrument").filter(pk=data["alert"]).first()
            if alert is None:
                raise exceptions.ValidationError({"alert": ["no such alert"]})
            case = services.open_from_alert(request.user, alert, **common)
        elif data.get("complaint"):
            from jiliang.portal.models import Complaint

            complaint = (
                Complaint.objects.select_related("region", "instrument__owner").filter(reference=data["complaint"]).first()
            )
            if complaint is None:
                raise exceptions.ValidationError({"complaint": ["no such complaint"]})
            case = services.open_from_complaint(request.user, complaint, **common)
        else:
            region = reg.Region.objects.filter(pk=data.get("region") or 0).first()
            if region is None:
                raise exceptions.ValidationError({"region": ["the region of a clue of another source is required"]})
            case = services.open_case(
                request.user, region=region, party=_party(data.get("party")), discovered_on=data["discovered_on"], **common
            )
        return Response(s.EnforcementCaseSerializer(case).data, status=status.HTTP_201_CREATED)


class CaseDetail(Base):
    serializer_class = s.EnforcementCaseDetailSerializer

    @extend_schema(operation_id="cases_retrieve", responses=s.EnforcementCaseDetailSerializer)
    def get(self, request, pk):
        return Response(s.EnforcementCaseDetailSerializer(detail(self.actor, request.user, self.case())).data)


class CaseSteps(Base):
    serializer_class = s.EnforcementCaseDetailSerializer

    @extend_schema(operation_id="cases_step", request=s.CaseStepRequestSerializer, responses=s.EnforcementCaseDetailSerializer)
    def post(self, request, pk):
        data = self.valid(s.CaseStepRequestSerializer)
        action = data.pop("action")
        party = _party(data.pop("party", None))
        case = services.act(request.user, self.case(), action, party=party, **data)
        return Response(s.EnforcementCaseDetailSerializer(detail(self.actor, request.user, case)).data)


class CaseEvidence(Base):
    serializer_class = s.CaseEvidenceSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(operation_id="cases_evidence_add", request=s.CaseNoteSerializer, responses={201: s.CaseEvidenceSerializer})
    def post(self, request, pk):
        case = self.case()
        upload = request.FILES.get("file")
        if upload is not None:
            evidence = services.add_evidence(
                request.user,
                case,
                title=str(request.data.get("title", "")),
                note=str(request.data.get("note", "")),
                filename=upload.name,
                content=upload.read(),
            )
        else:
            data = self.valid(s.CaseNoteSerializer)
            evidence = services.add_evidence(request.user, case, title=data["title"], note=data["note"])
        return Response(s.CaseEvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class Penalties(GenericAPIView):
    """Published administrative penalty decisions, personal data masked (public)."""

    permission_classes = [AllowAny]
    pagination_class = Pages
    queryset = Case.objects.none()
    serializer_class = s.PublishedPenaltySerializer

    @extend_schema(operation_id="cases_penalties_list", responses=s.PublishedPenaltySerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(services.published_penalties())
        return self.get_paginated_response(s.PublishedPenaltySerializer([services.public_view(c) for c in page], many=True).data)
