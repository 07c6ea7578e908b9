"""Token log-in for API clients: a login like the web one (lock-out, audit, last login)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, renderers, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from sqm.api.parsers import JSONParser
from sqm.api.schema import VALIDATION_ERROR, AutoSchema, ErrorSerializer


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_('Send as the header "Authorization: Token <token>".'))


class ObtainTokenView(APIView):
    """Exchange a user name and password for the user's API token."""

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
        user = authenticate(request, **body.validated_data)
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
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


obtain_token = ObtainTokenView.as_view()
