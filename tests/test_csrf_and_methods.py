"""Every state-changing view answers only POST, and only with a CSRF token."""

import pytest
from django.test import Client

from summaries.models import Comment, SavedPaper


@pytest.fixture
def urls(summary, stranger):
    comment = Comment.objects.create(summary=summary, author=stranger, source="hi")
    revision = summary.revisions.get()
    saved = SavedPaper.objects.create(user=summary.author, paper=summary.paper)
    return [
        "/paper/conf/nips/RenHGS15/write/",
        "/preview/",
        f"/summaries/{summary.pk}/vote/",
        f"/summaries/{summary.pk}/comments/",
        f"/summaries/{summary.pk}/delete/",
        f"/summaries/{summary.pk}/undelete/",
        f"/summaries/{summary.pk}/share/",
        f"/summaries/{summary.pk}/revisions/{revision.pk}/restore/",
        f"/comments/{comment.pk}/delete/",
        "/accounts/settings/",
        "/accounts/delete/",
        "/accounts/confirm-again/",
        "/accounts/logout/",
        "/follow/",
        "/following/settings/",
        "/inbox/read/",
        "/paper/conf/nips/RenHGS15/request/",
        "/paper/conf/nips/RenHGS15/save/",
        f"/reading-list/{saved.pk}/",
        "/reading-list/import/",
    ]


def test_posts_without_a_csrf_token_are_refused(urls, author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    for url in urls:
        assert client.post(url, {"source": "x", "value": "1"}).status_code == 403, url


@pytest.mark.parametrize(
    "url_index",
    range(2, 9),
    ids=["vote", "comment", "delete", "undelete", "share", "restore", "delete_comment"],
)
def test_state_changing_endpoints_refuse_get(client, urls, author, url_index):
    client.force_login(author)
    assert client.get(urls[url_index]).status_code == 405
