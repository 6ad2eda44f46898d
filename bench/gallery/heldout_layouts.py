"""Six held-out layout families: a red-team gallery the cleaning has never been tuned on.

bench/gallery/layouts.py renders the twelve gallery families and bench/gallery/more_layouts.py five
more; both have since been used to build the cleaning. This script, written without
reading the cleaning code or its patterns, renders six *other* families, modelled on
real sites, with the same machinery (the article pool, `Composer`, `Sheet`, `truth`,
`Layout`) and scores docclean on them:

  hk_tw_news    Hong Kong / Taiwan sites in traditional Chinese (明報 / 聯合新聞網
                style): 明報新聞網 mastheads, breadcrumbs, dates with 星期, 更新時間,
                【明報專訊】 openings (kept in the text, like 本报讯), ▲ photo captions
                between paragraphs, 相關字詞﹕, 上一篇/下一篇, 分享/讚好 widgets; udn's
                "2020-05-24 18:30 聯合報 / 記者X／台北即時報導" lines, （中央社記者X台北24日電）
                openings, 延伸閱讀 lists, ※ 歡迎用「轉貼」… notices, hashtags. Bodies are
                the pool converted to traditional characters (an embedded character map) with
                「」 quotes; Big5 on about half of the 明報 and 15% of the udn pages.
  app_reprint   news-app reposts (今日头条 / 百家号 / 网易号 / 企鹅号 style): account lines
                with 原创 labels and times, 关注 / +关注 buttons, optional reporter lines,
                展开全文 and "打开百度APP…" breaks inside the body, 本文为…原创 / platform
                disclaimers, 举报, 阅读 counts, 点赞/评论/分享 rows, 相关推荐 lists.
  pdf_dump      a newspaper PDF run through pdftotext: hard line breaks inside paragraphs at
                a fixed width of 13-40 characters (with or without 禁则 for punctuation),
                a running page header ("2020年3月5日 星期四 第6版 综合", with or without the
                paper's name, alternating sides, sometimes with an editor line) repeated at
                every PDF page break mid-paragraph, page-number footers (- 3 - / 3 / 第3页 /
                第 3 页 共 5 页), form feeds, titles broken over two lines, and 下转/上接 jumps.
  jp_news       Japanese news pages (NHK / 朝日新聞デジタル style): "2020年5月24日 18時30分",
                シェア widgets, category words, 関連ニュース lists with their own times,
                photo captions (…＝24日午後、東京都千代田区、山田太郎撮影) between paragraphs,
                有料記事 labels and paywall lines, copyright lines. Bodies come from a small
                invented Japanese pool. Shift_JIS on 10% and EUC-JP on 5% of pages.
  en_agency     English agency pages (Xinhua English / AP / China Daily style):
                "Source: Xinhua| 2020-05-24 18:30:05| Editor: huaxia", "BEIJING, May 24
                (Xinhua) --" and "WASHINGTON (AP) —" datelines (kept in the text, like the
                Reuters gallery family), Enditem, Related: links, ADVERTISEMENT between
                paragraphs, "Associated Press writer X contributed to this report.",
                "By X | chinadaily.com.cn | Updated: …", Share - WeChat, copyright notes.
  campus_news   university and county-government news pages: 当前位置 breadcrumbs, meta lines
                mixing 发布时间/作者/来源/供稿单位/点击数/摄影/审核/编辑, 本网讯（通讯员 X）
                openings (kept in the text), 图为… captions, （供稿单位：… 撰稿：… 审核：…）
                credits, 上一条/下一条, 打印/关闭, 【我要纠错】, ICP and address footers.

Furniture on fewer than ~8% of a family's pages (each family mixes two to four site
flavours, so a flavour's own furniture is rarer than its share within the flavour):
hk_tw_news: "看更多相關新聞" and "加入聯合新聞網 LINE 好友" (~7% each), Big5 udn pages (~7%);
app_reprint: "打开百度APP，查看更多高清图片" (~5%), "N跟贴" (~7%); jp_news: EUC-JP (5%),
NHK's "あわせて読みたい" (~4%); en_agency: "Video PlayerClose" (~2%), "Follow AP's
coverage…" (~2%); campus_news: "技术支持：…" (~6%), "上一条：没有了" (~7%), 相关链接 lists (~6%).

Truth conventions follow the gallery: the text is the body paragraphs (datelines and
本网讯-style openings included), authors are the people a byline or an opening names as
reporters/writers (not editors, reviewers or photographers), the publication is the source
the page names (for campus pages the 来源/供稿单位 unit, as gov_site does; for app reposts
the account; None where the page never names it: a PDF dump whose header omits the paper,
a 明報 / NHK / 朝日 page without masthead, credit or copyright line). The section is set only
where the page prints it.

    .venv/bin/python -m bench.gallery.heldout_layouts [--out /tmp/heldout] [--pages 60] [--seed 1] [--show 3]

renders OUT/raw/<layout>/..., runs the pipeline once (Config(workers=1)) into OUT/out,
scores it with layout_eval.evaluate and prints a per-layout table and example failures.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.gallery import more_layouts
from bench.gallery.article import Article
from bench.gallery.layouts import (
    EN_CITIES,
    EN_NAMES,
    EPAPER_SECTIONS,
    KICKERS,
    NAMES,
    PAPERS,
    Composer,
    Layout,
    Pool,
    chance,
    clock,
    cn,
    load_pool,
    names,
    render_one,
    stamp,
    truth,
    zh_date,
)
from bench.gallery.more_layouts import GuardedSheet, weekday
from bench.gallery.tables import text_table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# ---------------------------------------------------------------------------
# Traditional Chinese: a character map covering the pool (made once with OpenCC s2tw,
# most frequent reading per character; embedded so the script needs no converter)
# ---------------------------------------------------------------------------

S2T_PAIRS = (
    "万萬与與专專业業东東丝絲两兩严嚴个個丰豐临臨为為丽麗举舉么麼义義乌烏乐樂习習乡鄉书書争爭于於亏虧云雲亚亞产產亩畝亲親亿億"
    "仅僅从從仪儀们們价價众眾优優伙夥会會伞傘伟偉传傳伤傷伦倫体體余餘佛彿侧側侨僑俭儉倾傾偿償储儲儿兒党黨兰蘭关關兴興养養内內"
    "册冊写寫军軍农農冯馮冲衝决決况況净淨准準凉涼减減几幾凯凱击擊划劃刘劉则則刚剛创創别別剧劇劝勸办辦务務动動励勵劲勁劳勞势勢"
    "区區医醫华華协協单單卢盧卫衛却卻厂廠厅廳历歷压壓厘釐县縣参參双雙发發变變叙敘台臺号號后後吕呂吗嗎吨噸听聽启啟吴吳员員响響"
    "喷噴嘱囑团團园園围圍国國图圖圆圓场場坚堅坛壇坝壩坠墜垒壘垫墊墙牆壮壯声聲处處备備复復头頭夺奪奋奮奖獎奥奧妇婦娄婁娱娛孙孫"
    "学學宁寧宝寶实實审審宫宮宽寬宾賓对對寻尋导導将將尔爾尝嘗尽盡层層届屆属屬岁歲岗崗岛島峡峽崭嶄巩鞏师師帜幟带帶帮幫干幹并並"
    "广廣庆慶库庫应應庙廟开開异異弃棄张張弥彌弯彎弹彈强強归歸当當录錄彻徹征徵径徑忆憶怀懷态態总總恋戀恶惡惊驚惧懼惯慣愿願戏戲"
    "战戰户戶扑撲托託执執扩擴扬揚抢搶护護报報担擔拟擬拥擁择擇挂掛挝撾挡擋挤擠挥揮捞撈损損换換据據摆擺撑撐敌敵数數斋齋斗鬥断斷"
    "无無旧舊时時显顯晋晉晓曉术術朴樸机機杂雜权權条條来來杨楊杰傑极極构構枪槍枫楓标標栈棧栋棟树樹栖棲样樣档檔桥橋桩樁梦夢检檢"
    "楼樓横橫欢歡欧歐毁毀毙斃气氣汉漢污汙汹洶沟溝没沒沧滄泄洩洁潔浅淺浆漿测測济濟浑渾浓濃浚濬涌湧涛濤涨漲渐漸温溫湾灣溃潰满滿"
    "滩灘潜潛濒瀕灯燈灵靈灾災点點炼鍊烟煙烦煩热熱爱愛牵牽牺犧状狀犹猶独獨狮獅猫貓献獻环環现現电電画畫疗療疮瘡监監盖蓋着著码碼"
    "砖磚砺礪础礎硕碩确確礼禮禀稟离離种種秘祕积積称稱税稅稳穩穷窮窍竅竞競笋筍笔筆笼籠筑築筛篩筹籌签簽简簡类類紧緊纠糾红紅约約"
    "级級纪紀纯純纳納纷紛纸紙纹紋纽紐线線练練组組细細织織终終绍紹经經结結绕繞绘繪给給络絡绝絕统統继繼绩績续續维維绸綢综綜绿綠"
    "缅緬缆纜编編缘緣缛縟缠纏缩縮缴繳网網罗羅罚罰羡羨职職联聯肃肅胁脅胆膽胜勝脑腦脚腳脱脫脸臉腾騰舆輿艰艱艳艷艺藝节節苏蘇荐薦"
    "荡蕩荣榮药藥莱萊莲蓮获獲营營萧蕭蒋蔣蓝藍蕴蘊虑慮虚虛虽雖蜡蠟衔銜补補装裝见見观觀规規视視览覽觉覺觑覷触觸计計认認讨討让讓"
    "训訓议議记記讲講讴謳许許论論设設访訪诀訣证證评評识識诈詐诉訴诊診词詞译譯试試诚誠诛誅话話询詢该該语語误誤说說请請诸諸诺諾"
    "读讀课課谁誰调調谅諒谈談谊誼谓謂谢謝贝貝负負贡貢财財责責败敗账賬货貨质質贩販贫貧购購贯貫贴貼贵貴贸貿费費贺賀贾賈贿賄资資"
    "赋賦赏賞赔賠赖賴赛賽赢贏赵趙赶趕趋趨跃躍践踐跷蹺踪蹤车車轨軌转轉轮輪轻輕载載较較辉輝输輸辖轄辞辭辩辯边邊达達迁遷过過迈邁"
    "运運还還这這进進远遠违違连連迹蹟适適选選逊遜递遞逻邏遗遺遥遙邓鄧邹鄒邻鄰郑鄭酿釀采採里裡鉴鑑针針钱錢钻鑽铁鐵铜銅银銀铸鑄"
    "铺鋪链鏈销銷锄鋤锋鋒锐銳锤錘锦錦键鍵锻鍛镇鎮镜鏡长長门門问問闲閒间間闹鬧闺閨闻聞阅閱阑闌阔闊队隊阳陽阵陣阶階际際陆陸陈陳"
    "陕陝险險随隨隐隱难難雾霧静靜韧韌韩韓韵韻顶頂项項顺順须須顽頑顾顧顿頓预預领領频頻颗顆题題颜顏额額风風飞飛饭飯饰飾饱飽饺餃"
    "馆館马馬驰馳驻駐驼駝骆駱验驗骑騎骗騙骛騖鱼魚鲁魯鲜鮮鹏鵬麦麥黄黃齐齊龙龍"
)
_S2T_TEXT = "".join(S2T_PAIRS)
S2T = str.maketrans({_S2T_TEXT[i]: _S2T_TEXT[i + 1] for i in range(0, len(_S2T_TEXT), 2)})
S2T_QUOTES = str.maketrans({"“": "「", "”": "」", "‘": "『", "’": "』"})


def hant(text: str) -> str:
    return text.translate(S2T).translate(S2T_QUOTES)


def hant_article(a: Article) -> Article:
    return Article(
        hant(a.title),
        tuple(hant(p) for p in a.paragraphs),
        a.date,
        "zh-Hant",
        a.origin,
        tuple(hant(t) for t in a.others),
        hant(a.subtitle) if a.subtitle else None,
    )


HANT_NAMES = tuple(hant(n) for n in NAMES)

# ---------------------------------------------------------------------------
# Japanese: a small invented pool (the Composer remixes its sentences into paragraphs)
# ---------------------------------------------------------------------------

JA_TITLES = (
    "全国の観光地で人出が回復 週末は各地でにぎわい",
    "新たな経済対策 政府が中小企業支援の拡充を検討",
    "梅雨入り前に大雨への備えを 気象庁が呼びかけ",
    "地方の鉄道路線 利用者の減少で存続に課題",
    "小中学校で授業再開 感染対策を徹底",
    "中小企業の資金繰り支援 申請が急増",
    "東京株式市場 日経平均が大幅に値上がり",
    "農業の担い手不足 若者の就農を後押し",
    "高齢者の見守りに新技術 自治体が導入へ",
    "再生可能エネルギーの導入拡大へ 新たな目標",
    "国内の旅行需要 回復の兆し",
    "港のコンテナ取扱量 3か月連続で増加",
    "大学入試の日程 一部を変更へ",
    "医療機関の負担軽減へ 新たな支援策",
)
JA_SENTENCES = (
    "政府は新たな経済対策の取りまとめに向けて関係閣僚会議を開き、中小企業への支援を拡充する方針を確認しました。",
    "関係者によりますと、対策の柱は資金繰り支援の拡充で、無利子融資の限度額を引き上げる案が検討されています。",
    "専門家は「地域の実情に合わせたきめ細かな支援が欠かせない」と指摘しています。",
    "気象庁によりますと、前線の影響で西日本を中心に大気の状態が不安定になる見込みです。",
    "土砂災害や河川の増水に十分注意し、早めの避難を心がけるよう呼びかけています。",
    "観光地では週末、家族連れなどが訪れ、久しぶりのにぎわいを見せていました。",
    "訪れた男性は「しばらく外出を控えていたので、きょうは思い切り楽しみたい」と話していました。",
    "地元の商店街では、売り上げの回復に期待する声が聞かれました。",
    "学校では、児童が間隔をあけて座り、授業の前には手洗いや検温が行われました。",
    "教育委員会は、当面は分散登校を続け、段階的に通常の授業に戻す方針です。",
    "東京株式市場では、取引開始直後から幅広い銘柄に買い注文が集まりました。",
    "市場関係者は「経済活動の再開への期待が株価を押し上げている」と話しています。",
    "一方で、海外の感染状況によっては先行きが不透明だとの見方も出ています。",
    "鉄道会社によりますと、沿線の人口減少に伴い、利用者はこの10年で3割ほど減少しました。",
    "会社は自治体と協議会を設け、路線の維持に向けた方策を検討することにしています。",
    "県内の農家では、高齢化に伴って担い手の確保が大きな課題となっています。",
    "県は、新たに就農する若者に対して研修費用の一部を補助する制度を設けました。",
    "制度を利用して農業を始めた女性は「自然の中で働く毎日は充実している」と話していました。",
    "市は、一人暮らしの高齢者の自宅にセンサーを設置し、異常があれば家族に知らせる仕組みを導入します。",
    "担当者は「地域ぐるみで高齢者を見守る体制を整えたい」としています。",
    "政府は、2030年度までに再生可能エネルギーの割合を大幅に引き上げる目標を掲げています。",
    "洋上風力発電の導入に向けて、港湾の整備や送電網の強化も進められる見通しです。",
    "旅行会社によりますと、来月以降の国内旅行の予約は前の月に比べて増加しているということです。",
    "ただ、感染の再拡大を懸念して、予約を見合わせる人も少なくありません。",
    "港湾局によりますと、コンテナの取扱量は3か月連続で前の年の同じ時期を上回りました。",
    "アジア向けの輸出が好調で、自動車部品や電子部品の取り扱いが伸びているということです。",
    "大学入試センターは、試験日程の一部を変更し、受験生の負担軽減を図ると発表しました。",
    "受験生からは「早く日程を決めてほしい」といった声が上がっていました。",
    "医療機関では、発熱外来の設置などで職員の負担が増しています。",
    "厚生労働省は、医療従事者への慰労金の支給など、新たな支援策を盛り込む方針です。",
    "病院の院長は「現場の声に耳を傾け、実効性のある支援をお願いしたい」と述べました。",
    "警察によりますと、事故があったのは見通しのよい交差点で、当時は雨が降っていたということです。",
    "警察は、運転していた男性から話を聞くなどして、事故の詳しい原因を調べています。",
    "会見で知事は「県民の命と暮らしを守るため、全力を尽くしたい」と述べました。",
    "県は、今後の感染状況を見ながら、休業要請の解除を段階的に進めることにしています。",
    "調査は全国の2000人余りを対象に行われ、およそ6割が「生活に不安を感じる」と答えました。",
    "特に、非正規で働く人や子育て世代で不安を感じる割合が高くなっています。",
    "会社は、来年春から新たな工場を稼働させ、生産能力をおよそ2倍に引き上げる計画です。",
    "新工場では、地元から100人程度を採用する予定だということです。",
    "漁業関係者によりますと、今シーズンは水温の上昇の影響で、漁獲量が例年を下回っています。",
    "地元の漁協は、資源を守るため、漁の期間を短縮するなどの対策を検討しています。",
    "美術館では、入館者数を制限するなどの対策を取ったうえで、およそ3か月ぶりに展示を再開しました。",
    "訪れた人たちは、間隔をあけながら、じっくりと作品を鑑賞していました。",
)
JA_NAMES = (
    "山田太郎",
    "佐藤花子",
    "鈴木一郎",
    "高橋健",
    "田中美咲",
    "伊藤大輔",
    "渡辺直子",
    "中村翔太",
    "小林恵",
    "加藤裕一",
    "吉田彩",
    "松本拓也",
)


# ---------------------------------------------------------------------------
# 1. Hong Kong / Taiwan sites in traditional Chinese
# ---------------------------------------------------------------------------

HK_SECTIONS = ("港聞", "要聞", "經濟", "中國", "國際", "教育", "社評")
TW_SECTIONS = ("要聞", "政治", "社會", "兩岸", "產經", "生活", "全球")
TW_CITIES = ("台北", "新北", "台中", "台南", "高雄", "桃園", "新竹")
HK_CAPTIONS = (
    "市民在中環街頭等候過馬路",
    "政府總部外景",
    "立法會會議廳",
    "港鐵列車駛入月台",
    "市民在街市選購蔬菜",
    "維港兩岸景色",
    "工人在地盤施工",
)
HK_TAGS = ("經濟", "疫情", "教育", "民生", "科技", "房屋", "交通", "就業", "旅遊", "環保")
TW_WEEK = "一二三四五六日"


def hk_tw_news(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    d = a.date
    s = GuardedSheet(a.text, rng.choice(["", "", "\u3000\u3000"]))
    paragraphs = list(a.paragraphs)
    authors: list[str] = []
    published_at = None
    caption_at = rng.randint(1, len(paragraphs) - 1) if len(paragraphs) > 1 and chance(rng, 0.3) else None
    flavour = rng.choice(["mingpao", "udn"])
    if flavour == "mingpao":
        section = rng.choice(HK_SECTIONS)
        if chance(rng, 0.6):
            s.bp(rng.choice(["明報新聞網", "明報新聞網 - 每日明報", "mingpao.com 明報新聞網"]))
        if chance(rng, 0.7):
            sep = rng.choice([" > ", " » ", "＞"])
            s.bp(
                sep.join(
                    rng.choice(
                        [["首頁", "每日明報", section], ["新聞", section], ["明報新聞網", "新聞", section, "正文"]]
                    )
                )
            )
        else:
            section = None  # named nowhere else on the page
        day = rng.choice([f"{d.year}年{d.month}月{d.day}日", zh_date(d)])
        date_line = rng.choice(
            [
                f"{day}星期{TW_WEEK[d.weekday()]}",
                f"{day} 星期{TW_WEEK[d.weekday()]}",
                day,
                f"{d.year}/{d.month:02d}/{d.day:02d}",
            ]
        )
        if chance(rng, 0.5):
            s.bp(date_line)
            s.bp(a.title)
        else:
            s.bp(a.title)
            s.bp(date_line)
        if chance(rng, 0.4):
            t = clock(rng, 0, 23)
            s.bp(
                rng.choice(
                    [
                        f"[更新時間：{t:%H:%M}]",
                        f"更新時間：{d.year}/{d.month:02d}/{d.day:02d} {t:%H:%M}",
                        f"上載時間：{t:%H:%M}",
                    ]
                )
            )
        if chance(rng, 0.6):
            s.bp(rng.choice(["分享：", "讚好  分享", "Facebook  WhatsApp  Twitter  列印", "分享到 Facebook"]))
        if chance(rng, 0.25):
            s.bp("字型大小：小 中 大")
        if chance(rng, 0.75):
            paragraphs[0] = "【明報專訊】" + paragraphs[0]
        for i, p in enumerate(paragraphs):
            if i == caption_at:
                s.bp(
                    f"▲{rng.choice(HK_CAPTIONS)}。（{rng.choice(['資料圖片', '明報記者攝', '網上圖片', '政府新聞處圖片'])}）"
                )
            s.body(p)
        tail: list[list[str]] = []
        if chance(rng, 0.5):
            tail.append(["相關字詞﹕" + " ".join(rng.sample(HK_TAGS, rng.randint(2, 4)))])
        if chance(rng, 0.5):
            tail.append([f"上一篇：{a.others[0]}", f"下一篇：{a.others[1]}"])
        if chance(rng, 0.3):
            tail.append(["熱門文章"] + list(a.others[2 : 2 + rng.randint(2, 3)]))
        rng.shuffle(tail)
        if chance(rng, 0.5):
            tail.append(
                [
                    rng.choice(
                        [
                            "明報網站 · 版權所有 · 不得轉載",
                            f"Copyright © {d.year} Ming Pao Holdings Limited. All rights reserved.",
                        ]
                    )
                ]
            )
        for block in tail:
            for line in block:
                s.bp(line)
        # the paper only where the page names it (masthead, 專訊 opening, a credit, the copyright line)
        publication = "明報" if "明報" in s.text() or "Ming Pao" in s.text() else None
        return s.text(), truth(
            a, paragraphs, s.boilerplate, publication=publication, section=section, legacy=(("big5", 0.5),)
        )
    # udn (聯合新聞網)
    section = rng.choice(TW_SECTIONS)
    city = rng.choice(TW_CITIES)
    t = clock(rng, 0, 23)
    published_at = stamp(d, t, False)
    when = f"{d.isoformat()} {t:%H:%M}"
    if chance(rng, 0.7):
        s.bp(
            rng.choice([" › ", " > "]).join(
                rng.choice([["聯合新聞網", "要聞", section], ["首頁", section], ["udn", "新聞", section]])
            )
        )
    else:
        section = None
    s.bp(a.title)
    kind = rng.choices(["paper", "cna", "econ"], [5, 3, 1.5])[0]
    if kind == "cna":
        publication = "中央社"
        authors = [rng.choice(HANT_NAMES)] if chance(rng, 0.8) else []
        source = f"中央社／ {city}{d.day}日電"
        who = f"記者{authors[0]}" if authors else ""
        paragraphs[0] = f"（中央社{who}{city}{d.day}日電）" + paragraphs[0]
    else:
        publication = "聯合報" if kind == "paper" else "經濟日報"
        authors = rng.sample(HANT_NAMES, rng.choices([1, 2], [4, 1])[0])
        source = f"{publication}／ 記者{'、'.join(authors)}／{city}{rng.choice(['即時報導', '報導'])}"
    if chance(rng, 0.5):
        s.bp(when, source, sep=rng.choice([" ", "  "]))
    else:
        s.bp(source)
        s.bp(when)
    if chance(rng, 0.5):
        s.bp(rng.choice(["分享", "讚 0 分享", "分享到 Facebook  LINE", "Facebook  Line  Twitter  複製連結"]))
    for i, p in enumerate(paragraphs):
        if i == caption_at:
            s.bp(
                rng.choice(
                    [
                        f"圖／{publication}資料照片",
                        f"記者{rng.choice(HANT_NAMES)}／攝影",
                        "圖／取自臉書",
                        "圖／本報資料照片",
                    ]
                )
            )
        s.body(p)
    tail = []
    if chance(rng, 0.5):
        tail.append(["延伸閱讀"] + list(a.others[: rng.randint(2, 3)]))
    if chance(rng, 0.4):
        tail.append([" ".join("#" + x for x in rng.sample(HK_TAGS, rng.randint(2, 3)))])
    if chance(rng, 0.5):
        tail.append(["※ 歡迎用「轉貼」或「分享」的方式轉傳文章連結；未經授權，請勿複製轉貼文章內容"])
    rng.shuffle(tail)
    if chance(rng, 0.3):
        tail.append([rng.choice(["看更多相關新聞", "加入聯合新聞網 LINE 好友"])])
    if chance(rng, 0.4):
        tail.append(["本網站之文字、圖片及影音，非經授權，不得轉載、公開播送或公開傳輸及利用。"])
    for block in tail:
        for line in block:
            s.bp(line)
    return s.text(), truth(
        a,
        paragraphs,
        s.boilerplate,
        publication=publication,
        section=section,
        authors=authors,
        published_at=published_at,
        legacy=(("big5", 0.15),),
    )


# ---------------------------------------------------------------------------
# 2. News-app reposts (今日头条 / 百家号 / 网易号 / 企鹅号)
# ---------------------------------------------------------------------------

MEDIA_ACCOUNTS = (
    "新京报",
    "中国新闻周刊",
    "环球时报",
    "北京青年报",
    "红星新闻",
    "封面新闻",
    "潇湘晨报",
    "极目新闻",
    "每日经济新闻",
    "齐鲁壹点",
    "大河报",
    "南方都市报",
)
SELF_ACCOUNTS = (
    "财经老王说",
    "科技观察员小李",
    "三农视角",
    "城市漫步者",
    "历史有温度",
    "小镇青年看世界",
    "老周聊经济",
    "教育观察家",
    "数据说话",
    "乡村振兴在线",
)
PROVINCES = ("北京", "上海", "广东", "浙江", "江苏", "四川", "湖北", "山东", "河南", "湖南")
TOUTIAO_ORIGINAL = ("本文为头条号作者原创，未经授权，不得转载。", "本文为头条号作者原创。未经授权，不得转载。")
BAIJIA_NOTICE = (
    "本文由百家号作者上传并发布，百家号仅提供信息发布平台。文章仅代表作者个人观点，不代表百度立场。"
    "未经作者许可，不得转载。"
)
WANGYI_NOTICE = "特别声明：本文为网易自媒体平台“网易号”作者上传并发布，仅代表该作者观点。网易仅提供信息发布平台。"
QIE_NOTICE = "本文为企鹅号作者原创，未经授权不得转载"


def count_text(rng: random.Random) -> str:
    n = rng.choice([rng.randint(120, 9999), rng.randint(10000, 990000)])
    return str(n) if n < 10000 else f"{n / 10000:.1f}万"


def app_reprint(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    flavour = rng.choice(["toutiao", "baijiahao", "wangyi", "qie"])
    media = chance(rng, 0.6)
    account = rng.choice(MEDIA_ACCOUNTS if media else SELF_ACCOUNTS)
    d, t = a.date, clock(rng, 6, 23)
    seconds = chance(rng, 0.3)
    when = f"{d.isoformat()} {t:%H:%M:%S}" if seconds else f"{d.isoformat()} {t:%H:%M}"
    s = GuardedSheet(a.text, rng.choice(["", "", "\u3000\u3000"]))
    spaced = chance(rng, 0.4)
    original = chance(rng, 0.5)
    authors: list[str] = []
    s.bp(a.title)
    if flavour == "toutiao":
        style = rng.randrange(3)
        if style == 0:
            s.bp(("原创" if original else "") + f"{when}·{account}")
        elif style == 1:
            s.bp(account)
            s.bp(when + (" · 原创" if original else ""))
        else:
            s.bp(account, when, sep=rng.choice([" ", "  "]))
        if chance(rng, 0.8):
            s.bp(rng.choice(["关注", "+ 关注", "关注"]))
    elif flavour == "baijiahao":
        s.bp(account)
        s.bp(when if chance(rng, 0.6) else f"发布时间：{when}")
        if chance(rng, 0.3):
            s.bp(f"{rng.choice(['来自', '发布于'])}{rng.choice(PROVINCES)}")
        if chance(rng, 0.8):
            s.bp("关注")
    elif flavour == "wangyi":
        s.bp(when, f"来源: {account}", sep=rng.choice(["\u3000", "  "]))
        if chance(rng, 0.6):
            s.bp(rng.choice(["+关注", "关注"]))
        if chance(rng, 0.3):
            s.bp(f"{rng.randint(0, 999)}跟贴")
    else:  # 企鹅号 / 腾讯新闻
        s.bp(account)
        s.bp(rng.choice([when, f"{when} 发布于{rng.choice(PROVINCES)}"]))
        if chance(rng, 0.6):
            s.bp(rng.choice(["关注", "+关注"]))
    if media and chance(rng, 0.35):
        authors = names(rng, rng.choice([1, 1, 2]))
        s.bp(
            rng.choice([f"{account}记者 {' '.join(authors)}", f"记者｜{' '.join(authors)}", f"文｜{' '.join(authors)}"])
        )
    elif not media and chance(rng, 0.2):
        authors = names(rng, 1)
        s.bp(f"作者：{authors[0]}")
    paragraphs = list(a.paragraphs)
    fold = rng.randint(1, len(paragraphs) - 1) if len(paragraphs) > 2 and chance(rng, 0.35) else None
    app_pic = (
        rng.randint(1, len(paragraphs) - 1)
        if flavour == "baijiahao" and len(paragraphs) > 2 and chance(rng, 0.2)
        else None
    )
    for i, p in enumerate(paragraphs):
        if i == fold:
            s.bp(rng.choice(["展开全文", "展开全文", "点击展开全文"]))
        if i == app_pic and i != fold:
            s.bp("打开百度APP，查看更多高清图片")
        s.body(p)
        if spaced:
            s.blank()
    tail: list[str] = []
    if chance(rng, 0.25):
        tail.append(
            rng.choice(["（图片来源于网络，如有侵权请联系删除）", "图片来源网络，侵删", "（本文图片均来自网络）"])
        )
    if chance(rng, 0.35):
        tail.append(
            rng.choice(
                [
                    f"编辑 {rng.choice(NAMES)}",
                    f"编辑：{rng.choice(NAMES)}  校对：{rng.choice(NAMES)}",
                    f"责编：{rng.choice(NAMES)}",
                ]
            )
        )
    if flavour == "toutiao" and original:
        tail.append(rng.choice(TOUTIAO_ORIGINAL))
    if flavour == "baijiahao" and chance(rng, 0.7):
        tail.append(BAIJIA_NOTICE)
    if flavour == "wangyi" and chance(rng, 0.8):
        tail.append(WANGYI_NOTICE)
    if flavour == "qie" and original and chance(rng, 0.7):
        tail.append(QIE_NOTICE)
    widgets = []
    if chance(rng, 0.5):
        widgets.append(rng.choice([f"阅读 {count_text(rng)}", f"{count_text(rng)}阅读", f"阅读量：{count_text(rng)}"]))
    if chance(rng, 0.5):
        widgets.append(
            rng.choice(
                [
                    f"点赞 {rng.randint(0, 999)}  评论 {rng.randint(0, 300)}  分享",
                    f"赞{rng.randint(1, 999)} 评论{rng.randint(0, 99)} 收藏 分享",
                    "点赞  评论  分享",
                ]
            )
        )
    if chance(rng, 0.7):
        widgets.append(rng.choice(["举报", "举报/反馈", "举报"]))
    rng.shuffle(widgets)
    tail += widgets
    if chance(rng, 0.35):
        tail.append(rng.choice(["相关推荐", "猜你喜欢", "相关阅读"]))
        tail += list(a.others[: rng.randint(2, 4)])
    if chance(rng, 0.2):
        tail.append(rng.choice(["打开APP阅读更多精彩内容", "打开头条APP，阅读更多精彩内容", "下载APP，看更多精彩内容"]))
    for line in tail:
        if "  " in line:
            s.bp(*line.split("  "))
        else:
            s.bp(line)
    return s.text(), truth(
        a, paragraphs, s.boilerplate, publication=account, authors=authors, published_at=stamp(d, t, seconds)
    )


# ---------------------------------------------------------------------------
# 3. A newspaper PDF through pdftotext
# ---------------------------------------------------------------------------

NO_LINE_START = "，。、；：？！）」』”》…"


def wrap(text: str, width: int, kinsoku: bool) -> list[str]:
    """Hard line breaks every ``width`` characters; with 禁则 a closing mark never starts a line."""
    lines: list[str] = []
    rest = text
    while rest:
        line, rest = rest[:width], rest[width:]
        if kinsoku:
            while rest and rest[0] in NO_LINE_START:
                line, rest = line + rest[0], rest[1:]
        lines.append(line)
    return lines


def pdf_dump(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    d = a.date
    s = GuardedSheet(a.text, "")
    paper = rng.choice(PAPERS + ("人民日报",))
    page = rng.choices(range(1, 17), [5, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1])[0]
    section = "要闻" if page == 1 and chance(rng, 0.7) else rng.choice(EPAPER_SECTIONS)
    sp = rng.choice(["  ", "\u3000", "    ", " "])
    date_text = rng.choice([f"{d.year}年{d.month}月{d.day}日", zh_date(d)])
    named = chance(rng, 0.7)
    hstyle = rng.randrange(4)
    editor_line = None
    if chance(rng, 0.35):
        ed, de, pr = names(rng, 3)
        editor_line = rng.choice(
            [
                [f"责任编辑：{ed}", f"版式设计：{de}"],
                [f"责编：{ed}", f"美编：{de}", f"校对：{pr}"],
                [f"本版编辑：{ed}", f"电话：010-{rng.randrange(10**7, 10**8)}"],
            ]
        )
    form_feed = chance(rng, 0.5)

    def header(pg: int, first: bool) -> None:
        prefix = "\f" if form_feed and not first else ""
        if hstyle == 0:
            pieces = ([paper] if named else []) + [date_text, weekday(d), f"第{pg}版", section]
            s.bp(*pieces, sep=sp)
        elif hstyle == 1:
            s.bp(*(([paper] if named else []) + [date_text, weekday(d)]), sep=sp)
            s.bp(f"第{pg:02d}版{sp}{section}")
        elif hstyle == 2:  # running heads alternate sides: even pages put the number first
            pieces = [f"{pg}", section] + ([paper] if named else []) + [f"{date_text} {weekday(d)}"]
            s.bp(*(pieces if pg % 2 == 0 else pieces[::-1]), sep=sp)
        else:
            s.bp(*(([paper] if named else []) + [date_text, section, f"第{pg}版"]), sep=sp)
        if prefix:
            s.lines[-1 if hstyle != 1 else -2] = prefix + s.lines[-1 if hstyle != 1 else -2]
        if editor_line:
            s.bp(*editor_line, sep=sp)

    def footer(n: int, total: int) -> None:
        s.bp(fstyle.format(n=n, total=total))

    jump = chance(rng, 0.35)
    # a jump is between newspaper pages (numbered as such); a clipping PDF counts its own pages
    fstyle = rng.choice(["- {n} -", "{n}", "— {n} —"] + ([] if jump else ["第{n}页", "第 {n} 页 共 {total} 页"]))
    # the content: headline block, byline, wrapped body
    content: list[str] = []
    marks: list[str] = []
    if chance(rng, 0.2):
        content.append(rng.choice(KICKERS))
        marks.append(content[-1])
    if len(a.title) >= 10 and chance(rng, 0.15):
        cut = rng.randint(4, len(a.title) - 4)
        content += [a.title[:cut], a.title[cut:]]
        marks += content[-2:]
    else:
        content.append(a.title)
        marks.append(a.title)
    if a.subtitle and chance(rng, 0.2):
        content.append(a.subtitle)
        marks.append(a.subtitle)
    authors: list[str] = []
    kind = rng.choices(["two", "one", "correspondent", "none"], [3, 3, 2, 1.5])[0]
    if kind != "none":
        authors = names(rng, 1 if kind == "one" else 2)
        gap = rng.choice([" ", "\u3000"])
        line = f"本报记者{gap}{authors[0]}"
        if kind == "two":
            line += gap + authors[1]
        elif kind == "correspondent":
            line += f"{gap}通讯员{gap}{authors[1]}"
        content.append(rng.choice(["", "□", "◎"]) + line)
        marks.append(content[-1])
    head_len = len(content)
    width = rng.choice([13, 14, 15, 16, 17, 18, 20, 22, 24, 26, 30, 34, 36, 38, 40])
    kinsoku = chance(rng, 0.6)
    indent = rng.choice(["\u3000\u3000", "  ", ""])
    blank_between = chance(rng, 0.2)
    for p in a.paragraphs:
        lines = wrap(p, width, kinsoku)
        lines[0] = indent + lines[0]
        content += lines
        if blank_between:
            content.append("")
    body_lines = len(content) - head_len
    if jump:
        to = page + rng.randint(1, 6)
        at = head_len + rng.randint(body_lines // 3, max(body_lines // 3, 2 * body_lines // 3))
        header(page, True)
        for i, line in enumerate(content):
            if i == at:
                s.bp(f"（下转第{cn(to)}版）")
                footer(page, to)
                header(to, False)
                s.bp(f"（上接第{cn(page)}版）")
            if i < head_len:
                s.bp(line)
            else:
                s.lines.append(line)
        footer(to, to)
    else:
        per_page = rng.randint(18, 40)
        number = rng.choice([1, 1, rng.randint(2, 30)])
        total = number + (len(content) + per_page - 1) // per_page - 1 + rng.randint(0, 3)
        header(page, True)
        on_page = 0
        for i, line in enumerate(content):
            if on_page == per_page:
                footer(number, total)
                number += 1
                header(page, False)
                on_page = 0
            if i < head_len:
                s.bp(line)
            else:
                s.lines.append(line)
            on_page += 1
        footer(number, total)
    for m in marks:
        s.note(m)
    return s.text(), truth(
        a,
        a.paragraphs,
        s.boilerplate,
        publication=paper if named else None,
        section=section,
        page=page,
        authors=authors,
    )


# ---------------------------------------------------------------------------
# 4. Japanese news pages (NHK / 朝日新聞デジタル)
# ---------------------------------------------------------------------------

JA_CATEGORIES = ("社会", "政治", "経済", "国際", "科学・文化", "暮らし", "スポーツ", "気象・災害")
JA_CAPTION_SUBJECTS = (
    "記者会見する担当者",
    "開店前に行列をつくる人たち",
    "運転を再開した新幹線",
    "授業を再開した小学校",
    "出荷を待つ野菜",
    "にぎわう商店街",
    "港に並ぶコンテナ",
)
JA_PLACES = ("東京都千代田区", "大阪市北区", "名古屋市中区", "札幌市中央区", "福岡市博多区", "横浜市西区")


def ja_time(d: dt.date, t: dt.time) -> str:
    return f"{d.year}年{d.month}月{d.day}日 {t.hour}時{t.minute:02d}分"


def jp_news(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    d, t = a.date, clock(rng, 0, 23)
    flavour = rng.choice(["nhk", "asahi"])
    s = GuardedSheet(a.text, "" if flavour == "nhk" else rng.choice(["", "\u3000"]))
    paragraphs = list(a.paragraphs)
    authors: list[str] = []
    related_times = [dt.datetime.combine(d, t) - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 6)) for _ in range(3)]
    if flavour == "nhk":
        publication = "NHK"
        if chance(rng, 0.5):
            s.bp(rng.choice(["NHK NEWS WEB", "NHKニュース", "NHK ONE ニュース"]))
        category = rng.choice(JA_CATEGORIES) if chance(rng, 0.4) else None
        if category and chance(rng, 0.5):
            s.bp(category)
        s.bp(a.title)
        s.bp(ja_time(d, t))
        if category and category not in s.lines:
            s.bp(category)
        if chance(rng, 0.7):
            share = rng.choice(
                [
                    ["シェアする"],
                    ["ツイート", "シェア", "LINE"],
                    ["twitterでシェアする", "facebookでシェアする", "LINEでシェアする"],
                ]
            )
            if chance(rng, 0.5):
                s.bp(*share, sep="  ")
            else:
                for x in share:
                    s.bp(x)
        for p in paragraphs:
            s.body(p)
        if chance(rng, 0.6):
            s.bp("関連ニュース")
            for other, when in zip(a.others[: rng.randint(2, 3)], related_times):
                s.bp(other)
                s.bp(f"{when.month}月{when.day}日 {when.hour}時{when.minute:02d}分")
        if chance(rng, 0.08):
            s.bp("あわせて読みたい")
            s.bp(a.others[4])
        if chance(rng, 0.3):
            s.bp("NHKサイトを安心してご利用いただくために")
        if chance(rng, 0.5):
            s.bp("Copyright NHK (Japan Broadcasting Corporation) All rights reserved.")
        if chance(rng, 0.4):
            s.bp("許可なく転載することを禁じます。このページは受信料で制作しています。")
        publication = publication if "NHK" in s.text() else None  # only where the page names it
        return s.text(), truth(a, paragraphs, s.boilerplate, publication=publication, published_at=stamp(d, t, False))
    publication = "朝日新聞"
    if chance(rng, 0.4):
        s.bp(rng.choice(["朝日新聞デジタル > 記事", "トップ > 社会 > 記事", "朝日新聞デジタル トップ > 経済"]))
    paid = chance(rng, 0.3)
    label_top = paid and chance(rng, 0.5)
    if label_top:
        s.bp("有料記事")
    s.bp(a.title)
    authors = rng.sample(JA_NAMES, rng.choices([0, 1, 2], [1, 3, 1.5])[0])
    when = ja_time(d, t)
    if authors:
        who = rng.choice(["、", " "]).join(authors)
        if chance(rng, 0.5):
            s.bp(who, when, sep=rng.choice(["", " "]))
        else:
            s.bp(who)
            s.bp(when)
    else:
        s.bp(when)
    if paid and not label_top:
        s.bp("有料記事")
    if chance(rng, 0.6):
        s.bp(
            *rng.sample(["シェア", "ツイート", "ブックマーク", "メール", "印刷", "list"], rng.randint(3, 5)),
            sep=rng.choice([" ", "  "]),
        )
    if paid and len(paragraphs) > 2:
        paragraphs = paragraphs[: rng.randint(1, min(3, len(paragraphs) - 1))]
    caption_at = rng.randint(0, len(paragraphs) - 1) if chance(rng, 0.35) else None
    for i, p in enumerate(paragraphs):
        if i == caption_at:
            subject = rng.choice(JA_CAPTION_SUBJECTS)
            photo = rng.choice([n for n in JA_NAMES if n not in authors])
            s.bp(f"{subject}＝{d.day}日{rng.choice(['午前', '午後'])}、{rng.choice(JA_PLACES)}、{photo}撮影")
        s.body(p)
    if paid:
        rest = rng.randint(300, 2500)
        s.bp(
            rng.choice(
                [
                    f"この記事は有料記事です。残り{rest}文字有料会員になると続きをお読みいただけます。",
                    f"残り{rest}文字：全文{rest + sum(len(p) for p in paragraphs)}文字",
                ]
            )
        )
    if chance(rng, 0.5):
        s.bp(rng.choice(["関連ニュース", "関連記事"]))
        for other in a.others[: rng.randint(2, 3)]:
            s.bp(other)
    if chance(rng, 0.5):
        s.bp(
            "朝日新聞デジタルに掲載の記事・写真の無断転載を禁じます。すべての内容は日本の著作権法並びに国際条約により保護されています。"
        )
    if chance(rng, 0.4):
        s.bp(
            "Copyright © The Asahi Shimbun Company. All rights reserved. No reproduction or republication without written permission."
        )
    publication = publication if "朝日新聞" in s.text() or "Asahi" in s.text() else None
    return s.text(), truth(
        a, paragraphs, s.boilerplate, publication=publication, authors=authors, published_at=stamp(d, t, False)
    )


# ---------------------------------------------------------------------------
# 5. English agency pages (Xinhua English / AP / China Daily)
# ---------------------------------------------------------------------------

AP_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")
FULL_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
XINHUA_EDITORS = ("huaxia", "Zhou Xin", "Liu", "Mu Xuequan", "Yurou", "Shi Yinglun", "xuxin", "Liangyu")
PINYIN_NAMES = (
    "Zhang Yu",
    "Li Hongyang",
    "Wang Xiaoyu",
    "Chen Meiling",
    "Zhao Lei",
    "Hou Liqiang",
    "Xu Wei",
    "Ma Zhiping",
    "Cao Yin",
    "Zheng Xin",
    "Yang Jun",
    "Luo Wangshu",
)
AP_CITIES = ("WASHINGTON", "NEW YORK", "LONDON", "TOKYO", "BEIJING", "BRUSSELS", "CHICAGO", "SEOUL", "PARIS", "BANGKOK")
CD_SECTIONS = (("China", "Society"), ("Business", "Economy"), ("World", "Asia-Pacific"), ("China", "Innovation"))
AP_HUBS = ("the global economy", "trade", "climate change", "the coronavirus pandemic")


def en_agency(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    d, t = a.date, clock(rng, 0, 23)
    flavour = rng.choice(["xinhua", "ap", "chinadaily"])
    s = GuardedSheet(a.text, "")
    paragraphs = list(a.paragraphs)
    authors: list[str] = []
    spaced = chance(rng, 0.5)
    published_at = None
    if flavour == "xinhua":
        publication = "Xinhua"
        editor = rng.choice(XINHUA_EDITORS)
        published_at = stamp(d, t, True)
        top = chance(rng, 0.5)
        if top:  # the old xinhuanet English page: Source: Xinhua| 2020-05-24 18:30:05| Editor: huaxia
            s.bp("Source: Xinhua", f"{d.isoformat()} {t:%H:%M:%S}", f"Editor: {editor}", sep=rng.choice(["| ", "|"]))
        s.bp(a.title)
        if not top:
            s.bp("Source: Xinhua", f"Editor: {editor}", f"{d.isoformat()} {t:%H:%M:%S}", sep=rng.choice(["  ", " | "]))
        if chance(rng, 0.05):
            s.bp("Video PlayerClose")
        city = rng.choice(EN_CITIES)
        paragraphs[0] = f"{city}, {AP_MONTHS[d.month - 1]} {d.day} (Xinhua) -- " + paragraphs[0]
        for p in paragraphs:
            s.body(p)
            if spaced:
                s.blank()
        if chance(rng, 0.5):
            s.bp("Enditem")
        if chance(rng, 0.4):
            for other in a.others[: rng.randint(1, 3)]:
                s.bp(f"Related: {other}" if chance(rng, 0.7) else other)
        if chance(rng, 0.3):
            s.bp(f"[Editor: {editor}]")
        if chance(rng, 0.4):
            s.bp("Back to Top", "Close", sep="  ")
        if chance(rng, 0.4):
            s.bp(f"Copyright © 2000-{d.year} XINHUANET.com All rights reserved.")
    elif flavour == "ap":
        publication = "Associated Press"
        s.bp(a.title)
        if chance(rng, 0.85):
            authors = rng.sample(EN_NAMES, rng.choices([1, 2, 3], [5, 2, 1])[0])
            joined = authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + " and " + authors[-1]
            s.bp(f"By {joined}")
        h12, ampm = (t.hour % 12 or 12), ("AM" if t.hour < 12 else "PM")
        tz = "EDT" if 3 <= d.month <= 10 else "EST"
        day = f"{FULL_MONTHS[d.month - 1]} {d.day}, {d.year}"
        style = rng.randrange(3)
        if style == 0:
            s.bp(f"Published {h12}:{t:%M} {ampm} {tz}, {day}")
            published_at = stamp(d, t, False)
        elif style == 1:
            s.bp(day)
        else:
            s.bp(day)
            if t.hour < 20:
                later = dt.datetime.combine(d, t) + dt.timedelta(minutes=rng.randint(20, 200))
                s.bp(f"Updated {later.hour % 12 or 12}:{later:%M} {'AM' if later.hour < 12 else 'PM'} {tz}, {day}")
        if chance(rng, 0.6):
            s.bp(
                *rng.choice(
                    [["Share"], ["Share", "Copy Link", "Email", "Facebook", "X", "LinkedIn"], ["Copy Link copied"]]
                ),
                sep="  ",
            )
        paragraphs[0] = f"{rng.choice(AP_CITIES)} (AP) — " + paragraphs[0]
        ads = (
            set(rng.sample(range(1, len(paragraphs)), min(len(paragraphs) - 1, rng.randint(1, 2))))
            if chance(rng, 0.5)
            else set()
        )
        for i, p in enumerate(paragraphs):
            if i in ads:
                s.bp("ADVERTISEMENT")
                if spaced:
                    s.blank()
            s.body(p)
            if spaced:
                s.blank()
        if chance(rng, 0.5):
            if chance(rng, 0.6):
                s.bp("___")
            writer = rng.choice([n for n in EN_NAMES if n not in authors])
            s.bp(
                f"Associated Press writer {writer} in {rng.choice(['London', 'Tokyo', 'Washington', 'Beijing', 'Berlin'])} "
                "contributed to this report."
            )
        if chance(rng, 0.07):
            s.bp(
                f"Follow AP's coverage of {rng.choice(AP_HUBS)} at https://apnews.com/hub/{rng.choice(['economy', 'trade'])}"
            )
        if chance(rng, 0.5):
            s.bp(
                f"Copyright {d.year} The Associated Press. All rights reserved. This material may not be published, "
                "broadcast, rewritten or redistributed."
            )
    else:
        publication = "China Daily"
        if chance(rng, 0.4):
            s.bp(rng.choice([" / ", " > "]).join(("Home",) + rng.choice(CD_SECTIONS)))
        s.bp(a.title)
        when = f"{d.isoformat()} {t:%H:%M}"
        published_at = stamp(d, t, False)
        site = rng.choice(["chinadaily.com.cn", "China Daily"])
        if chance(rng, 0.8):
            authors = rng.sample(PINYIN_NAMES, rng.choices([1, 2], [4, 1])[0])
            who = (
                "By "
                + " and ".join(authors)
                + (f" in {rng.choice(['Beijing', 'Shanghai', 'Hong Kong', 'Wuhan'])}" if chance(rng, 0.4) else "")
            )
            s.bp(who, site, f"Updated: {when}", sep=" | ")
        else:
            s.bp(site, f"Updated: {when}", sep=" | ")
        if chance(rng, 0.5):
            s.bp(rng.choice(["Share - WeChat", "Share - WeChat", "Share"]))
        for p in paragraphs:
            s.body(p)
            if spaced:
                s.blank()
        if chance(rng, 0.4):
            s.bp(rng.choice(["Most Viewed in 24 Hours", "Top Stories", "Related Stories"]))
            for other in a.others[: rng.randint(2, 4)]:
                s.bp(other)
        if chance(rng, 0.5):
            s.bp(
                f"Copyright 1995 - {d.year} . All rights reserved. The content (including but not limited to text, photo, "
                "multimedia information, etc) published in this site belongs to China Daily Information Co (CDIC)."
            )
        if chance(rng, 0.3):
            s.bp("Note: Browsers with 1024*768 or higher resolution are suggested for this site.")
    return s.text(), truth(
        a, paragraphs, s.boilerplate, publication=publication, authors=authors, published_at=published_at
    )


# ---------------------------------------------------------------------------
# 6. University and county-government news pages
# ---------------------------------------------------------------------------

UNIVERSITIES = (
    ("浙江工业大学", "浙", "杭州市西湖区留和路288号", "310023"),
    ("西南交通大学", "蜀", "成都市郫都区犀安路999号", "611756"),
    ("华中农业大学", "鄂", "武汉市洪山区狮子山街1号", "430070"),
    ("南京信息工程大学", "苏", "南京市浦口区宁六路219号", "210044"),
    ("河北师范大学", "冀", "石家庄市南二环东路20号", "050024"),
    ("东北林业大学", "黑", "哈尔滨市香坊区和兴路26号", "150040"),
    ("江西财经大学", "赣", "南昌市双港东大街169号", "330013"),
    ("昆明理工大学", "滇", "昆明市呈贡区景明南路727号", "650500"),
)
UNITS = (
    "计算机学院",
    "机械工程学院",
    "马克思主义学院",
    "外国语学院",
    "经济管理学院",
    "化学工程学院",
    "研究生院",
    "教务处",
    "学生工作处",
    "校团委",
    "科学技术研究院",
    "党委宣传部",
    "国际合作与交流处",
)
UNI_COLUMNS = ("学校要闻", "综合新闻", "院系动态", "校园快讯", "媒体关注", "学术动态")
COUNTIES = (("长兴县", "浙"), ("仁寿县", "川"), ("沭阳县", "苏"), ("寿光市", "鲁"), ("浏阳市", "湘"), ("肥西县", "皖"))
BUREAUS = ("农业农村局", "教育局", "住房和城乡建设局", "文化和旅游局", "卫生健康局", "市场监督管理局", "融媒体中心")
GOV_COLUMNS = ("部门动态", "乡镇动态", "工作动态", "政务要闻")
CAMPUS_CAPTIONS = (
    "图为活动现场",
    "图为签约仪式现场",
    "图为会议现场",
    "图为调研现场",
    "（图为颁奖现场）",
    "图为参赛选手合影",
)


def campus_news(a: Article, rng: random.Random, enc: str) -> tuple[str, dict]:
    d = a.date
    s = GuardedSheet(a.text, rng.choice(["", "\u3000\u3000", "\u3000\u3000", "  "]))
    paragraphs = list(a.paragraphs)
    if chance(rng, 0.72):
        org, prov, address, postcode = rng.choice(UNIVERSITIES)
        site = f"{org}新闻网"
        unit = rng.choice(UNITS)
        column = rng.choice(UNI_COLUMNS)
        opening = rng.choice(["本网讯", "本站讯", "本网讯"])
        gov = False
    else:
        county, prov = rng.choice(COUNTIES)
        org, site = f"{county}人民政府", f"{county}人民政府门户网站"
        unit = county + rng.choice(BUREAUS)
        column = rng.choice(GOV_COLUMNS)
        opening = rng.choice(["本网讯", "本报讯"])
        address, postcode = None, None
        gov = True
    publication = unit
    if chance(rng, 0.5):
        s.bp(rng.choice([site, f"欢迎访问{site}"]))
    if chance(rng, 0.8):
        sep = rng.choice([">", " > ", " >> ", "»"])
        s.bp(rng.choice(["当前位置：", "您的位置：", "位置：", "您现在的位置："]) + sep.join(["首页", column, "正文"]))
    s.bp(a.title)
    t = clock(rng, 8, 21) if chance(rng, 0.4) else None
    date_piece = rng.choice([f"发布时间：{d.isoformat()}", f"发布日期：{zh_date(d)}", f"时间：{d.isoformat()}"]) + (
        f" {t:%H:%M}" if t else ""
    )
    kind = rng.choices(["opening", "author", "credit", "none"], [4, 3, 2, 1])[0]
    authors = names(rng, rng.choice([1, 1, 2])) if kind != "none" else []
    photographer, reviewer, editor = names(rng, 3, exclude=tuple(authors))
    meta = [date_piece]
    unit_shown = False
    if kind == "author" or (kind == "opening" and chance(rng, 0.3)):
        meta.append(rng.choice(["作者：", "文/", "撰稿："]) + " ".join(authors))
    if chance(rng, 0.8):
        meta.append(rng.choice(["来源：", "供稿单位：", "信息来源：" if gov else "来源："]) + unit)
        unit_shown = True
    if chance(rng, 0.75):
        meta.append(rng.choice(["点击数：", "浏览次数：", "阅读：", "访问量："]) + str(rng.randint(15, 9999)))
    if chance(rng, 0.3):
        meta.append(f"摄影：{photographer}")
    if chance(rng, 0.25):
        meta.append(f"审核：{reviewer}")
    if chance(rng, 0.25):
        meta.append(f"编辑：{editor}")
    first = meta.pop(0)
    rng.shuffle(meta)
    meta.insert(0 if chance(rng, 0.6) else rng.randint(0, len(meta)), first)
    if chance(rng, 0.3):
        for m in meta:
            s.bp(m)
    else:
        s.bp(*meta, sep=rng.choice(["  ", "\u3000", " | ", "    "]))
    if chance(rng, 0.2):
        s.bp(rng.choice(["【字体：大 中 小】", "字号：大 中 小", "【字体：大 中 小】【打印】"]))
    if gov and chance(rng, 0.3):
        s.bp("分享到：")
    if kind == "opening":
        paragraphs[0] = f"{opening}（通讯员 {' '.join(authors)}）" + paragraphs[0]
    caption_at = rng.randint(1, len(paragraphs)) if chance(rng, 0.25) else None
    for i, p in enumerate(paragraphs):
        if i == caption_at:
            s.bp(rng.choice(CAMPUS_CAPTIONS))
        s.body(p)
    if caption_at == len(paragraphs):
        s.bp(rng.choice(CAMPUS_CAPTIONS))
    tail: list[tuple[str, ...]] = []
    if kind == "credit" or not unit_shown:
        pieces = [f"供稿单位：{unit}"] + ([f"撰稿：{' '.join(authors)}"] if kind == "credit" else [])
        if chance(rng, 0.5):
            pieces.append(f"摄影：{photographer}")
        pieces.append(f"审核：{reviewer}")
        if chance(rng, 0.5):
            tail.append(("（" + rng.choice(["  ", " "]).join(pieces) + "）",))
        else:
            tail.append(tuple(pieces))
    elif chance(rng, 0.5):
        tail.append(
            rng.choice(
                [(f"编辑：{editor}", f"审核：{reviewer}"), (f"责任编辑：{editor}",), (f"（责任编辑：{editor}）",)]
            )
        )
    if gov and chance(rng, 0.3):
        tail.append(("【我要纠错】",))
    if chance(rng, 0.7):
        label = rng.choice([("上一条：", "下一条："), ("上一篇：", "下一篇：")])
        prev = a.others[0] if chance(rng, 0.9) else "没有了"
        tail.append((label[0] + prev,))
        tail.append((label[1] + a.others[1],))
    if chance(rng, 0.8):
        tail.append(
            (
                rng.choice(
                    [
                        "【打印】 【关闭】",
                        "打印本页  关闭窗口",
                        "【打印此页】【关闭窗口】",
                        "[打印] [关闭]",
                        "打印  关闭",
                    ]
                ),
            )
        )
    if gov and chance(rng, 0.2):
        tail.append(("相关链接",))
        tail += [(x,) for x in a.others[2:4]]
    if chance(rng, 0.6):
        icp = f"{prov}ICP备{rng.randrange(10**7, 10**8)}号"
        tail.append((f"版权所有 © {d.year} {org}" if not gov else f"主办：{org}办公室", icp))
    if address and chance(rng, 0.4):
        tail.append((f"地址：{address}", f"邮编：{postcode}"))
    if chance(rng, 0.06):
        tail.append((rng.choice(["技术支持：博达软件", "技术支持：新网络科技"]),))
    for line in tail:
        s.bp(*line, sep=rng.choice(["  ", "\u3000"]))
    return s.text(), truth(
        a, paragraphs, s.boilerplate, publication=publication, authors=authors, published_at=stamp(d, t, False)
    )


# ---------------------------------------------------------------------------
# The held-out layouts and their rendering
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LegacyLayout(Layout):
    """A Layout whose pages may be in a legacy encoding (Big5, Shift_JIS, ...): those are
    tried first with their shares and fall back to UTF-8 for a page they cannot encode."""

    legacy: tuple[tuple[str, float], ...] = ()

    def render(self, article: Article, rng: random.Random) -> tuple[bytes, dict]:
        crlf = chance(rng, self.crlf)
        text, fact = self.build(article, rng, "")
        roll = rng.random()
        encoding = "utf-8"
        for name, share in fact.pop("legacy", None) or self.legacy:  # a build may name its own shares
            if roll < share:
                encoding = name
                break
            roll -= share
        if crlf:
            text = text.replace("\n", "\r\n")
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            encoding = "utf-8"
            data = text.encode(encoding)
        fact.update(layout=self.name, encoding=encoding, crlf=crlf)
        return data, fact


HELDOUT: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        # Big5 on half of the 明報 pages and 15% of the udn pages (the build says which).
        LegacyLayout("hk_tw_news", ".txt", "zh-Hant", hk_tw_news),
        LegacyLayout("app_reprint", ".txt", "zh", app_reprint, legacy=(("gb18030", 0.05),), crlf=0.1),
        LegacyLayout("pdf_dump", ".txt", "zh", pdf_dump, legacy=(("gb18030", 0.1),), crlf=0.1),
        LegacyLayout("jp_news", ".txt", "ja", jp_news, legacy=(("shift_jis", 0.10), ("euc_jp", 0.05)), crlf=0.1),
        LegacyLayout("en_agency", ".txt", "en", en_agency, crlf=0.15),
        LegacyLayout("campus_news", ".txt", "zh", campus_news, legacy=(("gb18030", 0.15),), crlf=0.2),
    )
}


SENTENCE = re.compile(r"[^。！？.!?]+[。！？.!?]+[”’」』\"]?")


def without_repeats(a: Article) -> Article | None:
    """The article less every paragraph that repeats a sentence of an earlier one (the pool's
    remix can draw a sentence twice; no real article does, and a PDF dump wraps two such
    paragraphs into identical lines); None if fewer than three paragraphs are left."""
    seen: set[str] = set()
    kept = []
    for p in a.paragraphs:
        sentences = [x.strip() for x in SENTENCE.findall(p)] or [p]
        if any(x in seen for x in sentences) or len(set(sentences)) < len(sentences):
            continue
        seen.update(sentences)
        kept.append(p)
    if len(kept) < 3 and len(kept) < len(a.paragraphs):
        return None
    return Article(a.title, tuple(kept), a.date, a.lang, a.origin, a.others, a.subtitle)


def render(out: Path, pages: int, seed: int, chosen: list[str]) -> list[dict]:
    """OUT/raw/<layout>/NNNNNN.txt and OUT/truth.jsonl (deterministic per seed), like layouts.render_gallery."""
    out = Path(out)
    pool = load_pool()
    zh_en = Composer(pool)
    ja = Composer(Pool(JA_TITLES, JA_SENTENCES, (), pool.en_titles, pool.en_paragraphs))
    master = random.Random(seed)
    truths: list[dict] = []
    for name in chosen:
        (out / "raw" / name).mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        for name in chosen:
            layout = HELDOUT[name]
            rng = random.Random(master.getrandbits(64))
            origin = f"o{len(truths):06d}"
            a = None
            for _ in range(50):
                if layout.lang == "ja":
                    a = ja.article(rng, "zh", origin=origin)
                    a = Article(a.title, a.paragraphs, a.date, "ja", a.origin, a.others, None)
                else:
                    a = zh_en.article(rng, "en" if layout.lang == "en" else "zh", origin=origin)
                clean = without_repeats(a)
                if clean is not None:
                    a = clean
                    break
            if layout.lang == "zh-Hant":
                a = hant_article(a)
            data, fact = render_one(layout, a, rng)
            relative = f"{name}/{i:06d}{layout.suffix}"
            (out / "raw" / relative).write_bytes(data)
            truths.append({"source_path": relative, **fact, "kind": "original"})
    with (out / "truth.jsonl").open("w", encoding="utf-8") as handle:
        for fact in truths:
            handle.write(json.dumps(fact, ensure_ascii=False) + "\n")
    return truths


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

COLUMNS = ("text_exact", "title", "date", "publication", "authors", "boilerplate_left", "body_lines_lost")
EXTRA = ("published_at", "rejected", "missing")


def table(report: dict) -> str:
    cols = [c for c in COLUMNS + EXTRA if c in report["overall"]]
    head = ["layout", "pages", *cols]
    rows = [[name, s["pages"], *(s[c] for c in cols)] for name, s in report["layouts"].items()]
    rows.append(["overall", report["overall"]["pages"], *(report["overall"][c] for c in cols)])
    return text_table(head, rows, total=True)


def main(argv: list[str] | None = None) -> None:
    more_layouts.run_families(
        argv,
        HELDOUT,
        render,
        table,
        lambda seed: Path(tempfile.gettempdir()) / f"heldout_layouts_seed{seed}",
        1,
        __doc__.splitlines()[0],
    )


if __name__ == "__main__":
    main()
