"""A database constraint's error lands on the field it is about (issue 17: "The end date cannot
be before the start date." showed at the top of the form, and the end date was not marked).

Django reports a violated `CheckConstraint` as an error of the whole form, and a
`UniqueConstraint` on the field only when it has exactly one field. Here a check on one field
(`Q(end_date__gte=F("start_date"))`, `~Q(parent=F("id"))`) reports on that field, and a unique
constraint whose only field besides `tenant` is one field (`(tenant, code)`) on that field.
Anything else stays an error of the whole form. `TenantOwned` and `Tenant` use it."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import router
from django.db.models import CheckConstraint, Q, UniqueConstraint


def constraint_field(model, constraint) -> str | None:
    """The one field `constraint` is about, or None."""
    names: list[str] = []
    if isinstance(constraint, CheckConstraint):
        condition = constraint.condition
        if isinstance(condition, Q) and len(condition.children) == 1:
            (child,) = condition.children
            if isinstance(child, tuple):
                names = [child[0].split("__")[0]]
    elif isinstance(constraint, UniqueConstraint) and not constraint.expressions:
        names = [name for name in constraint.fields if name != "tenant"]
    if len(names) != 1 or names[0] in ("pk", "tenant"):
        return None
    try:
        return model._meta.get_field(names[0]).name
    except FieldDoesNotExist:
        return None


def validate_constraints(instance, exclude=None) -> None:
    """`Model.validate_constraints`, each error on its constraint's field where it has one."""
    errors: dict[str, list[ValidationError]] = {}
    using = router.db_for_write(type(instance), instance=instance)
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as error:
                field = constraint_field(model_class, constraint) or NON_FIELD_ERRORS
                errors.setdefault(field, []).append(error)
    if errors:
        raise ValidationError(errors)
