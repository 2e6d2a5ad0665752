"""Problems with content: what every stage returns instead of raising, and the one place
that formats them for people (text), for GitHub Actions (annotations) and for tools (JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FORMATS = ("text", "github", "json")


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One defect in one file: `path:line: field: message`.

    `path` is relative to the entries folder and POSIX-style; `line` is 1-based in the
    file (0 when the problem is about the file as a whole and no line fits better).
    """

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        location = f"{self.path}:{self.line}" if self.line else self.path
        return f"{location}: {self.field}: {self.message}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` suffix when one of `choices` is close to `word`, else ''."""
    import difflib  # only when a suggestion is made: not on every run's start-up

    options = sorted(set(choices))
    folded = {c.casefold(): c for c in options}
    if word.casefold() in folded:
        return f" (did you mean {folded[word.casefold()]!r}?)"
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
        close = [folded[c] for c in close]
    return f" (did you mean {close[0]!r}?)" if close else ""


def summary(problems: Iterable[Problem]) -> str:
    """`N problems in M files` (singular forms where they fit)."""
    problems = list(problems)
    files = len({p.path for p in problems})
    noun = "problem" if len(problems) == 1 else "problems"
    fnoun = "file" if files == 1 else "files"
    return f"{len(problems)} {noun} in {files} {fnoun}"


def _escape_github(text: str, *, prop: bool = False) -> str:
    # The workflow-command escapes of the Actions runner (toolkit/core's command.ts).
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_problems(problems: Iterable[Problem], fmt: str = "text", *, prefix: str = "") -> str:
    """All problems, sorted, in one of FORMATS, ending with a newline.

    `prefix` is put before each path (the entries folder as the user named it), so that
    the paths printed resolve from the user's working folder.
    """
    ordered = sorted(set(problems))
    if fmt == "json":
        import json  # only for this format: not on every run's start-up

        rows = [
            {"path": prefix + p.path, "line": p.line, "field": p.field, "message": p.message}
            for p in ordered
        ]
        return json.dumps({"problems": rows, "count": len(rows)}, indent=2) + "\n"
    if fmt == "github":
        lines = []
        for p in ordered:
            props = f"file={_escape_github(prefix + p.path, prop=True)}"
            if p.line:
                props += f",line={p.line}"
            props += f",title={_escape_github(p.field, prop=True)}"
            lines.append(f"::error {props}::{_escape_github(f'{p.field}: {p.message}')}")
        lines.append(summary(ordered) if ordered else "no problems")
        return "\n".join(lines) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}")
    lines = [str(Problem(prefix + p.path, p.line, p.field, p.message)) for p in ordered]
    if ordered:
        lines.append(summary(ordered))
    return "\n".join(lines) + ("\n" if lines else "")
