"""Chinese questions about an English catalogue: what the product finder can match in them.

A question such as "PS5 光驱版多少钱？" or "任天堂Switch的价格" names its product partly in
Latin letters (model numbers, "PS5", "Switch", "DX-11") and partly in Chinese. The finder's
lexical half reads the Latin tokens as they are; :func:`lexical_query` adds the English words
of the common shop terms it finds (brands such as 任天堂 → Nintendo, and product words such as
光驱版 → disc edition, 手柄 → controller), so they match the English titles too. The dense
half comes from the cross-lingual embedder (:class:`bot.answers.catalogue.CatalogueIndex`),
whose cosines :func:`relative` makes comparable with the lexical share.

>>> lexical_query("PS5 光驱版多少钱？")
'PS5 光驱版多少钱？ disc edition'
>>> lexical_query("任天堂Switch的价格")
'任天堂Switch的价格 nintendo'
"""

from __future__ import annotations

import re

# Common shop terms → the English words a catalogue title uses for them (brands, then product words).
TERMS = {
    "任天堂": "nintendo", "索尼": "sony", "微软": "microsoft", "小米": "xiaomi", "红米": "redmi", "三星": "samsung",
    "苹果": "apple", "华为": "huawei", "联想": "lenovo", "戴尔": "dell", "惠普": "hp", "罗技": "logitech",
    "飞利浦": "philips", "卡西欧": "casio", "松下": "panasonic", "佳能": "canon", "尼康": "nikon",
    "光驱版": "disc edition", "光盘版": "disc edition", "数字版": "digital edition", "标准版": "standard edition",
    "豪华版": "deluxe edition", "手柄": "controller", "控制器": "controller", "游戏机": "console", "主机": "console",
    "耳机": "headphones", "耳麦": "headset", "音箱": "speaker", "音响": "speaker", "回音壁": "soundbar",
    "充电器": "charger", "充电宝": "power bank", "移动电源": "power bank", "数据线": "cable", "方向盘": "racing wheel",
    "鼠标": "mouse", "键盘": "keyboard", "显示器": "monitor", "电视": "tv", "手表": "watch", "智能手表": "smartwatch",
    "相机": "camera", "摄像头": "camera", "存储卡": "memory card", "内存卡": "memory card", "固态硬盘": "ssd",
    "硬盘": "drive", "路由器": "router", "电水壶": "kettle", "水壶": "kettle", "空气炸锅": "air fryer",
    "咖啡机": "coffee maker", "吸尘器": "vacuum cleaner", "风扇": "fan", "电熨斗": "iron", "熨斗": "iron",
    "计算器": "calculator", "礼品卡": "gift card", "降噪": "noise cancelling", "无线": "wireless", "蓝牙": "bluetooth",
    "平板": "pad tablet", "手机": "phone", "帐篷": "tent", "背包": "backpack", "锅": "pan",
    "保温水壶": "insulated water bottle", "保温杯": "insulated bottle", "水杯": "bottle", "锅具": "cookware",
    "不锈钢": "stainless steel", "意式咖啡机": "espresso machine", "精装版": "hardcover", "平装版": "paperback",
    "羊毛": "wool", "美利奴": "merino", "袜": "socks", "登山": "hiking", "扫地机器人": "robot vacuum",
    "电动牙刷": "electric toothbrush", "牙刷": "toothbrush", "航天飞机": "space shuttle", "积木": "building set",
    "科学实验": "science lab", "实验套装": "lab kit", "套装": "set", "吹风机": "hair dryer", "睡袋": "sleeping bag",
    "运动相机": "action camera", "遥控": "remote control", "越野车": "off-road truck", "跑鞋": "running shoes",
    "羽绒服": "down jacket", "羽绒外套": "down jacket", "外套": "jacket", "夹克": "jacket", "雨衣": "rain jacket",
    "冲锋衣": "rain jacket", "登山鞋": "hiking boots", "徒步鞋": "hiking boots", "运动鞋": "sneakers", "帆布鞋": "canvas sneakers",
    "拖鞋": "slide sandals", "袜子": "socks", "毛线帽": "beanie", "牛仔裤": "jeans", "紧身裤": "leggings", "T恤": "t-shirt",
    "手持吸尘器": "stick vacuum", "破壁机": "blender", "搅拌机": "blender", "料理机": "blender",
    "烤面包机": "toaster", "多功能锅": "multi-cooker", "电压力锅": "multi-cooker", "磨豆机": "grinder", "咖啡豆": "coffee beans",
    "手冲壶": "gooseneck kettle", "炒锅": "frying pan", "平底锅": "frying pan", "煎锅": "frying pan", "铸铁锅": "dutch oven",
    "菜刀": "knife", "主厨刀": "chef's knife", "砧板": "cutting board", "菜板": "cutting board", "浴巾": "bath towel",
    "毛巾": "towel", "床单": "sheet set", "枕头": "pillow", "保鲜盒": "food storage", "香薰机": "aroma diffuser",
    "睡垫": "sleeping pad", "防潮垫": "sleeping pad", "登山包": "hiking backpack", "双肩包": "backpack", "头灯": "headlamp",
    "炉具": "camp stove", "露营椅": "camp chair", "折叠椅": "folding chair", "登山杖": "trekking poles", "瑜伽垫": "yoga mat",
    "哑铃": "dumbbells", "弹力带": "resistance bands", "篮球": "basketball", "足球": "soccer ball", "头盔": "helmet",
    "智能音箱": "smart speaker", "插座": "smart plug", "智能插座": "smart plug", "门铃": "doorbell",
    "温控器": "thermostat", "灯泡": "bulb", "拍立得": "instant camera", "相纸": "instant film", "电子书": "e-reader",
    "阅读器": "e-reader", "手环": "smartwatch", "护肤": "skin care", "面霜": "moisturizer", "洗面奶": "cleanser",
    "精华": "serum", "洗发水": "shampoo", "护发素": "conditioner", "剃须刀": "trimmer", "胡须": "beard", "牙刷头": "brush heads",
    "唇膏": "lip balm", "火车": "train", "拼图": "puzzle", "桌游": "board game", "毛绒": "plush",
    "无人机": "drone", "机器人": "robot", "充电座": "charging station", "充电底座": "charging dock", "收纳包": "carrying case",
    "耳塞": "earbuds", "蓝牙耳机": "earbuds", "头戴式": "headphones", "条形音箱": "soundbar",
    # more kinds of product the demo catalogue and shops like it sell, as shoppers name them
    "平装本": "paperback", "平装书": "paperback", "精装本": "hardcover", "精装书": "hardcover", "派对音箱": "party speaker",
    "开放式": "open-ear", "真无线": "true wireless", "游戏耳机": "gaming headset", "快充": "fast charger",
    "充电支架": "charging stand", "无线充": "wireless charging", "监控摄像头": "security camera", "恒温器": "thermostat",
    "智能灯泡": "smart bulb", "tf卡": "memory card", "固态": "ssd", "配件包": "accessory kit", "电子阅读器": "e-reader",
    "厨师刀": "chef's knife", "不粘锅": "nonstick frying pan", "珐琅锅": "enameled dutch oven", "滴滤咖啡机": "drip coffee maker",
    "美式咖啡机": "drip coffee maker", "电热水壶": "kettle", "吐司机": "toaster", "多士炉": "toaster", "扫地机": "robot vacuum",
    "记忆枕": "memory foam pillow", "记忆棉": "memory foam", "自充气": "self-inflating", "徒步背包": "hiking backpack",
    "保温瓶": "insulated water bottle", "户外椅": "camp chair", "可调节": "adjustable", "匹克球": "pickleball",
    "骑行头盔": "bike helmet", "自行车头盔": "bike helmet", "羽绒": "down", "抓绒": "fleece", "羊毛袜": "wool socks",
    "徒步裤": "hiking pants", "登山裤": "hiking pants", "凉拖": "slide sandals", "发光鞋": "light-up sneakers",
    "食谱书": "cookbook", "保湿霜": "moisturizer", "防晒": "spf", "洁面": "cleanser", "玻尿酸": "hyaluronic serum",
    "电吹风": "hair dryer", "替换刷头": "replacement brush heads", "修剪器": "trimmer", "润唇膏": "lip balm",
    "灯塔": "lighthouse", "木制火车": "wooden train", "海獭": "sea otter", "棋盘游戏": "board game", "卡牌": "card game",
    "遥控车": "rc", "卡车": "truck", "编程机器人": "coding robot", "装扮": "dress-up", "赛车方向盘": "racing wheel",
    # the rest of the demo catalogue, kind by kind (its title words, subcategory and attributes), as shoppers name them
    "翻新机": "refurbished", "翻新": "refurbished", "有线手柄": "wired controller", "有线": "wired", "踏板": "pedals",
    "收纳盒": "carrying case", "收纳箱": "carrying case", "便携包": "carrying case", "散热片": "heatsink",
    "充值卡": "gift card", "点卡": "gift card", "赛车游戏": "racing", "竞速游戏": "racing", "卡丁车": "karts",
    "拉力赛": "rally", "摩托车游戏": "moto", "角色扮演": "rpg", "角色扮演游戏": "rpg", "射击游戏": "shooter",
    "体育游戏": "sports", "足球游戏": "soccer", "篮球游戏": "hoop", "高尔夫": "golf", "平台跳跃": "platformer",
    "益智游戏": "puzzle", "解谜游戏": "puzzle", "策略游戏": "strategy", "冒险游戏": "adventure", "模拟经营": "simulation",
    "模拟游戏": "simulation", "农场游戏": "ranch", "儿童耳机": "kids headphones", "限音": "volume-limited",
    "运动耳机": "sport open-ear headphones", "蓝牙音箱": "bluetooth speaker", "小音箱": "mini speaker", "低音炮": "subwoofer",
    "氮化镓": "gan", "充电头": "charger", "三合一": "3-in-1", "充电线": "cable", "编织线": "braided cable", "编织": "braided",
    "可视门铃": "video doorbell", "监控": "security camera", "室内摄像头": "indoor security camera", "智能温控器": "smart thermostat",
    "彩色灯泡": "smart bulb", "储存卡": "memory card", "电纸书": "e-reader",
    "墨水屏": "e-reader", "锅具套装": "cookware set", "铸铁": "cast iron", "珐琅": "enameled",
    "荷兰锅": "dutch oven", "炖锅": "dutch oven", "刀具": "knife", "竹砧板": "bamboo cutting board", "竹制": "bamboo",
    "咖啡壶": "coffee maker", "奶泡": "milk frother", "打奶器": "milk frother", "咖啡研磨机": "coffee grinder",
    "研磨机": "grinder", "咖啡粉": "coffee", "鹅颈壶": "gooseneck kettle", "高压锅": "multi-cooker", "电饭煲": "multi-cooker",
    "榨汁机": "blender", "无线吸尘器": "cordless stick vacuum", "扫拖机器人": "robot vacuum", "扫地机械人": "robot vacuum",
    "浴巾套装": "bath towel set", "床品": "sheet set", "被单": "sheet set", "枕芯": "pillow", "玻璃保鲜盒": "glass food storage",
    "收纳罐": "food storage", "扩香机": "aroma diffuser", "香薰": "aroma diffuser",
    "双人帐篷": "2-person tent", "四人帐篷": "4-person tent", "六人帐篷": "6-person tent", "家庭帐篷": "cabin tent",
    "儿童睡袋": "kids' sleeping bag", "充气垫": "sleeping pad", "R值": "r-value", "r值": "r-value", "保暖值": "r-value",
    "日用背包": "daypack", "小背包": "daypack", "露营炉": "camp stove", "卡式炉": "camp stove", "炉头": "stove",
    "双头炉": "camp stove duo", "水瓶": "water bottle", "徒步杖": "trekking poles",
    "拉力带": "resistance bands", "阻力带": "resistance bands", "弹力绳": "resistance bands",
    "匹克球拍": "pickleball paddle", "球拍": "paddle", "山地车": "mountain bike", "单车头盔": "bike helmet",
    "防水外套": "waterproof rain jacket", "面包服": "puffer jacket", "羽绒夹克": "down puffer jacket", "卫衣": "pullover",
    "套头衫": "pullover", "抓绒衣": "fleece pullover", "登山袜": "hiking socks", "短袖": "t-shirt", "打底裤": "leggings",
    "瑜伽裤": "leggings", "登山靴": "hiking boots", "徒步靴": "hiking boots", "防水靴": "waterproof boots", "靴子": "boots",
    "童鞋": "kids' sneakers", "闪光鞋": "light-up sneakers", "帆布": "canvas", "针织帽": "knit beanie", "冷帽": "beanie",
    "小说": "fiction", "推理小说": "mystery", "悬疑": "thriller", "奇幻": "fantasy", "菜谱": "cookbook", "烘焙书": "cookbook",
    "酸种": "sourdough", "设定集": "art book", "画集": "art book", "艺术画册": "art book", "童书": "children's",
    "绘本": "board book", "保湿": "moisturizer", "洗面乳": "cleanser", "精华液": "serum", "负离子": "ionic",
    "刷头": "brush heads", "胡子": "beard", "五合一": "5-in-1", "剃须": "trimmer", "车库": "garage", "积木盒": "brick box",
    "叠叠乐": "stacking rainbow", "彩虹叠叠乐": "stacking rainbow", "毛绒玩具": "plush", "公仔": "plush",
    "桌游合集": "board game collection", "策略卡牌": "strategy card game", "遥控越野车": "rc off-road truck",
    "航拍": "camera drone", "编程玩具": "coding robot", "编程鼠": "coding robot mouse", "变装": "dress-up", "变装箱": "dress-up trunk", "过家家": "pretend play",
    "励志书": "self-help", "自我提升": "self-help", "理财书": "money", "旅行指南": "travel", "徒步指南": "trails",
    "游戏史": "history of video games", "太空": "space", "火星": "mars", "游戏主机": "console", "叉盒": "xbox",
    "防水登山靴": "waterproof hiking boots", "防水夹克": "waterproof rain jacket", "电脑版": "pc",
}
_TERMS_RE = re.compile("|".join(sorted(map(re.escape, TERMS), key=len, reverse=True)))


def lexical_query(question: str) -> str:
    """``question`` with the English words of the shop terms in it appended (see the module docstring);
    Traditional characters are read as Simplified ("木製火車" finds 火车 → train).

    >>> lexical_query("羽絨外套多少錢")
    '羽絨外套多少錢 down jacket'
    >>> lexical_query("自充气睡垫的R值是多少")
    '自充气睡垫的R值是多少 self-inflating sleeping pad r-value'
    """
    from knowledge.lang import to_simplified

    simplified = to_simplified(question)
    found = list(dict.fromkeys(TERMS[m.group(0)] for m in _TERMS_RE.finditer(simplified)))
    return f"{question} {' '.join(found)}" if found else question


def relative(cosines):
    """How far each product stands above the typical one, in [0, 1]: ``(c - median) / (max - median)``,
    floored at 0. A cross-lingual model's cosines shift from question to question; their order
    is what it knows."""
    import numpy as np

    c = np.asarray(cosines, dtype="float32")
    if c.size == 0:
        return c
    mid, top = float(np.median(c)), float(c.max())
    if top - mid <= 1e-6:
        return np.zeros_like(c)
    return np.clip((c - mid) / (top - mid), 0.0, 1.0)
