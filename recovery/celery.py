"""The Celery app that `celery -A recovery worker` and `celery -A recovery beat` start.

Its configuration lives in Django's settings under the CELERY_ prefix, so there is one
place to read it.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")

app = Celery("recovery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
