"""Hostile content and a read-only, locked-down web app.

A hostile corpus (titles, outlets, texts, URLs and ids carrying ``<script>``, event-handler
attributes, ``javascript:``/``data:`` URLs, broken HTML and spreadsheet formulas; entity names
turned into payloads through an aliases file) is indexed, and every page type is checked with
BeautifulSoup: no ``<script>`` element, no ``on*`` attribute, no ``javascript:`` link; only
http(s) URLs become links; snippets and facet values are escaped; the Atom feed is well-formed
with the payloads as text; CSV cells cannot run as formulas.  Then: security headers on every
route (errors and static files included), no route writes to the index, and no id reaches a file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.web import create_app
from tests.conftest import ROOT

ENTITY = '<img src=x onerror=alert("entity")>'
HOSTILE = [
    {
        "id": "x1", "title": "<script>alert('title')</script> Geneva talks", "source": "<b onmouseover=alert(1)>Evil Outlet</b>",
        "text": "Sergei Lavrov met John Kerry in Geneva on Tuesday, hostileone said. <script>alert(2)</script>\n\n"
                'Click <a href="javascript:alert(1)">here</a> or <img src=x onerror=alert(3)> now, hostileone.',
        "url": "javascript:alert(1)", "date": "2016-03-02",
    },
    {
        "id": "x2", "title": '=HYPERLINK("http://evil.example","click")', "source": "+cmd|' /C calc'!A0",
        "text": "-2+3 hostiletwo @SUM(A1): Lavrov spoke in Aleppo. <svg onload=alert(5)> <iframe src=javascript:alert(6)></iframe>",
        "url": 'https://example.org/a?b="><script>alert(4)</script>', "date": "2016-03-03",
    },
    {
        "id": 'x3"><script>alert(7)</script>', "title": "Broken <div <p unclosed <!-- comment", "source": "@Outlet",
        "text": "hostilethree </textarea></title><style>body{}</style> ]]> <![CDATA[ x ]]> Kerry visited Damascus.",
        "url": " JaVaScRiPt:alert(8)", "date": "2016-03-04",
    },
    {
        "id": "x4", "title": "-Data url", "source": "-Minus Outlet", "text": "hostilefour: a story from Geneva, javascript:alert(10).",
        "url": "data:text/html,<script>alert(9)</script>", "date": "2016-03-05",
    },
]  # fmt: skip
QUERIES = ["hostileone", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "Lavrov", ""]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "hostile.jsonl").write_text("".join(json.dumps(r) + "\n" for r in HOSTILE), encoding="utf-8")
    aliases = folder / "aliases.toml"
    aliases.write_text(f'[merge]\n{json.dumps(ENTITY)} = ["Sergei Lavrov", "Lavrov"]\n[kind]\n{json.dumps(ENTITY)} = "person"\n', encoding="utf-8")
    summary = index_paths([folder / "hostile.jsonl"], folder / "ix", IndexOptions(processes=1, aliases_file=str(aliases)))
    assert summary.added == len(HOSTILE) and not summary.rejected
    return folder / "ix"


@pytest.fixture()
def hclient(hostile):
    return create_app({"TESTING": True, "INDEX_DIR": str(hostile)}).test_client()


def assert_inert_html(html: str, where: str) -> BeautifulSoup:
    page = BeautifulSoup(html, "html.parser")
    assert not page.find_all(["script", "iframe", "object", "embed", "img", "base", "meta"], recursive=True) or all(
        tag.name == "meta" and not tag.get("http-equiv") for tag in page.find_all(["script", "iframe", "object", "embed", "img", "base", "meta"])
    ), where
    for tag in page.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), (where, tag)
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href", "data"):
                target = "".join(str(value).split()).lower()
                assert not target.startswith(("javascript:", "data:", "vbscript:")), (where, tag)
                assert target.startswith(("/", "#", "?", "http://", "https://")), (where, tag)
    assert "<script" not in html.lower(), where
    return page


def assert_inert_fragment(html: str, where: str) -> None:
    """A snippet: text with <mark> (and entity links on document pages), nothing else."""
    fragment = BeautifulSoup(html, "html.parser")
    assert {tag.name for tag in fragment.find_all(True)} <= {"mark"}, (where, html)


def fetch(client, url: str, method: str = "get", **kwargs):
    """A response read to its end and closed (a streamed export or a static file holds resources until then)."""
    response = getattr(client, method)(url, **kwargs)
    response.get_data()
    response.close()
    return response


# ---------------------------------------------------------------------------------------------
# No script injection


def test_search_pages_are_inert(hclient):
    urls = [f"/?q={quote(q)}" for q in QUERIES]
    urls += [f"/?outlet={quote(r['source'])}" for r in HOSTILE] + [f"/?actor={quote(ENTITY)}", "/?more=actor", "/?more=outlet&q=Geneva"]
    urls += ["/?q=" + quote("<script>") + "&page=" + quote("<script>"), "/?sort=" + quote("<svg onload=alert(1)>")]
    for url in urls:
        response = hclient.get(url)
        assert response.status_code in (200, 400), url
        page = assert_inert_html(response.get_data(as_text=True), url)
        for snippet in page.select(".snippet"):
            assert not snippet.find_all(lambda t: t.name not in ("mark", "a")), url
    page = BeautifulSoup(hclient.get("/?q=hostileone").get_data(as_text=True), "html.parser")
    assert "<script>alert('title')</script> Geneva talks" in page.get_text()  # shown, as text
    labels = BeautifulSoup(hclient.get("/?more=actor").get_data(as_text=True), "html.parser").get_text()
    assert ENTITY in labels and "Evil Outlet" in labels


def test_document_pages_are_inert_and_only_http_urls_are_links(hclient):
    for record in HOSTILE:
        for q in ("", "<script>alert(1)</script>", "hostileone"):
            url = "/doc/" + quote(record["id"], safe="") + (f"?q={quote(q)}" if q else "")
            response = hclient.get(url)
            assert response.status_code == 200, url
            page = assert_inert_html(response.get_data(as_text=True), url)
            original = page.select("a.original")
            if record["url"].startswith("https://"):
                assert [a["href"] for a in original] == [record["url"]]
            else:
                assert original == [], url  # javascript: and data: URLs are never links
    page = BeautifulSoup(hclient.get("/doc/x1").get_data(as_text=True), "html.parser")
    assert [a.get_text() for a in page.select(".para a.entity-person")][:1] == ["Sergei Lavrov"]
    assert ENTITY in [a.get_text() for a in page.select(".entity-list a")]


def test_error_pages_are_inert(hclient):
    for url in ["/doc/" + quote("<script>alert(1)</script>", safe=""), "/nope<script>", "/?page=" + quote("<script>alert(1)</script>")]:
        response = hclient.get(url)
        assert response.status_code in (400, 404)
        assert_inert_html(response.get_data(as_text=True), url)
    body = hclient.get("/api/doc/" + quote("<script>", safe="")).get_data(as_text=True)
    assert json.loads(body)["error"] == "no document with id '<script>'"


def test_api_snippets_are_escaped(hclient):
    for q in QUERIES:
        data = hclient.get("/api/search", query_string={"q": q}).get_json()
        for hit in data.get("hits", []):
            for snippet in hit["snippets"]:
                assert_inert_fragment(snippet["html"], q)
    data = hclient.get("/api/search?q=hostileone").get_json()
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in data["hits"][0]["snippets"][0]["html"]
    doc = hclient.get("/api/doc/x1").get_json()
    assert doc["url"] == "javascript:alert(1)"  # data in JSON, never a link
    assert hclient.get("/api/doc/x1").headers["Content-Type"] == "application/json"


def test_feed_is_well_formed_with_payloads_as_text(hclient):
    for q in QUERIES:
        response = hclient.get("/feed.atom", query_string={"q": q})
        body = response.get_data(as_text=True)
        if response.status_code == 400:  # "<script>" reads as a broken range query
            assert_inert_html(body, q)
            continue
        assert response.status_code == 200
        assert "<script" not in body.lower() and "<img" not in body.lower()
        root = ET.fromstring(body)
        for element in root.iter():
            assert element.tag.startswith("{http://www.w3.org/2005/Atom}"), element.tag
            assert not [a for a in element.attrib if a.lower().startswith("on")]
            if "href" in element.attrib:
                href = element.attrib["href"]  # no public_url: links relative to this site, never to another host
                assert href.startswith("/") and not href.startswith("//"), element.attrib
    root = ET.fromstring(hclient.get("/feed.atom?q=hostileone").get_data(as_text=True))
    titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert "<script>alert('title')</script> Geneva talks" in titles


def test_exports_neutralise_formulas_and_escape_snippets(hclient):
    rows = list(csv.reader(io.StringIO(hclient.get("/export.csv").get_data(as_text=True))))
    assert rows[0][0] == "id" and len(rows) == 1 + len(HOSTILE)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["x2"][1] == "'" + HOSTILE[1]["title"] and by_id["x2"][2] == "'" + HOSTILE[1]["source"]
    assert by_id["x4"][1] == "'-Data url"
    data = json.loads(hclient.get("/export.json").get_data(as_text=True))
    assert len(data["hits"]) == len(HOSTILE)
    for hit in data["hits"]:
        for snippet in hit["snippets"]:
            assert_inert_fragment(snippet["html"], hit["id"])


# ---------------------------------------------------------------------------------------------
# Headers on every route


def every_route(doc_id: str) -> list[str]:
    return [
        "/", "/?q=Geneva", "/?page=abc", f"/doc/{quote(doc_id, safe='')}", "/doc/nope", "/api/search", "/api/search?page=abc",
        f"/api/doc/{quote(doc_id, safe='')}", "/api/doc/nope", "/export.csv", "/export.json", "/feed.atom", "/export.csv?page=x",
        "/static/style.css", "/static/favicon.svg", "/static/nope.css", "/favicon.ico", "/nope",
    ]  # fmt: skip


def test_security_headers_on_every_route_errors_and_static_files(hclient):
    responses = [(url, fetch(hclient, url)) for url in every_route("x1")]
    responses += [("POST /", fetch(hclient, "/", "post")), ("DELETE /api/doc/x1", fetch(hclient, "/api/doc/x1", "delete"))]
    statuses = set()
    for url, response in responses:
        statuses.add(response.status_code)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url
        assert response.headers.get("Referrer-Policy") == "same-origin", url
        assert response.headers.get("X-Frame-Options") == "DENY", url
    assert {200, 301, 400, 404, 405} <= statuses


# ---------------------------------------------------------------------------------------------
# Read-only: nothing written, nothing outside the index reachable


def snapshot(folder) -> dict[str, tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.stat(path)
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if os.path.isfile(path) else "dir"
            out[os.path.relpath(path, folder)] = (info.st_size, info.st_mtime_ns, digest)
    return out


def test_no_route_writes_to_the_index(tmp_path, hostile):
    index_dir = tmp_path / "ix"
    shutil.copytree(hostile, index_dir)
    before = snapshot(index_dir)
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    routes = every_route("x1") + [f"/?q={quote(q)}" for q in QUERIES] + ["/?more=actor", "/api/search?q=Lavrov&actor=" + quote(ENTITY)]
    for url in routes:
        assert fetch(client, url).status_code in (200, 301, 400, 404), url
    for url in ("/", "/doc/x1", "/api/search", "/api/doc/x1", "/export.csv", "/export.json", "/feed.atom"):
        for method in ("post", "put", "delete", "patch"):
            response = fetch(client, url, method, data={"q": "x", "id": "x1"})
            assert response.status_code == 405, (method, url)
            assert response.headers["Allow"] and "POST" not in response.headers["Allow"]
    assert snapshot(index_dir) == before
    assert client.get("/api/doc/x1").status_code == 200  # still there


TRAVERSALS = [
    "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/etc/passwd", "....//....//etc/passwd",
    "..\\..\\etc\\passwd", "%252e%252e%252fetc%252fpasswd", "../README.md", "..%2F..%2FREADME.md", "x1/../x2", "x1%00", "%00",
    "../searchapp/web/app.py", "~root/.bashrc",
]  # fmt: skip


@pytest.mark.parametrize("prefix", ["/doc/", "/api/doc/", "/static/"])
def test_no_id_reaches_a_file_outside_the_index(hclient, prefix):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")[:60]
    for raw in TRAVERSALS:
        response = fetch(hclient, prefix + raw, follow_redirects=True)
        body = response.get_data(as_text=True)
        assert response.status_code in (400, 404), (prefix, raw, response.status_code)
        assert "root:x:0:0" not in body and readme not in body and "def create_app(" not in body, (prefix, raw)
