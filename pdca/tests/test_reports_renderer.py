"""C7, "Reports fetch nothing from outside themselves": the one renderer's URL
fetcher serves the project's own static files and refuses file://, http(s)://
and every other scheme, whatever a template asks for."""

import io
import socket
import urllib.request

import pytest
from pypdf import PdfReader

from pdca import reports

STYLESHEET = reports.REPORT_BASE_URL + "static/css/report.css"
OUTSIDE = [
    "file:///etc/passwd",
    "http://127.0.0.1:9/image.png",
    "https://example.com/image.png",
    "https://example.com/static/css/report.css",
    "ftp://example.com/x.css",
    "data:image/svg+xml;base64,PHN2Zy8+",
    reports.REPORT_BASE_URL + "static/../../../etc/passwd.css",
    reports.REPORT_BASE_URL + "media/reports/secret.pdf",
    reports.REPORT_BASE_URL + "static/css/not-there.css",
]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection or a URL fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a report tried to reach outside: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", refuse)


def test_the_fetcher_refuses_file_and_network_urls_in_a_template(no_network):
    html = (
        '<html><head><link rel="stylesheet" href="/static/css/report.css">'
        '<link rel="stylesheet" href="https://example.com/x.css"></head><body><p>Hello</p>'
        + "".join(f'<img src="{url}" alt="">' for url in OUTSIDE)
        + '<p style="background: url(file:///etc/hostname)">World</p></body></html>'
    )
    fetcher = reports.static_fetcher()
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=reports.REPORT_BASE_URL, url_fetcher=fetcher).write_pdf()
    assert fetcher.served == [STYLESHEET]
    for url in OUTSIDE:
        if not url.startswith("data:"):
            assert any(refused.startswith(url[:40]) for refused in fetcher.refused), url
    assert "file:///etc/hostname" in fetcher.refused
    assert "https://example.com/x.css" in fetcher.refused
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Hello" in text and "root:" not in text


@pytest.mark.parametrize("url", OUTSIDE)
def test_the_fetcher_refuses_each_url_outside_the_static_files(url, no_network):
    fetcher = reports.static_fetcher()
    with pytest.raises(reports.RefusedResource):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_fetcher_serves_the_projects_own_static_files(no_network):
    response = reports.static_fetcher().fetch(STYLESHEET)
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_only_asset_types_are_served():
    assert reports.static_file(reports.REPORT_BASE_URL + "static/css/report.css")
    assert reports.static_file(reports.REPORT_BASE_URL + "static/css/report.css.py") is None
    assert reports.static_file(reports.REPORT_BASE_URL + "static/%2e%2e/pdca/settings.py") is None
