"""Turn review Markdown into safe HTML, and review text into plain-text excerpts.

Review text comes from people and from pasted articles, so nothing in it is
trusted. Markdown is rendered with raw HTML switched off (so typed tags show as
text) and the result is then sanitised with an allow-list; the sanitiser is the
guarantee, the Markdown settings only keep the output tidy.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "ul", "ol", "li",
        "strong", "em", "b", "i", "blockquote", "code", "pre", "a", "del",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

ELLIPSIS = "\u2026"


def _render_image_as_alt_text(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    # No remote resources on our pages: an image becomes its (escaped) alt text
    # instead of an <img> that the sanitiser would silently drop.
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    return html.escape(alt, quote=False)


def _render_strikethrough_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    # markdown-it-py emits <s>; <del> is the tag on our allow-list.
    return "<del>"


def _render_strikethrough_close(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    return "</del>"


def _build_markdown() -> MarkdownIt:
    # commonmark keeps maxNesting at 20, which bounds the work on hostile input
    # such as hundreds of nested lists or quotes.
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.add_render_rule("image", _render_image_as_alt_text)
    md.add_render_rule("s_open", _render_strikethrough_open)
    md.add_render_rule("s_close", _render_strikethrough_close)
    return md


_MARKDOWN = _build_markdown()

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel=LINK_REL,
)

# Strips every tag; script and style lose their content too (nh3's default).
_TEXT_ONLY_CLEANER = nh3.Cleaner(tags=set(), attributes={})

_WHITESPACE = re.compile(r"\s+")
# What still reads like a tag once the sanitiser is done ("<IFRAME><SCRIPT>" keeps
# "<SCRIPT>" as the iframe's text): excerpts are prose, so such text goes, and a "<"
# that could open a tag is dropped, so that no tag can form again where one was cut.
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]{0,200}>")
_TAG_OPENER = re.compile(r"<+(?=[A-Za-z/!?])")  # a run: removing one "<" of "<<?" must not leave "<?"


# markdown-it-py is linear but slow per emphasis or link delimiter (about 10 us
# each): a section with more of them than any review has is shown as plain
# paragraphs instead, which keeps a 1 MB pathological paste well under a second.
MARKUP_BUDGET = 20_000
_DELIMITERS = ("*", "_", "[", "]", "`", "<", "!")


def _over_markup_budget(source: str) -> bool:
    return sum(source.count(mark) for mark in _DELIMITERS) > MARKUP_BUDGET


def _plain_paragraphs(source: str) -> str:
    paragraphs = [" ".join(block.split()) for block in re.split(r"\n\s*\n", source)]
    return "".join(f"<p>{html.escape(text, quote=False)}</p>\n" for text in paragraphs if text)


def render_markdown(source: str) -> Markup:
    """Render review Markdown to sanitised HTML, safe to put on any page.

    Raw HTML in the source is shown as text, images are reduced to their alt
    text, links keep only http, https, mailto or relative URLs and get
    ``rel="nofollow noopener noreferrer"``. Only the tags in ``ALLOWED_TAGS``
    survive. A section with more than ``MARKUP_BUDGET`` markup characters
    is shown as plain paragraphs (escaped), so rendering cost stays bounded.
    """
    source = source or ""
    if _over_markup_budget(source):
        return clean_html(_plain_paragraphs(source))
    return clean_html(_MARKDOWN.render(source))


def render_plain_text(text: str) -> Markup:
    """A guest's short review as HTML: every character shown as typed, line
    breaks kept, no Markdown and no links (a comment, not an article).

    The text is escaped first and the result still goes through the sanitiser,
    so it is safe by two independent means.
    """
    paragraph = str(escape(text or "")).replace("\r\n", "\n").replace("\n", "<br>\n")
    return clean_html(f"<p>{paragraph}</p>" if paragraph else "")


def clean_html(fragment: str) -> Markup:
    """Sanitise an HTML fragment with the review allow-list and mark it safe.

    ``render_markdown`` uses this; it is public so that any other HTML meant
    for a review passes the same gate.
    """
    return Markup(_CLEANER.clean(fragment or ""))  # noqa: S704 - this is the sanitiser


def _plain_text(source: str) -> str:
    """The readable text of Markdown (or HTML-ish) source, whitespace collapsed."""
    blocks: list[str] = []
    source = source or ""
    # Over the budget the source is read as text, as render_markdown shows it.
    tokens = [] if _over_markup_budget(source) else _MARKDOWN.parse(source)
    if not tokens:
        blocks.append(source)
    for token in tokens:
        if token.type == "inline":
            inline: list[str] = []
            for child in token.children or []:
                if child.type in {"text", "code_inline"}:
                    inline.append(child.content)
                elif child.type in {"softbreak", "hardbreak"}:
                    inline.append(" ")
                elif child.type == "image":
                    renderer = _MARKDOWN.renderer
                    assert isinstance(renderer, RendererHTML)  # MarkdownIt's own: typed as any renderer
                    inline.append(renderer.renderInlineAsText(child.children or [], _MARKDOWN.options, {}))
            blocks.append("".join(inline))
        elif token.type in {"code_block", "fence"}:
            blocks.append(token.content)
    text = " ".join(blocks)
    # Markdown has no raw HTML here, but typed tags are still markup a reader
    # should not see in an excerpt: strip them the same robust way.
    text = html.unescape(_TEXT_ONLY_CLEANER.clean(text))
    text = _TAG_OPENER.sub("", _TAG_LIKE.sub(" ", text))
    return _WHITESPACE.sub(" ", text).strip()


def excerpt(text: str, limit: int = 300) -> str:
    """Plain text of ``text`` (Markdown and HTML markup removed), at most ``limit`` characters.

    Longer text is cut on a word boundary and ends with an ellipsis. The result
    is plain text, not markup: templates escape it like any other string.
    """
    plain = _plain_text(text)
    if len(plain) <= limit:
        return plain
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = plain[: limit - 1]
    # Prefer the last word boundary, unless that would throw most of it away.
    boundary = cut.rfind(" ")
    if boundary > (limit - 1) // 2:
        cut = cut[:boundary]
    cut = cut.rstrip(" ,;:-\u2013\u2014.")
    return cut + ELLIPSIS
