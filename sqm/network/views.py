from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, render

from sqm.core.views import paginate
from sqm.customers.models import Account
from sqm.network import services
from sqm.network.models import Olt, PonPort


@permission_required("network.view_olt", raise_exception=True)
def olt_list(request):
    olts = services.olts_with_counts(request.user)
    return render(request, "network/olt_list.html", {"page": paginate(request, olts)})


@permission_required("network.view_olt", raise_exception=True)
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


@permission_required("network.view_ponport", raise_exception=True)
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
