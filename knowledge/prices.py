"""Prices with their currency: read them from a catalogue cell, print them for a shopper.

Reading (:func:`parse_price`) accepts what store exports contain: ``19.99``, ``$19.99``,
``₹1,099``, ``₹1,099.00``, ``¥2,980``, ``€19,99``, ``1.299,00 €``, ``£5``, ``EUR 19.99``,
``Rs. 399``. The currency is the symbol or ISO code in the cell; a cell without one is in
the ``default`` currency (the store's ``KEFU_CURRENCY``). Ambiguous symbols (``$``, ``¥``)
mean the store's own currency when it uses that symbol (a CAD store's ``$``, a CNY store's
``¥``), else USD and JPY.

Decimal marks: the last ``.`` or ``,`` is the decimal mark when one or two digits follow it
(``19,99`` → 19.99, ``1.299,50`` → 1299.5); one followed by exactly three digits groups
thousands (``1,099`` → 1099, ``2.980`` → 2980), so a price never has three decimals.

Printing (:func:`format_price`) puts the symbol first and groups thousands with commas;
two decimals, except in currencies shops quote in whole units (no decimals ever: JPY,
KRW…; whole amounts without ``.00``: INR, CNY)::

    >>> format_price(499.99, "USD"), format_price(1099, "INR"), format_price(2980, "JPY"), format_price(19.9, "EUR")
    ('$499.99', '₹1,099', '¥2,980', '€19.90')
"""

from __future__ import annotations

import re

# ISO code -> symbol printed before the amount (codes without one print after it: "19.99 CHF").
SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥", "CNY": "¥", "KRW": "₩",
    "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "HKD": "HK$", "SGD": "S$", "MXN": "MX$", "BRL": "R$",
    "RUB": "₽", "TRY": "₺", "ILS": "₪", "VND": "₫", "PHP": "₱", "UAH": "₴", "NGN": "₦", "THB": "฿",
    "PLN": "zł",
}
_NO_DECIMALS = {"JPY", "KRW", "VND", "CLP", "ISK", "IDR"}
_WHOLE_WITHOUT_CENTS = {"INR", "CNY"}

# What a cell may carry -> ISO code; longest spellings are tried first ("US$" before "$").
_MARKS = {
    "US$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "NZ$": "NZD", "HK$": "HKD",
    "S$": "SGD", "MX$": "MXN", "R$": "BRL", "CN¥": "CNY", "JP¥": "JPY", "RMB": "CNY", "元": "CNY",
    "円": "JPY", "Rs.": "INR", "Rs": "INR", "₹": "INR", "€": "EUR", "£": "GBP", "¥": "JPY", "￥": "JPY",
    "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "₫": "VND", "₱": "PHP", "₴": "UAH", "₦": "NGN",
    "฿": "THB", "zł": "PLN", "$": "USD",
}
# A symbol several currencies share: it means the store's currency when that is one of them.
_SHARED = {"$": {"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"}, "¥": {"JPY", "CNY"}, "￥": {"JPY", "CNY"}}
_MARK_RE = re.compile("|".join(re.escape(m) for m in sorted(_MARKS, key=len, reverse=True)))
_CODE_RE = re.compile(r"(?<![A-Za-z])([A-Za-z]{3})(?![A-Za-z])")
_NUMBER_RE = re.compile(r"^[+-]?\d[\d.,' \u00a0\u202f]*$")


class PriceError(ValueError):
    """A price cell that is not one amount; the message is one line."""


def currency_code(mark: str, default: str = "USD") -> str:
    """ISO code for a symbol or code as written in a cell (``"₹"`` → ``"INR"``, ``"eur"`` → ``"EUR"``).

    Raises :class:`PriceError` for something that is neither.
    """
    mark = mark.strip()
    default = (default or "USD").upper()
    if mark in _SHARED and default in _SHARED[mark]:
        return default
    if mark in _MARKS:
        return _MARKS[mark]
    if re.fullmatch(r"[A-Za-z]{3}", mark):
        return mark.upper()
    raise PriceError(f"unknown currency {mark!r}")


def parse_amount(text: str) -> float:
    """The number in ``text`` with thousands separators and decimal mark resolved (see module doc)."""
    digits = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not _NUMBER_RE.match(digits):
        raise PriceError(f"{text!r} is not a number")
    digits = re.sub(r"[ ']", "", digits)
    seps = [(i, c) for i, c in enumerate(digits) if c in ".,"]
    if seps:
        last_at, last = seps[-1]
        tail = len(digits) - last_at - 1
        # Thousands groups, Indian lakh grouping included ("1,39,900"); one separator kind only.
        grouped = re.fullmatch(r"[+-]?[1-9]\d{0,2}([.,]\d{2,3})*[.,]\d{3}", digits) and len({c for _, c in seps}) == 1
        if grouped and tail == 3:  # "1,099", "2.980", "1,234,567"
            digits = re.sub(r"[.,]", "", digits)
        elif 1 <= tail <= 2:
            head = digits[:last_at]
            if any(c == last for _, c in seps[:-1]):
                raise PriceError(f"{text!r} is not a number")
            digits = re.sub(r"[.,]", "", head) + "." + digits[last_at + 1:]
        else:
            raise PriceError(f"{text!r} is not a number")
    try:
        return float(digits)
    except ValueError as exc:
        raise PriceError(f"{text!r} is not a number") from exc


def parse_price(value, default: str = "USD") -> tuple[float | None, str]:
    """``(amount, ISO code)`` of a catalogue cell; ``(None, default)`` for an empty cell.

    >>> parse_price("₹1,099"), parse_price("€19,99"), parse_price("12.50", "GBP")
    ((1099.0, 'INR'), (19.99, 'EUR'), (12.5, 'GBP'))
    """
    default = (default or "USD").upper()
    if isinstance(value, bool):
        raise PriceError(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        return float(value), default
    text = str(value or "").strip()
    if not text:
        return None, default
    currency = default
    mark = _MARK_RE.search(text)
    if mark:
        currency = currency_code(mark.group(0), default)
        text = text[: mark.start()] + text[mark.end():]
    else:
        code = _CODE_RE.search(text)
        if code:
            currency = code.group(1).upper()
            text = text[: code.start()] + text[code.end():]
    try:
        return parse_amount(text), currency
    except PriceError:
        raise PriceError(f"{value!r} is not a number") from None


def format_price(amount: float | None, currency: str = "USD") -> str:
    """``amount`` as a shopper reads it in ``currency`` (see the module doc); ``""`` for no amount."""
    if amount is None:
        return ""
    code = (currency or "USD").upper()
    whole = float(amount).is_integer()
    if code in _NO_DECIMALS or (whole and code in _WHOLE_WITHOUT_CENTS):
        text = f"{amount:,.0f}"
    else:
        text = f"{amount:,.2f}"
    symbol = SYMBOLS.get(code)
    return f"{symbol}{text}" if symbol else f"{text} {code}"
