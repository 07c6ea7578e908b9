"""Put COUNT due fault SMS (one customer and account each) into the database of SQM_HOME.

    python -m tests.notify.seed_outbox COUNT

Used by test_crash.py, which runs `sqm sms send` in other processes on that database.
Message i has the key `sms-i` and goes to 139 followed by i in 8 digits."""

from __future__ import annotations

import os
import sys


def main(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from sqm.core.models import City
    from sqm.customers.models import Account, Customer
    from sqm.notify.models import OutboundMessage

    city = City.objects.get(code="NJ")
    customers = Customer.objects.bulk_create(
        Customer(
            customer_id=f"C{i:08d}",
            name="张三",
            mobile=mobile(i),
            id_number="32010219800101123X",
            address="南京市玄武区中山路1号",
            city=city,
        )
        for i in range(count)
    )
    accounts = Account.objects.bulk_create(
        Account(account_id=f"A{i:09d}", customer=customer, service="broadband", address="x")
        for i, customer in enumerate(customers)
    )
    due = timezone.now() - timedelta(minutes=1)
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            key=f"sms-{i}",
            kind="fault",
            account=account,
            text=f"尊敬的客户：您的宽带因光缆故障中断，正在抢修，预计18:00前恢复。编号{i}【中国移动】",
            send_at=due,
        )
        for i, account in enumerate(accounts)
    )


def mobile(i: int) -> str:
    return f"139{i:08d}"


if __name__ == "__main__":
    main(int(sys.argv[1]))
