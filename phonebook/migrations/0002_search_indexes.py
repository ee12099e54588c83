"""Engine-specific search indexes (see phonebook/search_index.py): FTS5 on SQLite,
tsvector + pg_trgm on PostgreSQL, FULLTEXT on MariaDB/MySQL."""

from django.db import migrations


def install(apps, schema_editor):
    from phonebook import search_index

    search_index.install(schema_editor)


def uninstall(apps, schema_editor):
    from phonebook import search_index

    search_index.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("phonebook", "0001_contacts")]

    operations = [migrations.RunPython(install, uninstall, atomic=False, elidable=False)]
