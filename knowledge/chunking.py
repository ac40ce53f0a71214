"""Chunking that respects headings.

Markdown is split along ``#``/``##``/``###`` headings first (LangChain's
``MarkdownHeaderTextSplitter``), so a chunk never straddles two sections; a section
longer than ``CHUNK_CHARS`` is split further at paragraph, then sentence boundaries
(``RecursiveCharacterTextSplitter``). Each chunk's text starts with its heading path
("Returns > Return window"), which both the embedder and the LLM see, and its
``doc_id`` names the section so citations point at it.

Example::

    >>> docs = chunk_markdown("# Returns\\n## Window\\nWithin 30 days.", "returns.md", {"title": "Returns"}, "")
    >>> docs[0].page_content, docs[0].metadata["doc_id"]
    ('Returns > Window\\nWithin 30 days.', 'returns.md#window')
"""

from __future__ import annotations

from langchain_core.documents import Document

CHUNK_CHARS = 900
CHUNK_OVERLAP = 120
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]


def _splitter():
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_CHARS,
        chunk_overlap=CHUNK_OVERLAP,
        separators=["\n\n", "\n", "。", ". ", "! ", "? ", "; ", ", ", " ", ""],
    )


def _records(pieces: list[tuple[list[str], str]], source: str, meta: dict, updated_at: str) -> list[Document]:
    from knowledge.lang import detect_lang, slugify

    splitter = _splitter()
    docs: list[Document] = []
    for path, body in pieces:
        body = body.strip()
        if not body:
            continue
        heading = " > ".join(path)
        section_id = slugify(path[-1]) if path else "top"
        for n, part in enumerate(splitter.split_text(body)):
            text = f"{heading}\n{part}" if heading else part
            doc_id = f"{source}#{section_id}" + (f"-{n + 1}" if n else "")
            docs.append(
                Document(
                    page_content=text,
                    metadata={
                        "lang": detect_lang(text),
                        **meta,
                        "doc_id": doc_id,
                        "section": heading,
                        "part": n,
                        "source": source,
                        "updated_at": updated_at,
                    },
                )
            )
    # Same heading twice in one file: make doc_ids unique in order of appearance.
    seen: dict[str, int] = {}
    for doc in docs:
        key = doc.metadata["doc_id"]
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            doc.metadata["doc_id"] = f"{key}~{seen[key]}"
    # A heading is how people ask ("What is the return window?" ~ "Returns > Return window"):
    # each section also gets a short record holding only its heading path, which points at
    # the section (``body``) the way an FAQ phrasing points at its answer.
    headings = []
    for doc in docs:
        section = doc.metadata["section"]
        if section and doc.metadata.get("part") == 0:
            headings.append(
                Document(page_content=section, metadata={**doc.metadata, "variant": "heading", "body": doc.page_content})
            )
    return docs + headings


def chunk_markdown(text: str, source: str, meta: dict, updated_at: str) -> list[Document]:
    """Heading-aware chunks of a Markdown text; ``meta`` is copied into every chunk."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter

    sections = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True).split_text(text)
    pieces = []
    for section in sections:
        path = [section.metadata[k] for _, k in _HEADERS if section.metadata.get(k)]
        pieces.append((path, section.page_content))
    return _records(pieces, source, meta, updated_at)


def chunk_plain(text: str, source: str, meta: dict, updated_at: str) -> list[Document]:
    """Chunks of unstructured text; lines in CAPITALS or ending with ':' count as headings."""
    pieces: list[tuple[list[str], str]] = []
    path: list[str] = []
    buf: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        is_heading = (
            0 < len(stripped) <= 80
            and (stripped.isupper() or (stripped.endswith(":") and len(stripped.split()) <= 8))
            and any(c.isalpha() for c in stripped)
        )
        if is_heading:
            pieces.append((path, "\n".join(buf)))
            path, buf = [stripped.rstrip(":").title() if stripped.isupper() else stripped.rstrip(":")], []
        else:
            buf.append(line)
    pieces.append((path, "\n".join(buf)))
    return _records(pieces, source, meta, updated_at)
