"""The common venues of papers/fixtures/venues.json, installed once by a data migration, by
key: venues that already exist (edited by moderators, or from the demo loader) are left alone,
and one an administrator deleted later is not brought back by the next migrate."""

import json
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "venues.json"


def ensure_common_venues(Venue):
    """Add the common venues that are missing; run once, by a data migration, so that a venue
    an administrator deleted or renamed stays as they left it."""
    existing = set(Venue.objects.values_list("key", flat=True))
    records = json.loads(FIXTURE.read_text(encoding="utf-8"))
    Venue.objects.bulk_create(
        Venue(**{k: v for k, v in record["fields"].items()})
        for record in records
        if record["fields"]["key"] not in existing
    )
