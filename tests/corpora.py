"""The shared test corpora (../shared/corpora beside the project). They must be there: a
missing corpus fails the run instead of silently skipping the tests that need it."""

from pathlib import Path

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

if not CORPORA.is_dir():
    raise RuntimeError(f"The shared test corpora are missing: expected them at {CORPORA}")

BIBTEX = CORPORA / "bibtex"
XSS = CORPORA / "xss"
BIBTEX_FILES = sorted(BIBTEX.glob("*.bib"))
XSS_FILES = sorted(XSS.glob("*.txt"))
