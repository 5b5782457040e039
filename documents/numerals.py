"""Amounts of money as they are written on Chinese financial documents.

The conventions are those of the People's Bank of China rules for filling in bills and settlement
vouchers (《正确填写票据和结算凭证的基本规定》), which every approval letter that states an amount
follows:

* capital digits 零壹贰叁肆伍陆柒捌玖 and units 拾佰仟万亿; a leading ten is written 壹拾
  (¥16.15 → 壹拾陆元壹角伍分), so that nothing can be written in front of it;
* one 零 for any run of zeros between non-zero digits, including across the 万 and 亿 groups
  (¥10,005 → 壹万零伍元, ¥100,010,000 → 壹亿零壹万元), none for trailing zeros;
* when the units-of-yuan digit is zero and 角 follows, or 角 is zero and 分 follows, one 零 marks
  the gap (¥1,680.32 → 壹仟陆佰捌拾元零叁角贰分, ¥325.04 → 叁佰贰拾伍元零肆分; the rules allow the
  零 to be left out in the first case; we always write it, so one amount has one spelling);
* 整 after 元 when there are no 角 and 分; none after 角 or 分;
* less than one yuan is written without 零元 (¥0.50 → 伍角).

The words are returned without the 人民币 prefix: templates decide whether to print it.
"""

from decimal import Decimal

__all__ = ["amount_in_chinese_capitals", "format_yuan"]

CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
# Units inside one four-digit group, from the thousands down to the ones.
_GROUP_UNITS = ("仟", "佰", "拾", "")
_CENT = Decimal("0.01")
# 万亿 (10^12) is the largest unit in everyday use; a budget line beyond 10^16 yuan is a typo.
_LIMIT = Decimal(10) ** 16


def _checked_amount(amount: Decimal | int) -> Decimal:
    """The amount as a Decimal, refusing what no financial document can state."""
    # bool is an int, and float has already lost the cents: neither is money.
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"an amount of money must be a Decimal, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"an amount of money must be finite, not {value}")
    if value.quantize(_CENT) != value:
        raise ValueError(f"an amount in yuan has at most two decimal places (fen), not {value}")
    return value


def _group_in_capitals(number: int) -> str:
    """Spell 1..9999, without leading zeros (the caller decides whether a 零 goes in front)."""
    digits = f"{number:04d}"
    words: list[str] = []
    zero_pending = False
    for digit, unit in zip(digits, _GROUP_UNITS, strict=True):
        if digit == "0":
            zero_pending = bool(words)
            continue
        if zero_pending:
            words.append("零")
            zero_pending = False
        words.append(CAPITAL_DIGITS[int(digit)] + unit)
    return "".join(words)


def _integer_in_capitals(number: int) -> str:
    """Spell a positive whole number of yuan, grouping by 亿 and then by 万."""
    for unit, size in (("亿", 10**8), ("万", 10**4)):
        if number >= size:
            high, low = divmod(number, size)
            words = _integer_in_capitals(high) + unit
            if low:
                # A lower part with fewer digits than its group has a gap of zeros after the unit.
                words += ("零" if low < size // 10 else "") + _integer_in_capitals(low)
            return words
    return _group_in_capitals(number)


def amount_in_chinese_capitals(amount: Decimal) -> str:
    """The 大写金额 of an amount in yuan: 12000000 → 壹仟贰佰万元整, 1000000.50 → 壹佰万元零伍角.

    Refuses negative amounts, amounts with more than two decimal places (a fen is the smallest
    unit) and amounts of 10^16 yuan or more with ValueError; floats with TypeError.
    """
    value = _checked_amount(amount)
    if value < 0:
        raise ValueError(f"an amount written in capitals cannot be negative: {value}")
    if value >= _LIMIT:
        raise ValueError(f"an amount of {value} yuan is beyond what this spelling supports")
    cents = int(value.quantize(_CENT) * 100)
    yuan, fractional = divmod(cents, 100)
    jiao, fen = divmod(fractional, 10)

    if yuan == 0 and fractional == 0:
        return "零元整"
    words = ""
    if yuan:
        words = _integer_in_capitals(yuan) + "元"
        if fractional == 0:
            return words + "整"
        if jiao and yuan % 10 == 0:
            words += "零"
    if jiao:
        words += CAPITAL_DIGITS[jiao] + "角"
    if fen:
        # A zero 角 between 元 and 分 is read out as 零; it has no meaning before the first yuan.
        if not jiao and yuan:
            words += "零"
        words += CAPITAL_DIGITS[fen] + "分"
    return words


def format_yuan(amount: Decimal) -> str:
    """An amount in figures as printed beside its capitals: ¥12,000,000.00 (−¥5.00 if negative).

    Refuses more than two decimal places and floats, like ``amount_in_chinese_capitals``.
    """
    value = _checked_amount(amount)
    # Decimal formats itself exactly; going through float would round large amounts.
    figures = f"{abs(value):,.2f}"
    return f"-¥{figures}" if value < 0 else f"¥{figures}"
