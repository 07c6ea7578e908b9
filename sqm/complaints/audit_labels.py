"""Labels of the work-order codes that audit entries carry (discovered by core.audit_text):
the filters of an exported work-order list read 状态 = 已关闭, not state = closed."""

from django.utils.translation import pgettext_lazy

from sqm.complaints.choices import Channel, RecordType, WorkOrderState
from sqm.complaints.queries import SLA_LABELS
from sqm.core.audit_text import register_target, register_values

LIST = "list:work_orders"

register_target(LIST, pgettext_lazy("audit target", "work-order list"))
register_values("state", WorkOrderState, scope=LIST)
register_values("record_type", RecordType, scope=LIST)
register_values("channel", Channel, scope=LIST)
register_values("sla", SLA_LABELS, scope=LIST)
