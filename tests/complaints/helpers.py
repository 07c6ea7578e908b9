"""Recording work orders in tests in one line."""

from sqm.complaints.models import Category, WorkOrder
from sqm.complaints.workorders import open_work_order
from tests.factories import CustomerFactory


def record(
    user,
    *,
    customer=None,
    code: str = "NQ.BB.01",
    channel: str = "hotline",
    description: str = "网速慢",
) -> WorkOrder:
    """A new work order recorded by USER (for a new Nanjing customer unless one is given)."""
    return open_work_order(
        user,
        customer=customer or CustomerFactory(),
        channel=channel,
        category=Category.objects.get(code=code),
        description=description,
    )
