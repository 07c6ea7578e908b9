"""Names of the network lists whose exports are audited, and of the network's own actors
(discovered by core.audit_text)."""

from django.utils.translation import pgettext_lazy

from sqm.core.audit_text import register_actor, register_target
from sqm.core.changelog_text import register_field_labels
from sqm.network import fault_split
from sqm.network.choices import alarm_type_label

register_target("list:olts", pgettext_lazy("audit target", "OLT list"))
# The change log's actor of the automatic splits of fault events (no user makes them).
register_actor(fault_split.ACTOR, pgettext_lazy("change-log actor", "automatic fault split"))
# A fault event's alarm type is the NMS's code (`power-off`): the change log shows its label.
register_field_labels("network.faultevent", "type", alarm_type_label)
