import json
import re

from papers.models import Paper
from tests.conftest import make_paper, make_summary


def head_of(client, url):
    return client.get(url).content.decode().split("</head>")[0]


def json_ld(head):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', head, re.S)
    return json.loads(match.group(1))


def test_paper_page_has_open_graph_twitter_card_and_scholarly_article(client, summary):
    head = head_of(client, summary.paper.get_absolute_url())
    assert '<meta property="og:type" content="article">' in head
    assert '<meta property="og:title" content="Faster R-CNN: Towards' in head
    assert (
        '<meta property="og:url" content="http://127.0.0.1:8000/paper/conf/nips/RenHGS15/">' in head
    )
    assert '<meta name="twitter:card" content="summary">' in head
    assert "og:image" not in head
    data = json_ld(head)
    assert data["@type"] == "ScholarlyArticle"
    assert data["name"].startswith("Faster R-CNN")
    assert data["author"][0] == {"@type": "Person", "name": "Shaoqing Ren"}
    assert data["datePublished"] == "2015-06-04"
    assert {"@type": "PropertyValue", "propertyID": "arXiv", "value": "1506.01497"} in data[
        "identifier"
    ]


def test_card_image_is_the_first_image_of_the_top_summary(client, paper, author, stranger):
    make_summary(paper, author, "![low](https://example.org/low.png)")
    top = make_summary(paper, stranger, "Text.\n\n![figure](/static/img/fig.png) ![b](/b.png)")
    top.score = 5
    top.save()
    head = head_of(client, paper.get_absolute_url())
    image = "http://127.0.0.1:8000/static/img/fig.png"
    assert f'<meta property="og:image" content="{image}">' in head
    assert f'<meta name="twitter:image" content="{image}">' in head
    assert '<meta name="twitter:card" content="summary_large_image">' in head
    assert json_ld(head)["image"] == image


def test_private_summary_image_never_becomes_the_card(client, paper, author):
    make_summary(paper, author, "![secret](https://example.org/secret.png)", is_private=True)
    client.force_login(author)
    assert "secret.png" not in head_of(client, paper.get_absolute_url())


def test_json_ld_cannot_break_out_of_its_script_element(client, db):
    make_paper("conf/x/Evil", title="</script><script>alert(1)</script> & <!--")
    head = head_of(client, "/paper/conf/x/Evil/")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', head, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block)["name"] == Paper.objects.get().title


def test_every_page_has_title_description_and_canonical(client, summary):
    summary.paper.set_keywords(["cs.CV"])
    for url in (
        "/",
        "/paper/conf/nips/RenHGS15/",
        "/venues/",
        "/venue/conf/nips/",
        "/venue/conf/nips/2015/",
        "/year/2015/",
        "/user/alice/",
        "/users/",
        "/about/",
        "/author/kaiming-he/",
        "/keyword/cs.CV/",
        "/search/?q=region",
    ):
        head = head_of(client, url)
        title = re.search(r"<title>(.*?)</title>", head, re.S).group(1).strip()
        assert title and title != "ShortScience · ShortScience", url
        assert re.search(r'<meta name="description" content="[^"]{20,}">', head), url
        assert '<link rel="canonical" href="http://127.0.0.1:8000/' in head, url
