"""How fast is search on PostgreSQL at 100,000 papers? The target is p95 <= 100 ms.

Run from the project root:

    python bench/search_bench.py                 # generates into ss_bench_search if needed
    DATABASE_URL=postgres://.../realdb python bench/search_bench.py   # an existing database

Without DATABASE_URL it uses (and creates, migrates and fills) the dedicated database
`ss_bench_search` on 127.0.0.1. It only ever generates papers into a database whose name starts
with `ss_bench`, never into one you point it at. Each of 200 varied queries (common and rare
words, phrases, author names, filters, words that match nothing) is timed the way the search
page runs it: count, first page of 20 with authors and keywords, then snippets.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.pg import ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ss_bench_search"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shortscience.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")

# A field's worth of real terms at the head of a 20,000-word vocabulary whose words are drawn
# with Zipf's law, as words in real abstracts are: the commonest is in nearly every paper,
# the hundredth in about one in eight, most in a handful.
TERMS = """
learning deep neural network networks model models training data attention transformer
representation representations language image images vision visual graph graphs
reinforcement policy agent reward optimization gradient stochastic convex bayesian
inference variational generative adversarial diffusion latent embedding embeddings
classification detection segmentation object recognition translation speech audio
robust robustness adversarial privacy federated fairness interpretability explanation
sparse efficient compression quantization pruning distillation memory recurrent lstm
convolutional residual normalization batch dropout regularization generalization
theory bounds kernel gaussian process processes sampling monte carlo markov chain
causal causality counterfactual uncertainty calibration ensemble ensembles active
semi supervised unsupervised self contrastive pretraining finetuning transfer domain
adaptation meta few shot zero continual lifelong curriculum hierarchical multi task
scalable distributed parallel hardware accelerator energy retrieval search ranking
recommendation question answering dialogue summarization reasoning planning control
robotics manipulation navigation simulation physics molecular protein chemistry
biology medical clinical health time series forecasting anomaly tabular point cloud
three dimensional video temporal spatial geometric equivariant invariant symmetry
topology manifold metric similarity hashing clustering density estimation flows
score matching energy based boltzmann autoencoder autoencoders tokenization
""".split()
SYLLABLES = "ka lo mi ne ru sa ti vo ze ba de fi go hu ja ke lu mo ni pa qui re so tu".split()
FAMILY_NAMES = """Vaswani Shazeer Parmar Uszkoreit Jones Gomez Kaiser Polosukhin He Zhang Ren
Sun Girshick Hinton Bengio LeCun Goodfellow Kingma Welling Srivastava Krizhevsky Sutskever
Schmidhuber Hochreiter Silver Mnih Schulman Levine Abbeel Finn Salakhutdinov Ng Li Wang Chen
Liu Yang Zhao Huang Wu Zhou Xu Kim Park Lee Choi Nguyen Tran Garcia Martinez Rossi Muller
Schmidt Dubois Moreau Ivanov Petrov Kowalski Novak Jensen Larsen Andersson Virtanen""".split()
GIVEN_NAMES = """Ashish Noam Niki Jakob Llion Aidan Lukasz Illia Kaiming Xiangyu Shaoqing Jian
Ross Geoffrey Yoshua Yann Ian Diederik Max Nitish Alex Ilya Jurgen Sepp David Volodymyr John
Sergey Pieter Chelsea Ruslan Andrew Wei Lei Yue Hao Min Jun Sofia Marco Anna Paul
Marie Olga""".split()
KEYWORDS = "cs.LG cs.CV cs.CL cs.AI cs.NE stat.ML cs.RO cs.IR q-bio.QM dblp".split()
VENUES = [
    ("conf/nips", "Neural Information Processing Systems"),
    ("conf/icml", "International Conference on Machine Learning"),
    ("conf/iclr", "International Conference on Learning Representations"),
    ("conf/cvpr", "Computer Vision and Pattern Recognition"),
    ("conf/acl", "Annual Meeting of the Association for Computational Linguistics"),
    ("journals/jmlr", "Journal of Machine Learning Research"),
    ("journals/corr", "CoRR"),
]


def make_vocabulary(size=20_000):
    rng = random.Random(0)
    vocabulary = list(dict.fromkeys(TERMS))
    seen = set(vocabulary)
    while len(vocabulary) < size:
        made = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if made not in seen:
            seen.add(made)
            vocabulary.append(made)
    return vocabulary


VOCABULARY = make_vocabulary()
ZIPF = list(itertools.accumulate(1 / rank for rank in range(1, len(VOCABULARY) + 1)))


def words(rng, low, high):
    return " ".join(rng.choices(VOCABULARY, cum_weights=ZIPF, k=rng.randint(low, high)))


def generate(target, rng):
    from django.db import transaction

    from accounts.models import User
    from papers.models import Author, Authorship, Keyword, Paper, Venue
    from summaries.models import Summary

    have = Paper.objects.count()
    if have >= target:
        return
    print(f"generating {target - have} papers (have {have})...", flush=True)
    started = time.perf_counter()
    venues = [Venue.objects.get_or_create(key=k, defaults={"name": n})[0] for k, n in VENUES]
    keywords = [Keyword.objects.get_or_create(name=name)[0] for name in KEYWORDS]
    if not Author.objects.exists():
        names = {f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}" for _ in range(4000)}
        Author.objects.bulk_create(
            [Author(name=name, slug=Author.slug_for(name)) for name in names],
            ignore_conflicts=True,
        )
    author_ids = list(Author.objects.values_list("pk", flat=True))
    writers = list(User.objects.filter(username__startswith="benchwriter"))
    if not writers:
        User.objects.bulk_create([User(username=f"benchwriter{i}") for i in range(500)])
        writers = list(User.objects.filter(username__startswith="benchwriter"))
    keyword_link = Paper.keywords.through
    batch = 5000
    for start in range(have, target, batch):
        with transaction.atomic():
            papers = Paper.objects.bulk_create(
                [
                    Paper(
                        bibtex_key=f"bench/paper/{number}",
                        title=words(rng, 5, 12).capitalize(),
                        venue=rng.choice(venues),
                        year=rng.randint(1990, 2025),
                        abstract=words(rng, 80, 200),
                        arxiv_id=f"{rng.randint(10, 25)}{rng.randint(1, 12):02d}.{number:05d}",
                    )
                    for number in range(start, min(start + batch, target))
                ]
            )
            Authorship.objects.bulk_create(
                [
                    Authorship(paper=paper, author_id=author_id, position=position)
                    for paper in papers
                    for position, author_id in enumerate(rng.sample(author_ids, rng.randint(1, 6)))
                ]
            )
            keyword_link.objects.bulk_create(
                [
                    keyword_link(paper=paper, keyword=keyword)
                    for paper in papers
                    for keyword in rng.sample(keywords, rng.randint(1, 3))
                ]
            )
            summaries = []
            for paper in papers:
                if rng.random() < 0.1:
                    for writer in rng.sample(writers, rng.randint(1, 3)):
                        text = words(rng, 150, 400)
                        summaries.append(
                            Summary(
                                paper=paper,
                                author=writer,
                                source=text,
                                html=f"<p>{text}</p>",
                                is_private=rng.random() < 0.05,
                                is_anonymous=rng.random() < 0.1,
                                score=rng.randint(-2, 20),
                            )
                        )
            Summary.objects.bulk_create(summaries)
        print(f"  {min(start + batch, target)} papers", flush=True)
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)


def prepare():
    """Counters and search documents for whatever is not indexed yet; safe to re-run."""
    from django.db import connection

    from papers.models import Paper

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "UPDATE papers_paper p SET public_summary_count = c.n FROM (SELECT paper_id,"
            " count(*) AS n FROM summaries_summary WHERE state = 'published'"
            " AND deleted_at IS NULL AND NOT is_private GROUP BY paper_id) c"
            " WHERE c.paper_id = p.id AND p.public_summary_count <> c.n"
        )
    ids = list(Paper.objects.filter(search_document=None).values_list("pk", flat=True))
    if not ids:
        return
    print(f"indexing {len(ids)} papers...", flush=True)
    started = time.perf_counter()
    for start in range(0, len(ids), 5000):
        Paper.objects.filter(pk__in=ids[start : start + 5000]).update_search_vectors()
        print(f"  {min(start + 5000, len(ids))}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE papers_searchdocument")
    print(f"indexed in {time.perf_counter() - started:.0f} s", flush=True)


KINDS = [
    "one very common word",
    "one rare word",
    "two words",
    "two words",
    "three words",
    "a quoted phrase",
    "an author's surname",
    "surname and a word",
    "common word, venue, years",
    "words from a title",
]


def queries(rng, count):
    from papers.models import Author, Paper, Venue

    surnames = list({a.name.split()[-1] for a in Author.objects.all()[:2000]})
    venue_keys = list(Venue.objects.values_list("key", flat=True))
    titles = list(Paper.objects.order_by("?").values_list("title", flat=True)[:count])
    common, middling, rare = VOCABULARY[:30], VOCABULARY[100:2000], VOCABULARY[5000:]
    made = []
    for number in range(count):
        kind = number % 10
        title = titles[number % len(titles)].lower().split()
        at = rng.randrange(max(len(title) - 3, 1))
        filters = {}
        if kind == 0:
            text = rng.choice(common)  # one very common word
        elif kind == 1:
            text = rng.choice(rare)
        elif kind in (2, 3):
            text = f"{rng.choice(middling)} {rng.choice(middling)}"
        elif kind == 4:
            text = f"{rng.choice(common)} {rng.choice(middling)} {rng.choice(middling)}"
        elif kind == 5:
            text = '"' + " ".join(title[at : at + 2]) + '"'  # a phrase from a real title
        elif kind == 6:
            text = rng.choice(surnames)
        elif kind == 7:
            text = f"{rng.choice(surnames)} {rng.choice(middling)}"
        elif kind == 8:
            text = rng.choice(common)
            filters = {"venue": rng.choice(venue_keys), "year_from": 2015, "year_to": 2020}
        else:
            text = " ".join(title[at : at + 4])  # words remembered from a title
            filters = {"has_summaries": rng.random() < 0.5}
        made.append((text, filters))
    return made


def time_query(text, filters):
    from django.core.paginator import Paginator

    from papers.search import attach_snippets, search

    started = time.perf_counter()
    page = Paginator(search(text, **filters).for_listing(), 20).page(1)
    papers = attach_snippets(page.object_list, text)
    for paper in papers:  # what the template reads
        paper.author_names, list(paper.keywords.all())
    return (time.perf_counter() - started) * 1000, page.paginator.count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("search_bench measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    generating = urlsplit(url).path.lstrip("/").startswith("ss_bench")
    if generating:
        ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    from papers.models import Paper

    rng = random.Random(args.seed)
    if generating:
        call_command("migrate", verbosity=0)
        generate(args.papers, rng)
        prepare()
    print(f"{Paper.objects.count()} papers, a vocabulary of {len(VOCABULARY)} words")

    workload = queries(rng, args.queries)
    for text, filters in workload[:10]:  # warm the cache the way a running site would be
        time_query(text, filters)
    timings = []
    slowest = []
    for text, filters in workload:
        elapsed, found = time_query(text, filters)
        timings.append(elapsed)
        slowest.append((elapsed, text, filters, found))
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(round(0.95 * len(timings))) - 1]
    print(f"{len(timings)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms")
    kinds = {}
    for number, (elapsed, *_) in enumerate(slowest):
        kinds.setdefault(KINDS[number % 10], []).append(elapsed)
    for kind, times in kinds.items():
        times.sort()
        print(f"  {kind:28} p50 {statistics.median(times):6.1f} ms, max {times[-1]:6.1f} ms")
    for elapsed, text, filters, found in sorted(slowest, key=lambda s: s[0])[-5:]:
        print(f"  {elapsed:7.1f} ms  {found:6d} found  {text!r} {filters or ''}")
    print("target p95 <= 100 ms:", "met" if p95 <= 100 else "NOT met")


if __name__ == "__main__":
    main()
