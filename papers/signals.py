"""What the papers app tells the apps above it, which it may not import."""

from django.dispatch import Signal

# Sent inside the import's transaction with keys=[...] of papers (or aliases) that now exist:
# summaries waiting for them link their citations (summaries.models.resolve_waiting_citations).
papers_arrived = Signal()
