"""The numbers a column can hold, read from its model field, so that no form or import hands the
database (or Decimal arithmetic) a number it cannot store.

A DecimalField holds `max_digits` digits of which `decimal_places` after the point (14 and 3:
at most 99,999,999,999.999); an integer column holds the range of its type on PostgreSQL
(IntegerField and PositiveIntegerField: up to 2,147,483,647). SQLite would take any 64-bit
integer, but the same data must fit both databases, so the PostgreSQL ranges apply everywhere.
A field's own validators (a minimum of 1 place, a percentage up to 100) narrow the range further.

`bound_form_field` applies these bounds to a form field (the platform's form base classes do it
for every integer and decimal field of every form: see `accounts.platform.forms`), and
`clean_number` checks an imported cell against them.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.core import validators
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from accounts.platform.importing import CellError
from accounts.platform.importing import shown as short

# PostgreSQL's ranges of the integer column types (the base operations' table).
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges
# A number in a form or a file that no model field describes: an integer column's range.
DEFAULT_INTEGER = "IntegerField"


@dataclass(frozen=True)
class Bounds:
    min_value: Decimal | int
    max_value: Decimal | int
    max_digits: int | None = None
    decimal_places: int | None = None

    @property
    def is_decimal(self) -> bool:
        return self.max_digits is not None


def column_bounds(model_field) -> Bounds | None:
    """What the column of `model_field` holds; None for a field that is not a number."""
    if isinstance(model_field, models.DecimalField):
        digits, places = model_field.max_digits, model_field.decimal_places
        bounds = Bounds(-_largest(digits, places), _largest(digits, places), digits, places)
    elif isinstance(model_field, models.IntegerField | models.AutoField):
        low, high = INTEGER_RANGES.get(
            model_field.get_internal_type(), INTEGER_RANGES[DEFAULT_INTEGER]
        )
        bounds = Bounds(low, high)
    else:
        return None
    return _narrowed(bounds, model_field.validators)


def _largest(digits: int, places: int) -> Decimal:
    """The largest number of `digits` digits, `places` of them decimals: (5, 2) → 999.99."""
    return Decimal(10) ** (digits - places) - Decimal(1).scaleb(-places)


def integer_bounds(internal_type: str = DEFAULT_INTEGER) -> Bounds:
    low, high = INTEGER_RANGES[internal_type]
    return Bounds(low, high)


def _narrowed(bounds: Bounds, field_validators) -> Bounds:
    low, high = bounds.min_value, bounds.max_value
    for validator in field_validators:
        limit = validator.limit_value if hasattr(validator, "limit_value") else None
        if callable(limit):
            limit = limit()
        if isinstance(validator, validators.MinValueValidator) and limit > low:
            low = limit
        elif isinstance(validator, validators.MaxValueValidator) and limit < high:
            high = limit
    return Bounds(low, high, bounds.max_digits, bounds.decimal_places)


def _bounds_of_form_field(form_field) -> Bounds:
    """A form field's own bounds where it states them; else an integer or a money column's."""
    if isinstance(form_field, forms.DecimalField):
        digits = form_field.max_digits or 14
        places = 3 if form_field.decimal_places is None else form_field.decimal_places
        bounds = Bounds(-_largest(digits, places), _largest(digits, places), digits, places)
    else:
        bounds = integer_bounds()
    return _narrowed(bounds, form_field.validators)


def bound_form_field(form_field, model_field=None):
    """Narrow an integer or decimal form field to what its column holds (and to its own limits,
    where they are narrower): min_value, max_value, and for decimals max_digits and
    decimal_places, with their validators and the input's min/max/step attributes. Fields that
    are not numbers are left alone. Without a model field, a number must fit an integer column
    (or, for a decimal, a money column: 14 digits, 3 decimals). Returns the field."""
    if not isinstance(form_field, forms.IntegerField):  # DecimalField and FloatField too
        return form_field
    column = column_bounds(model_field) if model_field is not None else None
    if column is None:
        bounds = _bounds_of_form_field(form_field)
    else:
        bounds = _narrowed(column, form_field.validators)
        if column.is_decimal and form_field.max_digits:
            bounds = Bounds(
                bounds.min_value,
                bounds.max_value,
                min(form_field.max_digits, column.max_digits),
                min(form_field.decimal_places or 0, column.decimal_places),
            )
    low, high = bounds.min_value, bounds.max_value
    digits, places = bounds.max_digits, bounds.decimal_places
    if isinstance(form_field, forms.DecimalField):
        if digits is None:  # a decimal form field for an integer column
            own = _bounds_of_form_field(form_field)
            digits, places = own.max_digits, own.decimal_places
        largest = _largest(digits, places)
        low, high = max(Decimal(low), -largest), min(Decimal(high), largest)
    form_field.min_value, form_field.max_value = low, high
    kept = [
        validator
        for validator in form_field.validators
        if not isinstance(
            validator,
            validators.MinValueValidator
            | validators.MaxValueValidator
            | validators.DecimalValidator,
        )
    ]
    kept += [validators.MaxValueValidator(high), validators.MinValueValidator(low)]
    if isinstance(form_field, forms.DecimalField):
        form_field.max_digits, form_field.decimal_places = digits, places
        kept.append(validators.DecimalValidator(digits, places))
    form_field.validators = kept
    form_field.widget.attrs.update(form_field.widget_attrs(form_field.widget))
    if isinstance(form_field.widget, forms.NumberInput) and isinstance(
        form_field, forms.DecimalField
    ):
        form_field.widget.attrs["step"] = str(Decimal(1).scaleb(-places)) if places else "1"
    return form_field


def clean_number(
    text, model_field, *, what: str, round_decimals: bool = False
) -> Decimal | int | None:
    """An imported cell as the number `model_field` stores, or CellError (a ValueError) with a
    message that says what to change. Thousands separators (1,250.00) are allowed; an empty
    cell is None. More decimals than the column holds are refused, or rounded half-up with
    `round_decimals`."""
    text = str(text if text is not None else "").strip()
    if not text:
        return None
    bounds = column_bounds(model_field)
    if bounds is None:
        raise TypeError(f"{model_field!r} is not a number column.")
    example = "1250.00" if bounds.is_decimal else "12"
    shown = short(text, 40)
    try:
        number = Decimal(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        raise CellError(f"“{shown}” is not {what}: use digits such as {example}.") from None
    if not number.is_finite():
        raise CellError(f"“{shown}” is not {what}: use digits such as {example}.")
    if not bounds.is_decimal and number != number.to_integral_value():
        raise CellError(f"“{shown}” is not {what}: use a whole number such as {example}.")
    if number < bounds.min_value:
        if bounds.min_value == 0:
            raise CellError(f"{shown} is negative: {what} is zero or more.")
        raise CellError(f"{shown} is too small: {what} is at least {bounds.min_value}.")
    if number > bounds.max_value:
        raise CellError(f"{shown} is too large: {what} is at most {bounds.max_value:,}.")
    if bounds.is_decimal:
        if round_decimals:
            number = number.quantize(Decimal(1).scaleb(-bounds.decimal_places), ROUND_HALF_UP)
            if number > bounds.max_value:
                raise CellError(f"{shown} is too large: {what} is at most {bounds.max_value:,}.")
            return number
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > bounds.decimal_places:
            raise CellError(
                f"{shown} has too many decimals: {what} takes at most "
                f"{bounds.decimal_places} decimal places."
            )
        return number
    return int(number)


def parse_id(value) -> int | None:
    """A row id sent by a form or in a URL's query (a big integer column), or None when it is
    not one: "12" → 12; "", "1e30", "-1", "NaN" and a 10,000-digit string → None."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= INTEGER_RANGES["BigAutoField"][1] else None
