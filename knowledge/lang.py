"""Language and slug helpers shared by the loaders, the chunker and the chat pipeline."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def detect_lang(text: str) -> str:
    """``"zh"`` when a good share of the text is CJK ideographs, else ``"en"``. An ideograph is
    weighed against a Latin *word* (one Chinese character carries about as much as a word), so a
    Chinese question naming an English product stays Chinese.

    >>> detect_lang("我的订单在哪里"), detect_lang("where is my order")
    ('zh', 'en')
    >>> detect_lang("Chronicles of Ember (PS4) 多少钱？"), detect_lang("How much is the 小米 phone?")
    ('zh', 'en')
    """
    cjk = len(_CJK.findall(text))
    if not cjk:
        return "en"
    words = len(_LATIN_WORD.findall(text))
    return "zh" if cjk / (cjk + words) > 0.4 else "en"


def slugify(text: str) -> str:
    """``"How do I cancel an order?"`` → ``"how-do-i-cancel-an-order"`` (CJK kept)."""
    slug = re.sub(r"[^\w\u3400-\u9fff]+", "-", text.lower()).strip("-")
    return slug[:80] or "section"


# Traditional characters → their Simplified forms, for the characters of shop questions and
# documents (order, shipping, payment, product and everyday words), so "運費怎麼算" matches a
# Simplified "运费怎么算" on characters. One character each; characters shared by both scripts
# are not listed. (A full converter, e.g. OpenCC, would cover rarer characters.)
_TRAD = (
    "運費麼貨現嗎幾個錢價買賣機戲遊電號寫詩語說話請們這還點時間數碼單訂購帳賬戶會員優禮換發稅關實體門開營業過聯繫絡線網頁區國"
    "際輸達遞郵鐘錶續蓋裝擇選項顏裡裏邊沒問題應該讓給從對錯壞損傷補庫車輛備倉儲滿減額積兌銀轉驗證記錄註銷務聽筆腦螢擊鍵盤聲響"
    "藍無長攝頭鏡廚鍋壺熱溫護膚髮兒書讀閱紙張視劇樂詞圖畫飛雲風陽陰氣東臉腳麗愛親樣種類貴計總結紅綠黃鐵鋼鋁塊條雙幫為與於來後"
    "擁斷纔並隻臺檯麵歲週燈鬧簡雜誌報廣搖桿賽競戰鬥槍彈劍術農場園墊啞鈴籃騎夾絨褲襪圍動訓練養潔鬚遙處辦寶貝兩萬億當經歷將傳識"
    "認產質標準詳細規參設製廠適薦謝歡據導師學習隊級顯節約舊資進歐韓紐倫灣鎖撥隨刪冊維壽階層獲贈領預餘啟閉驟態遲誤鬆緊貼寬襯帶"
    "鈕環鏈墜鑽藥醫療聞覺夢戀憶慮驚嚇雖卻誰麽幹乾淨髒亂穩確況狀權責義觀統舉議論壇纜頻訊蘋華爲極慶婦孫爺媽鄰鄉鎮縣陸島嶼灘渦濕"
    "災難險壓縮擴彎齊測試檢審簽協調貸賠償罰專屬劃紀檔硯鉛膠綫針釦鍊閃爍輕軟濃鹹澀餅飯湯雞鴨鵝豬魚蝦鹽醬飲漿衛廁櫃櫥牀簾傢俱樓"
    "眾勢榮譽獎勵懲誇讚評贏勝負敗賭豐儉窮貧賺虧賒債繳納匯幣鈔圓團藝勞龍鳥馬館誕滅擔憂曆彙構槓"
    "織鑄頸燉琺瑯靈爐傘編輪離濾繩顆潛劑霧纖鬍監盞謎飾創"  # the catalogue's product words (編織, 琺瑯, 負離子…)
)
_SIMP = (
    "运费么货现吗几个钱价买卖机戏游电号写诗语说话请们这还点时间数码单订购账账户会员优礼换发税关实体门开营业过联系络线网页区国"
    "际输达递邮钟表续盖装择选项颜里里边没问题应该让给从对错坏损伤补库车辆备仓储满减额积兑银转验证记录注销务听笔脑萤击键盘声响"
    "蓝无长摄头镜厨锅壶热温护肤发儿书读阅纸张视剧乐词图画飞云风阳阴气东脸脚丽爱亲样种类贵计总结红绿黄铁钢铝块条双帮为与于来后"
    "拥断才并只台台面岁周灯闹简杂志报广摇杆赛竞战斗枪弹剑术农场园垫哑铃篮骑夹绒裤袜围动训练养洁须遥处办宝贝两万亿当经历将传识"
    "认产质标准详细规参设制厂适荐谢欢据导师学习队级显节约旧资进欧韩纽伦湾锁拨随删册维寿阶层获赠领预余启闭骤态迟误松紧贴宽衬带"
    "钮环链坠钻药医疗闻觉梦恋忆虑惊吓虽却谁么干干净脏乱稳确况状权责义观统举议论坛缆频讯苹华为极庆妇孙爷妈邻乡镇县陆岛屿滩涡湿"
    "灾难险压缩扩弯齐测试检审签协调贷赔偿罚专属划纪档砚铅胶线针扣链闪烁轻软浓咸涩饼饭汤鸡鸭鹅猪鱼虾盐酱饮浆卫厕柜橱床帘家具楼"
    "众势荣誉奖励惩夸赞评赢胜负败赌丰俭穷贫赚亏赊债缴纳汇币钞圆团艺劳龙鸟马馆诞灭担忧历汇构杠"
    "织铸颈炖珐琅灵炉伞编轮离滤绳颗潜剂雾纤胡监盏谜饰创"
)
_TO_SIMPLIFIED = str.maketrans(_TRAD, _SIMP)
# Words Taiwan and Hong Kong shoppers use where the documents use the mainland word (after the
# characters are simplified), as OpenCC's tw2sp phrase table does.
_REGIONAL = {"保固": "保修", "帐号": "账号", "软体": "软件", "硬碟": "硬盘", "萤幕": "屏幕", "滑鼠": "鼠标",
             "网路": "网络", "讯息": "信息", "列印": "打印", "影片": "视频", "资料夹": "文件夹", "宅配": "快递", "超商取货": "自提", "门市": "门店", "实体店面": "实体店", "折价券": "优惠券", "优惠券码": "优惠码"}
_REGIONAL_RE = re.compile("|".join(sorted(map(re.escape, _REGIONAL), key=len, reverse=True)))


def to_simplified(text: str) -> str:
    """``text`` with its Traditional characters written in Simplified form and the regional words
    of Taiwan and Hong Kong replaced by the mainland ones (保固 → 保修).

    >>> to_simplified("運費怎麼算？有現貨嗎"), to_simplified("保固多久")
    ('运费怎么算？有现货吗', '保修多久')
    """
    simplified = text.translate(_TO_SIMPLIFIED)
    return _REGIONAL_RE.sub(lambda m: _REGIONAL[m.group(0)], simplified) if simplified else simplified


# Shoppers' words → the word the store's documents use for the same thing (after simplifying), so that
# a question matches on characters what it means: "退钱" is a refund (退款), "邮费" the shipping fee
# (运费), "质保" the warranty (保修). Applied to questions and documents alike (:func:`zh_terms`).
SHOP_SYNONYMS = {
    "退钱": "退款", "返钱": "退款", "退费": "退款", "返款": "退款", "把钱退": "退款",
    "邮费": "运费", "快递费": "运费", "配送费": "运费", "运输费": "运费", "邮资": "运费",
    "免邮": "包邮", "免运费": "包邮", "免费配送": "包邮", "免费送货": "包邮",
    "质保": "保修", "保修期": "保修", "维修期": "保修",
    "快递公司": "承运商", "物流公司": "承运商", "承运人": "承运商",
    "特快": "加急", "快速配送": "加急配送", "加快配送": "加急配送",
    "隔天到": "次日达", "第二天到": "次日达", "次日送达": "次日达", "隔日达": "次日达",
    "被锁": "锁定", "锁住": "锁定", "冻结账户": "锁定账户",
    "扣了两次": "重复扣款", "扣两次": "重复扣款", "多扣": "重复扣款", "重复收费": "重复扣款", "扣了两笔": "重复扣款",
    "激活码": "兑换码", "序列号": "兑换码", "数位码": "兑换码", "数字码": "兑换码", "点卡": "兑换码",
    "星期天": "周日", "星期日": "周日", "礼拜天": "周日", "礼拜日": "周日", "周天": "周日",
    "星期六": "周六", "礼拜六": "周六", "星期一": "周一", "星期五": "周五",
    "自取": "自提", "上门取货": "自提", "到店取": "自提",
    "包装盒": "原包装", "原装盒": "原包装", "原盒": "原包装",
    "账号": "账户", "帐号": "账户", "帐户": "账户", "公司账户": "企业账户", "商业账户": "企业账户",
    "优惠券": "优惠码", "代金券": "优惠码", "折扣码": "优惠码", "券码": "优惠码",
    "海外": "国际", "国外": "国际", "境外": "国际", "进口税": "关税",
    "调换": "换货", "更换尺码": "换货", "修理": "维修", "返修": "维修",
    "开门": "营业", "营业时间": "营业", "几点上班": "营业时间",
}
_SYNONYMS_RE = re.compile("|".join(sorted(map(re.escape, SHOP_SYNONYMS), key=len, reverse=True)))


def canonical_zh(text: str) -> str:
    """``text`` with shoppers' words written as the documents write them (:data:`SHOP_SYNONYMS`).

    >>> canonical_zh("退钱要付邮费吗"), canonical_zh("质保多久")
    ('退款要付运费吗', '保修多久')
    """
    return _SYNONYMS_RE.sub(lambda m: SHOP_SYNONYMS[m.group(0)], text) if text else text


_ZH_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[.'-][a-z0-9]+)*")


def zh_terms(text: str) -> list[str]:
    """The terms a Chinese text is matched on: its CJK characters (Simplified, shoppers' words as
    the documents write them: :func:`canonical_zh`) one and two at a time, and its Latin words and
    numbers whole. Letters never match inside a word, so a question
    naming "Hearthstone" does not match an FAQ phrasing about "Harbor Lane Protect" letter by letter.

    >>> zh_terms("PS5 光驱版")
    ['ps5', '光', '驱', '版', '光驱', '驱版']
    >>> zh_terms("運費，怎麼算")
    ['运', '费', '怎', '么', '算', '运费', '费怎', '怎么', '么算']
    """
    out: list[str] = []
    cjk: list[str] = []
    for m in _ZH_RUN.finditer(canonical_zh(to_simplified(text).lower())):
        if m.group(0)[0].isascii():
            out.append(m.group(0))
        else:
            cjk.append(m.group(0))
    chars = "".join(cjk)  # punctuation between characters does not break a bigram, as before
    return out + list(chars) + [chars[i:i + 2] for i in range(len(chars) - 1)]
