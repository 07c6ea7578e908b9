"""REST API of the service-quality indicators under /api/v1/kpi/: the registry, KPI runs
(read, and queue one), their values and the drill-down from a figure to its records.

City-scoped like the pages (sqm/quality/dashboard.py answers for both): a user bound to
cities reads their cities' values only and drills into their cities only.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from sqm.api.pagination import Pagination
from sqm.api.parsers import JSONParser
from sqm.api.schema import AutoSchema, ErrorSerializer, SingleAnswerSchema
from sqm.api.viewsets import ReadOnlyViewSet
from sqm.quality import dashboard, drilldown, services
from sqm.quality.choices import Breakdown, Engine, IndicatorProduct, Phase, RunStatus
from sqm.quality.models import Indicator, IndicatorTarget, KpiRun, KpiValue
from sqm.quality.registry import definitions_by_code

MONTH_PATTERN = r"^\d{4}-\d{2}$"
VIEW = ["quality.view_kpirun"]


def _choices_text(choices) -> str:
    return ", ".join(choices.values)


class TargetSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = IndicatorTarget
        fields = ["year", "city", "target", "warning"]


class IndicatorSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: enums named `product`, `unit` … would collide with others.
    product = serializers.CharField(read_only=True, help_text=_choices_text(IndicatorProduct))
    phase = serializers.CharField(read_only=True, help_text=_choices_text(Phase))
    unit = serializers.CharField(
        read_only=True, help_text=gettext_lazy("ratio (a share: 0.95), per_10k, hours, mbps, …")
    )
    better = serializers.CharField(read_only=True, help_text="higher, lower")
    breakdowns = serializers.ListField(child=serializers.CharField(), read_only=True)
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "code", "name_zh", "name_en", "product", "phase", "unit", "better",
            "definition_zh", "definition_en", "source", "breakdowns", "default_target",
            "default_warning", "headline", "targets",
        ]  # fmt: skip
        read_only_fields = fields


class IndicatorFilterSet(django_filters.FilterSet):
    product = django_filters.ChoiceFilter(choices=IndicatorProduct.choices)
    phase = django_filters.ChoiceFilter(choices=Phase.choices)

    class Meta:
        model = Indicator
        fields = ["product", "phase"]


class IndicatorViewSet(ReadOnlyViewSet):
    """The indicator registry (docs/kpi.md): definitions, units, breakdowns and the targets
    set per year and city. Found by code, e.g. `kpi/indicators/BB-REPAIR-TIMELY/`."""

    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        # A user bound to cities reads the province's targets and their cities' (as the
        # indicator page shows them), not other cities'.
        targets = IndicatorTarget.objects.select_related("city")
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            targets = targets.none()
        elif not dashboard.all_cities(user):
            targets = targets.filter(Q(city__isnull=True) | Q(city_id__in=sorted(user.city_ids())))
        return Indicator.objects.filter(code__in=list(definitions_by_code())).prefetch_related(
            Prefetch("targets", queryset=targets)
        )


class RunSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField(help_text="YYYY-MM")
    engine = serializers.CharField(read_only=True, help_text=_choices_text(Engine))
    status = serializers.CharField(read_only=True, help_text=_choices_text(RunStatus))
    indicators = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=gettext_lazy("The codes computed; empty: every indicator."),
    )
    breakdowns = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = KpiRun
        fields = [
            "id", "month", "engine", "indicators", "breakdowns", "status", "progress",
            "stage", "error", "seconds", "created", "created_by", "finished",
        ]  # fmt: skip
        read_only_fields = fields

    def get_month(self, run) -> str:
        return f"{run.month:%Y-%m}"


class RunRequestSerializer(serializers.Serializer):
    month = serializers.RegexField(MONTH_PATTERN, help_text=gettext_lazy("YYYY-MM"))
    engine = serializers.ChoiceField(Engine.choices, default=Engine.DUCKDB)
    indicators = serializers.ListField(
        child=serializers.CharField(max_length=40),
        default=list,
        max_length=200,
        help_text=gettext_lazy("Indicator codes; empty or left out: every indicator."),
    )
    breakdowns = serializers.ListField(
        child=serializers.ChoiceField(Breakdown.choices),
        default=lambda: list(services.DEFAULT_BREAKDOWNS),
        min_length=1,
        max_length=10,
    )

    def validate(self, data: dict) -> dict:
        try:
            data["month"] = services.parse_month(data["month"])
            services.check_request(data["indicators"], data["breakdowns"], data["engine"])
        except services.InputError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return data


class RunFilterSet(django_filters.FilterSet):
    month = django_filters.CharFilter(method="filter_month", label="YYYY-MM")
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)

    class Meta:
        model = KpiRun
        fields = ["month", "status"]

    def filter_month(self, queryset, name, value):
        return queryset.filter(month=_month(value, "month").first)


def _month(text: str, field: str):
    try:
        return services.parse_month(text)
    except services.InputError as exc:
        raise ApiValidationError({field: [str(exc)]}) from None


class DifferenceSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    breakdown = serializers.CharField()
    key = serializers.CharField(allow_blank=True)
    before = serializers.FloatField(allow_null=True, help_text=gettext_lazy("previous run"))
    after = serializers.FloatField(allow_null=True, help_text=gettext_lazy("this run"))


@extend_schema(methods=["POST"], request=RunRequestSerializer, responses={201: RunSerializer})
class RunViewSet(mixins.CreateModelMixin, ReadOnlyViewSet):
    """KPI runs, newest first: one computation of the indicators for a month, never changed
    once done (computing a month again is a new run). POST queues a run for the worker;
    follow its `status` and `progress` here, then read its figures in `kpi/values/?run=`."""

    serializer_class = RunSerializer
    filterset_class = RunFilterSet
    parser_classes = [JSONParser]
    action_permissions = {
        "create": ["quality.view_kpirun", "quality.compute_kpi"],
        "differences": VIEW,
    }

    def get_queryset(self):
        return KpiRun.objects.select_related("created_by").order_by("-created", "-id")

    @extend_schema(responses=DifferenceSerializer(many=True))
    @action(detail=True, filter_backends=[], pagination_class=None)
    def differences(self, request, pk=None):
        """The values (of your cities and the province) that differ from the previous done
        run of the same month; empty for the first run of a month or a run not done."""
        run = self.get_object()
        previous = dashboard.previous_run(run) if run.status == RunStatus.DONE else None
        if previous is None:
            return Response([])
        rows = dashboard.visible_differences(request.user, previous, run)
        return Response(DifferenceSerializer(rows, many=True).data)

    def create(self, request, *args, **kwargs):
        body = RunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        run = dashboard.start_run(
            data["month"],
            request.user,
            engine=data["engine"],
            codes=data["indicators"],
            breakdowns=data["breakdowns"],
        )
        return Response(RunSerializer(run).data, status=201)


class ValueSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField(help_text="YYYY-MM")
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    breakdown = serializers.CharField(read_only=True, help_text=_choices_text(Breakdown))
    key = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy("The breakdown value (南京, 南京/玄武区 …); empty: the province."),
    )
    city = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    status = serializers.CharField(
        read_only=True, help_text=gettext_lazy("met, warning, missed; empty: no value or target")
    )

    class Meta:
        model = KpiValue
        fields = [
            "run", "month", "indicator", "breakdown", "key", "city", "value", "numerator",
            "denominator", "target", "warning", "status",
        ]  # fmt: skip
        read_only_fields = fields

    def get_month(self, value) -> str:
        return f"{value.run.month:%Y-%m}"


class ValueFilterSet(django_filters.FilterSet):
    run = django_filters.NumberFilter(field_name="run_id", min_value=1, max_value=2**62)
    month = django_filters.CharFilter(
        method="filter_month", label=gettext_lazy("YYYY-MM: the month's newest full run")
    )
    indicator = django_filters.CharFilter(field_name="indicator__code", max_length=40)
    breakdown = django_filters.ChoiceFilter(choices=Breakdown.choices)
    city = django_filters.CharFilter(method="filter_city", label=gettext_lazy("City code"))

    class Meta:
        model = KpiValue
        fields = ["run", "month", "indicator", "breakdown", "city"]

    def filter_month(self, queryset, name, value):
        month = _month(value, "month")
        if "run" in self.data and self.data.get("run"):
            return queryset.filter(run__month=month.first)
        run = services.latest_run(month)
        return queryset.filter(run=run) if run is not None else queryset.none()

    def filter_city(self, queryset, name, value):
        city = dashboard.find_city(value)
        return queryset.filter(city=city) if city is not None else queryset.none()


class ValueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Indicator values of your cities (the province's and cross-city values for users of
    every city): of one run (`?run=`), or of a month's newest full run (`?month=`)."""

    serializer_class = ValueSerializer
    filterset_class = ValueFilterSet
    pagination_class = Pagination
    schema = AutoSchema()
    action_permissions = {"list": VIEW}

    def get_queryset(self):
        return (
            dashboard.visible_values(self.request.user)
            .select_related("run", "indicator", "city")
            .order_by("run_id", "indicator__position", "breakdown", "key")
        )


class DrillDownSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    month = serializers.CharField()
    fact = serializers.CharField(help_text=gettext_lazy("repairs, complaints, activations, …"))
    description = serializers.CharField(help_text=gettext_lazy("What the list is, in words."))
    filters = serializers.DictField(child=serializers.CharField())
    more = serializers.BooleanField(help_text=gettext_lazy("More records than the 500 listed."))
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text=gettext_lazy(
            "The records: `ref` (the work order number, repair ID …) and the columns that "
            "explain the figure; times ISO 8601 in Asia/Shanghai."
        ),
    )


DRILL_PARAMETERS = [
    OpenApiParameter(
        "indicator", str, required=True, enum=sorted(definitions_by_code()),
        description=gettext_lazy("Indicator code"),
    ),
    OpenApiParameter("month", str, required=True, pattern=MONTH_PATTERN, description="YYYY-MM"),
    OpenApiParameter("city", str, description=gettext_lazy("City code (or name)")),
    *(OpenApiParameter(key, str, description=gettext_lazy("A breakdown value"))
      for key in ("district", "product", "channel", "cause")),
]  # fmt: skip


class DrillDownViewSet(viewsets.GenericViewSet):
    """The records behind one figure: from a city's repair timeliness to the repairs that
    missed it, from a complaint count to the work orders. Users bound to cities give one of
    their cities (`city=`); at most 500 records."""

    queryset = KpiValue.objects.none()
    schema = SingleAnswerSchema()
    pagination_class = None
    filter_backends: list = []
    action_permissions = {"list": VIEW}

    @extend_schema(
        parameters=DRILL_PARAMETERS,
        responses={
            200: DrillDownSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, gettext_lazy("Invalid input.")),
            404: OpenApiResponse(
                ErrorSerializer, gettext_lazy("No such city, or not one of your cities.")
            ),
        },
    )
    def list(self, request):
        code = request.query_params.get("indicator", "")
        if code not in definitions_by_code():
            raise ApiValidationError({"indicator": [_("Give the code of an indicator.")]})
        if not request.query_params.get("month"):
            raise ApiValidationError({"month": [_("Give the month (YYYY-MM).")]})
        try:
            found = drilldown.drill(
                request.user, code, request.query_params["month"], request.query_params
            )
        except dashboard.NotVisible:
            raise NotFound(_("No such city, or not one of your cities.")) from None
        except drilldown.DrillError as exc:
            raise ApiValidationError({"detail": [str(exc)]}) from None
        return Response(
            {
                "indicator": code,
                "month": found.month.label,
                "fact": found.fact,
                "description": found.description,
                "filters": found.filters,
                "more": found.more,
                "rows": [drilldown.row_json(row) for row in found.rows],
            }
        )


def register(router) -> None:
    router.register("kpi/indicators", IndicatorViewSet, basename="kpi-indicator")
    router.register("kpi/runs", RunViewSet, basename="kpi-run")
    router.register("kpi/values", ValueViewSet, basename="kpi-value")
    router.register("kpi/drill-down", DrillDownViewSet, basename="kpi-drill-down")
