"""Property-based tests (Hypothesis): whatever bytes an editor commits, checking them
gives problems or an entry, never an exception."""

from __future__ import annotations

import re
import string

from html_audit import unsafe_markup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.items import check_item
from digest.registry import Agency

AGENCIES = {"CAC": Agency("CAC", "cac", "Cyberspace Administration of China", "national")}
FIELDS = ["title", "date", "category", "agencies", "source", "tags", "order", "draft", "id", "x"]

yaml_scalar = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "2023-03-23",
            "2023-03",
            "2023-13-01",
            "regulation",
            "[CAC]",
            "~",
            "&a x",
            "*a",
            "!!python/object:os.system x",
        ]
    ),
    st.integers(),
)


@st.composite
def front_matter_files(draw) -> bytes:
    """Files that look like items, with arbitrary values."""
    lines = ["---"]
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=8)):
        value = draw(yaml_scalar)
        lines.append(f"{name}: {value}")
    lines.append(draw(st.sampled_from(["---", "", "..."])))
    lines.append(draw(st.text(max_size=200)))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_problems_or_an_entry(data: bytes) -> None:
    entry, problems = check_item("2023-04/x.md", "2023-04", data, AGENCIES)
    assert (entry is None) == bool(problems)
    for p in problems:
        assert p.path == "2023-04/x.md" and p.field and p.message


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(front_matter_files())
def test_any_front_matter_gives_problems_or_an_entry(data: bytes) -> None:
    entry, problems = check_item("2023-04/x.md", "2023-04", data, AGENCIES)
    assert (entry is None) == bool(problems)
    lines = len(re.split(rb"\r\n|\r|\n", data))  # a lone CR ends a line too
    assert all(0 <= p.line <= lines for p in problems)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=string.printable + "\u202e\u200b<>&\"'", max_size=300),
        st.builds(
            "[{}]({}{})".format,
            st.text(max_size=5),
            st.sampled_from(
                [
                    "javascript:",
                    "JaVa\tScript:",
                    "&#106;avascript:",
                    "data:",
                    "vbscript:",
                    "java%0ascript:",
                    "http:",
                    "/",
                    "mailto:",
                ]
            ),
            st.text(max_size=10),
        ),
    )
)
def test_any_body_text_is_checked_without_raising(body: str) -> None:
    data = (
        "---\ntitle: T\ndate: 2023-03-01\ncategory: courts\nagencies: [CAC]\n"
        f"source: https://example.org/\n---\n{body}"
    ).encode()
    entry, problems = check_item("2023-04/x.md", "2023-04", data, AGENCIES)
    assert (entry is None) == bool(problems)
    if entry is not None:
        assert unsafe_markup(entry.html) == []


def test_the_audit_itself_finds_what_it_must() -> None:
    # The audit is what the safety tests lean on: it must see through these.
    assert unsafe_markup('<a href="&#106;avascript:x">a</a>') == ["<a href='javascript:x'>"]
    assert unsafe_markup('<a href="java\tscript:x">a</a>') == ["<a href='java\\tscript:x'>"]
    assert unsafe_markup("<img src=x onerror=alert(1)>") == ["<img onerror>"]
    assert unsafe_markup("<script>alert(1)</script>") == ["<script src=None>"]
    assert unsafe_markup('<a href="https://example.org">ok</a><a href="/x">ok</a>') == []
