from rest_framework import serializers, viewsets

from sqm.network.models import Olt


class OltSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Olt
        fields = ["id", "olt_id", "name", "ip", "vendor", "city", "district"]


class OltViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OltSerializer
    filterset_fields = ["vendor", "district"]

    def get_queryset(self):
        return Olt.objects.restrict(self.request.user).select_related("city")


def register(router) -> None:
    router.register("olts", OltViewSet, basename="olt")
