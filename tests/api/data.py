"""Test data shared by the API tests and the permission matrix: a small network per city.

A city holds one OLT with two PON ports and three ONUs, and one customer with accounts in
every state: A1 active broadband on ONU A, A2 suspended on ONU B, A3 mobile (no ONU),
A4 active broadband on ONU C behind the second port.
"""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.test import APIClient

from sqm.api import tokens
from sqm.customers.models import Account, Customer
from sqm.network.models import FaultEvent, Olt, Onu, PonPort
from tests.factories import AccountFactory, CustomerFactory, OltFactory, city, onu, port

# The Nanjing customer's personal data, looked for in response bodies.
MOBILE = "13812345678"
ID_NUMBER = "320102199001011234"
NAME = "李秀英"
ADDRESS = "南京市玄武区珠江路88号新世界中心A座1201室"
NJ_PERSONAL_DATA = {
    "name": NAME,
    "mobile": MOBILE,
    "id_number": ID_NUMBER,
    "address": ADDRESS,
    "customer_type": "group",
    "tier": "gold",
}


def token_key(user) -> str:
    """A fresh API token's key for USER (each call its own token, none replaced)."""
    return tokens.issue(user, "tests", replace=False).key


def token_client(user, language: str | None = None) -> APIClient:
    """An APIClient with a fresh token of USER; LANGUAGE, if given, as its Accept-Language."""
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Token {token_key(user)}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    client.credentials(**headers)
    return client


@dataclass
class CityData:
    customer: Customer
    olt: Olt
    port: PonPort
    other_port: PonPort
    onu: Onu
    other_onu: Onu
    active: Account
    suspended: Account
    mobile_account: Account
    other_port_account: Account


def build_city(code: str, prefix: str, **customer) -> CityData:
    olt = OltFactory(olt_id=f"{prefix}-OLT-1", city=city(code))
    first, second = port(olt, 0, 1, 0), port(olt, 0, 1, 1)
    onu_a, onu_b = onu(first, f"{prefix}-ONU-A"), onu(first, f"{prefix}-ONU-B")
    onu_c = onu(second, f"{prefix}-ONU-C")
    owner = CustomerFactory(customer_id=f"{prefix}-C1", city=city(code), **customer)
    return CityData(
        customer=owner,
        olt=olt,
        port=first,
        other_port=second,
        onu=onu_a,
        other_onu=onu_b,
        active=AccountFactory(account_id=f"{prefix}-A1", customer=owner, onu=onu_a),
        suspended=AccountFactory(
            account_id=f"{prefix}-A2", customer=owner, onu=onu_b, status="suspended"
        ),
        mobile_account=AccountFactory(
            account_id=f"{prefix}-A3", customer=owner, service="mobile", onu=None
        ),
        other_port_account=AccountFactory(account_id=f"{prefix}-A4", customer=owner, onu=onu_c),
    )


def build_nanjing() -> CityData:
    return build_city("NJ", "NJ", **NJ_PERSONAL_DATA)


def build_suzhou() -> CityData:
    return build_city("SZ", "SZ", mobile="13900000001", district="姑苏区")


def build_fault(data: CityData) -> FaultEvent:
    """An active fault event on the city's first PON port (no alarms, outages or SMS)."""
    from django.utils import timezone

    return FaultEvent.objects.create(
        level="pon",
        olt=data.olt,
        board=data.port.board,
        pon_port=data.port,
        city=data.olt.city,
        type="LOS",
        severity="critical",
        started_at=timezone.now(),
    )
