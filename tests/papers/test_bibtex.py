"""papers.bibtex: parsing, normalization and writing of BibTeX (no database)."""

import datetime

import pytest

from papers.bibtex import (
    arxiv_key,
    entry_to_bibtex,
    latex_to_unicode,
    normalize_key,
    normalize_title,
    parse_arxiv_id,
    parse_authors,
    parse_bibtex,
    parse_doi,
    resolve_identifier,
    venue_key_for,
)
from tests import corpora

CORPUS = corpora.BIBTEX
CORPUS_FILES = corpora.BIBTEX_FILES

# Real-world shapes of the same kind of paper, as the four usual sources export them.
DBLP_FASTER_RCNN = """\
@inproceedings{DBLP:conf/nips/RenHGS15,
  author       = {Shaoqing Ren and
                  Kaiming He and
                  Ross B. Girshick and
                  Jian Sun},
  editor       = {Corinna Cortes and
                  Neil D. Lawrence},
  title        = {Faster {R-CNN:} Towards Real-Time Object Detection with Region Proposal
                  Networks},
  booktitle    = {Advances in Neural Information Processing Systems 28: Annual Conference
                  on Neural Information Processing Systems 2015, December 7-12, 2015,
                  Montreal, Quebec, Canada},
  pages        = {91--99},
  year         = {2015},
  url          = {https://proceedings.neurips.cc/paper/2015/hash/14bfa6bb14875e45bba028a21ed38046-Abstract.html},
  biburl       = {https://dblp.org/rec/conf/nips/RenHGS15.bib},
  bibsource    = {dblp computer science bibliography, https://dblp.org}
}
"""

DBLP_CORR_ZHANG = """\
@article{DBLP:journals/corr/ZhangBHRV16,
  author    = {Chiyuan Zhang and
               Samy Bengio and
               Moritz Hardt and
               Benjamin Recht and
               Oriol Vinyals},
  title     = {Understanding deep learning requires rethinking generalization},
  journal   = {CoRR},
  volume    = {abs/1611.03530},
  year      = {2016},
  url       = {http://arxiv.org/abs/1611.03530},
  archivePrefix = {arXiv},
  eprint    = {1611.03530},
  biburl    = {https://dblp.org/rec/bib/journals/corr/ZhangBHRV16},
  bibsource = {dblp computer science bibliography, https://dblp.org}
}
"""

SCHOLAR_VASWANI = """\
@article{vaswani2017attention,
  title={Attention is all you need},
  author={Vaswani, Ashish and Shazeer, Noam and Parmar, Niki and Uszkoreit, Jakob and Jones,
    Llion and Gomez, Aidan N and Kaiser, {\\L}ukasz and Polosukhin, Illia},
  journal={arXiv preprint arXiv:1706.03762},
  year={2017}
}
"""

ZOTERO_VASWANI = """\
@misc{vaswani_attention_2017,
\ttitle = {Attention {Is} {All} {You} {Need}},
\turl = {http://arxiv.org/abs/1706.03762},
\tdoi = {10.48550/arXiv.1706.03762},
\tabstract = {The dominant sequence transduction models are based on complex recurrent or
convolutional neural networks in an encoder-decoder configuration.},
\tpublisher = {arXiv},
\tauthor = {Vaswani, Ashish and Shazeer, Noam and Parmar, Niki and others},
\tmonth = dec,
\tyear = {2017},
\tnote = {arXiv:1706.03762 [cs]},
\tkeywords = {Computer Science - Computation and Language, Computer Science - Machine Learning},
\tprimaryClass = {cs.CL},
}
"""


def parse_one(text):
    result = parse_bibtex(text)
    assert result.errors == []
    assert len(result.entries) == 1
    return result.entries[0]


# --- Real entries --------------------------------------------------------------------------


def test_dblp_conference_entry():
    entry = parse_one(DBLP_FASTER_RCNN)

    assert entry.key == "conf/nips/RenHGS15"
    assert entry.entry_type == "inproceedings"
    assert entry.title == (
        "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks"
    )
    assert entry.authors == ["Shaoqing Ren", "Kaiming He", "Ross B. Girshick", "Jian Sun"]
    assert entry.year == 2015
    assert entry.venue_key == "conf/nips"
    assert entry.venue_name.startswith("Advances in Neural Information Processing Systems 28:")
    assert entry.arxiv_id == ""
    assert entry.doi == ""
    assert entry.urls == [
        "https://proceedings.neurips.cc/paper/2015/hash/"
        "14bfa6bb14875e45bba028a21ed38046-Abstract.html"
    ]
    assert entry.fields["pages"] == "91–99"
    assert entry.published is None
    assert entry.line == 1
    assert entry.raw == DBLP_FASTER_RCNN.rstrip("\n")


def test_dblp_corr_entry_is_an_arxiv_paper_and_keeps_its_key():
    entry = parse_one(DBLP_CORR_ZHANG)

    assert entry.key == "journals/corr/ZhangBHRV16"
    assert entry.arxiv_id == "1611.03530"
    assert entry.venue_key == "journals/corr"
    assert entry.venue_name == "CoRR"
    assert entry.authors[-1] == "Oriol Vinyals"
    assert "archiveprefix" in entry.fields


def test_google_scholar_arxiv_preprint_keeps_its_key():
    entry = parse_one(SCHOLAR_VASWANI)

    assert entry.key == "vaswani2017attention"
    assert entry.arxiv_id == "1706.03762"
    assert entry.title == "Attention is all you need"
    assert entry.authors[0] == "Ashish Vaswani"
    assert entry.authors[5:7] == ["Aidan N Gomez", "Łukasz Kaiser"]
    assert entry.venue_name == "arXiv preprint arXiv:1706.03762"
    # An arXiv-only paper without a dblp key or DOI is filed under arXiv's venue.
    assert entry.venue_key == "journals/corr"


def test_zotero_arxiv_export():
    entry = parse_one(ZOTERO_VASWANI)

    assert entry.key == "vaswani_attention_2017"
    assert entry.title == "Attention Is All You Need"
    assert entry.authors == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert entry.et_al is True
    assert entry.doi == "10.48550/arxiv.1706.03762"
    assert entry.arxiv_id == "1706.03762"
    assert entry.venue_key == "journals/corr"
    assert entry.published == datetime.date(2017, 12, 1)
    assert entry.fields["month"] == "December"
    assert entry.keywords == [
        "Computer Science - Computation and Language",
        "Computer Science - Machine Learning",
        "cs.CL",
    ]
    assert entry.abstract.startswith("The dominant sequence transduction models are based on")
    assert "\n" not in entry.abstract


def test_several_entries_report_their_own_lines():
    text = DBLP_FASTER_RCNN + "\n" + DBLP_CORR_ZHANG + "\n% a comment\n" + SCHOLAR_VASWANI

    result = parse_bibtex(text)

    assert result.errors == []
    lines = text.splitlines()
    for entry in result.entries:
        assert lines[entry.line - 1].startswith("@")
        assert entry.raw in text
    assert [entry.line for entry in result.entries] == [1, 20, 38]


# --- LaTeX to Unicode ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"M{\"u}ller", "Müller"),
        (r"M\"uller", "Müller"),
        (r"M\"{u}ller", "Müller"),
        (r"Caf\'e", "Café"),
        (r"Caf{\'e}", "Café"),
        (r"{\`a} la", "à la"),
        (r"Fran{\c{c}}ois", "François"),
        (r"Fran\c cois", "François"),
        (r"Stra\ss e", "Straße"),
        (r"Stra{\ss}e", "Straße"),
        (r"Bj{\o}rn", "Bjørn"),
        (r"{\O}sterberg", "Østerberg"),
        (r"{\aa}ngstr{\"o}m", "ångström"),
        (r"{\AA}", "Å"),
        (r"{\L}ukasz", "Łukasz"),
        (r"Ni\~{n}o", "Niño"),
        (r"Dvo\v{r}\'ak", "Dvořák"),
        (r"Erd\H{o}s", "Erdős"),
        (r"Aks{\i}n", "Aksın"),
        (r"na{\"\i}ve", "naïve"),
        (r"\'{\i}ndice", "índice"),
        (r"R\&D", "R&D"),
        (r"10\% better", "10% better"),
        (r"snake\_case", "snake_case"),
        (r"\#1 and \$5", "#1 and $5"),
        ("pages 12--23", "pages 12–23"),
        ("yes---no", "yes—no"),
        ("one~two", "one two"),
        (r"\textit{Deep} \emph{learning} \textbf{now}", "Deep learning now"),
        (r"{\em Deep} {\bf learning}", "Deep learning"),
        (r"\enquote{quoted}", "“quoted”"),
        ("``Why Should I Trust You?''", "“Why Should I Trust You?”"),
        ("{Faster {R-CNN:}} Towards", "Faster R-CNN: Towards"),
        ("  lots \n of\t\tspace  ", "lots of space"),
        (r"The \TeX book", "The TeXbook"),
        (r"\LaTeX{} rocks", "LaTeX rocks"),
        (r"a\\b", "a b"),
        (r"\url{http://x.org/a_b%20c}", "http://x.org/a_b%20c"),
        (r"\href{http://x.org}{the site}", "the site"),
        (r"\unknowncommand{kept}", "kept"),
        (r"\textbackslash{}n", "\\n"),
        (r"\~{}user", "~user"),
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_latex_to_unicode(latex, text):
    assert latex_to_unicode(latex) == text


@pytest.mark.parametrize(
    "title",
    [
        r"Learning with $\ell_1$ penalties",
        r"Signs of W$\frac{o}{a}$nder",
        r"$O(n \log n)$ sorting -- fast",
        r"Display $$\sum_i x_i$$ math",
    ],
)
def test_math_is_kept_verbatim(title):
    math = title[title.index("$") : title.rindex("$") + 1]

    assert math in latex_to_unicode(title)


def test_text_outside_math_is_still_decoded():
    assert latex_to_unicode(r"{\"U}ber $x_1$ -- fast") == "Über $x_1$ – fast"


def test_a_lone_dollar_is_text():
    assert latex_to_unicode("costs $5") == "costs $5"


def test_broken_latex_does_not_raise():
    for value in ["\\", "{", "}", "\\'", "\\c{", "$", "$$", "\\href{", "{\\", "---"]:
        latex_to_unicode(value)


# --- Authors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("Knuth, Donald E.", ["Donald E. Knuth"]),
        ("Donald E. Knuth", ["Donald E. Knuth"]),
        ("D.~E. Knuth", ["D. E. Knuth"]),
        ("Ludwig van Beethoven", ["Ludwig van Beethoven"]),
        ("van Beethoven, Ludwig", ["Ludwig van Beethoven"]),
        ("Jean de la Fontaine", ["Jean de la Fontaine"]),
        ("de la Fontaine, Jean", ["Jean de la Fontaine"]),
        ("Ford, Jr., Henry", ["Henry Ford, Jr."]),
        ("{Google Brain Team}", ["Google Brain Team"]),
        ("{Barnes and Noble}", ["Barnes and Noble"]),
        ("Aristotle", ["Aristotle"]),
        (
            "Bird, R.B. and Armstrong, R.C. AND Hassager, O.",
            ["R.B. Bird", "R.C. Armstrong", "O. Hassager"],
        ),
        ("Alice Smith And Bob Jones", ["Alice Smith", "Bob Jones"]),
        ("Smith, Alice and others", ["Alice Smith"]),
        ("Kaiser, {\\L}ukasz", ["Łukasz Kaiser"]),
        ('Aks{\\i}n, {\\"O}zge', ["Özge Aksın"]),
        ('M{\\"u}ller,\n   Hans', ["Hans Müller"]),
        ("V{\\'a}zques{ de }Parga, Luis", ["Luis Vázques de Parga"]),
        ("Landry and Sandra", ["Landry", "Sandra"]),
        ("", []),
        ("and", []),
    ],
)
def test_parse_authors(value, names):
    assert parse_authors(value) == names


def test_et_al_flag_is_set_only_by_others():
    with_others = parse_one("@misc{k, title={T}, author={A B and others}}")
    without = parse_one("@misc{k, title={T}, author={A B and C D}}")

    assert with_others.et_al is True
    assert with_others.authors == ["A B"]
    assert without.et_al is False


# --- Keys and identifiers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "normalized"),
    [
        ("DBLP:conf/nips/RenHGS15", "conf/nips/RenHGS15"),
        ("  DBLP:journals/corr/abs-1611-03530 ", "journals/corr/abs-1611-03530"),
        ("vaswani2017attention", "vaswani2017attention"),
        (" Cesar2013\n", "Cesar2013"),
    ],
)
def test_normalize_key(key, normalized):
    assert normalize_key(key) == normalized


def test_dblp_prefix_is_dropped_from_entry_keys():
    entry = parse_one("@article{DBLP:journals/jmlr/SrivastavaHKSS14, title = {Dropout}}")

    assert entry.key == "journals/jmlr/SrivastavaHKSS14"
    assert entry.venue_key == "journals/jmlr"


@pytest.mark.parametrize(
    ("value", "arxiv_id"),
    [
        ("1706.03762", "1706.03762"),
        ("1706.03762v2", "1706.03762"),
        ("arXiv:1706.03762v2", "1706.03762"),
        ("arxiv: 1706.03762", "1706.03762"),
        ("https://arxiv.org/abs/1706.03762v3", "1706.03762"),
        ("http://arxiv.org/abs/1611.03530", "1611.03530"),
        ("arxiv.org/pdf/1706.03762.pdf", "1706.03762"),
        ("https://arxiv.org/pdf/1706.03762v1", "1706.03762"),
        ("https://export.arxiv.org/abs/2106.09685", "2106.09685"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("arXiv:math.GT/0309136", "math/0309136"),
        ("https://arxiv.org/abs/cond-mat/0211034", "cond-mat/0211034"),
        ("1706.3762", ""),  # 2015 onwards ids have five digits
        ("1413.0001", ""),  # no 13th month
        ("1234.56789", ""),
        ("foo/9901001", ""),
        ("10.1038/nature14539", ""),
        ("vaswani2017attention", ""),
        ("", ""),
    ],
)
def test_parse_arxiv_id(value, arxiv_id):
    assert parse_arxiv_id(value) == arxiv_id


@pytest.mark.parametrize(
    ("value", "doi"),
    [
        ("10.1038/nature14539", "10.1038/nature14539"),
        ("doi:10.1109/CVPR.2016.90", "10.1109/cvpr.2016.90"),
        ("DOI: 10.1109/CVPR.2016.90", "10.1109/cvpr.2016.90"),
        ("https://doi.org/10.1145/3065386", "10.1145/3065386"),
        ("http://dx.doi.org/10.1145/3065386", "10.1145/3065386"),
        ("https://doi.org/10.1002%2F(SICI)1097", "10.1002/(sici)1097"),
        ("10.1145", ""),
        ("1706.03762", ""),
        ("not a doi", ""),
        ("", ""),
    ],
)
def test_parse_doi(value, doi):
    assert parse_doi(value) == doi


def test_arxiv_key():
    assert arxiv_key("1611.03530") == "journals/corr/1611.03530"
    assert arxiv_key("hep-th/9901001") == "journals/corr/hep-th-9901001"


def test_arxiv_keys_are_recognised_when_read_back():
    for arxiv_id in ["1611.03530", "hep-th/9901001"]:
        entry = parse_one(f"@article{{{arxiv_key(arxiv_id)}, title={{T}}}}")

        assert entry.arxiv_id == arxiv_id
        assert entry.venue_key == "journals/corr"


@pytest.mark.parametrize(
    ("key", "doi", "venue_key"),
    [
        ("conf/nips/RenHGS15", "", "conf/nips"),
        ("DBLP:conf/nips/RenHGS15", "", "conf/nips"),
        ("journals/corr/abs-1706-03762", "", "journals/corr"),
        ("journals/corr/ZhangBHRV16", "", "journals/corr"),
        ("books/daglib/0000001", "", "books/daglib"),
        ("conf/nips/2015", "", "conf/nips"),
        ("nature2015deep", "10.1038/nature14539", "10.1038"),
        ("10.1126/science.1127647", "10.1126/science.1127647", "10.1126"),
        ("conf/nips/RenHGS15", "10.5555/2969239", "conf/nips"),
        ("vaswani_attention_2017", "10.48550/arXiv.1706.03762", "journals/corr"),
        ("conf/nips", "", ""),
        ("homepages/x/y", "", ""),
        ("vaswani2017attention", "", ""),
    ],
)
def test_venue_key_for(key, doi, venue_key):
    assert venue_key_for(key, doi) == venue_key


@pytest.mark.parametrize(
    ("text", "identifier"),
    [
        ("10.1038/nature14539", ("doi", "10.1038/nature14539")),
        ("https://doi.org/10.1109/CVPR.2016.90", ("doi", "10.1109/cvpr.2016.90")),
        ("10.48550/arXiv.1706.03762", ("arxiv", "1706.03762")),
        ("1706.03762", ("arxiv", "1706.03762")),
        ("arXiv:1706.03762v5", ("arxiv", "1706.03762")),
        ("https://arxiv.org/abs/1706.03762", ("arxiv", "1706.03762")),
        ("hep-th/9901001", ("arxiv", "hep-th/9901001")),
        ("conf/nips/RenHGS15", ("key", "conf/nips/RenHGS15")),
        ("DBLP:conf/nips/RenHGS15", ("key", "conf/nips/RenHGS15")),
        ("https://dblp.org/rec/conf/nips/RenHGS15.html", ("key", "conf/nips/RenHGS15")),
        ("journals/corr/1611.03530", ("key", "journals/corr/1611.03530")),
        ("vaswani2017attention", ("key", "vaswani2017attention")),
        ("attention", None),
        ("attention is all you need", None),
        ("", None),
        ("   ", None),
    ],
)
def test_resolve_identifier(text, identifier):
    assert resolve_identifier(text) == identifier


def test_normalize_title_ignores_case_accents_punctuation_and_braces():
    assert normalize_title("Faster {R-CNN:} Towards Real-Time Object Detection.") == (
        normalize_title("faster r-cnn — towards real time object detection")
    )
    assert normalize_title(r"Sch{\"o}lkopf's Kernels") == normalize_title("Scholkopfs kernels")
    assert normalize_title("Attention Is All You Need") == "attentionisallyouneed"
    assert normalize_title("A title") != normalize_title("Another title")


# --- Values: macros, concatenation, dates, keywords ----------------------------------------


def test_string_macros_and_concatenation_are_resolved():
    entry = parse_one(
        """
        @string{nips = "Advances in Neural Information Processing Systems"}
        @STRING{Volume = {28}}
        @inproceedings{key,
          title = "Deep" # { } # "Learning",
          booktitle = NIPS # " " # volume,
          month = jun,
          year = 2015,
        }
        """
    )

    assert entry.title == "Deep Learning"
    assert entry.venue_name == "Advances in Neural Information Processing Systems 28"
    assert entry.fields["month"] == "June"
    assert entry.published == datetime.date(2015, 6, 1)


def test_an_undefined_macro_keeps_its_name():
    entry = parse_one("@inproceedings{key, title = {T}, booktitle = ICML}")

    assert entry.venue_name == "ICML"


@pytest.mark.parametrize(
    ("fields", "year", "published"),
    [
        ("year = 2020", 2020, None),
        ("year = {2020}, month = {Mar}", 2020, datetime.date(2020, 3, 1)),
        ("year = {2020}, month = {march}", 2020, datetime.date(2020, 3, 1)),
        ("year = {2020}, month = 11, day = {5}", 2020, datetime.date(2020, 11, 5)),
        ("year = {2020}, month = {13}", 2020, None),
        ("date = {2019-07-21}", 2019, datetime.date(2019, 7, 21)),
        ("date = {2019-07}", 2019, datetime.date(2019, 7, 1)),
        ("date = {2019}", 2019, None),
        ("date = {2019-02-30}", 2019, None),
        ("year = {to appear}", None, None),
        ("", None, None),
    ],
)
def test_year_and_published_date(fields, year, published):
    entry = parse_one(f"@article{{k, title={{T}}, {fields}}}")

    assert entry.year == year
    assert entry.published == published


def test_keywords_are_split_on_commas_and_semicolons():
    entry = parse_one(
        "@article{k, title={T}, keywords={deep learning; vision, deep learning}, "
        "keyword={extra}, eprint={1706.03762}, archiveprefix={arXiv}, primaryclass={cs.LG}}"
    )

    assert entry.keywords == ["deep learning", "vision", "extra", "cs.LG"]
    assert entry.arxiv_id == "1706.03762"


def test_urls_are_collected_and_verbatim_fields_only_unescaped():
    entry = parse_one(
        r"""@misc{k, title={T}, url={https://example.org/a\_b--c~d},
        howpublished={\url{https://example.org/other}}, note={not a url}}"""
    )

    assert entry.fields["url"] == "https://example.org/a_b--c~d"
    assert entry.urls == ["https://example.org/a_b--c~d", "https://example.org/other"]


def test_doi_is_taken_from_a_doi_url_when_there_is_no_doi_field():
    entry = parse_one("@article{k, title={T}, url={https://doi.org/10.1145/3065386}}")

    assert entry.doi == "10.1145/3065386"
    assert entry.venue_key == "10.1145"


def test_arxiv_id_from_a_dblp_corr_key_only():
    entry = parse_one("@article{DBLP:journals/corr/abs-1611-03530, title = {T}}")

    assert entry.key == "journals/corr/abs-1611-03530"
    assert entry.arxiv_id == "1611.03530"
    assert entry.venue_key == "journals/corr"


def test_arxiv_id_from_an_arxiv_url_only():
    entry = parse_one("@misc{k, title={T}, url={https://arxiv.org/abs/2106.09685v2}}")

    assert entry.arxiv_id == "2106.09685"


def test_non_arxiv_eprint_is_not_an_arxiv_id():
    entry = parse_one("@misc{k, title={T}, eprint={1706.03762}, eprinttype={hal}}")

    assert entry.arxiv_id == ""
    assert entry.venue_key == ""


def test_a_published_paper_with_an_arxiv_eprint_keeps_its_venue():
    entry = parse_one(
        "@inproceedings{k, title={T}, booktitle={Proc. ICML}, eprint={1706.03762}, "
        "archiveprefix={arXiv}}"
    )

    assert entry.arxiv_id == "1706.03762"
    assert entry.venue_key == ""
    assert entry.venue_name == "Proc. ICML"


def test_crossref_fills_in_year_and_venue_from_its_parent():
    result = parse_bibtex(
        """
        @inproceedings{DBLP:conf/icml/Child18, title = {Child}, crossref = {DBLP:conf/icml/2018}}
        @proceedings{DBLP:conf/icml/2018, title = {Proceedings of ICML 2018}, year = {2018}}
        """
    )

    child = result.entries[0]
    assert child.year == 2018
    assert child.venue_name == "Proceedings of ICML 2018"
    assert "year" not in child.fields


def test_crossref_cycles_do_not_hang():
    result = parse_bibtex("@book{a, title={A}, crossref={b}}\n@book{b, title={B}, crossref={a}}\n")

    assert [entry.year for entry in result.entries] == [None, None]


def test_control_characters_are_dropped():
    entry = parse_one("@article{k, title={Nul\x00 byte\x07}}")

    assert entry.title == "Nul byte"


# --- Errors --------------------------------------------------------------------------------


def test_missing_closing_brace_is_reported_and_the_next_entry_still_parses():
    result = parse_bibtex(
        "@article{first,\n  title = {One},\n  year = {2013}\n\n@article{second, title = {Two}}\n"
    )

    assert [entry.key for entry in result.entries] == ["second"]
    assert [(error.key, error.line) for error in result.errors] == [("first", 1)]
    assert result.errors[0].message.startswith("Entry 'first' at line 1:")
    assert "closing brace" in result.errors[0].message


def test_missing_comma_between_fields_is_reported():
    result = parse_bibtex("\n@article{k,\n  title = {T}\n  year = {2013}\n}\n")

    assert result.entries == []
    (error,) = result.errors
    assert (error.key, error.line) == ("k", 2)
    assert "missing comma" in error.message


def test_missing_comma_after_key_is_reported():
    (error,) = parse_bibtex("@article{k title = {T}}").errors

    assert error.message == "Entry 'k' at line 1: expected a comma after the key"


def test_entry_without_title_is_an_error():
    result = parse_bibtex("\n\n@misc{notitle, author = {A B}}")

    assert result.entries == []
    assert result.errors[0].message == "Entry 'notitle' at line 3 has no title"


def test_duplicate_key_names_both_lines():
    result = parse_bibtex(
        "@article{dup, title = {First}}\n\n@article{DBLP:dup, title = {Second}}\n"
    )

    assert [entry.title for entry in result.entries] == ["First"]
    (error,) = result.errors
    assert error.line == 3
    assert error.message == "Entry 'dup' at line 3 repeats the key of the entry at line 1"


def test_duplicate_key_on_the_same_line_is_an_error():
    result = parse_bibtex("@misc{k, title = {A}} @misc{k, title = {B}}")

    assert [entry.title for entry in result.entries] == ["A"]
    assert result.errors[0].message == "Entry 'k' at line 1 repeats the key of the entry at line 1"


def test_keys_differing_only_in_case_are_duplicates():
    result = parse_bibtex("@article{Key, title = {A}}\n@article{key, title = {B}}")

    assert len(result.entries) == 1
    assert "repeats the key of the entry at line 1" in result.errors[0].message


def test_duplicate_field_is_an_error():
    (error,) = parse_bibtex("@article{k, title = {A}, Title = {B}}").errors

    assert error.message == "Entry 'k' at line 1: the field 'title' appears twice"


def test_entry_without_key_is_an_error():
    (error,) = parse_bibtex("@article{, title = {A}}").errors

    assert error.key is None
    assert error.message == "Entry at line 1 has no key"


def test_key_with_spaces_is_an_error():
    (error,) = parse_bibtex("@article{two words, title = {A}}").errors

    assert error.message.startswith("Entry 'two words' at line 1: the key must not contain")


def test_unclosed_string_definition_is_reported():
    result = parse_bibtex('@string{x = "open\n@article{k, title = {T}}')

    assert result.errors[0].message.startswith("@string at line 1:")
    assert [entry.key for entry in result.entries] == ["k"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n",
        "no bibtex here at all",
        "@",
        "@@@@article{",
        "{{{{}}}}}",
        "@article{",
        "@article{k",
        "@article{k,",
        "@article{k, title",
        "@article{k, title =",
        "@article{k, title = {",
        '@article{k, title = "',
        "@article{k, title = {a} # }",
        "@article{k, title = # {a}}",
        "@article{k, title = {a}{b}}",
        "@article{k, title = {\\}}",
        "@article{k, author = {\\}, title = {x}}",
        '@article{k, title = {x}, author = {, , and {} and \\" and ~}}',
        "@string{",
        "@string{x}",
        "@comment{",
        "@preamble{",
        "@article(k, title = {x}",
        "\ufeff\ufeff@article{k, title={x}}",
        "@article{k, title={" + "{" * 500 + "}" * 500 + "}}",
        "@article{k, title={x}, year={99999999999999999999}, month={0}, day={-1}}",
        "@article{k, title={x}, date={2020-99-99/2021}}",
        "@article{k, title={x}, crossref={k}}",
        "\x00@article{k, title={\x00}}",
    ],
)
def test_invalid_input_never_raises(text):
    result = parse_bibtex(text)

    for entry in result.entries:
        assert entry.key and entry.title and entry.line >= 1
    for error in result.errors:
        assert error.line >= 1
        assert f"line {error.line}" in error.message


# --- Writing -------------------------------------------------------------------------------


def round_trip(fields, key="k", entry_type="article"):
    text = entry_to_bibtex(key=key, entry_type=entry_type, fields=fields)
    return parse_one(text)


@pytest.mark.parametrize(
    "value",
    [
        "Plain title",
        "Braces {inside} and } unbalanced {",
        "Double \"quotes\" and single 'quotes'",
        "100% sure, 50 % not",
        "Email me@example.org @article{fake, title={x}}",
        "Hash # sign and C# language",
        "Ünïcödé — “quotes” – ≤ ∞ 中文 ✓",
        "Backslash \\ and \\emph{not a command}",
        "Tilde ~ caret ^ underscore _ ampersand & dollar $",
        "Math $\\mathcal{O}(n^2)$ and $x_1$ kept",
        "Two dashes -- three --- and quotes `` ''",
        "Unbalanced math $\\}$ brace $x}$",
        "Trailing backslash \\",
        "Comma, equals = and (parentheses)",
    ],
)
def test_entry_to_bibtex_round_trips_awkward_values(value):
    fields = {"title": value, "note": value, "author": "Jane Doe", "url": value}

    entry = round_trip(fields)

    assert entry.fields == {name: " ".join(text.split()) for name, text in fields.items()}


def test_entry_to_bibtex_output_is_readable_bibtex():
    text = entry_to_bibtex(
        key="conf/nips/RenHGS15",
        entry_type="inproceedings",
        fields={"title": "Faster R-CNN: 10% & more", "year": "2015", "doi": "10.5555/a_b"},
    )

    assert text == (
        "@inproceedings{conf/nips/RenHGS15,\n"
        "  title = {Faster R-CNN: 10\\% \\& more},\n"
        "  year = {2015},\n"
        "  doi = {10.5555/a_b},\n"
        "}\n"
    )


def test_entry_to_bibtex_round_trips_real_entries():
    for text in [DBLP_FASTER_RCNN, DBLP_CORR_ZHANG, SCHOLAR_VASWANI, ZOTERO_VASWANI]:
        entry = parse_one(text)

        again = round_trip(entry.fields, key=entry.key, entry_type=entry.entry_type)

        assert again.fields == entry.fields
        assert again.title == entry.title
        assert again.arxiv_id == entry.arxiv_id


@pytest.mark.parametrize(
    ("key", "entry_type", "fields"),
    [
        ("two words", "article", {}),
        ("", "article", {}),
        ("k", "not a type", {}),
        ("k", "comment", {}),
        ("k", "article", {"bad name": "x"}),
    ],
)
def test_entry_to_bibtex_refuses_what_cannot_be_written(key, entry_type, fields):
    with pytest.raises(ValueError):
        entry_to_bibtex(key=key, entry_type=entry_type, fields=fields)


# --- The shared corpus ---------------------------------------------------------------------

# (entries, errors) per file; the errors are entries without a title, one duplicate key.
EXPECTED_COUNTS = {
    "biber-examples.bib": (97, 21),
    "comments_only.bib": (0, 0),
    "common_strings.bib": (0, 0),
    "crossref_cascading.bib": (0, 4),
    "crossref_cascading_cycle.bib": (0, 2),
    "crossref_entries.bib": (14, 0),
    "empty.bib": (0, 0),
    "fieldname.bib": (0, 1),
    "multiline_comments.bib": (0, 0),
    "multiple_entries.bib": (3, 0),
    "article_missing_coma.bib": (4, 0),
    "wrong.bib": (0, 2),
    "xref_entries.bib": (8, 0),
}
BROKEN_FILES = {name for name, (_, errors) in EXPECTED_COUNTS.items() if errors}


def read_corpus_file(path):
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_corpus_file_parses_without_raising(path):
    result = parse_bibtex(read_corpus_file(path))

    for entry in result.entries:
        assert entry.key
        assert entry.title
        assert entry.line >= 1
        assert entry.raw.lstrip().startswith("@")
    for error in result.errors:
        assert error.line >= 1
        assert f"line {error.line}" in error.message
        if error.key:
            assert f"'{error.key}'" in error.message
    if path.name in EXPECTED_COUNTS:
        assert (len(result.entries), len(result.errors)) == EXPECTED_COUNTS[path.name]
    if path.name in BROKEN_FILES:
        assert result.errors
    elif path.name not in EXPECTED_COUNTS:
        # Every other file of the corpus is valid BibTeX with titled entries.
        assert result.errors == []
        assert result.entries


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_corpus_entries_round_trip_through_entry_to_bibtex(path):
    for entry in parse_bibtex(read_corpus_file(path)).entries:
        text = entry_to_bibtex(key=entry.key, entry_type=entry.entry_type, fields=entry.fields)

        again = parse_bibtex(text)

        assert again.errors == []
        assert again.entries[0].fields == entry.fields


def test_corpus_details():
    assert CORPUS_FILES, f"no .bib files in {CORPUS}"

    def only(name):
        return parse_one(read_corpus_file(CORPUS / name))

    assert only("article_with_special_characters.bib").authors == ["Jean Césarü"]
    assert only("article_start_with_bom.bib").line == 2
    assert only("article_with_strings.bib").authors == ["Jean César"]
    assert only("features2.bib").fields["note"] == "Email: John.Doe@example.com"
    assert only("features2.bib").fields["pages"] == "1–10"
    assert only("book_capital_AND.bib").authors == ["R.B. Bird", "R.C. Armstrong", "O. Hassager"]
    assert only("string.bib").venue_name == (
        "Proceedings of the IEEE Symposium on Security and Privacy"
    )
    wrong = parse_bibtex(read_corpus_file(CORPUS / "wrong.bib"))
    assert [error.message for error in wrong.errors] == [
        "Entry 'foo' at line 3 has no title",
        "Entry 'bar' at line 7 has no title",
    ]
