"""The common venues of papers/fixtures/venues.json, installed on every migrate by key, so
venues that already exist (edited by moderators, or from the demo loader) are left alone."""

import json
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "venues.json"


def ensure_common_venues(**kwargs):
    from .models import Venue

    existing = set(Venue.objects.values_list("key", flat=True))
    records = json.loads(FIXTURE.read_text(encoding="utf-8"))
    Venue.objects.bulk_create(
        Venue(**{k: v for k, v in record["fields"].items()})
        for record in records
        if record["fields"]["key"] not in existing
    )
