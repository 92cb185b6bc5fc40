"""Every install gets the common venues of papers/fixtures/venues.json (by key, so venues that
already exist, e.g. from the demo loader, are left as they are)."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "venues.json"


def add_common_venues(apps, schema_editor):
    Venue = apps.get_model("papers", "Venue")
    for record in json.loads(FIXTURE.read_text(encoding="utf-8")):
        fields = dict(record["fields"])
        Venue.objects.get_or_create(key=fields.pop("key"), defaults=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0003_paper_title_key"),
    ]

    operations = [
        migrations.RunPython(add_common_venues, migrations.RunPython.noop),
    ]
