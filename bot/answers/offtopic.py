"""Chinese requests outside the store's business, decided by what kind of request it is.

A keyword per topic never covers what shoppers ask a chat box ("帮我写一首关于秋天的诗",
"感冒了吃什么好", "北京到上海怎么坐车"). :func:`zh_off_topic` reads the *request* instead:

1. **a task on a non-shop thing** — write / compose (诗, 故事, 作文, 代码, 邮件…), translate,
   calculate or solve, explain a school subject, tell a joke;
2. **a world domain** the store has nothing on — weather, news, politics, sports results,
   markets, medicine, health and diet, pets, law, travel and bookings, cooking, films and
   celebrities, history, literature and stories, geography, numbers and science;
3. **a general-knowledge question form** — "什么是…", "…是谁", "谁发明了…", "为什么…",
   "哪一年…", "有多高/多远" — when nothing in it names a product.

Any of the store's own business (订单, 退货, 配送, 付款, 账户, 商品, 本店…) in the message
makes it a shop question whatever else is in it ("写一封退货申请" is answered); a product word
(:data:`bot.answers.crosslingual.TERMS`, or a Latin name such as "PS5") makes a bare
general-knowledge form or a world domain a product question ("什么是降噪", "Switch 是什么",
"空气炸锅的食谱"), but not a task ("用 Python 写一个计算器程序" is still declined) or a question
about a person ("谁发明了电灯"). A product word with a buying or capability question ("帮我算一下
两个耳机多少钱", "这个计算器能解方程吗") is a shop question (:func:`zh_shop`).

The rules read Simplified text (:func:`knowledge.lang.to_simplified`), so Traditional requests
are decided the same way; a message without Chinese characters is left to the English rules.

>>> zh_off_topic("帮我写一首关于秋天的诗"), zh_off_topic("感冒了吃什么药好"), zh_off_topic("为什么天空是蓝色的")
(True, True, True)
>>> zh_off_topic("我的订单为什么还没到"), zh_off_topic("什么是主动降噪"), zh_off_topic("帮我写一条商品评价")
(False, False, False)
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")

# 1. A task whose object is not the store's: write/compose, translate, calculate/solve, explain a subject.
_TASK = re.compile(
    r"([写作编创]|帮我写|给我写|替我写|起草|续写|改写|润色)(一|几|两)?[首篇段个封份则句]?.{0,10}?"
    r"(诗|词|对联|作文|文章|小说|故事|童话|剧本|歌词|歌|论文|报告|周报|日报|总结|演讲稿|发言稿|简历|求职信|情书|"
    r"祝福语|文案|读后感|观后感|邮件|信|代码|程序|脚本|函数|算法|sql|python|java|html|css|正则|请假条|申请书|检讨|"
    r"借条|欠条|计划书|策划|方案|广告语|口号|标语|贺词|悼词|台词|段子)|"
    r"(起|取)(个|一个|几个)?.{0,8}名字|(单词|词语|成语|这句话|这个词)(是)?什么意思|造句|近义词|反义词|"

    r"翻译|译成|[译翻]成(英文|中文|日语|英语|法语)|用(英文|英语|日语|法语|德语)怎么说|英文怎么说|"
    r"[算计]算|等于(几|多少)|加上?\d|减去?\d|[乘除]以|平方根|开方|方程|微积分|求导|积分|几何|函数的|概率题|"
    r"(数学|物理|化学|生物|语文|英语|历史|地理|政治)(题|作业|考试|怎么学|公式)|公式|定理|作业|习题|考试|考研|高考|中考|四六级|"
    r"讲(个|一个|几个)?(笑话|故事)|说(个|一个)?笑话|笑话|脑筋急转弯|谜语|猜谜|绕口令|成语接龙|"
    r"(用|写).{0,6}(python|java|javascript|c\+\+|golang|sql)|(python|java|javascript|编程|代码|bug|报错)"
)
# 2. World domains a shop has nothing on.
_WORLD = re.compile(
    r"天气|气温|下雨|下雪|台风|雾霾|温度多少|新闻|头条|热搜|时事|总统|总理|主席|政府|政治|选举|战争|外交|国家领导|"
    r"世界杯|奥运|比赛结果|比分|冠军|联赛|nba|欧冠|球星|股票|股市|基金|汇率|比特币|利率|房价|彩票|理财|投资|"
    r"感冒|发烧|咳嗽|头疼|头痛|胃疼|肚子疼|失眠|过敏|高血压|糖尿病|癌|怀孕|症状|吃什么药|吃药|医院|医生|看病|挂号|"
    r"律师|起诉|打官司|离婚|法律|法院|违法|犯法|判刑|劳动法|合同法|赔偿标准|签证|护照|机票|火车票|高铁|航班|"
    r"(肉|鱼|鸡|鸭|虾|菜|汤|面条|饺子|蛋糕|包子|米饭|鸡蛋)怎么做|的歌|歌曲|新歌|专辑|酒店|景点|旅游|旅行攻略|自驾|好玩的地方|哪里好玩|哪儿好玩|去哪(儿)?玩|想去.{1,8}玩|怎么坐车|地铁|公交|攻略|菜谱|食谱|做法|怎么做菜|怎么炒|怎么煮|怎么烧|怎么炖|"
    r"好吃的|餐厅|饭店|外卖|电影|电视剧|综艺|明星|演员|歌手|星座|运势|算命|风水|历史上|朝代|皇帝|战役|"
    r"首都|人口|面积最大|最高的山|最长的河|地球|月球|太阳|宇宙|黑洞|恐龙|光速|进化论|相对论|"
    r"人生的意义|活着的意义|生命的意义|心理咨询|抑郁|谈恋爱|男朋友|女朋友|失恋|表白|追(女|男)(孩|生)|约会|相亲|"
    r"星期几|几号|几点了|现在几点|农历|节日是哪天|时刻表|"
    # health, body and diet
    r"减肥|瘦身|增肌|戒烟|戒酒|孕妇|血压|血糖|疫苗|呕吐|拉肚子|腹泻|入睡|睡不着|睡眠质量|喝多少水|营养|养生|中药|偏方|"
    r"吃什么(好|菜|饭)|今晚吃什么|"
    # pets, home life, money decisions
    r"养猫|养狗|猫咪|狗狗|宠物|买房|租房|房贷|时间管理|"
    # science, numbers and world facts
    r"圆周率|根号|沸点|熔点|光合作用|量子|力学|元素周期|化学式|细胞|基因|行星|太阳系|银河|人工智能会|"
    r"世界上最|有多少个(省|国家|城市|民族)|省会|国花|国旗|国歌|珠穆朗玛|长城|"
    # literature, classics and stories (a book or game about them is a product: "有讲历史的书吗")
    r"西游记|红楼梦|三国|水浒|名著|唐诗|宋词|李白|杜甫|鲁迅|"
    r"(讲|说|聊)(讲|说|聊|一讲|一下|一说)?.{0,8}(故事|历史|传说|神话)|鬼故事"
)
# 3. General-knowledge question forms.
_FORM = re.compile(
    r"^(请问)?(什么是|何为|啥是)|是什么意思|是什么东西$|的意思是|(是|叫)谁|谁(是|发明|发现|写|画|创立|建立|创办|"
    r"统治|赢|获得)|哪(一)?年|哪个朝代|哪个国家|为什么(?!.*[我你您这那还没不又要])|"
    r"^(?!.*[它这那该])..+有?多(高|远|深|长|老)|解释一下|(怎样|怎么|如何)(才能)?(学好|学会|提高)|(离|距离).{1,10}(多远|多少公里)|怎么(学|背|记)|如何(学|背|记|提高)|"
    r"介绍一下.{0,10}(历史|文化|人物|国家|城市)|的(历史|由来|起源)|原理是|是怎么形成的"
)
_WHO = re.compile(r"谁(发明|发现|写|画|创立|建立|创办|统治|赢|获得|唱|演|导演)|(发明|创立|创办|写|画|唱)(的人)?是谁|创始人是谁")
# The store's own business: a message carrying any of it is a shop question whatever else is in it.
_SHOP = re.compile(
    r"订单|单号|下单|发货|配送|快递|物流|包裹|签收|收货|送达|寄到|寄回|退货|退款|退换|换货|退回|保修|质保|维修|售后|"
    r"付款|支付|扣款|扣费|信用卡|支付宝|微信支付|paypal|分期|发票|账户|账号|帐号|密码|登录|注册|注销|会员|积分|"
    r"优惠|折扣|打折|促销|优惠码|优惠券|礼品卡|代金券|运费|包邮|关税|库存|有货|现货|缺货|到货|补货|"
    r"商品|产品|宝贝|购物|购物车|结账|客服|人工|本店|你们|贵店|店里|店铺|网店|商城|官网|隐私|个人信息|"
    r"投诉|差评|评价|评论|礼品包装|这款|那款|这件|这双|这台|送礼|礼物|买(什么|啥|哪)"
)
# Buying words: with a product word they make even a task or a world topic a shop question
# ("帮我算一下两个耳机多少钱", "下雨天穿的外套有货吗").
_BUYING = re.compile(r"买|卖|价格|多少钱|价钱|便宜|太贵|很贵|贵吗|尺码|尺寸|颜色|款式|规格|参数|型号|推荐|适合|送礼|礼物")
# Kinds of product a shop sells that the finder's terms leave out (whole categories).
_KINDS = re.compile(r"[仪儀器]|(?<![飞司时危生契转随动])[机機](?!会|场|构|关|制|票)|设备|配件|装备|用品|书|绘本|小说集|游戏|玩具|衣服|裤|鞋|帽|包|灯|杯|壶|刀|锅|垫|毯|被子|雨伞|眼镜|手套|围巾|礼盒|"
                    r"饮料|零食|茶叶|咖啡|化妆品|洗护|文具|笔记本")
_LATIN_NAME = re.compile(r"[a-z]{2,}\d*|\d+[a-z]+|[a-z]+-?\d+")
_CODE_WORDS = re.compile(r"python|java|javascript|sql|html|css|golang|bug|nba|ai")


_CAN = re.compile(r"(能|可以|支持|带|有没有|是否|会不会).{0,12}(吗|么|没有)[？?]?$|能不能|可不可以|支不支持|有没有")


def _product_free(text: str) -> tuple[str, bool]:
    """``text`` with its product words taken out, and whether it had any: a finder term (计算器,
    耳机), a kind of product (书, 鞋) or a Latin product name ("PS5"). A product word inside a
    world word (火车 in 火车票, 电视 in 电视剧) is not one."""
    from bot.answers.crosslingual import TERMS

    worlds = [m.group(0) for m in _WORLD.finditer(text)]
    rest = _WORLD.sub("\x00", text)
    found = False
    for term in sorted(TERMS, key=len, reverse=True):
        if term in rest:
            found, rest = True, rest.replace(term, " ")
    found = found or bool(_KINDS.search(rest)) or any(
        not _CODE_WORDS.fullmatch(m.group(0)) for m in _LATIN_NAME.finditer(rest))
    for word in worlds:
        rest = rest.replace("\x00", word, 1)
    return rest, found


def has_chinese(text: str) -> bool:
    """Whether ``text`` has a Chinese character (then these rules decide it)."""
    return bool(_CJK.search(text or ""))


def zh_shop(message: str) -> bool:
    """True when a Chinese message carries the store's business: an order, a return, payment…,
    or a product word with a buying or capability question ("帮我算一下两个耳机多少钱",
    "这个计算器能解方程吗"). Such a message is never declined, whatever topic words are in it."""
    from knowledge.lang import to_simplified

    text = to_simplified(message or "").strip().lower()
    if _SHOP.search(text):
        return True
    _, product = _product_free(text)
    return product and bool(_BUYING.search(text) or _CAN.search(text))


def zh_names_shop(message: str) -> bool:
    """True when a Chinese message carries the store's business (:func:`zh_shop`) or names a product."""
    from knowledge.lang import to_simplified

    return zh_shop(message) or _product_free(to_simplified(message or "").strip().lower())[1]


def zh_off_topic(message: str) -> bool:
    """True for a Chinese (Simplified or Traditional) request that is not the store's business."""
    if not has_chinese(message) or zh_shop(message):
        return False
    from knowledge.lang import to_simplified

    text = to_simplified(message).strip().lower()
    rest, product = _product_free(text)
    if _TASK.search(rest) or (_WORLD.search(rest) and not product):  # "空气炸锅的食谱" is about the fryer
        return True
    if _WHO.search(rest):  # "谁发明了电灯": a person, whatever the thing
        return True
    return bool(_FORM.search(rest)) and not product
