"""The authorisation API: the register (public reads) and the acts of the issuing
administration (grant, extend, narrow, widen, revoke), each one use case of
``jiliang.authorisation.services``; a refusal is a 400 (403 for who) naming the field."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jiliang.registry.api import permissions
from jiliang.registry.api.refusals import NewestFirst, RefusalsAnswered

from .. import services
from ..models import Authorisation
from ..policies import AuthorisationPolicy
from . import serializers as s


class AuthorisationViewSet(RefusalsAnswered, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """计量授权: who may perform mandatory verification, for what, where, until when."""

    queryset = Authorisation.objects.prefetch_related("items__catalog_item", "areas__region", "history")
    serializer_class = s.AuthorisationSerializer
    policy = AuthorisationPolicy()
    permission_classes = [permissions.RegistryPermission]
    pagination_class = NewestFirst
    filter_backends: list = []

    @property
    def actor(self):
        return permissions.request_actor(self.request)

    def get_queryset(self):
        queryset = self.policy.visible(self.actor, self.queryset.all())
        institution = self.request.query_params.get("institution")
        if institution and institution.isdigit():
            queryset = queryset.filter(institution_id=int(institution))
        return queryset

    def _answer(self, auth, code=status.HTTP_200_OK):
        return Response(s.AuthorisationSerializer(self.get_queryset().get(pk=auth.pk)).data, status=code)

    @extend_schema(request=s.AuthorisationGrantSerializer, responses={201: s.AuthorisationSerializer})
    def create(self, request):
        data = s.AuthorisationGrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        auth = services.grant(
            self.actor,
            number=v["number"],
            institution=v["institution"],
            issuing_authority=v["issuing_authority"],
            form=v["form"],
            valid_from=v["valid_from"],
            valid_until=v["valid_until"],
            items=s.item_entries(v["items"]),
            regions=v["regions"],
            reason=v["reason"],
        )
        return self._answer(auth, status.HTTP_201_CREATED)

    def _act(self, name):
        auth = self.get_object()
        if not self.policy.writable(self.actor, auth):
            raise exceptions.PermissionDenied("only the issuing administration acts on its authorisations")
        return auth

    @extend_schema(request=s.AuthorisationExtendSerializer, responses={200: s.AuthorisationSerializer})
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        auth = self._act("extend")
        data = s.AuthorisationExtendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.extend(self.actor, auth, data.validated_data["valid_until"], data.validated_data["reason"]))

    @extend_schema(request=s.AuthorisationScopeSerializer, responses={200: s.AuthorisationSerializer})
    @action(detail=True, methods=["post"])
    def narrow(self, request, pk=None):
        auth = self._act("narrow")
        data = s.AuthorisationScopeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        items = [row["catalog_item"] for row in v["items"]]
        return self._answer(services.narrow(self.actor, auth, items=items, regions=v["regions"], on=v["on"], reason=v["reason"]))

    @extend_schema(request=s.AuthorisationScopeSerializer, responses={200: s.AuthorisationSerializer})
    @action(detail=True, methods=["post"])
    def widen(self, request, pk=None):
        auth = self._act("widen")
        data = s.AuthorisationScopeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        return self._answer(
            services.widen(
                self.actor, auth, items=s.item_entries(v["items"]), regions=v["regions"], on=v["on"], reason=v["reason"]
            )
        )

    @extend_schema(request=s.AuthorisationRevokeSerializer, responses={200: s.AuthorisationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        auth = self._act("revoke")
        data = s.AuthorisationRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.revoke(self.actor, auth, data.validated_data["reason"], on=data.validated_data["on"]))
