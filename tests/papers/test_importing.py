"""The import pipeline's rules, with real dblp and arXiv entries."""

import datetime
import json

from papers.arxiv_metadata import parse_arxiv_snapshot
from papers.bibtex import parse_bibtex
from papers.importing import (
    COPY_THRESHOLD,
    apply_import,
    decode_bibtex_bytes,
    plan_import,
    quiet_bibtexparser,
)
from papers.models import Paper, PaperAlias, Venue
from summaries.models import Citation
from tests.conftest import make_paper, make_summary

from .dblp_samples import (
    SCHMIDHUBER,
    SCHOLKOPF_WITH_STRING,
    VASWANI_CORR,
    VASWANI_NIPS,
    ZHANG_ICLR,
)


def import_text(text, source="BibTeX import"):
    plan = plan_import(parse_bibtex(text))
    assert not plan.has_errors, [item.reason for item in plan.errors]
    return plan, apply_import(plan, source=source)


def statuses(plan):
    return {item.key: item.status for item in plan.items}


def test_a_dblp_export_becomes_papers_with_venues_and_unicode_names(db):
    import_text(VASWANI_NIPS + SCHMIDHUBER + ZHANG_ICLR)
    nips = Paper.objects.get(bibtex_key="conf/nips/VaswaniSPUJGKP17")
    assert nips.venue.key == "conf/nips"
    assert nips.title == "Attention is All you Need"
    assert nips.year == 2017
    assert nips.author_names[0] == "Ashish Vaswani" and len(nips.author_names) == 8
    assert nips.source == "BibTeX import"
    assert nips.bibtex.startswith("@inproceedings{DBLP:conf/nips/VaswaniSPUJGKP17")
    iclr = Paper.objects.get(bibtex_key="conf/iclr/ZhangBHRV17")
    assert iclr.venue.key == "conf/iclr"
    nn = Paper.objects.get(bibtex_key="journals/nn/Schmidhuber15")
    assert nn.author_names == ["Jürgen Schmidhuber"]
    assert nn.doi == "10.1016/j.neunet.2014.09.003"
    # No venue with that key here: the journal is kept as written.
    assert nn.venue is None and nn.venue_name == "Neural Networks"


def test_venue_comes_from_the_doi_prefix_when_the_key_says_nothing(db):
    Venue.objects.get_or_create(key="10.1038", defaults={"name": "Nature"})
    import_text(
        "@article{LeCun2015, title={Deep learning}, author={LeCun, Yann and Bengio, Yoshua "
        "and Hinton, Geoffrey}, journal={Nature}, year={2015}, doi={10.1038/nature14539}}"
    )
    assert Paper.objects.get(bibtex_key="LeCun2015").venue.key == "10.1038"


def test_macros_are_resolved_on_import(db):
    import_text(SCHOLKOPF_WITH_STRING)
    paper = Paper.objects.get(bibtex_key="journals/jmlr/MuandetFSS17")
    assert paper.venue.key == "journals/jmlr"
    assert paper.venue_name == "Journal of Machine Learning Research"
    assert paper.author_names[-1] == "Bernhard Schölkopf"
    assert paper.title == "Kernel Mean Embedding of Distributions: A Review and Beyond"


def test_same_title_and_year_under_another_key_becomes_an_alias(db):
    import_text(VASWANI_NIPS)
    plan, result = import_text(VASWANI_CORR)
    item = plan.items[0]
    assert item.status == "alias" and item.paper_key == "conf/nips/VaswaniSPUJGKP17"
    assert item.reason == "the same title and year"
    assert result.aliased == ["journals/corr/VaswaniSPUJGKP17"]
    alias = PaperAlias.objects.get(key="journals/corr/VaswaniSPUJGKP17")
    assert alias.paper.bibtex_key == "conf/nips/VaswaniSPUJGKP17"
    assert Paper.objects.count() == 1


def test_same_arxiv_id_becomes_an_alias(db):
    make_paper("journals/corr/1706.03762", title="Attention Is All You Need", arxiv_id="1706.03762")
    plan, _ = import_text(VASWANI_CORR.replace("Attention Is All You Need", "A retitled version"))
    assert plan.items[0].status == "alias"
    assert plan.items[0].reason == "the same arXiv id"


def test_same_doi_becomes_an_alias_even_within_one_paste(db):
    second = SCHMIDHUBER.replace("journals/nn/Schmidhuber15", "Schmidhuber2015Overview").replace(
        "Deep learning in neural networks: An overview", "Deep Learning in NNs"
    )
    plan, _ = import_text(SCHMIDHUBER + second)
    assert statuses(plan) == {
        "journals/nn/Schmidhuber15": "new",
        "Schmidhuber2015Overview": "alias",
    }
    assert plan.items[1].reason == "the same DOI"
    assert PaperAlias.objects.get(key="Schmidhuber2015Overview").paper.bibtex_key == (
        "journals/nn/Schmidhuber15"
    )


def test_same_key_fills_empty_fields_and_never_overwrites_edited_ones(db):
    paper = make_paper(
        "conf/nips/VaswaniSPUJGKP17",
        title="Attention is all you need (edited title)",
        year=None,
        authors=["Edited Author"],
        abstract="An abstract a user wrote.",
    )
    plan, result = import_text(VASWANI_NIPS)
    item = plan.items[0]
    assert item.status == "update"
    assert set(item.filled_fields) == {"venue", "venue_name", "year", "links"}
    assert result.updated == ["conf/nips/VaswaniSPUJGKP17"]
    paper.refresh_from_db()
    assert paper.title == "Attention is all you need (edited title)"
    assert paper.abstract == "An abstract a user wrote."
    assert paper.author_names == ["Edited Author"]
    assert paper.year == 2017 and paper.venue.key == "conf/nips"


def test_importing_twice_changes_nothing_the_second_time(db):
    import_text(VASWANI_NIPS + VASWANI_CORR + SCHMIDHUBER)
    before = list(Paper.objects.order_by("pk").values())
    plan, result = import_text(VASWANI_NIPS + VASWANI_CORR + SCHMIDHUBER)
    assert set(statuses(plan).values()) == {"unchanged"}
    assert not plan.changes_anything
    assert result.created == result.updated == result.aliased == []
    assert list(Paper.objects.order_by("pk").values()) == before


def test_a_known_alias_key_counts_as_already_here(db):
    import_text(VASWANI_NIPS + VASWANI_CORR)
    plan = plan_import(parse_bibtex(VASWANI_CORR))
    assert plan.items[0].status == "unchanged"
    assert plan.items[0].paper_key == "conf/nips/VaswaniSPUJGKP17"


def test_an_imported_paper_links_up_summaries_that_cite_it(db, author):
    citing = make_paper("conf/icml/Citing20", title="A citing paper", year=2020)
    summary = make_summary(citing, author, r"Builds on \cite{conf/nips/VaswaniSPUJGKP17}.")
    assert Citation.objects.get(summary=summary).paper is None
    import_text(VASWANI_NIPS)
    citation = Citation.objects.get(summary=summary)
    assert citation.paper.bibtex_key == "conf/nips/VaswaniSPUJGKP17"


def test_planning_takes_the_same_number_of_queries_for_one_or_many_entries(
    db, django_assert_max_num_queries
):
    one = parse_bibtex(VASWANI_NIPS)
    many = parse_bibtex(
        "".join(
            ZHANG_ICLR.replace("ZhangBHRV17", f"Paper{i}").replace("rethinking", f"idea {i}")
            for i in range(60)
        )
    )
    with django_assert_max_num_queries(10):
        plan_import(one)
    with django_assert_max_num_queries(10):
        plan_import(many)


def test_a_plan_with_errors_cannot_be_applied(db):
    quiet_bibtexparser()
    plan = plan_import(parse_bibtex(VASWANI_NIPS + "@article{broken, title={x}"))
    assert plan.has_errors
    error = plan.errors[0]
    assert error.line == 21 and "broken" in error.reason and "line 21" in error.reason
    try:
        apply_import(plan, source="test")
    except ValueError:
        pass
    else:
        raise AssertionError("applied a plan with errors")
    assert not Paper.objects.exists()


def test_keys_with_characters_that_break_a_page_address_are_refused(db):
    plan = plan_import(parse_bibtex("@misc{what?key, title={A title}}"))
    assert plan.has_errors and "must not contain ? or #" in plan.errors[0].reason


def test_files_that_are_not_utf8_are_read_as_latin1():
    assert decode_bibtex_bytes("Schölkopf".encode()) == ("Schölkopf", "UTF-8")
    assert decode_bibtex_bytes("\ufeffSchölkopf".encode()) == ("Schölkopf", "UTF-8")
    assert decode_bibtex_bytes("Schölkopf".encode("latin-1")) == ("Schölkopf", "Latin-1")


def test_arxiv_records_become_papers_keyed_by_their_id(db):

    from .dblp_samples import ARXIV_OLD_STYLE_RECORD, ARXIV_RECORD

    lines = [json.dumps(ARXIV_RECORD), "", json.dumps(ARXIV_OLD_STYLE_RECORD)]
    parsed = parse_arxiv_snapshot(lines)
    assert not parsed.errors
    apply_import(plan_import(parsed), source="arXiv")
    paper = Paper.objects.get(bibtex_key="journals/corr/1611.03530")
    assert paper.arxiv_id == "1611.03530"
    assert paper.published == datetime.date(2016, 11, 10) and paper.year == 2016
    assert paper.abstract.startswith("Despite their massive size, successful deep artificial")
    assert "\n" not in paper.abstract
    assert paper.author_names == [
        "Chiyuan Zhang",
        "Samy Bengio",
        "Moritz Hardt",
        "Benjamin Recht",
        "Oriol Vinyals",
    ]
    assert [k.name for k in paper.keywords.all()] == ["cs.LG"]
    assert paper.source == "arXiv" and paper.venue.key == "journals/corr"
    old = Paper.objects.get(bibtex_key="journals/corr/hep-th-9901001")
    assert old.arxiv_id == "hep-th/9901001"
    assert old.author_names == ["J. Balázs", "G. Müller"]
    assert old.title == "An old-style identifier with ümlauts"
    assert sorted(k.name for k in old.keywords.all()) == ["hep-th", "math-ph", "math.MP"]


def test_arxiv_lines_that_cannot_be_read_are_errors_with_their_line():
    parsed = parse_arxiv_snapshot(['{"id": "1611.03530", "title": ""}', "not json", "[1]"])
    assert [error.line for error in parsed.errors] == [1, 2, 3]
    assert parsed.errors[0].message == "Record '1611.03530' at line 1 has no title"
    assert parsed.errors[1].message.startswith("Line 2: not JSON")


def test_a_large_import_keeps_every_field_and_author_order(db):
    # Past COPY_THRESHOLD, so PostgreSQL takes the COPY path; the result must be the same.
    count = COPY_THRESHOLD + 50
    entries = "".join(
        f"@article{{Big{i}, title = {{Paper number {i}}}, author = {{Zoë Tab and Al Back}},\n"
        f"  year = {{2020}}, doi = {{10.1000/big.{i}}}, url = {{https://example.org/{i}}},\n"
        f"  keywords = {{cs.LG, big}},\n"
        f"  abstract = {{Line one\\\\ with a backslash\\textbackslash{{}} and a tab}}}}\n"
        for i in range(count)
    )
    plan, result = import_text(entries)
    assert len(result.created) == count
    paper = Paper.objects.for_listing().get(bibtex_key=f"Big{count - 1}")
    assert paper.title == f"Paper number {count - 1}" and paper.year == 2020
    assert paper.author_names == ["Zoë Tab", "Al Back"]
    assert paper.urls == [f"https://example.org/{count - 1}"]
    assert sorted(k.name for k in paper.keywords.all()) == ["big", "cs.LG"]
    assert "\\" in paper.abstract and paper.bibtex.startswith(f"@article{{Big{count - 1},")
    assert paper.created is not None and paper.title_key == f"papernumber{count - 1}"
    # The ids handed out match the rows: a later ordinary insert does not collide.
    assert make_paper("After", title="After").pk > paper.pk


def test_short_common_titles_do_not_make_aliases(db):
    make_paper("journals/x/Editorial19", title="Editorial", year=2019)
    plan, _ = import_text("@article{journals/y/Editorial19, title={Editorial}, year={2019}}")
    assert statuses(plan) == {"journals/y/Editorial19": "new"}
