from django.db import migrations


def seed(apps, schema_editor):
    from sqm.core.province import CITIES

    City = apps.get_model("core", "City")
    for order, (code, name, _division, _districts) in enumerate(CITIES):
        City.objects.get_or_create(code=code, defaults={"name": name, "ordering": order})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
