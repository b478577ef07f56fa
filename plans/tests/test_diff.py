"""P4: the comparison of rendered text marks the words that changed, in the
rendered Markdown, and lets no user HTML through."""

from pdca.markdown import render_markdown
from plans.diff import rendered_diff


def _diff(old, new):
    return [str(part) for part in rendered_diff(render_markdown(old), render_markdown(new))]


def test_changed_words_are_marked_in_the_rendered_text():
    inline, old, new = _diff(
        "Restore **normal** service as quickly as possible.",
        "Restore **normal** service within the agreed service levels.",
    )
    assert "<ins>within the agreed service levels.</ins>" in inline
    assert "<del>as quickly as possible.</del>" in inline
    assert "<strong>normal</strong>" in inline  # the Markdown is rendered, not shown as source
    assert "<del>as quickly as possible.</del>" in old and "<ins>" not in old
    assert "<ins>within the agreed service levels.</ins>" in new and "<del>" not in new


def test_each_side_keeps_its_own_structure():
    _inline, old, new = _diff(
        "- incident manager\n- service desk", "- incident manager\n- major-incident manager"
    )
    assert old.startswith("<ul><li>incident manager</li>") and "<del>service desk</del>" in old
    assert new.startswith("<ul><li>incident manager</li>") and "<ins>major-incident manager</ins>" in new


def test_an_unchanged_text_has_no_marks():
    inline, old, new = _diff("Same *text*.", "Same *text*.")
    assert inline == old == new == "<p>Same <em>text</em>.</p>"


def test_scripts_and_event_handlers_never_survive_the_diff():
    inline, old, new = _diff(
        "Plain text.",
        'Plain text. <script>alert("x")</script> <img src="x" onerror="alert(1)"> '
        '[link](javascript:alert(1)) [ok](http://example.com/"><script>alert(2)</script>)',
    )
    for html in (inline, old, new):
        lowered = html.lower()
        assert "<script" not in lowered and "onerror" not in lowered and "javascript:" not in lowered
        assert "<img" not in lowered


def test_text_that_looks_like_html_stays_text():
    inline, _old, new = _diff("Use tags.", "Use `<b>` and &lt;script&gt; tags.")
    assert "&lt;b&gt;" in inline and "&lt;script&gt;" in new
    assert "<b>" not in inline and "<script>" not in new
