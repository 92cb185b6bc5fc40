"""Issue 16, items 1, 4, 5 and 6: no request does unbounded work, whatever a writer sends."""

import time

import pytest
from django.conf import settings

from papers.models import Paper
from summaries.diffing import diff_texts
from summaries.models import MAX_CITATIONS, Citation, Summary
from tests.conftest import make_paper, make_summary

LARGEST = settings.SUMMARY_MAX_BYTES


def _edit(summary, source, editor):
    summary.source = source
    summary.save()
    summary.record_revision(editor)


def _rebuild(pieces, *, side):
    dropped = "added" if side == "old" else "removed"
    return "".join(piece.text for piece in pieces if piece.kind != dropped)


# The issue's pair (21 s before), the same at the largest allowed size, and other shapes that
# make a diff slow: many equal lines, many short paragraphs, interleaved words.
WORST_PAIRS = {
    "issue": ("a " * 1000, "b a " * 500),
    "issue-at-100-KB": ("a " * (LARGEST // 2), "b a " * (LARGEST // 4)),
    "repeated-lines": ("a\n" * (LARGEST // 2), "b\na\n" * (LARGEST // 4)),
    "repeated-paragraphs": ("a\n\n" * (LARGEST // 3), "b\n\na\n\n" * (LARGEST // 6)),
    "shuffled-words": ("x y z " * (LARGEST // 6), "y x z q " * (LARGEST // 8)),
    "one-long-line": ("ab" * (LARGEST // 2), "ba" * (LARGEST // 2)),
}


@pytest.mark.parametrize("name", WORST_PAIRS)
def test_any_two_revisions_of_the_largest_summary_diff_in_under_a_second(name):
    old, new = WORST_PAIRS[name]
    started, cpu = time.monotonic(), time.thread_time()
    diff = diff_texts(old, new)
    # Under 1 s on an idle machine (bench/diff_bench.py); the budgets are wall-clock, so on a
    # machine shared with other work the CPU it uses is what stays small.
    assert time.thread_time() - cpu < 0.6
    assert time.monotonic() - started < 3
    # Coarse or not, the diff is exact: both texts can be read back from it.
    assert _rebuild(diff.pieces, side="old") == old
    assert _rebuild(diff.pieces, side="new") == new
    assert not diff.unchanged


def test_a_coarser_diff_says_so_and_a_small_edit_stays_word_by_word():
    coarse = diff_texts("a " * 1000, "b a " * 500)
    assert coarse.level in {"line", "paragraph"}
    assert "differ too much to compare word by word" in coarse.note
    fine = diff_texts("The RPN proposes boxes.", "The RPN proposes anchors.")
    assert fine.level == "word" and fine.note == ""
    assert [(p.kind, p.text) for p in fine.pieces if p.kind != "same"] == [
        ("removed", "boxes"),
        ("added", "anchors"),
    ]


def test_history_page_of_the_issues_revisions_answers_fast_and_explains(client, summary, author):
    _edit(summary, "a " * 1000, author)
    _edit(summary, "b a " * 500, author)
    started, cpu = time.monotonic(), time.thread_time()
    response = client.get(f"/summaries/{summary.pk}/history/", {"x": "1"})
    assert time.thread_time() - cpu < 1 and time.monotonic() - started < 4
    assert response.status_code == 200
    page = response.content.decode()
    assert "Changes from" in page
    assert "differ too much to compare word by word" in page


def test_twelve_thousand_cite_keys_are_refused_quickly_with_a_message(client, paper, author):
    keys = [f"k{i}" for i in range(12_000)]
    source = " ".join("\\cite{" + ",".join(keys[i : i + 200]) + "}" for i in range(0, 12_000, 200))
    assert len(source.encode()) < LARGEST
    client.force_login(author)
    started = time.monotonic()
    response = client.post(paper.get_absolute_url() + "write/", {"source": source})
    assert time.monotonic() - started < 3
    assert response.status_code == 200
    assert f"a text can cite at most {MAX_CITATIONS} papers" in response.content.decode()
    assert not Summary.objects.filter(author=author).exists()


def test_citations_are_resolved_in_a_few_queries_however_many(
    paper, author, django_assert_max_num_queries
):
    for i in range(30):
        make_paper(f"conf/x/P{i}", title=f"Cited paper number {i}")
    summary = Summary(paper=paper, author=author, source="first")
    summary.save()
    summary.source = " ".join(f"\\cite{{conf/x/P{i}}} \\cite{{missing{i}}}" for i in range(30))
    with django_assert_max_num_queries(30):
        summary.save()
    assert Citation.objects.filter(summary=summary).count() == 60
    assert Citation.objects.filter(summary=summary, paper__isnull=False).count() == 30


def test_a_text_saved_past_the_forms_keeps_only_the_first_citations(paper, author):
    # 3,000 keys: 12,000 would be refused by the renderer's size cap (over 1 MB of links).
    keys = [f"k{i}" for i in range(3_000)]
    source = " ".join("\\cite{" + ",".join(keys[i : i + 200]) + "}" for i in range(0, 3_000, 200))
    started = time.monotonic()
    summary = make_summary(paper, author, source)  # as the admin or an old import would
    assert time.monotonic() - started < 5  # one look-up per key before: 15.5 s for 12,000
    assert Citation.objects.filter(summary=summary).count() == MAX_CITATIONS
    assert summary.html  # rendered and saved


def test_preview_is_counted_by_its_size_not_by_call(client, author, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "preview": (60, 3600, "units of preview work")}
    client.force_login(author)
    big = "word " * (20 * 1024 // 5)  # 20 KB: 6 units
    answers = [client.post("/preview/", {"source": big}).status_code for _ in range(12)]
    assert answers[:9] == [200] * 9
    assert 429 in answers
    assert "limit" in client.post("/preview/", {"source": "hi"}).content.decode()


def test_small_previews_are_cheap(client, author, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "preview": (60, 3600, "units of preview work")}
    client.force_login(author)
    answers = [
        client.post("/preview/", {"source": "A *short* text."}).status_code for _ in range(50)
    ]
    assert answers == [200] * 50


def test_one_preview_at_a_time_per_writer(client, author):
    from django.core.cache import cache

    client.force_login(author)
    cache.add(f"preview-running:{author.pk}", 1, timeout=15)  # one still rendering
    response = client.post("/preview/", {"source": "hi"})
    assert response.status_code == 429
    assert "still being prepared" in response.content.decode()
    assert response["Retry-After"] == "1"  # the editor tries again by itself
    cache.delete(f"preview-running:{author.pk}")
    assert client.post("/preview/", {"source": "hi"}).status_code == 200


def test_a_logged_out_visitor_cannot_grow_the_session(client, db):
    papers = [make_paper(f"conf/x/Draft{i}", title=f"Paper {i}") for i in range(8)]
    text = "x" * (LARGEST - 10)
    for paper in papers:
        response = client.post(paper.get_absolute_url() + "write/", {"source": text})
        assert response.status_code == 302
    drafts = client.session["summary_drafts"]
    assert list(drafts) == [p.bibtex_key for p in papers[-3:]]  # the newest three
    assert len(client.session.encode(dict(client.session)).encode()) < 4 * LARGEST
    assert not Paper.objects.filter(summaries__isnull=False).exists()


def test_drafts_stashed_per_address_are_bounded(client, db, paper):
    from summaries.views import STASHES_PER_ADDRESS

    for _ in range(STASHES_PER_ADDRESS):
        client.post(paper.get_absolute_url() + "write/", {"source": "kept"})
        client.cookies.clear()  # a script starting a new session every time
    client.post(paper.get_absolute_url() + "write/", {"source": "not kept"})
    assert "summary_drafts" not in client.session


def test_heavy_work_waits_for_a_free_slot_then_says_the_site_is_busy(
    client, summary, author, stranger, settings
):
    from django.core.cache import cache

    settings.HEAVY_WORK_SLOTS = 1
    _edit(summary, "a second text", author)
    cache.add("heavy-work-slot:0", 1, timeout=30)  # someone else's diff or preview running
    started = time.monotonic()
    response = client.get(f"/summaries/{summary.pk}/history/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "busy" in response.content.decode()
    client.force_login(stranger)
    assert client.post("/preview/", {"source": "hi"}).status_code == 503
    assert time.monotonic() - started < 5  # waited a little, never long
    cache.delete("heavy-work-slot:0")
    assert client.post("/preview/", {"source": "hi"}).status_code == 200
    assert client.get(f"/summaries/{summary.pk}/history/").status_code == 200
