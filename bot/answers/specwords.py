"""What shoppers' spec words mean: the vocabulary of feature questions.

:data:`MEANS` maps a word of a feature question to the words a product text that answers it
carries ("battery" → playback, playtime, mAh, hours…; "chip" → processor, Snapdragon…);
:data:`QUANTITIES` pairs a question pattern with the quantity it asks for ("how long …
battery" → a number of hours or months). :data:`FEATURE_WORDS` are the question words that
ask about a feature and so name no product ("How long does the battery last on the boAt
Rockerz 450?" names the Rockerz 450, not a battery).
"""

from __future__ import annotations

# What spec words mean: a question word → words a clause that answers it carries.
MEANS = {
    "battery": "battery playback playtime backup mah life hours hrs",
    "last": "playback playtime backup life hours hrs months",
    "playtime": "playback playtime hours hrs",
    "playback": "playback playtime hours hrs",
    "chip": "processor chipset cpu snapdragon helio exynos dimensity bionic octa core",
    "processor": "processor chipset cpu snapdragon helio exynos dimensity bionic octa core",
    "cpu": "processor chipset snapdragon helio exynos dimensity octa core",
    "power": "watt watts w power wattage consumes",
    "wattage": "watt watts w power",
    "output": "watt watts w output",
    "capacity": "capacity litre litres liter liters l ml",
    "litres": "capacity litre litres liter liters l",
    "liters": "capacity litre litres liter liters l",
    "hold": "capacity litre litres liter liters l",
    "fast": "speed mbps gbps ghz rpm ips",
    "speed": "speed mbps gbps ghz rpm ips",
    "waterproof": "waterproof water ipx ipx4 ipx5 ipx6 ipx7 ip67 ip68 resistant",
    "water": "waterproof water ipx ipx4 ipx5 ipx6 ipx7 ip67 ip68 resistant",
    "resolution": "resolution hd 720p 1080p 4k fps pixels mp full",
    "video": "video hd 720p 1080p 4k fps",
    "camera": "camera mp megapixel",
    "pair": "pair devices connect multi-device",
    "devices": "devices pair connect",
    "encryption": "encryption aes bit password",
    "size": "size mm inch inches cm",
    "big": "size capacity mah inch",
    "weigh": "weight grams kg g",
    "weight": "weight grams kg g",
    "heavy": "weight grams kg g",
    "dpi": "dpi",
    "functions": "functions",
    "storage": "storage gb tb memory",
    "memory": "memory ram gb storage",
    "ram": "ram gb memory",
    "screen": "display screen inch",
    "display": "display screen inch",
    "warranty": "warranty year years",
    "charge": "charging charge hours",
    "charging": "charging charge hours",
    "range": "range metres meters m",
    "noise": "noise cancellation anc",
    "included": "includes include included components box contents package",
    "include": "includes include included components box contents package",
    "box": "includes include included components contents package",
    "come": "includes include included components",
    "batteries": "battery batteries aa aaa powered cell",
    "area": "area coverage sq sqft ft room",
    "cover": "area coverage sq sqft ft room",
    "coverage": "area coverage sq sqft ft room",
    "pressure": "pressure bar",
    "pages": "pages yield",
    "print": "pages yield print",
    "ports": "port ports hdmi usb",
    "long": "length meter meters metre metres m ft feet",
    "length": "length meter meters metre metres m ft feet",
    "brand": "brand",
    "work": "works compatible compatibility supports support",
    "compatible": "works compatible compatibility supports support",
    "weighs": "weight grams kg g gm",
}
# The quantity a question asks for: question words → a regex for that quantity in a clause.
QUANTITIES = [
    (r"\bhow long\b.*\b(battery|last|play|run)|\b(battery life|playtime|playback|last)\b",
     r"\d+(\.\d+)?\s*-?\s*(h|hrs?|hours?|months?|years?|min(ute)?s?)\b"),
    (r"\b(how big|capacity|size)\b.*\bbattery\b|\bbattery\b.*\b(big|capacity|size)\b|\bmah\b", r"\d[\d,]*\s*mah\b"),
    (r"\b(power|watt|wattage|output)\b", r"\d+(\.\d+)?\s*(w|watts?)\b"),
    (r"\b(capacity|litres?|liters?|hold)\b", r"\d+(\.\d+)?\s*-?\s*(l|litres?|liters?|ml)\b"),
    (r"\b(how fast|speed)\b", r"\d[\d,]*(\.\d+)?\s*(mbps|gbps|ghz|rpm|ips)\b"),
    (r"\bdpi\b", r"\d[\d,]*\s*dpi\b"),
    (r"\b(resolution|video|record)\b", r"\b\d{3,4}p\b|\b[248]k\b|\d{3,4}\s?x\s?\d{3,4}"),
    (r"\b(size|how big)\b", r"\d+(\.\d+)?\s*(mm|cm|inch(es)?|\")"),
    (r"\b(weigh|weighs|weight|heavy)\b", r"\d+(\.\d+)?\s*(g|gm|grams?|kg)\b"),
    (r"\bhow long is\b|\blength\b", r"\d+(\.\d+)?\s*-?\s*(m|meters?|metres?|ft|feet|cm)\b"),
    (r"\b(area|cover|coverage)\b", r"\d[\d,]*\s*(sq\.?\s?ft|sqft|sq\.?\s?m|square)"),
    (r"\bpressure\b", r"\d+(\.\d+)?\s*bar\b"),
    (r"\bpages?\b", r"\d[\d,]*\s*pages?\b"),
    (r"\bhow many\b", r"\b\d[\d,]*\b"),
]

FEATURE_WORDS = frozenset(MEANS) - frozenset(  # less the words that also name products ("camera", "display")
    "camera display screen storage memory ram noise range size big charge charging warranty water video".split()
) | frozenset("lasts playtime hold holds wattage max maximum total included include weighs batteries coverage "
            "pressure".split())


# Months and days: a capitalised one names no product and no other shop ("Black Friday", "Monday").
CALENDAR_WORDS = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
