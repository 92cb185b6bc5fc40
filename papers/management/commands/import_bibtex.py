from pathlib import Path

from papers.bibtex import parse_bibtex
from papers.importing import decode_bibtex_bytes
from papers.parallel_parse import parse_bibtex_part, split_bibtex

from ._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import papers from BibTeX files: new keys are created, known keys only fill empty "
        "fields, the same DOI, arXiv id or title and year becomes an alias. Safe to re-run."
    )
    source = "BibTeX import"

    def read(self, path):
        text, _ = decode_bibtex_bytes(Path(path).read_bytes())
        return parse_bibtex(text)

    def split(self, path):
        text, _ = decode_bibtex_bytes(Path(path).read_bytes())
        parts = split_bibtex(text)
        return (parse_bibtex_part, parts) if parts else None
