"""Turns that need no knowledge lookup: small talk, and requests outside the store's business.

:func:`small_talk` recognises a message made only of pleasantries ("thanks, that helps!",
"great, bye", "ok cool") and says which kind; :func:`off_topic` recognises general-knowledge
and creative requests ("What is the capital of Australia?", "Write me a poem about the sea")
that a shop assistant declines — unless the message also carries the store's own business
("Do you ship to Australia?" is a shipping question).

>>> small_talk("thanks, that helps!"), small_talk("great, bye"), small_talk("Where is my order?")
('thanks', 'goodbye', None)
>>> off_topic("Who won the 2018 World Cup?"), off_topic("Do you ship to Australia?")
(True, False)
"""

from __future__ import annotations

import re

_THANKS = (r"thanks?( you)?( (so|very) much| a lot| again)?|thank u|thx|ty|cheers|much appreciated|"
           r"appreciate it|谢谢(你|您)?|多谢|感谢")
_OK = (r"ok(ay)?|great|perfect|awesome|cool|nice|good|excellent|wonderful|fantastic|super|got it|understood|"
       r"that helps?|that('s| is| was) ((really|very|so|super|most) )?(helpful|great|perfect|all|it|everything)|"
       r"this helps|(really |very )?helpful|"
       r"all good|sounds good|no problem|np|好的|好|明白了|知道了|太好了|没问题")
_BYE = r"bye|goodbye|good bye|bye bye|see (you|ya)|have a (nice|good|great) (day|one|evening)|take care|再见|拜拜"
_HELLO = (r"hi|hello|hey|hiya|howdy|yo|greetings|namaste|good (morning|afternoon|evening|day)|(hi|hello|hey) there|"
          r"(is )?(any ?one|some ?one|any ?body) (there|here|around)|are you there|你好|您好|嗨|哈喽|在吗|在不在")
_HOW = r"how are (you|u|things)( (doing|today|doing today))?|how('s| is) it going|how do you do|你好吗|最近怎么样"
_WHO = (r"who (am i|are we) (talking|speaking|chatting) (to|with)|who are you|what are you|are you (a )?(bot|robot|ai|"
        r"chatbot|machine)|what('s| is) your name|你是谁|你是机器人吗")
_PIECE = re.compile(rf"^(?:(?P<t>{_THANKS})|(?P<o>{_OK})|(?P<b>{_BYE})|(?P<h>{_HELLO})|(?P<w>{_HOW})|(?P<q>{_WHO}))$", re.I)
_SPLIT = re.compile(r"[\s]*[,.!?;:~，。！？；]+[\s]*|\s+(?=and\b)|^\s*(?:and|so|oh|ah|well)\s+", re.I)

REPLIES = {
    "thanks": {"en": "You're welcome! Is there anything else I can help you with?",
               "zh": "不客气！还有什么可以帮您的吗？"},
    "goodbye": {"en": "Thanks for stopping by — have a great day!", "zh": "感谢您的光临，祝您愉快！"},
    "ok": {"en": "Glad that helped. Anything else you'd like to know?", "zh": "很高兴能帮到您。还有其他问题吗？"},
    "hello": {"en": "Hello! I'm the store's shopping assistant. Ask me about a product, an order, shipping or returns.",
              "zh": "您好！我是本店的购物助手，可以帮您查询商品、订单、配送和退货。"},
    "how": {"en": "I'm doing well, thanks for asking! What can I help you with today?",
            "zh": "我很好，谢谢关心！今天有什么可以帮您的？"},
    "who": {"en": "I'm the store's virtual shopping assistant: I answer questions about our products, orders, shipping, "
                  "returns and payment, and I can bring in a person from our team if you need one.",
            "zh": "我是本店的智能购物助手，可以回答商品、订单、配送、退货和付款方面的问题，需要时也可以帮您转人工。"},
}


def small_talk(message: str) -> str | None:
    """``"thanks" | "goodbye" | "ok" | "hello" | "how" | "who"`` when every piece of the message is a pleasantry, else ``None``."""
    pieces = [p.strip() for p in _SPLIT.split(message.strip()) if p and p.strip()]
    pieces = [re.sub(r"^(and|so|oh|ah|well|yes|yeah|yep)\s+", "", p, flags=re.I) for p in pieces]
    if not pieces or len(message) > 80:
        return None
    kinds: list[str] = []
    for piece in pieces:
        found = _pleasantries(piece)
        if found is None:
            return None
        kinds.extend(found)
    for kind in ("goodbye", "thanks", "who", "how", "hello"):
        if kind in kinds:
            return kind
    return "ok"


def _pleasantries(piece: str) -> list[str] | None:
    """The kinds of the pleasantries ``piece`` is made of, word runs matched longest first
    (``"ok cool thanks"`` → ``["ok", "ok", "thanks"]``), or ``None`` if anything else is in it."""
    words = piece.split()
    kinds, start = [], 0
    while start < len(words):
        for end in range(len(words), start, -1):
            m = _PIECE.match(" ".join(words[start:end]))
            if m:
                kinds.append(next(k for g, k in (("t", "thanks"), ("b", "goodbye"), ("h", "hello"), ("w", "how"),
                                                  ("q", "who"), ("o", "ok")) if m.group(g)))
                start = end
                break
        else:
            return None
    return kinds


_GENERAL = re.compile(
    r"\b(weather|forecast|capital (city )?of|who (won|invented|discovered|wrote|painted|is the (president|king|queen|"
    r"prime minister|ceo))|world cup|super bowl|olympics|election|president of|prime minister|population of|"
    r"meaning of life|horoscope|lottery|stock price|bitcoin|crypto|"
    r"(write|compose|tell|give) me (a|an|some) (poem|song|story|joke|essay|haiku|limerick|riddle)|"
    r"\b(poem|haiku|limerick|essay) (about|on)|tell me a joke|translate|solve (this|the) (equation|problem)|"
    r"recipe for|how do i cook|homework|capital|history of|what year did|when did .+ (die|born|happen))\b|"
    r"天气|首都|世界杯|写一首|写首诗|讲个笑话|总统|翻译",
    re.I,
)
# The same kinds of request in Chinese (Simplified and Traditional): weather and dates, creative writing
# and code, sums, finance, films and music, recipes, health, travel bookings, general knowledge.
_GENERAL_ZH = re.compile(
    r"天[气氣]|气温|氣溫|下雨|星期[几幾]|[礼禮]拜[几幾]|今天[几幾]号|今天[几幾]號|[几幾]月[几幾][号號日]|[现現]在[几幾]点|"
    r"[现現]在[几幾]點|首都|世界杯|世界盃|奥运|奧運|[冠亚亞]军是|[冠亞]軍是|[总總]统|[总總]理|新[闻聞]|"
    r"[写寫](?![给給的])(一|几|幾)?[首篇段个個]?.{0,8}(诗|詩|作文|文章|小[说說](?![书書])|故事(?![书書])|歌[词詞]?|代[码碼]|程序|[论論]文|作[业業])|"
    r"作文|情[诗詩]|[讲講说說]个?笑[话話]|笑[话話]|翻[译譯]|[乘除]以|等于多少|等於多少|[算计計]算一下|算一下|"
    r"股市|股票|基金|比特[币幣]|加密[货貨][币幣]|彩票|星座|[运運]势|[运運]勢|"
    r"[部场場].{0,6}[电電]影|[电電]影(推荐|推薦|院|票)|好看的[电電]影|[电電]视剧|[电電]視劇|综艺|綜藝|歌曲?叫什么|最新的歌|歌手|"
    r"(怎么|怎麼|如何|怎样|怎樣)(做|烧|燒|炒|煮|炖|燉)[才]?(好吃)?[？?]?$|做法|食[谱譜]|菜[谱譜]怎么|"
    r"餐[厅廳]|饭[馆店]|飯[館店]|吃什么[药藥]|吃什麼[藥]|看病|医生|醫生|"
    r"机票|機票|火车票|火車票|高铁|高鐵|[订訂](一张|一張|酒店)|"
    r"人生的意[义義]|人生意[义義]|月球离|月球離|离地球|離地球|太阳系|太陽系|(怎样|怎么|如何|怎樣|怎麼)(才能)?学好|(怎样|怎么|如何|怎樣|怎麼)(才能)?學好|"
    r"高考",
)
_STORE = re.compile(
    r"\b(order|orders|ship|shipping|shipped|deliver|delivery|return|returns|refund|exchange|price|cost|buy|"
    r"purchase|cart|checkout|pay|payment|account|password|membership|warranty|stock|discount|coupon|promo|"
    r"gift card|invoice|track|tracking|store|shop|product|sell|catalogue|catalog)\b|订单|訂單|发货|發貨|配送|退货|退貨|"
    r"退款|购买|購買|账户|帳戶|会员|會員|保修|保固|优惠|優惠|库存|庫存|有[货貨]|[现現][货貨]|包邮|运费|運費|发票|發票|"
    r"礼品卡|禮品卡|本店|你们店|你們店|店里|店裡|商品|产品|產品",
    re.I,
)

DECLINE = {
    "en": "I'm the store's shopping assistant, so I can only help with our products, orders, shipping, "
          "returns, payment and your account. Is there something like that I can help you with?",
    "zh": "我是本店的购物助手，只能回答关于商品、订单、配送、退货、付款和账户的问题。有这方面需要帮忙的吗？",
}


# Another retailer's prices ("京东上iPhone 16多少钱", "How much is it on Amazon?") are not ours to give;
# comparing with ours ("do you price-match Amazon?", "比京东便宜吗") is a shop question.
_OTHER_STORE = re.compile(r"京东|淘宝|天猫|拼多多|亚马逊|苏宁|唯品会|闲鱼|抖音商城|\b(?:on|at|from|in) (?:amazon|ebay|walmart|"
                          r"best ?buy|target|costco|aliexpress|temu|taobao|jd(?:\.com)?)\b", re.I)
_THEIR_PRICE = re.compile(r"多少钱|价格|价钱|售价|卖|啥价|什么价|几块钱|how much|price|cost|sell", re.I)
_OUR_SIDE = re.compile(r"你们|您们|本店|贵店|店里|价格匹配|保价|比价|比.{0,8}(便宜|贵)|\b(you|your|yours|match|"
                       r"matching|cheaper|beat)\b", re.I)


def other_store_price(message: str) -> bool:
    """True for a question about another retailer's price, not ours:

    >>> other_store_price("京东上iPhone 16多少钱"), other_store_price("Do you match Amazon's price?")
    (True, False)
    """
    return bool(_OTHER_STORE.search(message) and _THEIR_PRICE.search(message) and not _OUR_SIDE.search(message))


def off_topic(message: str) -> bool:
    """True for a general-knowledge or creative request that names none of the store's business."""
    from bot.answers.offtopic import has_chinese, zh_names_shop, zh_off_topic  # Chinese: by the kind of request

    if zh_off_topic(message) or other_store_price(message):
        return True
    general = bool(_GENERAL.search(message) or _GENERAL_ZH.search(message)) and not _STORE.search(message)
    return general and not (has_chinese(message) and zh_names_shop(message))  # "空气炸锅的食谱" asks about the fryer
