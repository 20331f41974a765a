"""The comparison API: one endpoint per step of the workflow.

Reads go through ``visibility`` (a comparison the user may not see is a 404; values of
sealed submissions never leave it); writes are the use cases of ``services`` (a refusal is
a 400 naming the field, a missing role a 403).
"""

from __future__ import annotations

import csv
import io

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from .. import services, visibility
from ..errors import NotAllowed, WorkflowError
from ..models import Comparison, FollowUpAction, Report
from ..visibility import Viewer
from . import serializers as s


class ComparisonPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class Base(GenericAPIView):
    queryset = Comparison.objects.none()  # for the schema: each view reads through ``visibility``
    pagination_class = None
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @property
    def viewer(self) -> Viewer:
        if not hasattr(self, "_viewer"):
            self._viewer = Viewer.of(self.request.user)
        return self._viewer

    def comparison(self) -> Comparison:
        queryset = visibility.comparisons(self.viewer, Comparison.objects.select_related("pilot", "administrator_region"))
        return get_object_or_404(queryset, pk=self.kwargs["pk"])

    def handle_exception(self, exc):
        if isinstance(exc, WorkflowError):
            exc = exceptions.ValidationError({exc.field: [exc.reason]})
        elif isinstance(exc, NotAllowed):
            exc = exceptions.PermissionDenied(str(exc))
        return super().handle_exception(exc)

    def valid(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def detail(self, comparison, code=status.HTTP_200_OK):
        comparison = Comparison.objects.select_related("pilot", "administrator_region").get(pk=comparison.pk)
        return Response(s.ComparisonDetailSerializer(comparison).data, status=code)


class ComparisonList(Base):
    serializer_class = s.ComparisonSerializer
    pagination_class = ComparisonPagination

    def get_queryset(self):
        queryset = visibility.comparisons(self.viewer, Comparison.objects.select_related("pilot", "administrator_region"))
        state = self.request.query_params.get("status")
        return queryset.filter(status=state) if state else queryset

    @extend_schema(operation_id="comparisons_list", responses={200: s.ComparisonSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ComparisonSerializer(page, many=True).data)

    @extend_schema(request=s.ComparisonCreateSerializer, responses={201: s.ComparisonDetailSerializer})
    def post(self, request):
        comparison = services.create_comparison(request.user, **self.valid(s.ComparisonCreateSerializer))
        return self.detail(comparison, status.HTTP_201_CREATED)


class ComparisonDetail(Base):
    serializer_class = s.ComparisonDetailSerializer

    def get(self, request, pk):
        return self.detail(self.comparison())


class Schedule(Base):
    serializer_class = s.ScheduleSerializer

    @extend_schema(responses={200: s.ComparisonDetailSerializer})
    def patch(self, request, pk):
        return self.detail(services.update_schedule(request.user, self.comparison(), **self.valid(s.ScheduleSerializer)))


class Protocol(Base):
    serializer_class = s.ProtocolInputSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="the protocol document")})
    def get(self, request, pk):
        comparison = self.comparison()
        if not comparison.protocol:
            raise exceptions.NotFound(gettext("没有比对方案文件"))
        return FileResponse(comparison.protocol.open("rb"), as_attachment=True, filename=comparison.protocol_name or "protocol")

    @extend_schema(responses={200: s.ComparisonDetailSerializer})
    def post(self, request, pk):
        data = self.valid(s.ProtocolInputSerializer)
        return self.detail(services.set_protocol(request.user, self.comparison(), data["file"]))


class Measurands(Base):
    serializer_class = s.MeasurandSerializer

    @extend_schema(operation_id="comparisons_measurands_list", responses={200: s.MeasurandSerializer(many=True)})
    def get(self, request, pk):
        return Response(s.MeasurandSerializer(self.comparison().measurands.all(), many=True).data)

    @extend_schema(request=s.MeasurandInputSerializer, responses={201: s.MeasurandSerializer})
    def post(self, request, pk):
        measurand = services.add_measurand(request.user, self.comparison(), **self.valid(s.MeasurandInputSerializer))
        return Response(s.MeasurandSerializer(measurand).data, status=status.HTTP_201_CREATED)


class Participants(Base):
    serializer_class = s.ParticipantSerializer

    @extend_schema(operation_id="comparisons_participants_list", responses={200: s.ParticipantSerializer(many=True)})
    def get(self, request, pk):
        return Response(s.ParticipantSerializer(self.comparison().participants.select_related("institution"), many=True).data)

    @extend_schema(request=s.ParticipantInputSerializer, responses={201: s.ParticipantSerializer})
    def post(self, request, pk):
        participant = services.add_participant(request.user, self.comparison(), **self.valid(s.ParticipantInputSerializer))
        return Response(s.ParticipantSerializer(participant).data, status=status.HTTP_201_CREATED)


class Circulation(Base):
    serializer_class = s.MovementSerializer

    @extend_schema(operation_id="comparisons_circulation_list", responses={200: s.MovementSerializer(many=True)})
    def get(self, request, pk):
        return Response(s.MovementSerializer(self.comparison().circulation.select_related("holder"), many=True).data)

    @extend_schema(request=s.MovementInputSerializer, responses={201: s.MovementSerializer})
    def post(self, request, pk):
        movement = services.record_movement(request.user, self.comparison(), **self.valid(s.MovementInputSerializer))
        return Response(s.MovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class Step(Base):
    """POST to move the comparison one step on (open, close, approve, publish)."""

    serializer_class = s.ComparisonDetailSerializer
    use_case = None

    @extend_schema(request=None, responses={200: s.ComparisonDetailSerializer})
    def post(self, request, pk):
        return self.detail(type(self).use_case(request.user, self.comparison()))


class Open(Step):
    use_case = staticmethod(services.open_submissions)


class Close(Step):
    use_case = staticmethod(services.close_submissions)


class Approve(Step):
    use_case = staticmethod(services.approve)


class Publish(Step):
    use_case = staticmethod(services.publish)


class Submissions(Base):
    """GET: the submissions whose values the user may see (its own before the close).
    POST: submit or replace the user's institution's result for one measurand."""

    serializer_class = s.SubmissionSerializer

    @extend_schema(operation_id="comparisons_submissions_list", responses={200: s.SubmissionSerializer(many=True)})
    def get(self, request, pk):
        rows = visibility.submissions(self.viewer, self.comparison())
        measurand = request.query_params.get("measurand")
        if measurand:
            rows = rows.filter(measurand_id=measurand) if measurand.isdigit() else rows.none()
        return Response(s.SubmissionSerializer(rows, many=True).data)

    @extend_schema(request=s.SubmissionInputSerializer, responses={201: s.SubmissionSerializer})
    def post(self, request, pk):
        comparison = self.comparison()
        data = self.valid(s.SubmissionInputSerializer)
        measurand = comparison.measurands.filter(pk=data.pop("measurand")).first()
        if measurand is None:
            raise exceptions.ValidationError({"measurand": [gettext("不是本比对的被测量")]})
        submission = services.submit(request.user, comparison, measurand=measurand, **data)
        return Response(s.SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


class SubmissionDetail(Base):
    serializer_class = s.SubmissionSerializer

    def submission(self):
        return get_object_or_404(visibility.submissions(self.viewer, self.comparison()), pk=self.kwargs["sid"])

    def get(self, request, pk, sid):
        return Response(s.SubmissionSerializer(self.submission()).data)


class BudgetFile(SubmissionDetail):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="the uncertainty budget file")})
    def get(self, request, pk, sid):
        submission = self.submission()
        if not submission.budget_file:
            raise exceptions.NotFound(gettext("没有不确定度评定文件"))
        return FileResponse(
            submission.budget_file.open("rb"), as_attachment=True, filename=submission.content.budget_file_name or "budget"
        )


class SubmissionStatus(Base):
    """Who has submitted: participant, measurand, time and revision, never values."""

    serializer_class = s.SubmissionStatusSerializer

    @extend_schema(operation_id="comparisons_submissions_status_list", responses={200: s.SubmissionStatusSerializer(many=True)})
    def get(self, request, pk):
        return Response(
            s.SubmissionStatusSerializer(visibility.submission_status(self.viewer, self.comparison()), many=True).data
        )


class Export(Base):
    """The visible submissions as CSV in the core's input format, with a measurand column."""

    serializer_class = s.SubmissionSerializer

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="measurand,lab,value,u,dof,in_reference")})
    def get(self, request, pk):
        comparison = self.comparison()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["measurand", "lab", "value", "u", "dof", "in_reference"])
        rows = visibility.submissions(self.viewer, comparison).order_by("measurand_id", "participant_id")
        for sub in rows:
            content = sub.content
            writer.writerow(
                [
                    sub.measurand.name,
                    sub.participant.label,
                    repr(content.value),
                    repr(content.u),
                    "" if content.dof is None else repr(content.dof),
                    1 if sub.participant.in_reference else 0,
                ]
            )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{comparison.code}-results.csv"'
        return response


class Compute(Base):
    serializer_class = s.ComputeSerializer

    @extend_schema(responses={200: s.MeasurandResultSerializer(many=True)})
    def post(self, request, pk):
        comparison = services.compute(request.user, self.comparison(), **self.valid(s.ComputeSerializer))
        return Response(s.MeasurandResultSerializer(comparison.measurands.all(), many=True).data)


class Results(Base):
    """The computed documents (``compute_document``'s JSON) per measurand, once visible."""

    serializer_class = s.MeasurandResultSerializer

    def visible_comparison(self):
        comparison = self.comparison()
        if not visibility.sees_results(self.viewer, comparison):
            raise exceptions.NotFound(gettext("没有可查看的结果"))
        return comparison

    @extend_schema(operation_id="comparisons_results_list", responses={200: s.MeasurandResultSerializer(many=True)})
    def get(self, request, pk):
        return Response(s.MeasurandResultSerializer(self.visible_comparison().measurands.all(), many=True).data)


class Plot(Results):
    @extend_schema(responses={(200, "image/svg+xml"): OpenApiResponse(description="results and degrees of equivalence")})
    def get(self, request, pk, mid):
        measurand = get_object_or_404(self.visible_comparison().measurands, pk=mid)
        if not measurand.plot_svg:
            raise exceptions.NotFound(gettext("尚未计算"))
        return HttpResponse(measurand.plot_svg, content_type="image/svg+xml")


class Reports(Base):
    serializer_class = s.ReportSerializer

    @extend_schema(operation_id="comparisons_reports_list", responses={200: s.ReportSerializer(many=True)})
    def get(self, request, pk):
        return Response(s.ReportSerializer(visibility.reports(self.viewer, self.comparison()), many=True).data)


class ReportDetail(Base):
    serializer_class = s.ReportSerializer

    def get(self, request, pk, stage):
        report = get_object_or_404(visibility.reports(self.viewer, self.comparison()), stage=stage)
        return Response(s.ReportSerializer(report).data)

    @extend_schema(request=s.ReportInputSerializer, responses={200: s.ReportSerializer})
    def put(self, request, pk, stage):
        if stage not in Report.Stage.values:
            raise exceptions.NotFound(gettext("没有这一报告阶段"))
        report = services.write_report(request.user, self.comparison(), stage=stage, **self.valid(s.ReportInputSerializer))
        return Response(s.ReportSerializer(report).data)


class FollowUps(Base):
    serializer_class = s.FollowUpSerializer
    pagination_class = ComparisonPagination

    def get_queryset(self):
        queryset = visibility.follow_ups(
            self.viewer, FollowUpAction.objects.select_related("comparison", "institution", "measurand")
        )
        state = self.request.query_params.get("status")
        return queryset.filter(status=state) if state else queryset

    @extend_schema(operation_id="comparisons_follow_ups_list", responses={200: s.FollowUpSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.FollowUpSerializer(page, many=True).data)


class FollowUpDetail(Base):
    serializer_class = s.FollowUpSerializer

    def action_row(self):
        return get_object_or_404(visibility.follow_ups(self.viewer), pk=self.kwargs["fid"])

    def get(self, request, fid):
        return Response(s.FollowUpSerializer(self.action_row()).data)

    @extend_schema(request=s.FollowUpUpdateSerializer, responses={200: s.FollowUpSerializer})
    def patch(self, request, fid):
        action = services.update_follow_up(request.user, self.action_row(), **self.valid(s.FollowUpUpdateSerializer))
        return Response(s.FollowUpSerializer(action).data)


class PublicComparisons(Base):
    """Published comparisons with their computed results (the public portal's API)."""

    serializer_class = s.PublicComparisonSerializer
    pagination_class = ComparisonPagination

    def get_queryset(self):
        return (
            Comparison.objects.filter(status=Comparison.Status.PUBLISHED)
            .select_related("pilot", "administrator_region")
            .prefetch_related("measurands")
        )

    @extend_schema(operation_id="comparisons_public_list", responses={200: s.PublicComparisonSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.PublicComparisonSerializer(page, many=True).data)


class PublicComparisonDetail(PublicComparisons):
    pagination_class = None

    def get(self, request, pk):
        return Response(s.PublicComparisonSerializer(get_object_or_404(self.get_queryset(), pk=pk)).data)
