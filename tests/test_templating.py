"""The Jinja environment: its faster output escaping gives exactly markupsafe's text, and
templates render as a stock Environment renders them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import DictLoader, Environment, StrictUndefined, UndefinedError
from markupsafe import Markup, escape

from digest.templating import environment, escape_output

HTML_TEXT = st.text(alphabet=st.sampled_from("ab &<>'\"中\u00a0;#x"), max_size=20)


@given(HTML_TEXT)
def test_text_is_escaped_as_markupsafe_escapes_it(text: str) -> None:
    assert escape_output(text) == str(escape(text))
    assert type(escape_output(text)) is str


@pytest.mark.parametrize(
    "value",
    [Markup("<b>safe</b> &amp;"), 0, -12, 3.5, True, None, ("a", "<"), b"<bytes>"],
)
def test_other_values_are_escaped_as_markupsafe_escapes_them(value: object) -> None:
    assert escape_output(value) == str(escape(value))


def test_markup_is_passed_through_untouched() -> None:
    safe = Markup("<em>x</em>")
    assert escape_output(safe) is safe


class _Html:
    def __html__(self) -> str:
        return "<i>own</i>"


def test_an_object_with_its_own_html_gives_it() -> None:
    assert escape_output(_Html()) == "<i>own</i>"


TEMPLATES = {
    "page.html": (
        '{% from "macros.html" import pair %}'
        '<p title="{{ title }}">{{ title }} {{ n }} {{ safe }} {{ obj }}</p>\n'
        '{% for x in items %}{{ x }}{{ ", " if not loop.last }}{% endfor %}\n'
        "{% set block %}<b>{{ title }}</b>{% endset %}{{ block }}\n"
        "{{ pair(title, safe) }}{{ title ~ safe }}{{ title | upper }}\n"
        "{% autoescape false %}{{ title }}{% endautoescape %}\n"
        "{% filter upper %}{{ title }}{% endfilter %}\n"
    ),
    "macros.html": "{% macro pair(a, b) %}[{{ a }}|{{ b }}]{% endmacro %}",
}


# Three levels of templates: blocks overridden or not, super(), self.<block>(), a
# scoped block in a loop, a block within a block, an include.
INHERITED = {
    "base.html": (
        "<h1>{% block head %}Base {{ title }}{% endblock %}</h1>\n"
        "{% block main %}{% endblock %}\n"
        "{% for x in items %}{% block item scoped %}[{{ x }}]{% endblock %}{% endfor %}\n"
        "{% block foot %}<small>{{ n }}</small>{% endblock %}{{ self.head() }}\n"
    ),
    "mid.html": '{% extends "base.html" %}{% block head %}Mid {{ super() }}{% endblock %}',
    "child.html": (
        '{% extends "mid.html" %}'
        '{% block main %}{% include "part.html" %}<p>{{ title }}</p>'
        "{% block inner %}<i>{{ safe }}</i>{% endblock %}{% endblock %}"
        "{% block item %}<{{ x }}>{{ super() }}{% endblock %}"
    ),
    "part.html": "<nav>{{ obj }}</nav>",
}
VALUES = {
    "title": "Q&A <on> \"PIPL\" 'art. 38'",
    "n": 42,
    "safe": Markup("<br>"),
    "obj": _Html(),
    "items": ["a<", "b&", 3],
}


def _stock(templates: dict[str, str]) -> Environment:
    return Environment(
        loader=DictLoader(templates),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def test_templates_render_exactly_as_with_a_stock_environment(tmp_path: Path) -> None:
    for name, text in TEMPLATES.items():
        (tmp_path / name).write_text(text)
    ours = environment([tmp_path]).get_template("page.html").render(VALUES)
    assert ours == _stock(TEMPLATES).get_template("page.html").render(VALUES)
    assert "Q&amp;A &lt;on&gt; &#34;PIPL&#34; &#39;art. 38&#39;" in ours


def test_inherited_templates_render_exactly_as_with_a_stock_environment(
    tmp_path: Path,
) -> None:
    """Blocks and parent templates, whose output ours joins where it is made."""
    for name, text in INHERITED.items():
        (tmp_path / name).write_text(text)
    ours = environment([tmp_path]).get_template("child.html").render(VALUES)
    assert ours == _stock(INHERITED).get_template("child.html").render(VALUES)
    assert ours.startswith("<h1>Mid Base Q&amp;A &lt;on&gt;")
    assert "<i><br></i>" in ours and "<3>[3]" in ours and "<small>42</small>" in ours


def test_a_misspelt_name_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text("{{ titel }}")
    with pytest.raises(UndefinedError):
        environment([tmp_path]).get_template("t.html").render(title="x")
