"""One article as the gallery and the benchmark know it: the truth a page is scored against, and how a paper prints it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The section a People's Daily page number prints under, when the article names none.
SECTIONS = {1: "要闻", 2: "要闻", 3: "要闻", 4: "要闻", 5: "评论", 6: "政治", 7: "经济"}


@dataclass(frozen=True)
class Article:
    """The article proper (title, paragraphs, date: what a clean page must give back), the other titles a layout
    prints around it, and the fields of an e-edition page (`bench.gallery.render_pages.render_page`)."""

    title: str
    paragraphs: tuple[str, ...]
    date: dt.date
    lang: str = "zh"  # "zh", "zh-Hant", "ja" or "en"
    origin: str = ""  # the corpus article it was made from
    others: tuple[str, ...] = ()  # other titles: 原标题, related links, 引题
    subtitle: str | None = None  # a ——subtitle a layout may print under the title
    page: int = 1
    publication: str = "人民日报"
    authors: tuple[str, ...] = ()
    section_label: str | None = None
    byline_role: str = "本报记者"
    source_label: str = "稿件来源"
    jump_verbs: tuple[str, str] = ("下转", "上接")

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def section(self) -> str:
        return self.section_label or SECTIONS.get(self.page, "综合")
