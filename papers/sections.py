"""The home page's sections, as on the original site: All, CompSci, Biology and Physics
(`?s=`). A paper belongs to a section by its arXiv categories (kept as keywords: `cs.LG`,
`q-bio.NC`, `hep-th`) or by its venue (dblp's `conf/` and `journals/` keys are computer
science, except arXiv's own `journals/corr`, which goes by categories; DOI prefixes of biology
and physics publishers); it may be in more than one.

Only papers with public summaries can show on the home page, so only they are sorted into
sections: in Python, from two queries (their venues, their keywords), kept in the cache for
SECTION_CACHE_SECONDS. As a SQL filter on every summary the same rules cost PostgreSQL a scan
of every paper's keywords (0.7 s on the benchmark data); a paper newly summarized joins its
section's list within that time (it is on All at once).
"""

from django.core.cache import cache

from .models import Paper

ALL = "All"
SECTION_CACHE_SECONDS = 300
CACHE_KEY = "sections:summarized:v1"
ARXIV_VENUE = "journals/corr"


class Section:
    def __init__(self, name, *, keyword_prefixes, venue_prefixes=(), keywords=()):
        self.name = name
        self.keyword_prefixes = keyword_prefixes
        self.venue_prefixes = venue_prefixes
        self.keywords = frozenset(keywords)

    def has_keyword(self, name):
        return name in self.keywords or name.startswith(self.keyword_prefixes)

    def holds(self, venue_key, keywords):
        """Whether a paper with this venue key (or None) and these keywords is in the section."""
        if any(self.has_keyword(keyword) for keyword in keywords):
            return True
        return (
            bool(venue_key)
            and venue_key != ARXIV_VENUE
            and venue_key.startswith(self.venue_prefixes or ("\0",))
        )

    def filter(self, summaries):
        """`summaries` narrowed to those of papers in this section."""
        ids = summarized_papers().get(self.name)
        return summaries if ids is None else summaries.filter(paper_id__in=sorted(ids))


SECTIONS = {
    "CompSci": Section(
        "CompSci",
        keyword_prefixes=("cs.", "eess."),
        keywords=("stat.ML", "dblp"),
        venue_prefixes=("conf/", "journals/"),
    ),
    "Biology": Section(
        "Biology",
        keyword_prefixes=("q-bio",),
        # bioRxiv, PLOS, BMC, eLife; dblp's bioinformatics journals.
        venue_prefixes=("10.1101", "10.1371", "10.1186", "10.7554", "journals/bioinformatics"),
    ),
    "Physics": Section(
        "Physics",
        keyword_prefixes=(
            "astro-ph",
            "cond-mat",
            "gr-qc",
            "hep-",
            "math-ph",
            "nlin",
            "nucl-",
            "physics",
            "quant-ph",
        ),
        # The American Physical Society and IOP Publishing.
        venue_prefixes=("10.1103", "10.1088"),
    ),
}
NAMES = [ALL, *SECTIONS]


def named(text):
    """The section a `?s=` value names, in any case, or None for All (and anything unknown)."""
    text = (text or "").strip().lower()
    return next((section for name, section in SECTIONS.items() if name.lower() == text), None)


def summarized_papers():
    """{section name: ids of its papers with public summaries, or None when that is all of
    them}, from the cache or from two queries."""
    found = cache.get(CACHE_KEY)
    if found is None:
        found = _sort_summarized_papers()
        cache.set(CACHE_KEY, found, SECTION_CACHE_SECONDS)
    return found


def _sort_summarized_papers():
    summarized = Paper.objects.filter(public_summary_count__gt=0)
    venues = dict(summarized.values_list("pk", "venue__key"))
    keywords = {pk: [] for pk in venues}
    links = Paper.keywords.through.objects.filter(paper__in=summarized.values("pk"))
    for paper_id, name in links.values_list("paper_id", "keyword__name"):
        keywords.setdefault(paper_id, []).append(name)
    found = {}
    for name, section in SECTIONS.items():
        ids = {pk for pk, venue in venues.items() if section.holds(venue, keywords.get(pk, ()))}
        found[name] = None if len(ids) == len(venues) else frozenset(ids)
    return found
