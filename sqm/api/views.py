"""The "API tokens" page: a user's own tokens (administrators: anyone's, with ?user=)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sqm.api import tokens


@login_required
def token_list(request):
    username = request.GET.get("user", "").strip()
    page = Paginator(tokens.tokens_of(request.user, username), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "api/tokens.html",
        {
            "page": page,
            "owner": username or request.user.get_username(),
            "user_query": username,
            "can_manage": tokens.can_manage(request.user),
        },
    )


@require_POST
@login_required
def token_revoke(request, pk: int):
    token = tokens.revocable_by(request.user).filter(pk=pk).first()
    if token is None:
        raise Http404  # someone else's token: as if it did not exist
    if tokens.revoke(token, by=request.user):
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    url = reverse("api_tokens:list")
    if token.user_id != request.user.pk:
        url += "?" + urlencode({"user": token.user.get_username()})
    return redirect(url)
