"""The test corpora in tests/corpora/, shipped with the repository (see its README for the
sources and licences). A missing corpus fails the run instead of silently skipping."""

from pathlib import Path

CORPORA = Path(__file__).resolve().parent / "corpora"

if not CORPORA.is_dir():
    raise RuntimeError(f"The test corpora are missing: expected them at {CORPORA}")

BIBTEX = CORPORA / "bibtex"
XSS = CORPORA / "xss"
BIBTEX_FILES = sorted(BIBTEX.glob("*.bib"))
XSS_FILES = sorted(XSS.glob("*.txt"))
