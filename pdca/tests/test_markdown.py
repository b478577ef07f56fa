from pdca.markdown import render_markdown


def test_markdown_is_rendered():
    html = render_markdown("# Scope\n\n* one\n* **two**")
    assert "<h1>Scope</h1>" in html and "<strong>two</strong>" in html


def test_scripts_and_event_handlers_are_removed():
    html = render_markdown(
        '<script>alert(1)</script><p onclick="evil()">x</p><a href="javascript:evil()">l</a>'
    )
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html


def test_remote_images_are_removed():
    html = render_markdown("![tracker](https://example.com/pixel.png) <img src='http://x/y.png'>")
    assert "<img" not in html
    assert "example.com" not in html
