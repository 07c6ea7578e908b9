import pytest
from django.db import connection

from sqm.core import crypto
from sqm.core.masking import mask_address, mask_id_number, mask_mobile, mask_name
from sqm.customers.models import Customer
from tests.factories import CustomerFactory


def test_it_masks_the_way_hotline_staff_expect():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_id_number("320102198001011234") == "3201**********1234"
    assert mask_address("南京市玄武区中山路1号") == "南京市****"
    assert mask_mobile("") == ""


@pytest.mark.django_db
def test_it_stores_personal_data_encrypted_and_reads_it_back():
    customer = CustomerFactory(mobile="13812345678", name="李四")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, mobile, mobile_hash FROM customers_customer WHERE id = %s", [customer.pk]
        )
        name, mobile, mobile_hash = cursor.fetchone()
    assert "李四" not in name and "13812345678" not in mobile
    assert mobile.startswith(crypto.keyring().active_id + "$")
    assert mobile_hash == crypto.lookup_hash("13812345678")
    fresh = Customer.objects.get(pk=customer.pk)
    assert (fresh.name, fresh.mobile) == ("李四", "13812345678")


@pytest.mark.django_db
def test_it_finds_a_customer_by_mobile_hash():
    customer = CustomerFactory(mobile="13912345678")
    found = Customer.objects.get(mobile_hash=crypto.lookup_hash("139 1234 5678"))
    assert found == customer


@pytest.mark.django_db
def test_it_refuses_ciphertext_moved_to_another_column():
    customer = CustomerFactory(mobile="13812345678", name="李四")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET name = mobile WHERE id = %s", [customer.pk])
    with pytest.raises(Exception):  # noqa: B017 - AES-GCM InvalidTag: the column is in the AAD
        Customer.objects.get(pk=customer.pk)
