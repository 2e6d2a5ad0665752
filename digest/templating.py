"""The Jinja environment the pages are rendered with, and its compiled-template cache.

Autoescape is on and undefined names are errors (StrictUndefined). Two things differ
from a stock Environment, for speed only; a page renders to exactly the same text:

- Each `{{ value }}` is escaped by `escape_output`, which returns a plain string where
  markupsafe's `escape` returns a `Markup` (two Python calls more, for a value that is
  only ever joined into the page: a sixth of the time of an edition page went there).
  Everything else that escapes (filters, `~`, macros, `{% set %}` blocks) is Jinja's own.
- A template's globals are flattened into a plain dict once, instead of being copied
  out of their ChainMap into every new context (ten thousand rows, bodies and pages).
- A block, and a parent template, hand their output up as one joined string: Jinja
  passes each piece up through every generator above it (an item page's hundred
  pieces through three), 7-10% of the time of rendering a page.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path

from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
)
from jinja2.bccache import Bucket
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Context, Undefined, new_context
from markupsafe import Markup, escape

from .cache import read_blob, write_blob

TEMPLATES_DIR = "templates"  # in the cache folder: compiled templates


def escape_output(value: object) -> str:
    """`value` as HTML text, exactly as markupsafe.escape gives it, but as a plain str
    when it is one (the common case: no Markup object to make)."""
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or "'" in value or '"' in value:
            return (
                value.replace("&", "&amp;")
                .replace(">", "&gt;")
                .replace("<", "&lt;")
                .replace("'", "&#39;")
                .replace('"', "&#34;")
            )
        return value
    kind = type(value)
    if kind is Markup:
        return value
    if kind is int:
        return str(value)
    if kind is Undefined:  # `x if y` without an else, when y is false: "" (Strict* raise)
        return ""
    return escape(value)


# The lines by which Jinja's code passes a block's output, or a parent template's, on
# piece by piece ("yield from ..."); see _CodeGenerator.writeline.
_DELEGATIONS = ("yield from context.blocks[", "yield from parent_template.root_render_func(")


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with `escape_output` around each autoescaped output, and
    blocks and parent templates joined where they are rendered."""

    def writeline(self, x: str, node=None, extra: int = 0) -> None:
        """Jinja's writeline; a delegation to a block or a parent template becomes one
        yield of its output joined (the same text: the page is the join of all)."""
        if x.startswith(_DELEGATIONS):
            x = f"yield environment.concat({x.removeprefix('yield from ')})"
        super().writeline(x, node, extra)

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            # `environment` is a global of every compiled template module.
            self.write("environment.escape_output(")
            if finalize.src is not None:
                self.write(finalize.src)
            return
        super()._output_child_pre(node, frame, finalize)


class _Template(Template):
    """A template whose globals are flattened into a plain dict once."""

    def new_context(self, vars=None, shared=False, locals=None) -> Context:
        """A new Context (as Template.new_context), from the flattened globals."""
        flat = self.__dict__.get("_flat_globals")
        if flat is None:
            flat = self.__dict__["_flat_globals"] = dict(self.globals)
        return new_context(self.environment, self.name, self.blocks, vars, shared, flat, locals)


class _Environment(Environment):
    code_generator_class = _CodeGenerator
    template_class = _Template
    escape_output = staticmethod(escape_output)


def environment(folders: Sequence[Path], cache: BytecodeCache | None = None) -> Environment:
    """The Jinja environment over the template folders, the first folder winning file by
    file; with `cache`, compiled templates are kept there between builds."""
    return _Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders]),
        bytecode_cache=cache,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


class TemplateCache(BytecodeCache):
    """Compiled templates kept in the cache folder, one file per template, so a rebuild
    does not compile them again (some 0.1-0.2 s).

    Jinja finds a template's file by its name and path and refuses it when the
    template's source changed; each file is also written with `fingerprint` (that of
    the pages: digest's code and libraries, which set the environment's options, and
    the templates) and a checksum of its bytes (cache.write_blob), so a file from other
    code, or a damaged one, is never loaded: the template is compiled again."""

    def __init__(self, cache_dir: Path, fingerprint: bytes) -> None:
        self.folder = Path(cache_dir) / TEMPLATES_DIR
        self.fingerprint = fingerprint.hex()

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill `bucket` from its file, when there is a valid one."""
        data = read_blob(self.folder / f"{bucket.key}.bin", self.fingerprint)
        if isinstance(data, bytes):
            try:
                bucket.bytecode_from_string(data)
            except (EOFError, ValueError, TypeError, pickle.UnpicklingError):
                bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the bucket's compiled template for the next build."""
        write_blob(self.folder / f"{bucket.key}.bin", self.fingerprint, bucket.bytecode_to_string())
