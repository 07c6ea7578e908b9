from decimal import Decimal

from django.db import migrations

# (name, tier, upgraded, response h, resolution h, callback h) — docs/sla.md
DEFAULTS = [
    ("普通投诉", "", None, "2", "48", "24"),
    ("金卡客户投诉", "gold", None, "1", "24", "24"),
    ("钻石卡客户投诉", "diamond", None, "1", "24", "24"),
    ("升级投诉", "", True, "1", "24", "24"),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    for name, tier, upgraded, response, resolution, callback in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            name=name,
            defaults={
                "tier": tier,
                "upgraded": upgraded,
                "response_hours": Decimal(response),
                "resolution_hours": Decimal(resolution),
                "callback_hours": Decimal(callback),
                "working_time": False,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0004_sla")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
