"""`GET /api/v1/search/?q=…&kind=…`: the one search (sqm/knowledge/search.py) over the API,
with the same scoping as the pages: the user's kinds and cities are part of the query."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from sqm.api.schema import SingleAnswerSchema
from sqm.knowledge import forms, search
from sqm.knowledge.models import SearchDocument


class HitSerializer(serializers.Serializer):
    kind = serializers.CharField()
    ref = serializers.CharField()
    title = serializers.CharField()
    snippet = serializers.CharField(help_text=gettext_lazy("HTML: the hits in <mark>"))
    score = serializers.FloatField()


class ResultsSerializer(serializers.Serializer):
    query = serializers.CharField()
    total = serializers.IntegerField()
    more = serializers.BooleanField()
    results = HitSerializer(many=True)


PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, required=True),
    OpenApiParameter(
        "kind", OpenApiTypes.STR, many=True, enum=["order", "problem", "article", "attachment"]
    ),  # fmt: skip
    OpenApiParameter("city", OpenApiTypes.STR, description="city code"),
    OpenApiParameter("category", OpenApiTypes.STR),
    OpenApiParameter("state", OpenApiTypes.STR),
    OpenApiParameter("handler", OpenApiTypes.STR),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
    OpenApiParameter("limit", OpenApiTypes.INT, description="1–100, 20 by default"),
    OpenApiParameter("offset", OpenApiTypes.INT),
]


class SearchViewSet(viewsets.GenericViewSet):
    """Work orders, problems, articles and attachment text that contain every word of `q`,
    best first (BM25); Chinese is matched by dictionary words and character pairs, so a
    phrase is found however it is cut. Only the kinds and cities the user may see."""

    queryset = SearchDocument.objects.none()
    schema = SingleAnswerSchema()
    pagination_class = None
    filter_backends: list = []
    action_permissions = {"list": []}  # any signed-in user; what they find is scoped

    @extend_schema(
        parameters=PARAMETERS,
        responses={
            200: ResultsSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, gettext_lazy("Invalid input.")),
        },
    )
    def list(self, request):
        form = forms.SearchForm(request.query_params)
        if not form.is_valid():
            raise ApiValidationError(form.errors.get_json_data())
        if not form.cleaned_data["q"]:
            raise ApiValidationError({"q": [_("Give the words to search for.")]})
        results = search.search(
            request.user,
            form.cleaned_data["q"],
            form.filters(),
            limit=form.cleaned_data["limit"] or 20,
            offset=form.cleaned_data["offset"] or 0,
        )
        return Response(
            {
                "query": results.query,
                "total": results.total,
                "more": results.more,
                "results": [hit.as_json() for hit in results.hits],
            }
        )


def register(router) -> None:
    router.register("search", SearchViewSet, basename="search")
