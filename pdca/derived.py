"""Columns derived from other rows, kept by their own statements.

Visibility is read on every list: whether everybody reads a plan (a version of
it was communicated) or an improvement (it is linked to such a plan's
process) is kept as a column, so that a list filters a column instead of
searching other tables row by row. Such a column is written only by the
statements that keep it (an `update()` when what it derives from changes); a
model that has one lists it in `DERIVED_FIELDS`, and its `save()` leaves it
as the database has it, so that saving an instance read before the change
cannot undo it.
"""


class DerivedFields:
    """Model mixin: `save()` of an existing row writes every field but the
    `DERIVED_FIELDS`."""

    DERIVED_FIELDS = ()

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.DERIVED_FIELDS
            ]
        super().save(*args, **kwargs)
