"""The accounts API: who am I (``api/me/``), my API tokens (``api/tokens/``) and a
throttled password login for browser sessions (``api/auth/login/``)."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.middleware.csrf import get_token
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from . import throttling
from .models import ApiToken, Membership
from .roles import actor_for


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(
        help_text="anonymous, public, national, region_admin, auditor, institution_staff or enterprise_user"
    )
    region = serializers.CharField(allow_null=True, help_text="GB/T 2260 code of the supervised region")
    organisation = serializers.IntegerField(allow_null=True)
    sub_roles = serializers.ListField(child=serializers.ChoiceField(choices=["verifier", "checker", "approver"]))


def describe(user) -> dict:
    actor = actor_for(user)
    membership: Membership | None = getattr(user, "membership", None)
    return {
        "username": user.get_username(),
        "role": actor.kind,
        "region": membership.region.code if membership is not None and membership.region_id else None,
        "organisation": actor.organisation_id,
        "sub_roles": [
            name
            for name, on in (("verifier", actor.is_verifier), ("checker", actor.is_checker), ("approver", actor.is_approver))
            if on
        ],
    }


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(describe(request.user))


class ApiTokenSerializer(serializers.ModelSerializer):
    active = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "active"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at", "active"]

    def get_active(self, row) -> bool:
        return row.is_active()

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("must be in the future")
        return value


class IssuedApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="the secret: shown once, store it now")

    class Meta(ApiTokenSerializer.Meta):
        fields = ApiTokenSerializer.Meta.fields + ["token"]


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your own API tokens: create (the secret is in the response, once), list, revoke (DELETE)."""

    serializer_class = ApiTokenSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = ApiToken.objects.all()
    filter_backends = []

    def get_queryset(self):
        return ApiToken.objects.filter(user_id=self.request.user.pk).order_by("-id")

    @extend_schema(request=ApiTokenSerializer, responses={201: IssuedApiTokenSerializer})
    def create(self, request):
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row, token = ApiToken.issue(request.user, serializer.validated_data["name"], serializer.validated_data.get("expires_at"))
        data = IssuedApiTokenSerializer(row).data
        data["token"] = token
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        instance.revoke()  # kept, so the list shows when it was revoked


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class CsrfTokenSerializer(serializers.Serializer):
    csrf_token = serializers.CharField(help_text="send it back as the X-CSRFToken header (the csrftoken cookie is set too)")


class LoginView(APIView):
    """Password login for a browser session, throttled per username, per address and per
    both (accounts.throttling). The login is CSRF-protected like the pages' sign-in (a
    forged cross-site login would sign the victim in as the attacker): GET gives the token
    and sets its cookie; POST needs both."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [throttling.ScopedWindowThrottle]
    throttle_scope = "login"

    @extend_schema(responses={200: CsrfTokenSerializer})
    def get(self, request):
        return Response({"csrf_token": get_token(request._request)})

    @extend_schema(request=LoginSerializer, responses={200: MeSerializer})
    def post(self, request):
        # No authentication class runs here, so none checks CSRF: the session one's check.
        SessionAuthentication().enforce_csrf(request)
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username, password = form.validated_data["username"], form.validated_data["password"]
        if throttling.is_locked_out(username, request):
            raise exceptions.Throttled(detail=throttling.LOCKED_OUT_MESSAGE, wait=throttling.lockout_seconds())
        user = authenticate(request, username=username, password=password)
        if user is None:
            throttling.record_failure(username, request)
            # 400 like DRF's obtain_auth_token: a bad form, not a bad credential header.
            raise exceptions.ValidationError({"non_field_errors": ["username or password is wrong"]})
        throttling.reset(username, request)
        login(request._request, user)
        return Response(describe(user))


class LogoutView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
