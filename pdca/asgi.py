import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdca.settings")
application = get_asgi_application()

from pdca.checks import refuse_development_key  # noqa: E402 - needs the settings loaded above

refuse_development_key()
