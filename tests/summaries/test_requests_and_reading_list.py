"""Summary requests ("please summarize this") and the private reading list."""

import pytest
from django.core import mail

from accounts.models import User
from papers.models import Paper
from summaries.models import Notice, SavedPaper, SummaryRequest
from summaries.writing import save_summary
from tests.conftest import make_paper


@pytest.fixture
def reader(db):
    return User.objects.create_user(
        "reader", "reader@example.org", "correct horse battery", email_confirmed=True
    )


def _write(paper, author):
    return save_summary(
        paper=paper,
        author=author,
        source="Finally, a summary.",
        is_private=False,
        is_anonymous=False,
        base_revision_id=None,
    )


def _ask(client, paper, **extra):
    return client.post(f"/paper/{paper.bibtex_key}/request/", extra)


def test_asking_for_a_summary_is_counted_once_and_can_be_withdrawn(client, reader, stranger):
    paper = make_paper()
    client.force_login(reader)
    assert client.get(paper.get_absolute_url()).status_code == 200
    response = _ask(client, paper, next=paper.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == paper.get_absolute_url()
    _ask(client, paper)  # twice is still one
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "<strong>1</strong> reader wants a summary of this paper." in page
    assert "You asked for a summary" in page
    client.force_login(stranger)
    assert "Ask for a summary</button>" in client.get(paper.get_absolute_url()).content.decode()
    _ask(client, paper)
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "<strong>2</strong> readers want a summary" in page
    _ask(client, paper, action="withdraw")
    assert list(SummaryRequest.objects.values_list("user__username", flat=True)) == ["reader"]
    client.logout()
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "<strong>1</strong> reader wants" in page and "reader@" not in page


def test_requesters_are_told_when_the_first_summary_appears(client, reader, author):
    paper = make_paper()
    client.force_login(reader)
    _ask(client, paper)
    mail.outbox.clear()
    _write(paper, author)
    notice = Notice.objects.get(user=reader)
    assert notice.reason == "request"
    [email] = mail.outbox
    assert "which you asked for, has a summary" in email.subject
    assert (
        "which you asked for, has a summary by Alice Liddell"
        in client.get("/inbox/").content.decode()
    )
    # The paper has a summary now: no more requests, and it leaves the to-do list.
    _ask(client, paper)
    assert SummaryRequest.objects.count() == 1
    assert paper.title not in client.get("/requests/").content.decode()


def test_most_requested_lists_unsummarized_papers_by_demand_with_filters(
    client, reader, stranger, author, venue
):
    wanted = make_paper("conf/nips/Wanted", venue=venue, title="The most wanted")
    wanted.set_keywords(["cs.LG"])
    less = make_paper("journals/corr/Less", title="Less wanted")
    summarized = make_paper("conf/nips/Done", venue=venue, title="Already done")
    for person in (reader, stranger):
        client.force_login(person)
        _ask(client, wanted)
        _ask(client, summarized)
    _ask(client, less)
    _write(summarized, author)

    page = client.get("/requests/").content.decode()
    assert page.index("The most wanted") < page.index("Less wanted")
    assert "Already done" not in page and "<strong>2</strong> requests" in page
    by_venue = client.get("/requests/", {"venue": "conf/nips"}).content.decode()
    assert "The most wanted" in by_venue and "Less wanted" not in by_venue
    by_keyword = client.get("/requests/", {"keyword": "cs.LG"}).content.decode()
    assert "The most wanted" in by_keyword and "Less wanted" not in by_keyword
    none = client.get("/requests/", {"keyword": "nothing"}).content.decode()
    assert "No unsummarized paper has been asked for with these filters" in none


def test_most_requested_has_constant_queries(client, reader, django_assert_max_num_queries):
    client.force_login(reader)

    def ask(n):
        for i in range(n):
            _ask(client, make_paper(f"conf/r/P{Paper.objects.count()}-{i}"))

    ask(1)
    with django_assert_max_num_queries(8):
        assert client.get("/requests/").status_code == 200
    ask(15)
    with django_assert_max_num_queries(8):
        assert client.get("/requests/").status_code == 200


def test_requests_need_an_account_and_are_rate_limited(client, reader, settings):
    paper = make_paper()
    assert _ask(client, paper).status_code == 302
    assert not SummaryRequest.objects.exists()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "request": (1, 3600, "summary requests")}
    client.force_login(reader)
    _ask(client, paper)
    response = _ask(client, make_paper("conf/x/Two"))
    assert SummaryRequest.objects.count() == 1
    assert "limit of 1 summary requests" in client.get(response["Location"]).content.decode()


# The reading list -----------------------------------------------------------------------------


def _save(client, paper, **extra):
    return client.post(f"/paper/{paper.bibtex_key}/save/", extra)


def test_save_for_later_with_a_note_and_a_read_state(client, reader, stranger):
    paper = make_paper(title="Worth reading")
    client.force_login(reader)
    _save(client, paper)
    assert "On your reading list" in client.get(paper.get_absolute_url()).content.decode()
    saved = SavedPaper.objects.get(user=reader)
    response = client.post(
        f"/reading-list/{saved.pk}/", {"note": "Read section 3 first", "is_read": "on"}
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.note, saved.is_read) == ("Read section 3 first", True)
    page = client.get("/reading-list/").content.decode()
    assert "Worth reading" in page and "Read section 3 first" in page

    # Private: another reader sees an empty list and cannot change this one.
    client.force_login(stranger)
    page = client.get("/reading-list/").content.decode()
    assert "Nothing saved yet" in page and "Worth reading" not in page
    assert client.post(f"/reading-list/{saved.pk}/", {"note": "mine now"}).status_code == 404
    saved.refresh_from_db()
    assert saved.note == "Read section 3 first"

    client.force_login(reader)
    _save(client, paper, action="remove")
    assert not SavedPaper.objects.exists()


def test_a_too_long_note_changes_nothing(client, reader):
    paper = make_paper()
    client.force_login(reader)
    _save(client, paper)
    saved = SavedPaper.objects.get()
    response = client.post(f"/reading-list/{saved.pk}/", {"note": "x" * 1001}, follow=True)
    assert "at most 1,000 characters" in response.content.decode()
    saved.refresh_from_db()
    assert saved.note == ""


def test_the_reading_list_sorts(client, reader):
    client.force_login(reader)
    for key, title, year in [("a/1", "Beta", 2001), ("a/2", "Alpha", 2020), ("a/3", "Gamma", 1999)]:
        _save(client, make_paper(key, title=f"{title} paper", year=year))
    SavedPaper.objects.filter(paper__title="Gamma paper").update(is_read=True)

    def order(sort):
        page = client.get("/reading-list/", {"sort": sort}).content.decode()
        return sorted(["Alpha", "Beta", "Gamma"], key=lambda word: page.index(f"{word} paper<"))

    assert order("title") == ["Alpha", "Beta", "Gamma"]
    assert order("year") == ["Alpha", "Beta", "Gamma"]
    assert order("added") == ["Gamma", "Alpha", "Beta"]
    assert order("unread")[-1] == "Gamma"
    assert client.get("/reading-list/", {"sort": "bogus"}).status_code == 200


def test_reading_list_exports_bibtex(client, reader):
    client.force_login(reader)
    _save(client, make_paper("conf/nips/RenHGS15", title="Faster R-CNN"))
    response = client.get("/reading-list.bib")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/x-bibtex")
    text = response.content.decode()
    assert "conf/nips/RenHGS15" in text and "Faster R-CNN" in text
    client.logout()
    assert client.get("/reading-list.bib").status_code == 302


BIB = """
@inproceedings{conf/nips/RenHGS15,
  title = {Faster R-CNN},
  author = {Shaoqing Ren and Kaiming He},
  booktitle = {NIPS},
  year = {2015}
}
@article{journals/corr/New2024,
  title = {A paper the site does not have},
  author = {Ada Lovelace},
  journal = {CoRR},
  year = {2024}
}
"""


def test_importing_a_bib_file_saves_known_and_new_papers(client, reader):
    from django.core.files.uploadedfile import SimpleUploadedFile

    known = make_paper("conf/nips/RenHGS15", title="Faster R-CNN")
    client.force_login(reader)
    upload = SimpleUploadedFile("mine.bib", BIB.encode(), content_type="text/x-bibtex")
    response = client.post("/reading-list/import/", {"file": upload}, follow=True)
    assert "Saved 2 paper(s) to your reading list." in response.content.decode()
    saved = set(SavedPaper.objects.filter(user=reader).values_list("paper__bibtex_key", flat=True))
    assert saved == {known.bibtex_key, "journals/corr/New2024"}
    # Again: nothing new, nothing twice.
    upload = SimpleUploadedFile("mine.bib", BIB.encode(), content_type="text/x-bibtex")
    response = client.post("/reading-list/import/", {"file": upload}, follow=True)
    assert "Saved 0 paper(s)" in response.content.decode() and "2 were on it already" in (
        response.content.decode()
    )
    assert SavedPaper.objects.count() == 2


def test_importing_a_bib_file_with_errors_saves_nothing(client, reader):
    client.force_login(reader)
    bad = BIB + "\n@article{broken,\n  title = {No closing brace}\n"
    response = client.post("/reading-list/import/", {"bibtex": bad})
    assert response.status_code == 400
    assert "nothing was saved" in response.content.decode()
    assert not SavedPaper.objects.exists()
    assert not Paper.objects.filter(bibtex_key="journals/corr/New2024").exists()


def test_reading_list_has_constant_queries(client, reader, django_assert_max_num_queries):
    client.force_login(reader)

    def save(n):
        for i in range(n):
            _save(client, make_paper(f"conf/s/P{Paper.objects.count()}-{i}"))

    save(1)
    with django_assert_max_num_queries(7):
        assert client.get("/reading-list/").status_code == 200
    save(15)
    with django_assert_max_num_queries(7):
        assert client.get("/reading-list/").status_code == 200


def test_saves_are_rate_limited(client, reader, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "save": (2, 3600, "reading-list changes")}
    client.force_login(reader)
    for n in range(3):
        _save(client, make_paper(f"conf/x/S{n}"))
    assert SavedPaper.objects.count() == 2


def test_paper_page_actions_cost_one_query(client, reader, django_assert_max_num_queries):
    paper = make_paper()
    client.force_login(reader)
    client.get(paper.get_absolute_url())
    with django_assert_max_num_queries(12) as page:
        client.get(paper.get_absolute_url())
    actions = [q for q in page.captured_queries if "summaries_follow" in q["sql"]]
    assert len(actions) == 1
