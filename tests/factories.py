"""factory_boy factories for the domain models."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from sqm.core.models import City, User
from sqm.customers.models import Account, Customer
from sqm.network.models import Board, Olt, Onu, PonPort


def city(code: str = "NJ") -> City:
    return City.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for code in extracted or []:
            self.groups.add(Group.objects.get(name=code))

    @factory.post_generation
    def city_codes(self, create, extracted, **kwargs):
        for code in extracted or []:
            self.cities.add(City.objects.get(code=code))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_id = factory.Sequence(lambda n: f"C{n:08d}")
    name = "张三丰"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    id_number = "32010219800101123X"
    address = "南京市玄武区中山路1号"
    city = factory.LazyFunction(lambda: City.objects.get(code="NJ"))
    district = "玄武区"


class OltFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Olt

    olt_id = factory.Sequence(lambda n: f"OLT-{n:05d}")
    name = factory.Sequence(lambda n: f"南京玄武OLT{n:02d}")
    ip = factory.Sequence(lambda n: f"10.1.{n // 250}.{n % 250 + 1}")
    vendor = "华为"
    city = factory.LazyFunction(lambda: City.objects.get(code="NJ"))
    district = "玄武区"


def port(olt: Olt, frame: int = 0, slot: int = 1, number: int = 0) -> PonPort:
    board, _ = Board.objects.get_or_create(olt=olt, frame=frame, slot=slot)
    pon, _ = PonPort.objects.get_or_create(
        board=board, olt=olt, frame=frame, slot=slot, port=number
    )
    return pon


def onu(pon: PonPort, onu_id: str) -> Onu:
    return Onu.objects.create(
        onu_id=onu_id,
        pon_port=pon,
        olt_id=pon.olt_id,
        frame=pon.frame,
        slot=pon.slot,
        port=pon.port,
    )


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    account_id = factory.Sequence(lambda n: f"A{n:09d}")
    customer = factory.SubFactory(CustomerFactory)
    service = "broadband"
    status = "active"
    address = "南京市玄武区中山路1号3幢201室"
    bandwidth_mbps = 500
