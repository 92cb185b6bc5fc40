from django.core.management import call_command
from django.db import migrations


def cut_teasers(apps, schema_editor):
    """Cut the teaser of every summary from its stored HTML (summaries.teasers)."""
    from summaries.teasers import cut

    Summary = apps.get_model("summaries", "Summary")
    batch = []
    for summary in Summary.objects.only("pk", "html").iterator(chunk_size=2000):
        summary.teaser = cut(summary.html)
        batch.append(summary)
        if len(batch) == 2000:
            Summary.objects.bulk_update(batch, ["teaser"])
            batch = []
    Summary.objects.bulk_update(batch, ["teaser"])


def create_cache_table(apps, schema_editor):
    """The table of the database cache that keeps the versions of cached pages' data when
    there is no Redis (settings.CACHES["versions"]); createcachetable skips existing tables."""
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("summaries", "0003_summary_teaser"),
    ]

    operations = [
        migrations.RunPython(cut_teasers, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
