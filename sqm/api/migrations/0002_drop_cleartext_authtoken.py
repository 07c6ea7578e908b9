"""Drop the table of DRF's old tokens (rest_framework.authtoken, no longer installed).

Its keys were stored in clear and never expired; left behind, a copy of the database would
still hand them out. Clients log in again to get a hashed, expiring token.
"""

from django.db import migrations

OLD_TABLE = "authtoken_token"


def drop_old_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE in connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")
    # Forget its migrations too, so re-installing the app would create the table again.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [("api", "0001_api_tokens")]

    operations = [migrations.RunPython(drop_old_tokens, migrations.RunPython.noop, elidable=True)]
