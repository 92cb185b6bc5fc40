"""Render stored summaries again: after a pipeline change, or those whose rendering degraded.

    python manage.py rerender_summaries             # every summary
    python manage.py rerender_summaries --outdated  # rendered by an older pipeline, or degraded

The stored html_version says which pipeline rendered a summary; --outdated picks those
below rendering.PIPELINE_VERSION and those marked with a render problem. Offline, a render
may take longer than a request's (--seconds). Source, revisions and edit dates stay as
they are; only the stored HTML, its version, its problem mark and its plain text change.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q

from papers.management.commands._import_command import ProgressBar
from summaries import rendering
from summaries.invalidation import summaries_changed
from summaries.models import Summary, refresh_public_counts


class Command(BaseCommand):
    help = "Re-render stored summaries (all, or --outdated ones) with the current pipeline."

    def add_arguments(self, parser):
        parser.add_argument(
            "--outdated",
            action="store_true",
            help="only summaries rendered by an older pipeline or marked as degraded",
        )
        parser.add_argument(
            "--seconds",
            type=float,
            default=10.0,
            help="time limit of one summary's Markdown step (default 10; requests use "
            f"{rendering.MARKDOWN_SECONDS})",
        )

    def handle(self, *args, outdated, seconds, verbosity, **options):
        summaries = Summary.objects.order_by("pk")
        if outdated:
            summaries = summaries.filter(
                Q(html_version__lt=rendering.PIPELINE_VERSION) | ~Q(render_problem="")
            )
        ids = list(summaries.values_list("pk", flat=True))
        progress = (
            ProgressBar(len(ids), self.stderr, unit="summaries") if verbosity and ids else None
        )
        request_seconds = rendering.MARKDOWN_SECONDS
        rendering.MARKDOWN_SECONDS = seconds
        degraded, refused = [], []
        try:
            for done, pk in enumerate(ids, 1):
                with transaction.atomic():
                    summary = Summary.objects.select_for_update().get(pk=pk)
                    cited_keys = summary.render(refuse_oversized=False)
                    # Only the rendering's fields: a re-render is not an edit.
                    Summary.objects.filter(pk=pk).update(
                        html=summary.html,
                        html_version=summary.html_version,
                        render_problem=summary.render_problem,
                        plain_text=summary.plain_text,
                        teaser=summary.teaser,
                    )
                    summary.sync_citations(cited_keys)
                    refresh_public_counts(paper_id=summary.paper_id, author_id=summary.author_id)
                    summaries_changed(summary_ids=[pk])  # its cached pages show the new HTML
                if summary.render_problem:
                    (refused if "at most" in summary.render_problem else degraded).append(pk)
                if progress:
                    progress.show(done)
        finally:
            rendering.MARKDOWN_SECONDS = request_seconds
            if progress:
                progress.close()
        self.stdout.write(
            f"Re-rendered {len(ids):,} summar{'y' if len(ids) == 1 else 'ies'} "
            f"with pipeline version {rendering.PIPELINE_VERSION}; "
            f"{len(degraded)} still degraded, {len(refused)} too large to render in full."
        )
        for label, pks in (("degraded", degraded), ("too large", refused)):
            if pks:
                shown = ", ".join(str(pk) for pk in pks[:20])
                self.stdout.write(f"  {label}: {shown}{' …' if len(pks) > 20 else ''}")
