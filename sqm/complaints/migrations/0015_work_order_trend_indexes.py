# Indexes for the home page's 30-day trend (complaints.workload): opened and closed per day.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0014_event_assign_and_internal_note"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["created"], name="workorder_created"),
        ),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["closed_at"], name="workorder_closed_at"),
        ),
    ]
