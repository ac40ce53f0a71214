"""Loaders: turn one file of the store's knowledge into LangChain ``Document`` records.

Supported files and what one record is:

=================  =========================================================
``.csv``/``.json``  a product catalogue: one record per product (id, title,
                    category, price + currency, stock, rating, …; columns mapped
                    by :mod:`knowledge.catalogue`); never chunked further
``.md`` with        FAQ: one record per ``## question`` entry, plus one short
``kind: faq``       record per alternative phrasing (``<!-- also: a | b -->``)
                    so that a shopper's wording meets the nearest phrasing
``.md``/``.txt``    documents: split along headings by :mod:`knowledge.chunking`
``.html``           converted to Markdown-ish text (headings kept), then as ``.md``
``.pdf``            text per page (pypdf), then chunked
=================  =========================================================

Every record carries scalar metadata only (Chroma's rule): ``doc_id`` (the citable
unit: a product id, an FAQ entry, a document section), ``title``, ``kind``, ``lang``,
``source`` (path shown to users) and kind-specific fields (``intent``, ``answer``,
``price``, ``currency``, ``stock``, ``category``…). A file that cannot be parsed raises
:class:`LoadError` with a one-line reason.

Example::

    >>> docs = load_file(Path("knowledge/data/faq/orders.md"), source="faq/orders.md")
    >>> docs[0].metadata["kind"], docs[0].metadata["intent"]
    ('faq', 'cancel_order')
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from langchain_core.documents import Document

from knowledge.catalogue import CatalogueError, CatalogueOptions, load_catalogue
from knowledge.lang import detect_lang, slugify

SUPPORTED_SUFFIXES = {".csv", ".json", ".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}

_ALSO = re.compile(r"<!--\s*also:\s*(.*?)-->", re.S | re.I)
_META_COMMENT = re.compile(r"<!--\s*([a-z_]+):\s*(.*?)-->", re.S | re.I)
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


class LoadError(Exception):
    """A file could not be read or parsed; the message is one line for the user."""


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter (between ``---`` lines) and the rest of the text."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"bad front matter: {str(exc).splitlines()[0]}") from exc
    if not isinstance(meta, dict):
        raise LoadError("front matter is not a mapping")
    return meta, text[match.end():]


def _scalar(value) -> str | int | float | bool:
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


# --------------------------------------------------------------------------- FAQ


def load_faq_markdown(body: str, front: dict, source: str, updated_at: str) -> list[Document]:
    """One record per ``## question`` entry and one per alternative phrasing."""
    lang = str(front.get("lang") or detect_lang(body))
    docs: list[Document] = []
    entries = re.split(r"^##\s+", body, flags=re.M)[1:]
    if not entries:
        raise LoadError("FAQ file has no '## question' entries")
    for entry in entries:
        question, _, rest = entry.partition("\n")
        question = question.strip()
        meta_comments = {k.lower(): v.strip() for k, v in _META_COMMENT.findall(rest)}
        also = [a.strip() for m in _ALSO.findall(rest) for a in m.split("|") if a.strip()]
        answer = _META_COMMENT.sub("", rest).strip()
        if not answer:
            raise LoadError(f"FAQ entry {question!r} has no answer")
        entry_id = meta_comments.get("id") or slugify(question)
        doc_id = f"{source}#{entry_id}"
        base = {
            "doc_id": doc_id,
            "title": question,
            "kind": "faq",
            "lang": lang,
            "source": source,
            "intent": meta_comments.get("intent", ""),
            "answer": answer,
            "updated_at": updated_at,
            **({"url": str(front["url"])} if front.get("url") else {}),  # the page the entries come from
        }
        docs.append(Document(page_content=f"{question}\n{answer}", metadata={**base, "variant": "entry"}))
        for phrasing in [question, *also]:
            docs.append(Document(page_content=phrasing, metadata={**base, "variant": "question"}))
    return docs


# --------------------------------------------------------------------------- HTML / PDF


class _HTMLToText(HTMLParser):
    """HTML → text with headings as Markdown ``#`` lines; scripts and styles dropped."""

    _BLOCK = {"p", "div", "li", "br", "tr", "section", "article", "footer", "header", "address"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False
        self._heading = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = int(tag[1])
            self.parts.append("\n\n" + "#" * self._heading + " ")
        elif tag in self._BLOCK:
            self.parts.append("\n- " if tag == "li" else "\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = 0
            self.parts.append("\n\n")
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_title:
            self.title += data.strip()
            return
        text = re.sub(r"\s+", " ", data)
        if text.strip():
            self.parts.append(text)

    def text(self) -> str:
        out = "".join(self.parts)
        out = re.sub(r"[ \t]+\n", "\n", out)
        return re.sub(r"\n{3,}", "\n\n", out).strip()


def html_to_markdown(raw: str) -> tuple[str, str]:
    """``(title, text)`` of an HTML page; headings become ``#`` lines for the chunker."""
    parser = _HTMLToText()
    parser.feed(raw)
    parser.close()
    return html.unescape(parser.title), parser.text()


def pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        return [(page.extract_text() or "") for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"unreadable PDF: {exc}") from exc


# --------------------------------------------------------------------------- dispatch


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise LoadError(exc.strerror or str(exc)) from exc


def load_file(
    path: Path, source: str, updated_at: str = "", catalogue: CatalogueOptions | None = None
) -> list[Document]:
    """All records of one file (chunked where the kind calls for it).

    ``catalogue`` says how a CSV/JSON catalogue's columns map and which currency its bare
    prices are in (default: recognised headers, USD). Raises :class:`LoadError` when the
    file cannot be read or parsed.
    """
    from knowledge.chunking import chunk_markdown, chunk_plain

    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported file type {suffix!r}")
    if suffix == ".pdf":
        pages = pdf_pages(path)
        if not any(p.strip() for p in pages):
            raise LoadError("PDF has no extractable text")
        base = {"title": path.stem.replace("-", " ").replace("_", " ").title(), "kind": "pdf"}
        docs = []
        for number, page in enumerate(pages, start=1):
            for doc in chunk_plain(page, source, {**base, "page": number}, updated_at):
                doc.metadata["doc_id"] = f"{source}#page-{number}"
                docs.append(doc)
        return docs
    text = read_text(path)
    if suffix in (".csv", ".json"):
        try:
            return load_catalogue(path, text, source, updated_at, catalogue)
        except CatalogueError as exc:
            raise LoadError(str(exc)) from exc
    if suffix in (".html", ".htm"):
        title, body = html_to_markdown(text)
        if not body:
            raise LoadError("HTML page has no text")
        return chunk_markdown(body, source, {"title": title or path.stem, "kind": "page"}, updated_at)
    front, body = split_front_matter(text)
    front = {k: _scalar(v) for k, v in front.items()}
    if not body.strip():
        raise LoadError("file is empty")
    if str(front.get("kind", "")).lower() == "faq":
        return load_faq_markdown(body, front, source, updated_at)
    default_kind = "text" if suffix == ".txt" else "policy"
    meta = {"title": path.stem.replace("-", " ").replace("_", " ").capitalize(), "kind": default_kind, **front}
    if suffix == ".txt":
        return chunk_plain(body, source, meta, updated_at)
    return chunk_markdown(body, source, meta, updated_at)
