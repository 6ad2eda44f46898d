"""Decoders that guess must not guess silently (issue 22, items 5, 6 and 9).

A legacy decode is accepted only when the text it yields is plausible for its
script; what stays uncertain is flagged ``encoding_uncertain``. The samples are
news sentences encoded with Python's own codecs, as a scraper's server would.
"""

import random

import pytest

from pipeline.chain import clean_files
from pipeline.clean.encoding import repair_text
from pipeline.core.config import Config
from pipeline.core.document import FLAG_ENCODING_UNCERTAIN, FLAG_GBK_AS_LATIN1_FIXED, FLAGS
from pipeline.read.decoding import declared_charset, decode_bytes
from pipeline.read.plausible import oddities, plausible

ENCODINGS = Config().encodings

POLISH = [
    "Władze miasta ogłosiły, że źródło skażenia wody zostało już znalezione.",
    "Premier zapowiedział, że rząd przedstawi nowy budżet w przyszłym tygodniu.",
    "Gęś uciekła z fermy i przez dwie godziny blokowała ruch na drodze krajowej.",
    "Sąd Najwyższy uchylił wyrok i przekazał sprawę do ponownego rozpatrzenia.",
    "Według prognoz synoptyków w weekend temperatura spadnie poniżej zera.",
    "Prezydent spotkał się z przedstawicielami samorządów województwa śląskiego.",
    "Policja zatrzymała trzech mężczyzn podejrzanych o kradzież samochodów.",
    "Łódź przygotowuje się do obchodów rocznicy wybuchu powstania.",
    "Ministerstwo Zdrowia poinformowało o nowych przypadkach zakażenia w Poznaniu.",
    "Posłowie opozycji złożyli wniosek o wotum nieufności wobec ministra.",
    "Na Śląsku rośnie liczba osób pracujących zdalnie.",
    "Ceny żywności wzrosły w ciągu roku o prawie siedem procent.",
]

RUSSIAN = [
    "Президент России провёл совещание с членами правительства в Кремле.",
    "В Москве открылась международная выставка современного искусства.",
    "Центральный банк сохранил ключевую ставку на прежнем уровне.",
    "Министерство обороны сообщило о завершении учений на Дальнем Востоке.",
    "Жители города жалуются на плохое состояние дорог после зимы.",
    "Губернатор области пообещал построить новую школу к осени.",
    "Правительство утвердило план развития транспорта до 2030 года.",
    "Синоптики обещают тёплую погоду в выходные дни.",
]

# One sentence each, as a short item of a Taiwanese or Hong Kong news page.
TRADITIONAL = [
    "行政院今日召開院會，通過明年度中央政府總預算案。",
    "台北市政府宣布，明天起捷運將延長營運時間。",
    "中央氣象局發布豪雨特報，提醒民眾注意安全。",
    "立法院三讀通過勞動基準法修正草案。",
    "總統今天出席國慶大會並發表談話。",
    "颱風逐漸遠離，各地將恢復正常上班上課。",
    "教育部表示，新學年將調整課程綱要。",
    "衛生福利部公布最新疫情，新增十二例確診。",
    "高雄港貨櫃裝卸量創下歷年新高。",
    "經濟部預估今年出口成長率約為百分之五。",
    "警方破獲跨國詐騙集團，逮捕三十餘人。",
    "新北市將興建五座社會住宅。",
    "股市今天收盤上漲一百二十點。",
    "交通部宣布春節期間高速公路不收費。",
    "香港特區政府公布最新施政報告。",
    "台中市舉辦燈會，吸引大批遊客。",
    "環保署呼籲民眾減少使用塑膠袋。",
    "國際油價連續三週下跌。",
    "農委會協助農民因應寒害損失。",
    "兩岸關係持續受到各界關注。",
]


def decoded(text: str, codec: str):
    return decode_bytes(text.encode(codec), ENCODINGS)


# --- 5. Decoders that guess silently ---------------------------------------


@pytest.mark.parametrize("text", POLISH, ids=range(len(POLISH)))
def test_a_polish_cp1250_sentence_is_read_as_cp1250(text):
    result = decoded(text, "cp1250")
    assert (result.text, result.encoding) == (text, "cp1250")
    assert FLAG_ENCODING_UNCERTAIN not in result.flags


def test_a_polish_cp1250_page_is_read_as_cp1250():
    page = "\n".join(POLISH)
    result = decoded(page, "cp1250")
    assert (result.text, result.encoding, result.flags) == (page, "cp1250", ())


@pytest.mark.parametrize("text", RUSSIAN, ids=range(len(RUSSIAN)))
def test_a_russian_cp1251_sentence_is_read_as_cp1251(text):
    result = decoded(text, "cp1251")
    assert (result.text, result.encoding) == (text, "cp1251")


@pytest.mark.parametrize("text", TRADITIONAL, ids=range(len(TRADITIONAL)))
def test_a_short_big5_sentence_is_big5_not_private_use_gb18030(text):
    result = decoded(text, "big5")
    assert (result.text, result.encoding, result.flags) == (text, "big5", ())


def test_short_simplified_and_traditional_pages_keep_their_encodings():
    for text in ("北京市委政法委发挥统筹协调作用。", "新华社北京1月2日电", "人民日报记者 王明"):
        assert (decoded(text, "gb18030").text, decoded(text, "gb18030").encoding) == (text, "gb18030")
    # Traditional text written in GB18030 (a Taiwanese page saved by a mainland server) stays GB18030.
    for text in TRADITIONAL[:5]:
        assert decoded(text, "gb18030").text == text


def even_length_samples():
    samples = []
    for texts, codec in ((POLISH, "cp1250"), (RUSSIAN, "cp1251"), (TRADITIONAL, "big5")):
        for text in texts:
            raw = text.encode(codec)
            samples.append(raw if len(raw) % 2 == 0 else raw + b".")
        raw = "\n".join(texts).encode(codec)
        samples.append(raw if len(raw) % 2 == 0 else raw + b"\n")
    return samples


def test_bom_less_utf16_is_never_guessed():
    """Legacy bytes are never taken for UTF-16 without a byte-order mark (README, Input), even where it is configured."""
    samples = even_length_samples()
    assert len(samples) == len(POLISH) + len(RUSSIAN) + len(TRADITIONAL) + 3
    for raw in samples:
        for encodings in (ENCODINGS, ("utf_16", *ENCODINGS)):
            result = decode_bytes(raw, encodings)
            assert not (result.encoding or "").startswith("utf-16"), (raw[:40], result)
            assert not (result.encoding or "").startswith("utf_16"), (raw[:40], result)
    # With a BOM it is read as before.
    assert decode_bytes("北京市委政法委".encode("utf-16"), ENCODINGS).text == "北京市委政法委"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    "text",
    [
        "北京市委政法委发挥统筹协调作用，成立由多家单位组成的试点工作协调指导组",
        "标题\n" + "\n".join(TRADITIONAL),
        "\n".join(RUSSIAN),
        "Beijing, Jan. 5 (Xinhua) -- The State Council held an executive meeting on Monday.\r\n",
    ],
)
def test_utf16_saved_without_its_bom_is_read_not_rejected_as_binary(text, codec):
    """Its bytes look like binary data (control and NUL bytes); its text says what it is."""
    result = decode_bytes(text.encode(codec), ENCODINGS)
    assert (result.reject, result.encoding) == (None, codec)
    assert result.text == text.replace("\r\n", "\n")


def test_utf16_without_its_bom_cut_one_byte_short_keeps_its_text_and_says_so():
    text = "北京市委政法委发挥统筹协调作用，成立由多家单位组成的试点工作协调指导组。\n" * 3
    result = decode_bytes(text.encode("utf-16-le") + b"\x4e", ENCODINGS)
    assert (result.text, result.encoding) == (text, "utf-16-le")
    assert "invalid_bytes_replaced" in result.flags


def test_binary_data_is_still_binary_whatever_byte_order_it_is_read_in():
    rng = random.Random(3)
    for size in (64, 1000, 20_000):
        raw = bytes(rng.randrange(256) for _ in range(size))
        assert decode_bytes(raw, ENCODINGS).reject == "binary", size
    # Text with a binary block in the middle (a pasted image) is no UTF-16 either.
    page = "北京市委政法委发挥统筹协调作用。\n".encode("utf-16-le") * 20
    assert decode_bytes(page[:200] + bytes(rng.randrange(256) for _ in range(400)) + page[200:], ENCODINGS).reject


def test_what_stays_uncertain_is_flagged_never_silent():
    # Polish read with nothing but GB18030 and Big5 configured is not plausible in either;
    # cp1250 is not configured, but it is a common code page charset-normalizer ranks first.
    result = decode_bytes(POLISH[0].encode("cp1250"), ("gb18030", "big5"))
    assert result.text == POLISH[0] and result.encoding == "cp1250"
    # A Big5 sentence where only GB18030 is configured: GB18030 gives Private Use
    # Area text, no common code page gives anything better: kept, and flagged.
    for text in TRADITIONAL:
        result = decode_bytes(text.encode("big5"), ("gb18030",))
        assert (result.encoding, result.flags) == ("gb18030", (FLAG_ENCODING_UNCERTAIN,))
    # Bytes that no candidate makes plausible text of: kept, decoded as before, and flagged.
    junk = bytes(range(0xA1, 0xFF)) * 3
    result = decode_bytes(junk, ENCODINGS)
    assert result.reject is None and FLAG_ENCODING_UNCERTAIN in result.flags
    assert FLAG_ENCODING_UNCERTAIN in FLAGS


# --- the plausibility rules -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Władze miasta ogłosiły, że źródło skażenia wody zostało już znalezione.",
        "Президент России провёл совещание с членами правительства в Кремле.",
        "行政院今日召開院會，通過明年度中央政府總預算案。",
        "北京市委政法委发挥统筹协调作用，iPhone手机和A股B股都在其中。",
        "日本の首相は今日、東京で記者会見を開いた。",
        "Le café de la Société générale à Zürich, déjà ouvert. Cœur, sœur, œuvre.",
        "Größe: 25 m², 3×4÷2, ±0.5, 25°C, ©AFP, ¿Qué tal? «Bonjour» l·l.",
    ],
)
def test_correct_text_is_plausible(text):
    assert oddities(text) == 0 and plausible(text)


@pytest.mark.parametrize(
    "right, codec, wrong",
    [
        (POLISH[0], "cp1250", "cp1252"),
        (POLISH[2], "cp1250", "cp1252"),
        (POLISH[4], "cp1250", "gb18030"),
        (POLISH[1], "cp1250", "shift_jis"),
        (RUSSIAN[0], "cp1251", "cp1252"),
        (RUSSIAN[1], "cp1251", "cp1252"),
        (TRADITIONAL[0], "big5", "gb18030"),
    ],
)
def test_wrong_decodes_are_implausible(right, codec, wrong):
    text = right.encode(codec).decode(wrong)
    assert not plausible(text), text


# --- 6. False repairs -------------------------------------------------------


def test_cyrillic_read_as_cp1252_is_not_re_read_as_gbk():
    mojibake = "Президент России провёл совещание в Кремле.".encode("cp1251").decode("cp1252")
    assert mojibake.startswith("Ïðåçèäåíò Ðîññèè")
    text, flags = repair_text(mojibake)
    assert FLAG_GBK_AS_LATIN1_FIXED not in flags
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    # Certain for the whole line: every word re-reads as a Russian word, so cp1251 it is.
    assert text == "Президент России провёл совещание в Кремле."


@pytest.mark.parametrize("text", RUSSIAN, ids=range(len(RUSSIAN)))
def test_russian_cp1251_mojibake_is_re_read_never_as_chinese(text):
    repaired, flags = repair_text(text.encode("cp1251").decode("cp1252"))
    assert FLAG_GBK_AS_LATIN1_FIXED not in flags
    assert repaired == text


def test_all_caps_cyrillic_mojibake_is_left_alone_rather_than_read_as_chinese():
    mojibake = "ÏÐÅÇÈÄÅÍÒ ÐÎÑÑÈÈ"  # ПРЕЗИДЕНТ РОССИИ: no lower-case word to be sure of
    text, flags = repair_text(mojibake)
    assert FLAG_GBK_AS_LATIN1_FIXED not in flags and not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_polish_mojibake_is_not_re_read_as_chinese():
    for sentence in POLISH:
        mojibake = sentence.encode("cp1250").decode("cp1252", errors="ignore")
        text, flags = repair_text(mojibake)
        assert FLAG_GBK_AS_LATIN1_FIXED not in flags
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_genuine_gbk_read_as_latin1_is_still_repaired():
    for page in (
        "中国政府今天发布通知。",
        "北京市委政法委发挥统筹协调作用，成立试点工作协调指导组。",
        "他点头说：我们的电话号码是多少？",
    ):
        assert repair_text(page.encode("gb18030").decode("latin-1")) == (page, (FLAG_GBK_AS_LATIN1_FIXED,))


# --- 9. A declared charset ----------------------------------------------------

HTML = """<!DOCTYPE html>
<html lang="ru"><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<title>Правительство утвердило план развития транспорта</title>
</head><body><article>
<h1>Правительство утвердило план развития транспорта</h1>
<p>{}</p>
<p>{}</p>
<p>{}</p>
</article></body></html>
"""


def test_declared_charset_is_read_from_the_page():
    assert declared_charset(b'<html><head><meta charset="windows-1251"><title>') == "cp1251"
    assert declared_charset(b"<meta http-equiv='Content-Type' content='text/html; charset=GB2312'>") == "gb18030"
    assert declared_charset(b'<?xml version="1.0" encoding="ISO-8859-2"?><rss>') == "iso8859-2"
    assert declared_charset(b"<meta charset=no-such-charset>") is None
    assert declared_charset("Президент".encode("cp1251")) is None


def test_an_html_page_declaring_cp1251_is_read_as_cp1251():
    page = HTML.format(*RUSSIAN[:3])
    result = decode_bytes(page.encode("cp1251"), ENCODINGS)
    assert (result.text, result.encoding, result.flags) == (page, "cp1251", ())
    # Short pages too, whatever charset-normalizer would rank first.
    short = '<meta charset="windows-1251"><p>Жители города жалуются.</p>'
    assert decode_bytes(short.encode("cp1251"), ENCODINGS).text == short


def test_a_declared_charset_that_does_not_fit_the_bytes_is_ignored():
    # A GBK page that calls itself ISO-8859-1: Latin-1 gives symbol soup, GB18030 wins.
    page = '<meta charset="iso-8859-1"><p>北京市委政法委发挥统筹协调作用，成立试点工作协调指导组。</p>' * 3
    result = decode_bytes(page.encode("gb18030"), ENCODINGS)
    assert (result.text, result.encoding) == (page, "gb18030")


def test_an_html_file_declaring_cp1251_is_cleaned_as_russian(tmp_path):
    paragraphs = [" ".join(RUSSIAN[i : i + 3]) for i in range(0, 6, 2)]
    path = tmp_path / "ru.html"
    path.write_bytes(HTML.format(*paragraphs).encode("cp1251"))
    (doc,) = clean_files([path], tmp_path, Config())
    assert not doc.rejected, (doc.reject, doc.reject_detail)
    assert doc.encoding == "cp1251"
    assert "Центральный банк сохранил ключевую ставку" in doc.text
