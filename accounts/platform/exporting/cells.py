"""The rules every exported cell follows, whatever the format.

Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) is prefixed with an apostrophe (`accounts.platform.importing.neutralise`; import-export's
own escaping only strips a leading "="). Bidirectional-text controls (U+202A to U+202E, U+2066 to
U+2069) are replaced with U+FFFD: a name holding a right-to-left override would otherwise show
reversed in a spreadsheet ("gpj.exe" as "exe.jpg"), or make a cell read as something it is not.
Numbers are never touched by either rule: `-540.00` is a credit, not a formula.

The PostgreSQL COPY path (`copy.py`) applies the same rules in SQL, built from the same constants.
"""

from decimal import Decimal

from accounts.platform.importing import FORMULA_TRIGGERS, neutralise

__all__ = [
    "BIDI_CODE_POINTS",
    "BIDI_CONTROLS",
    "FORMULA_TRIGGERS",
    "REPLACEMENT",
    "defuse_bidi",
    "plain_number",
    "safe_text",
]

# Bidirectional embeddings, overrides and isolates: U+202A–U+202E and U+2066–U+2069.
BIDI_CODE_POINTS = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
BIDI_CONTROLS = "".join(map(chr, BIDI_CODE_POINTS))
REPLACEMENT = "\ufffd"
_BIDI_TABLE = str.maketrans(dict.fromkeys(BIDI_CONTROLS, REPLACEMENT))


def defuse_bidi(text: str) -> str:
    """`text` with every bidirectional control replaced with U+FFFD (visible, inert)."""
    return text.translate(_BIDI_TABLE)


def safe_text(value):
    """A text cell as exports write it: bidi controls defused, formula text neutralised. Other
    values (numbers, dates, None) are returned unchanged."""
    if isinstance(value, str):
        return neutralise(defuse_bidi(value))
    return value


def plain_number(value: Decimal) -> str:
    """A Decimal as plain digits, at least two decimals and no needless trailing zeros:
    -540.000 → "-540.00", 12.345 → "12.345", 0E-8 → "0.00" (never "0E-8" or "1,250")."""
    if value == 0:
        value = abs(value)
    text = format(value, "f")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"
