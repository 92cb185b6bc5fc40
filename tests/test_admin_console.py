"""The moderation console names papers and people, finds papers by author, and opens on the
open reports."""

from summaries.models import Report
from tests.conftest import make_paper, make_summary


def test_admin_index_shows_the_open_reports(client, moderator, summary, stranger):
    client.force_login(moderator)
    page = client.get("/admin/").content.decode()
    assert "No open reports: the queue is empty." in page
    Report.objects.create(summary=summary, reporter=stranger, reason="spam")
    Report.objects.create(summary=summary, reporter=moderator, reason="wrong")
    page = client.get("/admin/").content.decode()
    assert '<a href="/admin/summaries/report/"><strong>2 open reports</strong></a> wait' in page
    assert "ShortScience moderation" in page


def test_admin_lists_show_papers_and_people_by_name(client, moderator, summary, stranger):
    client.force_login(moderator)
    page = client.get("/admin/summaries/summary/").content.decode()
    assert "Faster R-CNN: Towards Real-Time Object Detection" in page
    assert "Alice Liddell (@alice)" in page
    assert "Summary of 1 by" not in page and f"Summary of {summary.paper_id} by" not in page
    Report.objects.create(summary=summary, reporter=stranger, reason="spam")
    reports = client.get("/admin/summaries/report/").content.decode()
    assert "“Faster R-CNN: Towards Real-Time Object Detection with Regio…” by Alice" in reports


def test_admin_finds_papers_by_author(client, moderator, db):
    make_paper("conf/x/A", title="A paper by Hinton", authors=["Geoffrey Hinton", "Other One"])
    make_paper("conf/x/B", title="A paper by someone else", authors=["Someone Else"])
    client.force_login(moderator)
    page = client.get("/admin/papers/paper/", {"q": "Hinton"}).content.decode()
    assert "A paper by Hinton" in page and "A paper by someone else" not in page
    page = client.get("/admin/papers/paper/", {"q": "Geoffrey"}).content.decode()
    assert "A paper by Hinton" in page


def test_admin_summary_list_costs_the_same_for_many_rows(
    client, moderator, paper, django_assert_max_num_queries
):
    from accounts.models import User

    for i in range(12):
        writer = User.objects.create_user(f"w{i}", display_name=f"Writer {i}")
        make_summary(make_paper(f"conf/x/P{i}", title=f"Paper {i}"), writer, "Words.")
    client.force_login(moderator)
    with django_assert_max_num_queries(12):
        assert client.get("/admin/summaries/summary/").status_code == 200
