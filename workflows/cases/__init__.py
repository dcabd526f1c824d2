"""Cases, from a patient's draft to a physician's decision: submission and drafts, the
screening pipeline and its Celery tasks, the state machine and every staff action, the
coordinator's medication identifications, re-screening, and the queries the pages read."""
