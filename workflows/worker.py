"""Entry point of the worker and beat processes (Procfile):

    celery -A workflows.worker worker
    celery -A workflows.worker beat

Reads the settings from the environment, here at the edge, and nowhere deeper.
"""

from workflows.celery_app import make_celery
from workflows.settings import Settings

celery = make_celery(Settings.from_env())
