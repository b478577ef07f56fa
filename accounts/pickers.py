"""People pickers of the forms and the API: they offer and accept only the
people who may hold the responsibility (`accounts.people`).

Without JavaScript a picker is a plain select (one person) or a list of
checkboxes (several) of the eligible people while they are few; when they are
more than `PICKER_MAX_CHOICES`, it is a text field in which a name or user
name is typed (and, for several people, the chosen ones stay listed as
checkboxes). `static/js/people-picker.js` then suggests matches as one types,
from the search endpoint (`accounts:people_search`), which returns at most
`people.SEARCH_LIMIT` people.
"""

import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import people

User = get_user_model()

# "Olivia Owen (owner)": the label a suggestion puts into the field.
_LABELLED = re.compile(r"^.*\((?P<username>[^()]+)\)\s*$")
# Several people typed into one field are separated by semicolons or lines.
_SEPARATORS = re.compile(r"[;\n]+")


def max_choices():
    return getattr(settings, "PICKER_MAX_CHOICES", 50)


def resolve(token):
    """The active person `token` names: an id, a user name, “Name (username)”
    or an exact full name. Raises ValidationError with a message the person
    typing can act on."""
    token = (token or "").strip()
    active = User.objects.filter(is_active=True)
    if token.isdigit():
        found = active.filter(pk=int(token)).first()
        if found is not None:
            return found
    match = _LABELLED.match(token)
    username = match.group("username").strip() if match else token
    found = active.filter(username__iexact=username).first()
    if found is not None:
        return found
    named = list(
        active.annotate(full_name=Concat("first_name", Value(" "), "last_name")).filter(
            full_name__iexact=token
        )[:4]
    )
    if len(named) == 1:
        return named[0]
    if named:
        raise ValidationError(
            gettext("“%(text)s” names several people (%(people)s): choose one from the list.")
            % {"text": token, "people": ", ".join(people.label(p) for p in named)},
            code="ambiguous",
        )
    raise ValidationError(
        gettext(
            "Nobody called “%(text)s” is active in the portal: type a name or user name and choose from the list."
        )
        % {"text": token},
        code="invalid_choice",
    )


def eligible(person, responsibility):
    """`person` if he or she may hold `responsibility`, else a ValidationError."""
    refusal = people.eligibility_refusal(person, responsibility)
    if refusal:
        raise ValidationError(refusal, code="not_eligible")
    return person


class _PickerMixin:
    template_large = ""

    def __init__(self, *args, responsibility, **kwargs):
        self.responsibility = responsibility
        super().__init__(*args, **kwargs)

    def is_large(self):
        if not hasattr(self, "_large"):
            queryset = getattr(self.choices, "queryset", None)
            self._large = queryset is not None and queryset[: max_choices() + 1].count() > max_choices()
        return self._large

    def search_url(self):
        return f"{reverse('people_search')}?for={self.responsibility}"

    def get_context(self, name, value, attrs):
        if not self.is_large():
            return super().get_context(name, value, attrs)
        self.template_name = self.template_large
        # The plain widget's context: the choices (all eligible people) are not read.
        context = forms.Widget.get_context(self, name, value, attrs)
        chosen = [v for v in (value if isinstance(value, (list, tuple)) else [value]) if v not in (None, "")]
        ids = [v for v in chosen if str(v).isdigit()]
        found = {str(p.pk): p for p in User.objects.filter(pk__in=ids)}
        context["widget"].update(
            {
                "people": [(found[str(v)].pk, people.label(found[str(v)])) for v in ids if str(v) in found],
                "typed": "; ".join(str(v) for v in chosen if not str(v).isdigit()),
                "search_url": self.search_url(),
                "search_id": f"{attrs.get('id') or 'id_' + name}_search",
                "list_id": f"{attrs.get('id') or 'id_' + name}_suggestions",
            }
        )
        return context

    def id_for_label(self, id_, index="0"):
        if self.is_large():
            return f"{id_}_search" if id_ else id_
        return super().id_for_label(id_, index)


class PersonWidget(_PickerMixin, forms.Select):
    template_large = "accounts/widgets/person.html"

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class PeopleWidget(_PickerMixin, forms.CheckboxSelectMultiple):
    template_large = "accounts/widgets/people.html"

    def value_from_datadict(self, data, files, name):
        values = list(super().value_from_datadict(data, files, name) or [])
        key = f"{name}_add"
        typed = data.getlist(key) if hasattr(data, "getlist") else [data.get(key) or ""]
        return values + [t.strip() for t in _SEPARATORS.split("\n".join(typed)) if t.strip()]

    def value_omitted_from_data(self, data, files, name):
        return False  # an unchecked list and an empty search are "nobody"

    def id_for_label(self, id_, index=None):
        if self.is_large():
            return f"{id_}_search" if id_ else id_
        return super().id_for_label(id_, index) if index is not None else ""


class PersonField(forms.ModelChoiceField):
    """One person who may hold `responsibility`."""

    def __init__(self, responsibility, **kwargs):
        self.responsibility = responsibility
        kwargs.setdefault("widget", PersonWidget(responsibility=responsibility))
        kwargs.setdefault("empty_label", _("— choose —"))
        super().__init__(queryset=people.eligible_for(responsibility), **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return eligible(resolve(str(value)), self.responsibility)


class PeopleField(forms.ModelMultipleChoiceField):
    """Several people who may hold `responsibility`."""

    def __init__(self, responsibility, **kwargs):
        self.responsibility = responsibility
        kwargs.setdefault("widget", PeopleWidget(responsibility=responsibility))
        super().__init__(queryset=people.eligible_for(responsibility), **kwargs)

    def clean(self, value):
        value = [v for v in (value or []) if v not in self.empty_values]
        if not value:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        chosen, errors = {}, []
        for token in value:
            try:
                person = eligible(resolve(str(token)), self.responsibility)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                chosen[person.pk] = person
        if errors:
            raise ValidationError(errors)
        return list(chosen.values())


# -- the API -------------------------------------------------------------------------


class PersonRelatedField(serializers.PrimaryKeyRelatedField):
    """A person by id, refused with the reason when he or she may not hold
    `responsibility` (a 400 naming the field)."""

    default_error_messages = {
        "does_not_exist": _("Nobody with id {pk_value} is active in the portal."),
    }

    def __init__(self, responsibility, **kwargs):
        self.responsibility = responsibility
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        person = super().to_internal_value(data)
        refusal = people.eligibility_refusal(person, self.responsibility)
        if refusal:
            raise serializers.ValidationError(refusal)
        return person
