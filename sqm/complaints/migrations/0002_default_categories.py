from django.db import migrations


def seed(apps, schema_editor):
    from sqm.complaints.categories import load_defaults

    load_defaults(apps.get_model("complaints", "Department"),
                  apps.get_model("complaints", "Category"))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
