from django.core.management.base import BaseCommand

from summaries.voting import recompute_reputation


class Command(BaseCommand):
    help = (
        "Recompute every writer's reputation: the mean net score of their public summaries, "
        "counting votes older than two days. Run it daily (votes settle over time)."
    )

    def handle(self, *args, **options):
        changed = recompute_reputation()  # ends the cached pages that show them
        self.stdout.write(f"Updated the reputation of {changed} writer(s).")
