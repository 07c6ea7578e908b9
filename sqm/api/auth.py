"""Token log-in for API clients (a login like the web one: lock-out, audit, last login), and
the listing and revocation of API tokens."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, parsers, renderers, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from sqm.api import tokens
from sqm.api.models import ApiToken, RevokeReason, TokenState
from sqm.api.pagination import Pagination
from sqm.api.parsers import JSONParser
from sqm.api.schema import VALIDATION_ERROR, AutoSchema, ErrorSerializer


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    name = serializers.CharField(
        max_length=100,
        required=False,
        default=tokens.DEFAULT_NAME,
        help_text=_(
            "The client the token is for, e.g. a script's name. A new log-in of the same "
            "client revokes its earlier token."
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=_(
            'Send as the header "Authorization: Token <token>". Shown only this once: '
            "the server keeps only a hash of it."
        )
    )
    expires = serializers.DateTimeField(help_text=_("The token stops working at this time."))


class ObtainTokenView(APIView):
    """Exchange a user name and password for a new API token (valid SQM_TOKEN_DAYS days)."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()
    parser_classes = (JSONParser, parsers.FormParser, parsers.MultiPartParser)
    renderer_classes = (renderers.JSONRenderer,)
    schema = AutoSchema()

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenLoginSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(VALIDATION_ERROR, _("Wrong user name or password.")),
            429: OpenApiResponse(ErrorSerializer, _("Locked out after repeated failures.")),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        body = TokenLoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Through authenticate(): django-axes counts failures and refuses locked-out users,
        # and user_login_failed reaches the audit log.
        credentials = {k: body.validated_data[k] for k in ("username", "password")}
        user = authenticate(request, **credentials)
        if getattr(request, "axes_locked_out", False):
            return Response(
                {"detail": _("Too many failed logins. Try again later or ask an administrator.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with the user name and password.")]}
            )
        # A token log-in is a log-in: audit entry, last_login, axes resets the failure count.
        user_logged_in.send(sender=type(user), request=request, user=user)
        issued = tokens.issue(user, body.validated_data["name"])
        answer = {"token": issued.key, "expires": issued.token.expires}
        return Response(TokenSerializer(answer).data)


obtain_token = ObtainTokenView.as_view()


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    state = serializers.SerializerMethodField()
    # Empty while the token is not revoked (ModelSerializer drops allow_blank on read-only).
    revoke_reason = serializers.ChoiceField(
        choices=RevokeReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "user",
            "name",
            "created",
            "expires",
            "last_used",
            "state",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=TokenState.choices))
    def get_state(self, token: ApiToken) -> str:
        return token.state()


@extend_schema(tags=["auth"])
class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """API tokens: your own; administrators name anyone's with `?user=`. The key is never shown."""

    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    schema = AutoSchema()

    queryset = ApiToken.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        if self.action == "list":
            return tokens.tokens_of(user, self.request.query_params.get("user"))
        # Someone else's token is a 404 to a normal user, as if it did not exist.
        return tokens.revocable_by(user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "user",
                str,
                description=_("Administrators: list this user's tokens instead of your own."),
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={204: OpenApiResponse(description=_("Revoked (or already inactive)."))}
    )
    def destroy(self, request, *args, **kwargs):
        """Revoke the token: it stops working at once; it stays listed as revoked."""
        tokens.revoke(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("auth/tokens", ApiTokenViewSet, basename="apitoken")
