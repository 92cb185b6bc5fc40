import re

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .bibtex import arxiv_key, key_problem, normalize_key, normalize_title, resolve_identifier
from .invalidation import papers_changed, venue_changed
from .links import is_web_url, validate_web_url, validate_web_url_list

# Proxies and browsers may merge the two slashes of a URL pasted into a path.
ARXIV_NEW_STYLE = re.compile(r"^\d{4}\.\d{4,5}$")
_MERGED_SCHEME_SLASHES = re.compile(r"^(https?):/(?!/)", re.IGNORECASE)


def validate_bibtex_key(value):
    """Only what a BibTeX key can be, already normalized (the admin's forms use it)."""
    problem = key_problem(value) or (
        "the key is not normalized (NFC, no DBLP: prefix)" if normalize_key(value) != value else ""
    )
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:] + ".")


def title_key_for(title):
    """The comparison form of a title stored in Paper.title_key."""
    return normalize_title(title)[:255]


class Venue(models.Model):
    key = models.CharField(
        max_length=100, unique=True, help_text="dblp prefix such as conf/nips, or a DOI prefix."
    )
    name = models.CharField(max_length=300)
    short_name = models.CharField(max_length=50, blank=True)
    url = models.URLField(blank=True, validators=[validate_web_url])
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if not kwargs.get("force_insert"):
            venue_changed(self.pk)
            touch_papers(self.papers.all())  # headers show the venue's name

    def get_absolute_url(self):
        return reverse("papers:venue", args=[self.key])

    @property
    def web_url(self):
        return self.url if is_web_url(self.url) else ""

    @property
    def label(self):
        # "arXiv (Computing Research Repository)" already says arXiv: no " (arXiv)" after it.
        if self.short_name and not re.search(
            rf"\b{re.escape(self.short_name)}\b", self.name, flags=re.IGNORECASE
        ):
            return f"{self.name} ({self.short_name})"
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=300, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        renaming = not self._state.adding
        super().save(*args, **kwargs)
        if renaming:  # A renamed author changes what their papers are found by and show.
            papers = Paper.objects.filter(pk__in=self.authorships.values("paper_id"))
            papers.update_search_vectors()
            touch_papers(papers)

    def get_absolute_url(self):
        return reverse("papers:author", args=[self.slug])

    @property
    def family_name(self):
        """Last word of the name, before any ", Jr" suffix; good enough for citation labels."""
        words = self.name.split(",")[0].split()
        return words[-1] if words else self.name

    @classmethod
    def slug_for(cls, name):
        return slugify(name, allow_unicode=True)[:300] or "unknown"


# Keywords that record where an entry came from rather than what it is about: kept (exports
# and imports round-trip them), never shown to readers as a topic.
BOOKKEEPING_KEYWORDS = {"dblp"}


class Keyword(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if not kwargs.get("force_insert"):
            touch_papers(self.papers.all())

    def get_absolute_url(self):
        return reverse("papers:keyword", args=[self.name])

    @property
    def is_topic(self):
        return self.name.lower() not in BOOKKEEPING_KEYWORDS


def touch_papers(papers):
    """Mark `papers` (a queryset) changed: their headers and the pages showing them end."""
    ids = list(papers.values_list("pk", flat=True))
    if ids:
        Paper.objects.filter(pk__in=ids).update(updated=timezone.now())
        papers_changed(ids)


class PaperQuerySet(models.QuerySet):
    def for_listing(self):
        """What a page needs to show a paper's header without further queries."""
        return self.select_related("venue").prefetch_related(*self.listing_prefetches())

    @staticmethod
    def listing_prefetches(prefix=""):
        """Ordered authors and keywords; `prefix` reaches them through a relation."""
        return [
            models.Prefetch(
                f"{prefix}authorships",
                queryset=Authorship.objects.select_related("author").order_by("position"),
            ),
            f"{prefix}keywords",
        ]

    def update_search_vectors(self):
        """Re-index these papers for search: title, authors, abstract, keywords and the text of
        their public summaries. The write functions call it (set_authors(), set_keywords(),
        imports, the admin, summary saves), not Paper.save(); code that writes papers in
        bulk (a queryset .update()) must call it on what it wrote, e.g.
        `Paper.objects.filter(pk__in=ids).update_search_vectors()`."""
        from . import search

        search.reindex(self)

    def find(self, identifier):
        """The one resolver of paper identifiers: the paper named by its BibTeX key (`DBLP:`
        allowed), an alias key, an arXiv id in any form (`1506.01497v3`, `arXiv:1506.01497`,
        an arxiv.org URL), a DOI (bare, `doi:`, a doi.org URL) or a dblp URL; or None.
        Views, feeds, the API, search and the editor all go through it."""
        text = _MERGED_SCHEME_SLASHES.sub(r"\1://", identifier.strip())
        if not text or len(text) > 1000:
            return None
        if text.lower().startswith("dblp:"):
            text = text[5:]
        found = self._by_key(text)
        if found is not None:
            return found
        identified = resolve_identifier(text)
        if identified is None:
            return None
        kind, value = identified
        if kind == "arxiv":
            return (
                self.filter(models.Q(arxiv_id=value) | models.Q(bibtex_key=arxiv_key(value)))
                .order_by("pk")
                .first()
            )
        if kind == "doi":
            return self.filter(doi=value.lower()).order_by("pk").first()
        return self._by_key(value) if value != text else None

    def _by_key(self, key):
        paper = self.filter(bibtex_key=key).first()
        if paper is None:
            alias = PaperAlias.objects.filter(key=key).values_list("paper_id", flat=True).first()
            paper = self.filter(pk=alias).first() if alias else None
        return paper

    def find_many(self, identifiers, *, chunk=500):
        """{identifier: paper} for those of `identifiers` that `find` would resolve, in a
        handful of queries per `chunk` identifiers however many there are."""
        wanted = {}
        for identifier in identifiers:
            cleaned = identifier.strip()
            if cleaned.lower().startswith("dblp:"):
                cleaned = cleaned[5:]
            wanted.setdefault(cleaned, []).append(identifier)
        found = {}
        names = list(wanted)
        for start in range(0, len(names), chunk):
            batch = names[start : start + chunk]
            hits = {paper.bibtex_key: paper for paper in self.filter(bibtex_key__in=batch)}
            rest = [name for name in batch if name not in hits]
            if rest:
                aliases = PaperAlias.objects.select_related("paper").filter(key__in=rest)
                hits.update((alias.key, alias.paper) for alias in aliases)
            arxiv = [n for n in rest if n not in hits and ARXIV_NEW_STYLE.match(n)]
            if arxiv:
                by_arxiv = {p.arxiv_id: p for p in self.filter(arxiv_id__in=arxiv)}
                hits.update((n, by_arxiv[n]) for n in arxiv if n in by_arxiv)
            dois = [n for n in rest if n not in hits and n.startswith("10.") and "/" in n]
            if dois:
                by_doi = {p.doi: p for p in self.filter(doi__in=[n.lower() for n in dois])}
                hits.update((n, by_doi[n.lower()]) for n in dois if n.lower() in by_doi)
            for name, paper in hits.items():
                for identifier in wanted[name]:
                    found[identifier] = paper
        return found


class Paper(models.Model):
    bibtex_key = models.CharField(
        "BibTeX key", max_length=255, unique=True, validators=[validate_bibtex_key]
    )
    entry_type = models.CharField(max_length=30, default="article")
    title = models.CharField(max_length=1000)
    # Looked up through the (venue, year) index.
    venue = models.ForeignKey(
        Venue,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="papers",
        db_index=False,
    )
    venue_name = models.CharField(
        max_length=500, blank=True, help_text="The booktitle or journal as written in the entry."
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    abstract = models.TextField(blank=True)
    published = models.DateField("first published", null=True, blank=True)
    doi = models.CharField("DOI", max_length=255, blank=True)
    arxiv_id = models.CharField("arXiv id", max_length=50, blank=True)
    urls = models.JSONField(default=list, blank=True, validators=[validate_web_url_list])
    keywords = models.ManyToManyField(Keyword, blank=True, related_name="papers")
    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers")
    source = models.CharField(max_length=50, blank=True, help_text="Where the entry came from.")
    bibtex = models.TextField("original BibTeX entry", blank=True)
    # normalize_title(title), kept by save(): finds the same paper under another key.
    title_key = models.CharField(max_length=255, blank=True, editable=False)
    # Denormalized: how many public summaries the paper has (kept by Summary.save/delete).
    public_summary_count = models.PositiveIntegerField(default=0)
    # Denormalized: page views so far, added to by papers.viewcounts when it flushes a batch.
    view_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        # Only what pages and imports look papers up by: every index is kept current on each
        # insert, and an import inserts 100,000 papers (no LIKE-pattern variants, which only
        # prefix searches would use).
        indexes = [
            models.Index(fields=["venue", "year"]),
            models.Index(fields=["doi"], name="paper_doi"),
            models.Index(fields=["arxiv_id"], name="paper_arxiv_id"),
            models.Index(fields=["title_key"], name="paper_title_key"),
            # Few papers have summaries; the others need no entry.
            models.Index(
                fields=["public_summary_count"],
                condition=models.Q(public_summary_count__gt=0),
                name="paper_with_summaries",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.title_key = title_key_for(self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "title" in update_fields:
            kwargs["update_fields"] = {*update_fields, "title_key"}
        editing = not self._state.adding
        if editing:
            papers_changed([self.pk])  # the venue and year pages it was on
        super().save(*args, **kwargs)
        if editing:
            papers_changed([self.pk])
        # Not indexed here: the write functions that add or edit papers index what they wrote
        # (set_authors, set_keywords, imports, the admin), once the paper is complete.

    def get_absolute_url(self):
        return reverse("papers:detail", args=[self.bibtex_key])

    @property
    def web_urls(self):
        """The paper's links that are safe to show (http and https only)."""
        return [url for url in self.urls or [] if isinstance(url, str) and is_web_url(url)]

    @property
    def author_list(self):
        """Ordered authors; uses the prefetch from for_listing() when present."""
        return [a.author for a in self.authorships.all()]

    @property
    def author_names(self):
        return [a.name for a in self.author_list]

    @property
    def venue_label(self):
        if self.venue:
            return str(self.venue)
        return self.venue_name

    @property
    def citation_label(self):
        """ "Ren et al., 2015", "Gal & Ghahramani, 2015", "Vaswani, 2017"."""
        authors = self.author_list
        if not authors:
            names = self.title[:40]
        elif len(authors) == 1:
            names = authors[0].family_name
        elif len(authors) == 2:
            names = f"{authors[0].family_name} & {authors[1].family_name}"
        else:
            names = f"{authors[0].family_name} et al."
        return f"{names}, {self.year}" if self.year else names

    @property
    def arxiv_url(self):
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def arxiv_pdf_url(self):
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def set_authors(self, names):
        """Replace the ordered author list with these display names."""
        self.authorships.all().delete()
        for position, name in enumerate(names):
            slug = Author.slug_for(name)
            author, _ = Author.objects.get_or_create(slug=slug, defaults={"name": name})
            Authorship.objects.create(paper=self, author=author, position=position)
        Paper.objects.filter(pk=self.pk).update_search_vectors()
        touch_papers(Paper.objects.filter(pk=self.pk))

    def set_keywords(self, names):
        keywords = [Keyword.objects.get_or_create(name=name[:100])[0] for name in names if name]
        self.keywords.set(keywords)
        Paper.objects.filter(pk=self.pk).update_search_vectors()
        touch_papers(Paper.objects.filter(pk=self.pk))


class Authorship(models.Model):
    # Looked up through the unique (paper, position) index.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="authorships", db_index=False
    )
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="authorship_unique_position")
        ]

    def __str__(self):
        return f"{self.author} on {self.paper_id}"


class PaperAlias(models.Model):
    """Another key for a paper (e.g. the arXiv key of a conference paper); it redirects."""

    key = models.CharField(max_length=255, unique=True, validators=[validate_bibtex_key])
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="aliases")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "paper aliases"

    def __str__(self):
        return f"{self.key} → {self.paper.bibtex_key}"


class SearchDocument(models.Model):
    """A paper's full-text search document on PostgreSQL (SQLite keeps an FTS5 table instead),
    written only by papers.search.reindex(). A narrow table of its own, with the filters and the
    static rank copied in, so that matching reads the GIN index and these small rows; the
    vectors themselves live out of line and are read only for the few candidates ranked."""

    # Derived data, rebuilt from the papers at will: no foreign-key constraints in the
    # database, which an import would otherwise check for every new document (Django still
    # deletes a paper's document with it, and clears a deleted venue).
    paper = models.OneToOneField(
        Paper,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_document",
        db_constraint=False,
    )
    vector = SearchVectorField()
    # Copies of the paper's public_summary_count (the static rank), venue and year.
    prior = models.PositiveIntegerField(default=0)
    venue = models.ForeignKey(
        Venue,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["-prior", "-paper"], name="searchdocument_static_rank")]

    def __str__(self):
        return f"Search document of paper {self.paper_id}"


class PaperViewDay(models.Model):
    """How many times a paper's page was read on one day (UTC), bots and repeat views left
    out. Written in batches by papers.viewcounts; nothing about the readers is kept."""

    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="view_days", db_index=False
    )
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "day"], name="paperviewday_unique_day")
        ]
        indexes = [models.Index(fields=["day", "-views"], name="paperviewday_popular")]

    def __str__(self):
        return f"{self.views} views of paper {self.paper_id} on {self.day}"
