"""Parse stage: text + layout -> ``RawArticle`` (strings cut as found, nothing normalised away).

Here: the text's lines in stored form, the layout detected (or the fallback), and the engine
of the layout's *kind*, driven entirely by the layout's data:

* ``lines`` (``lines.py``, with ``headline.py``): one article per file, read line by line;
* ``tagged`` (``tagged.py``): ``<DOC>…</DOC>`` elements, one or many per file.

Every non-blank input line is accounted for in ``RawArticle.lines``.
"""

from __future__ import annotations

from . import mojibake
from .errors import ParseError
from .layouts import Layout, LayoutSet
from .lines import LinesParser
from .model import RawArticle
from .tagged import parse_tagged
from .text import clean_lines

#: How many lines from the start and the end of a text detection looks at.
DETECT_HEAD_LINES = 400
DETECT_TAIL_LINES = 100


def prepare_lines(text: str) -> list[str]:
    """Stored-form lines of a text; a line of only (no-break) spaces becomes ''."""
    return clean_lines(text)


def detection_sample(lines: list[str]) -> list[str]:
    """The non-blank lines detection scores: the head and the tail of the text."""
    lines = [line for line in lines if line]
    if len(lines) > DETECT_HEAD_LINES + DETECT_TAIL_LINES:
        lines = lines[:DETECT_HEAD_LINES] + lines[-DETECT_TAIL_LINES:]
    return lines


def parse_text(text: str, layouts: LayoutSet, layout_name: str | None = None) -> list[RawArticle]:
    """Parse one source text into raw articles with the named layout, or the detected one.

    Lines garbled by a wrong code page are repaired first (``mojibake``), and said so in every
    article's notes; so is a text that no site layout claimed and the fallback layout parsed.
    """
    text, notes = mojibake.repair(text)
    lines = prepare_lines(text)
    if not any(lines):
        raise ParseError("holds no text (empty or only white space)")
    layout = layouts.get(layout_name) if layout_name else layouts.detect(detection_sample(lines))
    if layout.fallback and not layout_name:
        notes.append(f"layout: no site layout matched; parsed with the {layout.name} rules")
    articles = parse_lines(lines, layout)
    if notes:
        for raw in articles:
            raw.notes[:0] = notes
    return articles


def parse_lines(lines: list[str], layout: Layout) -> list[RawArticle]:
    """Apply ``layout`` to prepared lines."""
    if layout.kind == "tagged":
        articles = list(parse_tagged(lines, layout))
        if not articles:
            raise ParseError(f"no <{layout.spec['document']}> element found")
        if len(articles) == 1:
            articles[0].position = None  # one article per file: named like the file
            if articles[0].defect:
                raise ParseError(articles[0].defect.replace("document 1 ", ""),
                                 line=articles[0].lines[0].line)
        return articles
    return [LinesParser(layout, lines).run()]
