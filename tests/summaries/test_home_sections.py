"""The home page's sections, as on the original: All, CompSci, Biology, Physics (?s=), by each
paper's venue and arXiv categories."""

import pytest

from tests.conftest import make_paper, make_summary


@pytest.fixture
def papers(venue, author, db):
    corr = venue.__class__.objects.get_or_create(key="journals/corr", defaults={"name": "CoRR"})[0]
    made = {
        "nips": make_paper("conf/nips/Net15", venue=venue, title="A NeurIPS network"),
        "cs_arxiv": make_paper(
            "journals/corr/1701.00001", venue=corr, title="An arXiv cs.LG paper"
        ),
        "bio_arxiv": make_paper("journals/corr/1701.00002", venue=corr, title="A q-bio paper"),
        "hep": make_paper("journals/corr/1701.00003", venue=corr, title="A hep-th paper"),
        "aps": make_paper("10.1103/PhysRevLett.1", title="A Physical Review letter"),
    }
    made["cs_arxiv"].set_keywords(["cs.LG", "stat.ML"])
    made["bio_arxiv"].set_keywords(["q-bio.NC"])
    made["hep"].set_keywords(["hep-th"])
    from papers.models import Venue

    aps, _ = Venue.objects.get_or_create(key="10.1103", defaults={"name": "APS"})
    made["aps"].venue = aps
    made["aps"].save()
    for paper in made.values():
        make_summary(paper, author, f"Summary of {paper.title}.")
    return made


def titles_on(client, query):
    page = client.get("/" + query)
    assert page.status_code == 200
    text = page.content.decode()
    return {title for title in TITLES if f"Summary of {title}." in text}, text


TITLES = [
    "A NeurIPS network",
    "An arXiv cs.LG paper",
    "A q-bio paper",
    "A hep-th paper",
    "A Physical Review letter",
]


def test_sections_list_papers_by_venue_and_arxiv_category(client, papers):
    assert titles_on(client, "?s=CompSci")[0] == {"A NeurIPS network", "An arXiv cs.LG paper"}
    assert titles_on(client, "?s=Biology")[0] == {"A q-bio paper"}
    assert titles_on(client, "?s=physics")[0] == {"A hep-th paper", "A Physical Review letter"}
    assert titles_on(client, "?s=All")[0] == set(TITLES)
    assert titles_on(client, "")[0] == set(TITLES)


def test_sections_keep_the_tab_and_the_tabs_keep_the_section(client, papers):
    _, page = titles_on(client, "?tab=top&s=Biology")
    assert 'href="?tab=recent&amp;s=Biology"' in page
    assert 'href="?tab=top&amp;s=Physics"' in page
    assert '<a href="?tab=top&amp;s=Biology" aria-current="page" class="active">Biology</a>' in page


def test_section_pages_keep_a_constant_query_count(
    client, papers, venue, author, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8) as few:
        client.get("/?s=CompSci")
    for i in range(10):
        make_summary(make_paper(f"conf/nips/More{i}", venue=venue), author, "More.")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/?s=CompSci")
