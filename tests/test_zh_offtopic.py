"""Chinese requests outside the store's business are declined; every shop question is not.

Development questions written for this rule set (not taken from the benchmark files)."""

import pytest

from bot.answers.offtopic import zh_off_topic
from bot.answers.smalltalk import off_topic

OFF_TOPIC = [
    # writing and creative tasks
    "帮我写一首关于秋天的诗", "给我写个童话故事，讲小兔子的", "帮我写一篇800字的作文，题目是我的妈妈",
    "写一段生日祝福语送给我奶奶", "帮我起草一封求职信", "帮我写一份工作周报", "替我写一篇读后感",
    "能不能帮我写首歌词", "寫一篇關於友誼的文章",
    # code
    "用Python写一个冒泡排序", "这段Java代码报错了怎么办", "怎么用SQL查询重复的数据",
    # translation, sums, homework
    "把这句话翻译成英文：今天很开心", "“你好”用日语怎么说", "帮我算一下 37 乘以 48", "三角形的面积公式是什么",
    "这道数学题怎么做：x+5=12", "明天物理考试怎么复习", "英语作业不会做，帮帮我",
    # jokes and games
    "讲个笑话吧", "来个脑筋急转弯", "出个谜语给我猜",
    # weather, news, politics, sport, money
    "明天上海会下雨吗", "今天的新闻头条是什么", "美国总统是谁", "上届欧冠冠军是哪个队", "最近股市怎么样",
    "比特币还能涨吗", "人民币兑美元汇率多少",
    # medicine, law, relationships
    "感冒了吃什么药好", "最近老是失眠怎么办", "孩子发烧38度要去医院吗", "离婚财产怎么分", "被公司辞退可以起诉吗",
    "男朋友不理我怎么办",
    # travel, food, entertainment
    "北京到上海的高铁要多久", "去日本旅游要办签证吗", "红烧肉的做法", "附近有什么好吃的", "最近有什么好看的电视剧",
    "周杰伦是哪一年出道的",
    # general knowledge
    "为什么天空是蓝色的", "世界上最高的山是哪座", "什么是相对论", "长城有多长", "唐朝是哪个皇帝建立的",
    "月亮离地球有多远", "恐龙是怎么灭绝的", "谁发明了电灯", "苹果公司的创始人是谁",
    # a task stays a task when it names a product
    "写一首关于耳机的诗", "用Python写一个计算器程序",
]

SHOP = [
    # orders and shipping
    "我的订单到哪了", "下单后多久发货", "快递显示已签收但我没收到", "能寄到香港吗", "可以改收货地址吗",
    "包裹在路上坏了怎么办", "为什么我的订单还没到",
    # returns and warranty
    "收到的东西坏了可以退吗", "退货要自己付运费吗", "退款多久到账", "耳机保修多长时间", "可以换一个尺码吗",
    # payment and account
    "可以用支付宝付款吗", "付款失败了怎么办", "怎么注销账号", "忘记密码了", "积分怎么用", "会员有什么好处",
    "你们会保护我的个人信息吗", "进口要交关税吗",
    # products
    "PS5 光盘版还有货吗", "这款耳机多少钱", "什么是主动降噪", "Switch 是什么", "这个计算器能解方程吗",
    "帮我算一下买两个手柄多少钱", "帐篷防水吗", "有没有适合旅游用的背包", "下雨天穿的外套有推荐吗",
    "有没有关于旅行的书", "你们卖咖啡豆吗", "跑鞋有哪些颜色", "有没有菜谱类的书",
    # recommendations and complaints
    "推荐一款跑鞋", "帮我挑一个帐篷", "有什么适合送给爸爸的礼物", "客服态度太差了我要投诉", "包装破了很生气",
    # small talk and store questions
    "你好", "谢谢你", "你们几点上班", "帮我写一条商品评价", "你们有实体店吗",
    # a world topic about a product is a product question
    "空气炸锅的食谱", "下雨天能用这个帐篷吗", "有没有关于历史的书", "去日本旅游带什么充电器", "電影投影儀推薦",
]


@pytest.mark.parametrize("message", OFF_TOPIC)
def test_chinese_off_topic_declined(message):
    assert zh_off_topic(message)
    assert off_topic(message)


@pytest.mark.parametrize("message", SHOP)
def test_chinese_shop_question_answered(message):
    assert not zh_off_topic(message)
    assert not off_topic(message)


def test_enough_development_questions():
    assert len(OFF_TOPIC) >= 40 and len(SHOP) >= 40


def test_english_and_empty_are_not_judged_here():
    assert not zh_off_topic("Who won the 2018 World Cup?")
    assert not zh_off_topic("")
