"""The home page's sections, as on the original site: All, CompSci, Biology and Physics
(`?s=`). A paper belongs to a section by its arXiv categories (kept as keywords: `cs.LG`,
`q-bio.NC`, `hep-th`) or by its venue (dblp's `conf/` and `journals/` keys are computer
science; DOI prefixes of biology and physics publishers); it may be in more than one."""

from django.db.models import Exists, OuterRef, Q

from .models import Paper

ALL = "All"


class Section:
    def __init__(self, name, *, keyword_prefixes, venue_prefixes=(), keywords=()):
        self.name = name
        self.keyword_prefixes = keyword_prefixes
        self.venue_prefixes = venue_prefixes
        self.keywords = keywords

    def _keyword_match(self):
        match = Q(keyword__name__in=self.keywords) if self.keywords else Q(pk__in=[])
        for prefix in self.keyword_prefixes:
            match |= Q(keyword__name__startswith=prefix)
        return match

    def filter(self, queryset, *, paper=""):
        """`queryset` narrowed to this section; `paper` is the path from its model to the
        paper ("" for papers, "paper__" for summaries)."""
        tagged = Paper.keywords.through.objects.filter(
            self._keyword_match(), paper_id=OuterRef("paper_id" if paper else "pk")
        )
        found = Exists(tagged)
        for prefix in self.venue_prefixes:
            found |= Q(**{f"{paper}venue__key__startswith": prefix})
        excluded = Q(**{f"{paper}venue__key": "journals/corr"})  # arXiv: by its categories only
        return queryset.filter(found).exclude(excluded & ~Exists(tagged))


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
