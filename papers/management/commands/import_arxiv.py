from papers.arxiv_metadata import parse_arxiv_snapshot

from ._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import papers from the arXiv metadata snapshot (one JSON object per line), keyed "
        "journals/corr/<arXiv id>, with categories as keywords. Safe to re-run."
    )
    source = "arXiv"

    def read(self, path):
        with open(path, encoding="utf-8", errors="replace") as lines:
            return parse_arxiv_snapshot(lines)
