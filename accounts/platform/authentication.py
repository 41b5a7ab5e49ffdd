"""Logging in with an e-mail address, whatever its case.

Everyone's username is their e-mail address. `Sam.Staff@Northwind.example` and
`sam.staff@northwind.example` are the same mailbox, so the login form lower-cases what is typed
(django-axes then counts failed attempts per address, not per spelling), and the backend finds
the user whatever the case of the stored username.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.platform.forms import BoundedFormMixin


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            matches = list(
                get_user_model()
                ._default_manager.filter(username__iexact=username.strip())
                .values_list("username", flat=True)[:2]
            )
            if len(matches) == 1:  # two spellings of one address would be ambiguous: none
                username = matches[0]
        return super().authenticate(request, username=username, password=password, **kwargs)


class EmailAuthenticationForm(BoundedFormMixin, AuthenticationForm):
    username = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()
