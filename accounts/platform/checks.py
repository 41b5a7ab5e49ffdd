"""System checks of the deployment (a SECRET_KEY without DEBUG)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    """Without DEBUG, a SECRET_KEY must come from the environment (config/settings.py).

    A deploy check: `check --deploy` fails with this message, any request that signs something
    fails loudly, and commands that sign nothing (makemigrations) still run."""
    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises on an empty key
    except ImproperlyConfigured:
        return [Error("Set SECRET_KEY (or DEBUG=1 for local development).", id="config.E001")]
    return []
