"""A console PBX to start with, so that `make run` can dial (into the log) at once."""

from django.db import migrations


def create_demo_pbx(apps, schema_editor):
    PbxServer = apps.get_model("drivers", "PbxServer")
    if not PbxServer.objects.exists():
        PbxServer.objects.create(
            name="Console (demo)",
            driver="console",
            context="from-internal",
            is_default=True,
        )


class Migration(migrations.Migration):
    dependencies = [("drivers", "0001_initial")]
    operations = [migrations.RunPython(create_demo_pbx, migrations.RunPython.noop)]
