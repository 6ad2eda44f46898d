"""How `docclean inspect` and `docclean explain` print a page: metadata, clean text, what each stage removed."""

from __future__ import annotations

import textwrap

from pipeline.core.document import Document


def heading(text: str, width: int) -> str:
    return f"\n== {text} " + "=" * max(0, width - len(text) - 4)


def render_document(doc, width: int) -> str:
    where = doc.source_path + (f" line {doc.source_line}" if doc.source_line else "")
    out = []
    if doc.rejected:
        out.append(heading(f"REJECTED {where}: {doc.reject}", width))
        out.append(f"  {doc.reject_detail}")
        return "\n".join(out)
    out.append(heading(f"metadata: {where}", width))
    fields = [
        ("title", doc.title),
        ("date", doc.date),
        ("publication", doc.publication),
        ("section", doc.section),
        ("byline", " ".join(filter(None, [doc.byline_role, *doc.authors])) or None),
        ("pages", list(doc.pages) or None),
        ("continued_from", list(doc.continued_from) or None),
        ("encoding", doc.encoding),
        ("flags", ", ".join(doc.flags) or None),
        ("doc_id", doc.doc_id),
    ]
    out.extend(f"  {name:<15}{value}" for name, value in fields if value is not None)
    paragraphs = doc.paragraphs
    out.append(
        heading(
            f"clean text: {len(paragraphs)} paragraphs, {len(doc.text) - doc.text.count(chr(10)):,} characters", width
        )
    )
    for number, paragraph in enumerate(paragraphs, start=1):
        wrapped = textwrap.wrap(paragraph, width=max(20, (width - 8) // 2)) or [""]
        out.append(f"{number:>5} | " + ("\n      | ".join(wrapped)))
    out.extend(removal_lines(doc, width))
    out.append("  (cross-page duplicates are decided by `docclean run` over the whole corpus)")
    return "\n".join(out)


def removal_lines(doc: Document, width: int, indent: str = "") -> list[str]:
    """What each stage removed from a page, grouped by stage and kind, repeats counted."""
    out = [indent + heading(f"removed: {len(doc.removals)} pieces", width - len(indent)).lstrip("\n")]
    groups: dict[tuple[str, str], list[str]] = {}
    for removal in doc.removals:
        groups.setdefault((removal.stage, removal.kind), []).append(removal.text)
    for (stage, kind), texts in groups.items():
        out.append(f"{indent}  {stage}/{kind} ({len(texts)}):")
        for text in dict.fromkeys(texts):
            shown = text if len(text) <= width - 10 else text[: width - 11] + "…"
            repeat = texts.count(text)
            out.append(f"{indent}      {shown}" + (f"   ×{repeat}" if repeat > 1 else ""))
    return out
