import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import override_settings

from sqm.core import crypto
from sqm.core.keys import rotate
from sqm.customers.models import Account, Customer
from sqm.env import new_data_key
from tests.factories import AccountFactory, CustomerFactory


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_it_re_encrypts_every_row_with_the_new_key_on_rotation(settings):
    old_spec = settings.SQM_DATA_KEY
    customer = CustomerFactory(mobile="13800001111", name="周杰")
    account = AccountFactory(customer=customer, address="南京市鼓楼区北京西路2号")
    old_id = crypto.keyring().active_id
    new_spec = f"{new_data_key()},{old_spec}"
    with override_settings(SQM_DATA_KEY=new_spec):
        new_id = crypto.keyring().active_id
        counts = rotate()
        assert counts["customers.Customer"] >= 1 and counts["customers.Account"] >= 1
        assert raw("customers_customer", "mobile", customer.pk).startswith(new_id + "$")
        assert raw("customers_account", "address", account.pk).startswith(new_id + "$")
        assert rotate()["customers.Customer"] == 0  # nothing left under the old key
    # The old key can now be dropped: only the new one is needed to read.
    with override_settings(SQM_DATA_KEY=new_spec.split(",")[0]):
        fresh = Customer.objects.get(pk=customer.pk)
        assert (fresh.mobile, fresh.name) == ("13800001111", "周杰")
        assert Account.objects.get(pk=account.pk).address == "南京市鼓楼区北京西路2号"
        assert fresh.pii_key_id == new_id != old_id


def test_a_known_phone_number_never_reaches_the_database_file(tmp_path):
    """Import a customer into a fresh embedded instance and grep the database files."""
    home = tmp_path / "home"
    csv_path = tmp_path / "customers.csv"
    csv_path.write_text(
        "customer_id,name,mobile,id_number,customer_type,tier,city,district,"
        "marketing_consent,service_sms_opt_out,address\n"
        "C1,欧阳明月,13712345678,320102198001011238,public,gold,南京,玄武区,0,0,"
        "南京市玄武区珠江路88号\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "SQM_DATABASE_URL"}
    env["SQM_HOME"] = str(home)
    for args in (["migrate", "-v0"], ["import", "customers", str(csv_path)]):
        subprocess.run(
            [sys.executable, "-m", "sqm.cli", *args], env=env, check=True, capture_output=True
        )
    files = [p for p in home.iterdir() if p.name.startswith("sqm.sqlite3")]
    assert files
    data = b"".join(p.read_bytes() for p in files)
    for secret in ("13712345678", "320102198001011238", "欧阳明月", "珠江路"):
        assert secret.encode("utf-8") not in data
        assert secret.encode("utf-16-le") not in data
