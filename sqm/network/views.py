from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from sqm.core.decorators import permission_required
from sqm.core.exporting import xlsx_response
from sqm.core.views import paginate
from sqm.customers.models import Account
from sqm.network import services
from sqm.network.models import Olt, PonPort


@permission_required("network.view_olt")
def olt_list(request):
    olts = services.olts_with_counts(request.user)
    return render(request, "network/olt_list.html", {"page": paginate(request, olts)})


@permission_required("network.view_olt")
def olt_detail(request, pk: int):
    olt = get_object_or_404(Olt.objects.restrict(request.user), pk=pk)
    return render(
        request,
        "network/olt_detail.html",
        {
            "olt": olt,
            "ports": services.ports_with_counts(olt),
        },
    )


@permission_required("network.view_ponport")
def port_detail(request, pk: int):
    port = get_object_or_404(PonPort.objects.restrict(request.user).select_related("olt"), pk=pk)
    accounts = (
        Account.objects.restrict(request.user)
        .filter(
            onu__olt_id=port.olt_id, onu__frame=port.frame, onu__slot=port.slot, onu__port=port.port
        )
        .select_related("customer", "onu")
    )
    return render(
        request,
        "network/port_detail.html",
        {
            "port": port,
            "page": paginate(request, accounts),
        },
    )


OLT_COLUMNS = [
    (gettext_lazy("OLT ID"), lambda o: o.olt_id),
    (pgettext_lazy("thing", "name"), lambda o: o.name),
    (gettext_lazy("management IP"), lambda o: o.ip or ""),
    (gettext_lazy("vendor"), lambda o: o.vendor),
    (gettext_lazy("city"), lambda o: o.city.name),
    (gettext_lazy("district"), lambda o: o.district),
    (gettext_lazy("PON ports"), lambda o: o.port_count),
    (gettext_lazy("ONUs"), lambda o: o.onu_count),
    (gettext_lazy("active accounts"), lambda o: o.account_count),
]


@permission_required("network.view_olt")
def olt_export(request):
    return xlsx_response(
        services.olts_with_counts(request.user).iterator(chunk_size=500),
        OLT_COLUMNS,
        filename="olts",
        sheet_title=str(_("OLTs")),
        user=request.user,
        target="list:olts",
        with_personal_data=False,
    )
