"""Adding a paper by arXiv id, DOI or dblp key: the metadata comes from the service that knows
it, here a local server that plays back recorded answers (tests/papers/recorded); failures
name the service and leave the BibTeX paste; searches and 404s offer to add unknown papers."""

import http.server
import io
import os
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from papers import lookup
from papers.forms import digest_of
from papers.models import Paper

RECORDED = Path(__file__).parent / "recorded"
# Ports of this project's range (9500-9599), each test worker starting at its own.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
PORTS = [9500 + (20 * _WORKER + step) % 100 for step in range(100)]


class Services(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), Playback)
        self.routes = {}  # path with query -> (status, headers, body, delay in seconds)
        self.requests = []

    def answer(self, path, body=b"", *, status=200, headers=None, delay=0, file=None):
        if file:
            body = (RECORDED / file).read_bytes()
        self.routes[path] = (status, headers or {}, body, delay)


class Playback(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        status, headers, body, delay = self.server.routes.get(
            self.path, (404, {}, b"Resource not found.", 0)
        )
        time.sleep(delay)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def services(settings):
    for port in PORTS:
        try:
            server = Services(port)
            break
        except OSError:
            continue
    else:
        pytest.fail("no free port in 9500-9599")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.LOOKUP_SERVICES = {
        "arxiv": f"{base}/arxiv/query",
        "crossref": f"{base}/crossref/works/",
        "datacite": f"{base}/datacite/dois/",
        "dblp": f"{base}/dblp/rec/",
    }
    settings.LOOKUP_TIMEOUT = 1
    settings.LOOKUP_CONTACT = "papers@shortscience.example"
    yield server
    server.shutdown()
    server.server_close()


ARXIV = "/arxiv/query?id_list=1706.03762&max_results=1"
CROSSREF = "/crossref/works/10.1038/nature14539"


def add_page(client, identifier):
    return client.get("/papers/add/", {"id": identifier})


def test_an_arxiv_id_fills_the_add_page_then_imports(client, author, services):
    services.answer(ARXIV, file="arxiv-1706.03762.xml")
    client.force_login(author)
    page = add_page(client, "https://arxiv.org/abs/1706.03762v5")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Found on arXiv" in text and "@article{journals/corr/1706.03762," in text
    assert "Ashish Vaswani and Noam Shazeer" in text and "status-new" in text
    [(_, headers)] = services.requests
    assert headers["User-Agent"].startswith("ShortScience/")
    assert "mailto:papers@shortscience.example" in headers["User-Agent"]

    entry = page.context["form"].initial["bibtex"]
    done = client.post(
        "/papers/add/", {"bibtex": entry, "previewed": digest_of(entry), "import": "1"}
    )
    assert done.status_code == 200
    paper = Paper.objects.get(bibtex_key="journals/corr/1706.03762")
    assert paper.title == "Attention Is All You Need" and paper.arxiv_id == "1706.03762"
    assert paper.year == 2017 and paper.abstract.startswith("The dominant sequence")
    assert paper.author_names[:2] == ["Ashish Vaswani", "Noam Shazeer"]
    assert {k.name for k in paper.keywords.all()} >= {"cs.CL", "cs.LG"}


def test_a_doi_comes_from_crossref(client, author, services):
    services.answer(CROSSREF, file="crossref-10.1038-nature14539.json")
    client.force_login(author)
    text = add_page(client, "https://doi.org/10.1038/nature14539").content.decode()
    assert "Found on Crossref" in text
    assert "@article{10.1038/nature14539," in text and "Yann LeCun and Yoshua Bengio" in text
    assert "journal = {Nature}" in text and "year = {2015}" in text
    assert "jats" not in text


def test_a_doi_crossref_lacks_comes_from_datacite(client, author, services):
    services.answer(
        "/datacite/dois/10.5281/zenodo.3242074", file="datacite-10.5281-zenodo.3242074.json"
    )
    client.force_login(author)
    text = add_page(client, "10.5281/zenodo.3242074").content.decode()
    assert "Found on DataCite" in text and "scipy/scipy: SciPy 1.3.0" in text
    assert "Pauli Virtanen and Ralf Gommers" in text
    assert [path for path, _ in services.requests] == [
        "/crossref/works/10.5281/zenodo.3242074",
        "/datacite/dois/10.5281/zenodo.3242074",
    ]


def test_a_dblp_key_comes_from_dblp(client, author, services):
    services.answer(
        "/dblp/rec/conf/nips/VaswaniSPUJGKP17.bib", file="dblp-conf-nips-VaswaniSPUJGKP17.bib"
    )
    client.force_login(author)
    text = add_page(client, "DBLP:conf/nips/VaswaniSPUJGKP17").content.decode()
    assert "Found on dblp" in text and "Attention is All you Need" in text
    assert "conf/nips/VaswaniSPUJGKP17" in text and "status-new" in text


def test_answers_are_cached(client, author, services):
    services.answer(ARXIV, file="arxiv-1706.03762.xml")
    client.force_login(author)
    add_page(client, "1706.03762")
    assert "Found on arXiv" in add_page(client, "arXiv:1706.03762").content.decode()
    assert len(services.requests) == 1


def test_unknown_everywhere_says_so_and_offers_the_paste(client, author, services):
    services.answer("/arxiv/query?id_list=2012.99999&max_results=1", file="arxiv-error.xml")
    client.force_login(author)
    page = add_page(client, "2012.99999")
    assert page.status_code == 404
    text = page.content.decode()
    assert "arXiv does not know this paper." in text
    assert "Paste the paper's BibTeX below instead." in text and 'name="bibtex"' in text
    page = add_page(client, "10.9999/nowhere")  # 404 at Crossref, then at DataCite
    assert page.status_code == 404
    assert "Crossref and DataCite do not know this DOI." in page.content.decode()
    assert not Paper.objects.exists()


def test_a_timeout_names_the_service(client, author, services):
    services.answer(ARXIV, file="arxiv-1706.03762.xml", delay=3)
    client.force_login(author)
    started = time.monotonic()
    page = add_page(client, "1706.03762")
    assert time.monotonic() - started < 2.5  # the 1-second timeout, not the 3-second answer
    assert page.status_code == 502
    assert "arXiv did not answer within 1 second." in page.content.decode()
    assert 'name="bibtex"' in page.content.decode()


@pytest.mark.parametrize(
    "path, file, identifier, message",
    [
        (CROSSREF, "crossref-malformed.json", "10.1038/nature14539", "Crossref sent an answer"),
        (ARXIV, "arxiv-malformed.xml", "1706.03762", "arXiv sent an answer"),
    ],
)
def test_a_malformed_answer_names_the_service(
    client, author, services, path, file, identifier, message
):
    services.answer(path, file=file)
    client.force_login(author)
    page = add_page(client, identifier)
    assert page.status_code == 502
    assert message + " that could not be read." in page.content.decode()


def test_an_answer_of_the_wrong_shape_is_the_services_failure(client, author, services):
    services.answer(CROSSREF, b'{"message": {"title": ["T"], "issued": "2015", "author": 3}}')
    client.force_login(author)
    page = add_page(client, "10.1038/nature14539")
    assert page.status_code == 502
    assert "Crossref sent an answer that could not be read." in page.content.decode()


@pytest.mark.parametrize("status", [429, 503])
def test_a_rate_limit_answer_names_the_service_and_is_not_cached(client, author, services, status):
    services.answer(CROSSREF, b"Too Many Requests", status=status, headers={"Retry-After": "60"})
    client.force_login(author)
    page = add_page(client, "10.1038/nature14539")
    assert page.status_code == 502
    assert f"Crossref is refusing requests for 60 seconds (HTTP {status}" in page.content.decode()
    services.answer(CROSSREF, file="crossref-10.1038-nature14539.json")
    assert "Found on Crossref" in add_page(client, "10.1038/nature14539").content.decode()


def test_a_paper_already_here_opens_without_a_request(client, author, paper, services):
    client.force_login(author)
    response = add_page(client, "https://arxiv.org/abs/1506.01497")
    assert response.status_code == 302 and response["Location"] == paper.get_absolute_url()
    assert services.requests == []


def test_look_ups_are_for_signed_in_writers_and_rate_limited(client, author, services, settings):
    assert add_page(client, "1706.03762").status_code == 302  # to the log-in page
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lookup": (1, 3600, "paper look-ups")}
    services.answer(ARXIV, file="arxiv-1706.03762.xml")
    client.force_login(author)
    add_page(client, "1706.03762")
    page = add_page(client, "1706.03763")
    assert page.status_code == 429 and len(services.requests) == 1


def test_not_an_identifier_is_refused_without_a_request(client, author, services):
    client.force_login(author)
    page = add_page(client, "attention is all you need")
    assert (
        page.status_code == 400 and "not an arXiv id, a DOI or a dblp key" in page.content.decode()
    )
    assert services.requests == []


def test_a_search_for_an_unknown_identifier_offers_to_add_it(client, summary):
    text = client.get("/search/", {"q": "arXiv:2101.00001"}).content.decode()
    assert "This paper is not on ShortScience yet." in text
    assert 'href="/papers/add/?id=arXiv%3A2101.00001"' in text
    words = client.get("/search/", {"q": "region proposals"}).content.decode()
    assert "Results for" in words and "not on ShortScience yet" not in words


@pytest.mark.parametrize(
    "path, add_url",
    [
        ("/paper/journals/corr/2101.00001/", "/papers/add/?id=journals%2Fcorr%2F2101.00001"),
        ("/paper/10.1000/xyz123/", "/papers/add/?id=10.1000%2Fxyz123"),
        ("/paper/Cesar2013/", "/papers/add/?key=Cesar2013"),
    ],
)
def test_the_404_of_an_unknown_paper_offers_to_add_it(client, db, path, add_url):
    page = client.get(path)
    assert page.status_code == 404
    text = page.content.decode()
    assert "This paper is not on ShortScience yet" in text and f'href="{add_url}"' in text


def test_other_404s_stay_plain(client, db):
    page = client.get("/venue/nowhere/")
    assert page.status_code == 404 and "We could not find that page" in page.content.decode()


def test_identify_reads_the_usual_spellings():
    assert lookup.identify("arXiv:1706.03762v2") == lookup.Identifier("arxiv", "1706.03762")
    assert lookup.identify("journals/corr/1706.03762") == lookup.Identifier("arxiv", "1706.03762")
    assert lookup.identify("doi:10.1038/nature14539") == lookup.Identifier(
        "doi", "10.1038/nature14539"
    )
    assert lookup.identify("https://dblp.org/rec/conf/nips/VaswaniSPUJGKP17.html").kind == "dblp"
    assert lookup.identify("hello world") is None


def test_an_id_of_the_arxiv_snapshot_is_used_without_going_out(client, author, services, tmp_path):
    snapshot = tmp_path / "arxiv.json"
    snapshot.write_text(
        '{"id": "1706.03762", "title": "Attention Is All You Need", "authors": "Ashish Vaswani",'
        ' "categories": "cs.CL cs.LG", "abstract": "Transformers.",'
        ' "versions": [{"version": "v1", "created": "Mon, 12 Jun 2017 17:57:34 GMT"}]}\n'
    )
    call_command("import_arxiv", str(snapshot), stdout=io.StringIO(), stderr=io.StringIO())
    client.force_login(author)
    for identifier in ("1706.03762", "https://arxiv.org/abs/1706.03762v7"):
        response = add_page(client, identifier)
        assert response["Location"] == "/paper/journals/corr/1706.03762/"
    assert client.get("/search/", {"q": "arXiv:1706.03762"})["Location"] == (
        "/paper/journals/corr/1706.03762/"
    )
    assert services.requests == []


SERVICES = {
    # service: (identifier, path asked, recorded good answer, recorded malformed answer)
    "arXiv": ("1706.03762", ARXIV, "arxiv-1706.03762.xml", "arxiv-malformed.xml"),
    "Crossref": ("10.1038/nature14539", CROSSREF, "crossref-10.1038-nature14539.json",
                 "crossref-malformed.json"),
    "DataCite": ("10.5281/zenodo.3242074", "/datacite/dois/10.5281/zenodo.3242074",
                 "datacite-10.5281-zenodo.3242074.json", "datacite-malformed.json"),
    "dblp": ("conf/nips/VaswaniSPUJGKP17", "/dblp/rec/conf/nips/VaswaniSPUJGKP17.bib",
             "dblp-conf-nips-VaswaniSPUJGKP17.bib", "dblp-malformed.bib"),
}  # fmt: skip
FAILURES = {
    "timeout": (502, "did not answer within 1 second."),
    "404": (404, ""),
    "malformed": (502, "sent an answer that could not be read."),
    "rate-limit": (502, "is refusing requests for 30 seconds (HTTP 429, too many requests)."),
}


NOT_FOUND = {
    "Crossref": "Crossref and DataCite do not know this DOI.",
    "DataCite": "Crossref and DataCite do not know this DOI.",
}


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("service", SERVICES)
def test_every_service_failing_every_way_is_named_and_saves_nothing(
    client, author, services, service, failure
):
    identifier, path, good, malformed = SERVICES[service]
    if failure == "timeout":
        services.answer(path, file=good, delay=1.5)
    elif failure == "malformed":
        services.answer(path, file=malformed)
    elif failure == "rate-limit":
        services.answer(path, b"Too many requests", status=429, headers={"Retry-After": "30"})
    # 404: the server's answer for anything it has no recording of.
    client.force_login(author)
    page = add_page(client, identifier)
    status, message = FAILURES[failure]
    expected = f"{service} {message}"
    if failure == "404":  # a DOI is looked for at Crossref, then at DataCite
        expected = NOT_FOUND.get(service, f"{service} does not know this paper.")
    text = page.content.decode()
    assert page.status_code == status
    assert expected in text
    assert "Paste the paper's BibTeX below instead." in text and 'name="bibtex"' in text
    assert not Paper.objects.exists()
