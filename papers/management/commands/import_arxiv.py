from papers.arxiv_metadata import parse_arxiv_snapshot
from papers.parallel_parse import parse_arxiv_part, split_lines

from ._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import papers from the arXiv metadata snapshot (one JSON object per line), keyed "
        "journals/corr/<arXiv id>, with categories as keywords. Safe to re-run."
    )
    source = "arXiv"

    def _lines(self, path):
        with open(path, encoding="utf-8", errors="replace") as lines:
            return list(lines)

    def read(self, path):
        return parse_arxiv_snapshot(self._lines(path))

    def split(self, path):
        parts = split_lines(self._lines(path))
        return (parse_arxiv_part, parts) if parts else None
