"""Settings for the Celery worker and the commands that the worker tests start as subprocesses.

The project's settings, with a queue of the test's own (so that test runs side by side on
one Redis never take each other's tasks) and a short lease (so that a killed worker's units
and job are taken over in seconds, not in the production default of 30 s).
"""

import os

from hyoka.settings import *  # noqa: F401,F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["HYOKA_TEST_CELERY_QUEUE"]
HYOKA_JUDGE_LEASE_SECONDS = int(os.environ.get("HYOKA_TEST_JUDGE_LEASE_SECONDS", "2"))
