from papers import search
from papers.bibtex import parse_bibtex
from papers.importing import apply_import, plan_import

ENTRY = """@inproceedings{conf/x/Quix20,
  title = {Quixotic Transformers for Zebra Crossings},
  author = {Lovelace, Ada and Turing, Alan},
  booktitle = {Workshop on Unusual Models},
  year = {2020}
}"""


def test_imported_papers_are_found_by_search(db):
    apply_import(plan_import(parse_bibtex(ENTRY)), source="BibTeX import")
    found = [paper.bibtex_key for paper in search.search("quixotic zebra")]
    assert found == ["conf/x/Quix20"]
    by_author = [paper.bibtex_key for paper in search.search("Lovelace")]
    assert by_author == ["conf/x/Quix20"]
