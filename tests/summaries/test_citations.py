from papers.models import PaperAlias
from summaries.models import Citation, resolve_waiting_citations
from tests.conftest import make_paper, make_summary


def test_saving_a_summary_records_its_citations(paper, author):
    cited = make_paper("conf/iccv/HeGDG17", title="Mask R-CNN", year=2017)
    summary = make_summary(
        paper, author, r"Extended by \cite{conf/iccv/HeGDG17, nowhere/Nobody99}."
    )
    rows = dict(Citation.objects.filter(summary=summary).values_list("cited_key", "paper"))
    assert rows == {"conf/iccv/HeGDG17": cited.pk, "nowhere/Nobody99": None}


def test_editing_away_a_citation_removes_it(summary):
    summary.source = r"Now citing \cite{conf/x/A}."
    summary.save()
    summary.source = "No citations any more."
    summary.save()
    assert not summary.citations.exists()


def test_a_paper_added_later_resolves_waiting_citations(paper, author, client):
    summary = make_summary(paper, author, r"See \cite{conf/iccv/HeGDG17}.")
    assert summary.citations.get().paper is None
    cited = make_paper("conf/iccv/HeGDG17", title="Mask R-CNN", year=2017)
    assert resolve_waiting_citations(keys=["conf/iccv/HeGDG17"]) == 1
    assert summary.citations.get().paper == cited
    page = client.get(cited.get_absolute_url()).content.decode()
    assert "Cited by" in page and paper.title in page


def test_an_alias_added_later_resolves_too(paper, author):
    summary = make_summary(paper, author, r"See \cite{journals/corr/HeGDG17}.")
    cited = make_paper("conf/iccv/HeGDG17", title="Mask R-CNN", year=2017)
    PaperAlias.objects.create(key="journals/corr/HeGDG17", paper=cited)
    resolve_waiting_citations(keys=["journals/corr/HeGDG17"])
    assert summary.citations.get().paper == cited


def test_paper_page_lists_what_its_summaries_cite(client, paper, author):
    cited = make_paper(
        "conf/iccv/HeGDG17",
        title="Mask R-CNN",
        year=2017,
        authors=["Kaiming He", "Georgia Gkioxari", "Piotr Dollár", "Ross Girshick"],
    )
    make_summary(paper, author, r"See \cite{conf/iccv/HeGDG17} and \cite{nowhere/Nobody99}.")
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "<h3>Cites</h3>" in page
    assert f'<a href="{cited.get_absolute_url()}">Mask R-CNN</a>' in page
    assert "He et al., 2017" in page
    assert "nowhere/Nobody99" in page
