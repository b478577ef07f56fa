"""Every user-visible string in the project's templates is marked for translation.

A pure file scan (no database, no rendering): each template of the apps'
``templates/`` directories and of the top-level ``templates/`` (the pages, the
includes and the PDF reports) is read, and whatever a reader would see must sit
inside ``{% translate %}`` or ``{% blocktranslate %}…{% endblocktranslate %}``,
so that a German locale needs no template edits. Comments, other template tags,
variables and ``<script>``/``<style>`` contents are not text; the values of the
attributes a reader sees or hears (``aria-label``, ``title``, ``alt``,
``placeholder``, ``data-label``, and ``value`` of submit, button and reset
inputs) are, and so are literals a template prints as they are (``|default:``,
``{% firstof %}``, an include's ``label="…"``). Text of
punctuation, symbols, digits and entities only (``·``, ``—``, ``›``, ``×``,
``&nbsp;``) needs no translation, nor does the content of an element that
says so with the HTML attribute ``translate="no"`` (a sample of a file format).
"""

import os
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# Attributes whose values are shown or read out to the user (``data-label``
# heads the cells of stacked tables through CSS ``attr()``).
VISIBLE_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "data-label"}
# Input types whose ``value`` is the label of a button.
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}
VOID_ELEMENTS = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]
)
# Parameters of an include that are shown as text by the included template.
VISIBLE_INCLUDE_PARAMETERS = frozenset(
    ["label", "title", "heading", "text", "caption", "legend", "hint", "help", "message", "empty"]
)

TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}", re.S)
COMMENT_BLOCK = re.compile(r"\{%-?\s*comment\b.*?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
BLOCKTRANSLATE = re.compile(r"\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S)
TAG = re.compile(r"\{%.*?%\}", re.S)
VARIABLE = re.compile(r"\{\{.*?\}\}", re.S)
TRANSLATION_TAG = re.compile(r"\{%\s*(?:translate|trans|blocktranslate|blocktrans)\b")
LOAD_I18N = re.compile(r"\{%\s*load\b[^%]*\bi18n\b[^%]*%\}")
STRING = r"""(?:"[^"]*"|'[^']*')"""
# A literal such as ``'info'`` or ``'en'`` is a key (a CSS modifier, a language code), not text.
KEY = re.compile(r"[a-z0-9_-]*")
# Literals that end up on the page as they are: default values of filters,
# ``{% firstof … "fallback" %}`` and visible parameters of an include.
DEFAULT_LITERAL = re.compile(rf"\|\s*(?:default|default_if_none)\s*:\s*({STRING})")
FIRSTOF = re.compile(r"\{%\s*firstof\b(.*?)%\}", re.S)
INCLUDE = re.compile(r"\{%\s*include\b(.*?)%\}", re.S)
INCLUDE_PARAMETER = re.compile(rf"\b(\w+)\s*=\s*({STRING})")


def is_text(value):
    """Whether a reader would need this translated: it has a letter in it."""
    return any(unicodedata.category(character).startswith("L") for character in value)


def blank(match):
    """The match as spaces, newlines kept, so that line numbers still hold."""
    return re.sub(r"[^\n]", " ", match.group())


def line_of(source, offset):
    return source.count("\n", 0, offset) + 1


class _TextScanner(HTMLParser):
    """Collects (line, text) of unmarked visible text in a template stripped of template syntax."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self._raw_text_depth = 0
        # The element marked translate="no" being read, and how deep its tag nests.
        self._untranslated_tag = None
        self._untranslated_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw_text_depth += 1
        attributes = dict(attrs)
        if self._untranslated_tag:
            if tag == self._untranslated_tag:
                self._untranslated_depth += 1
            return
        if (attributes.get("translate") or "").strip().lower() == "no":
            if tag not in VOID_ELEMENTS:
                self._untranslated_tag, self._untranslated_depth = tag, 1
            return
        checked = set(VISIBLE_ATTRIBUTES)
        if tag == "input" and (attributes.get("type") or "").strip().lower() in BUTTON_INPUT_TYPES:
            checked.add("value")
        line, _ = self.getpos()
        raw = self.get_starttag_text() or ""
        for name, value in attrs:
            if name in checked and value and is_text(value):
                position = re.search(rf"(?<![\w-]){re.escape(name)}\s*=", raw, re.I)
                offset = raw.count("\n", 0, position.start()) if position else 0
                self.found.append((line + offset, f'{name}="{" ".join(value.split())}"'))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._raw_text_depth:
            self._raw_text_depth -= 1
        if tag == self._untranslated_tag:
            self._untranslated_depth -= 1
            if not self._untranslated_depth:
                self._untranslated_tag = None

    def handle_data(self, data):
        if self._raw_text_depth or self._untranslated_tag:
            return
        line, _ = self.getpos()
        for number, text in enumerate(data.split("\n")):
            if is_text(text):
                self.found.append((line + number, " ".join(text.split())))


def unmarked_text(source):
    """(line, text) of every piece of user-visible text not marked for translation."""
    source = TEMPLATE_COMMENT.sub(blank, source)
    source = COMMENT_BLOCK.sub(blank, source)
    source = BLOCKTRANSLATE.sub(blank, source)
    found = []
    for match in DEFAULT_LITERAL.finditer(source):
        literal = match.group(1)[1:-1]
        if is_text(literal) and not KEY.fullmatch(literal):
            found.append((line_of(source, match.start()), f"default {match.group(1)}"))
    for match in FIRSTOF.finditer(source):
        for literal in re.finditer(STRING, match.group(1)):
            if is_text(literal.group()[1:-1]):
                found.append((line_of(source, match.start()), f"firstof {literal.group()}"))
    for match in INCLUDE.finditer(source):
        for parameter in INCLUDE_PARAMETER.finditer(match.group(1)):
            if parameter.group(1) in VISIBLE_INCLUDE_PARAMETERS and is_text(parameter.group(2)[1:-1]):
                found.append(
                    (line_of(source, match.start()), f"include {parameter.group(1)}={parameter.group(2)}")
                )
    source = TAG.sub(blank, source)
    source = VARIABLE.sub(blank, source)
    scanner = _TextScanner()
    scanner.feed(source)
    scanner.close()
    return sorted(found + scanner.found)


def project_templates():
    """Every template file under a ``templates`` directory of the project (not the virtualenv)."""
    templates = []
    for directory, subdirectories, files in os.walk(BASE_DIR):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not name.startswith(".") and name not in ("node_modules", "__pycache__", "var")
        )
        relative = Path(directory).relative_to(BASE_DIR)
        if "templates" in relative.parts:
            templates.extend(
                Path(directory) / name for name in sorted(files) if name.endswith((".html", ".txt", ".xml"))
            )
    return templates


TEMPLATES = project_templates()


def test_the_scan_finds_the_templates():
    names = {path.relative_to(BASE_DIR).as_posix() for path in TEMPLATES}
    assert "templates/base.html" in names
    assert "templates/reports/base.html" in names
    assert "plans/templates/plans/plan_detail.html" in names
    assert not any(name.startswith(".venv/") for name in names)


def test_the_scan_flags_unmarked_text_and_passes_marked_text():
    source = """{% load i18n %}{# A comment #}
{% comment %}Not shown{% endcomment %}
<h1>{% translate "Plans" %}</h1>
<p>{% blocktranslate with n=count %}{{ n }} plans
in all{% endblocktranslate %}</p>
<p class="{{ tone|default:'info' }}">Not done.</p>
<span aria-label="Close">×</span> · &nbsp; — › 12 <td data-label="Owner"></td>
<img src="x.png" alt="{% translate 'Logo' %}">
<a href="#" title="Edit {{ plan }}">✎</a>
<input type="submit" value="Save"><input type="hidden" name="step" value="next">
<input
  placeholder="Search">
<script>const label = "Not text";</script><style>.a::after { content: "x"; }</style>
{% if done %}Finished{% endif %}{{ process|default:"None" }}
<pre translate="no">id;value
<b>1;Ticket tool</b></pre><input translate="no" placeholder="id;value"><pre>Sample</pre>
"""
    assert unmarked_text(source) == [
        (6, "Not done."),
        (7, 'aria-label="Close"'),
        (7, 'data-label="Owner"'),
        (9, 'title="Edit"'),
        (10, 'value="Save"'),
        (12, 'placeholder="Search"'),
        (14, "Finished"),
        (14, 'default "None"'),
        (16, "Sample"),
    ]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.relative_to(BASE_DIR).as_posix())
def test_template_text_is_marked_for_translation(path):
    source = path.read_text(encoding="utf-8")
    problems = [f"{path.relative_to(BASE_DIR)}:{line}: {text!r}" for line, text in unmarked_text(source)]
    if TRANSLATION_TAG.search(source) and not LOAD_I18N.search(source):
        problems.insert(0, f"{path.relative_to(BASE_DIR)}:1: uses translate tags without {{% load i18n %}}")
    assert not problems, (
        "Text not marked for translation ({% translate %} / {% blocktranslate %}):\n" + "\n".join(problems)
    )
