"""The platform every domain stands on: settings, the database and its migrations, Redis,
Celery, the secret box, tokens, translations and the `make run` launcher. It knows nothing of
cases, staff or messages."""
