"""`Authorization: Token <key>` against our own hashed, expiring tokens (sqm.api.tokens)."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing and 401 challenge, with our token store and clear refusals.

    Subclassing TokenAuthentication keeps the header and drf-spectacular's `tokenAuth`
    security scheme; only the key check is ours.
    """

    keyword = "Token"

    def authenticate_credentials(self, key: str):
        # Imported here: DRF loads authentication classes while settings are read, before
        # the apps (and so the models) are ready.
        from sqm.api import tokens

        try:
            token = tokens.authenticate(key)
        except tokens.ExpiredToken as exc:
            when = formats.date_format(timezone.localtime(exc.token.expires), "Y-m-d H:i")
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(date)s. Log in again to get a new one.") % {"date": when}
            ) from None
        except tokens.RevokedToken as exc:
            raise exceptions.AuthenticationFailed(
                _("This token was revoked (%(reason)s). Log in again to get a new one.")
                % {"reason": exc.token.get_revoke_reason_display()}
            ) from None
        except tokens.UnknownToken:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
