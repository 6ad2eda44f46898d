import dataclasses

from pipeline.clean.page_dedup import dedup_pages
from pipeline.core.document import Document

LEAD = "1月1日，中国第三十六次南极考察队数百名科考队员在辽阔的南极迎来新年第一天。"
SECOND = "中山站作为中国在南极大陆上的最大考察站，科考队员的激光雷达观测、高空大气物理观测、气象预报和海冰常规观测等项目正常开展。"
THIRD = "在长城站上，除了气象观测正常开展之外，陆地和近岸水域生态监测海水样品采样、环境化学监测采样等科考项目，均在顺利推进中。"


def page(*paragraphs):
    return Document(doc_id="p", source_path="p.txt", text="\n".join(paragraphs))


def test_a_repeated_body_is_kept_once(config):
    (doc,) = dedup_pages([page(LEAD, SECOND, THIRD, LEAD, SECOND, THIRD)], config)
    assert doc.paragraphs == [LEAD, SECOND, THIRD]
    assert [r.text for r in doc.removed("page_dedup", "repeated_block")] == [LEAD, SECOND, THIRD]


def test_a_nearly_repeated_body_is_dropped(config):
    second = SECOND.replace("最大考察站", "最大的考察站")
    third = THIRD.replace("均在顺利推进中", "均在推进中")
    (doc,) = dedup_pages([page(LEAD, SECOND, THIRD, LEAD, second, third)], config)
    assert doc.paragraphs == [LEAD, SECOND, THIRD]


def test_a_paragraph_that_a_summary_box_paraphrases_stays(config):
    box = "核心阅读 ■我国马克思主义哲学文本研究具有与国家发展紧密相连、注重从整体出发进行研究、学者研究意识日益增强等主要特点。"
    body = "我国马克思主义哲学文本研究的主要特点 总体来看，我国马克思主义哲学文本研究具有与国家发展紧密相连、注重从整体出发进行研究、学者研究意识日益增强等主要特点。"
    (doc,) = dedup_pages([page(box, LEAD, body, SECOND)], config)
    assert doc.paragraphs == [box, LEAD, body, SECOND]


def test_a_repeat_differing_only_in_punctuation_width_is_dropped(config):
    ascii_copy = SECOND.replace("，", ",").replace("、", ",")
    (doc,) = dedup_pages([page(SECOND, THIRD, ascii_copy)], config)
    assert doc.paragraphs == [SECOND, THIRD]


def test_short_lines_that_recur_are_kept(config):
    (doc,) = dedup_pages([page("记者：", LEAD, "记者：", SECOND, "（完）")], config)
    assert doc.paragraphs == ["记者：", LEAD, "记者：", SECOND, "（完）"]


def test_distinct_paragraphs_on_one_topic_are_kept(config):
    (doc,) = dedup_pages([page(LEAD, SECOND, THIRD)], config)
    assert doc.paragraphs == [LEAD, SECOND, THIRD]
    assert doc.removed("page_dedup") == []


def test_rejected_records_pass_through(config):
    rejected = dataclasses.replace(page(LEAD, LEAD), reject="binary", reject_detail="x")
    assert dedup_pages([rejected], config) == [rejected]


def test_a_repeated_body_goes_whole_short_lines_included(config):
    body = ["同志们、朋友们！", LEAD, SECOND, "谢谢各位。"]
    (doc,) = dedup_pages([page(*body, *body)], config)
    assert doc.paragraphs == body


def test_a_salutation_that_recurs_in_a_speech_stays(config):
    speech = ["同志们、朋友们！", LEAD, "同志们、朋友们！", SECOND, "同志们、朋友们！", THIRD, "谢谢各位。"]
    (doc,) = dedup_pages([page(*speech)], config)
    assert doc.paragraphs == speech


def test_a_short_page_scraped_twice_is_kept_once(config):
    caption = "春节将至，很多城市的大街小巷挂满灯笼，洋溢着浓浓的年味。"
    (doc,) = dedup_pages([page(caption, caption)], config)
    assert doc.paragraphs == [caption]


def test_a_word_for_word_copy_of_a_near_copy_is_a_repeat_too(config):
    # A lone near copy stays (see the summary box above), but a second,
    # word-for-word copy of it is a plain repeat.
    edited = SECOND.replace("最大考察站", "最大的考察站")
    (doc,) = dedup_pages([page(SECOND, LEAD, edited, THIRD, edited)], config)
    assert doc.paragraphs == [SECOND, LEAD, edited, THIRD]
    assert [r.text for r in doc.removed("page_dedup", "repeated_block")] == [edited]
