from django.db import migrations


def seed(apps, schema_editor):
    from papers.venues import ensure_common_venues

    ensure_common_venues(apps.get_model("papers", "Venue"))


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0005_cheaper_imports"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
