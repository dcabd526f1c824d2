"""Every table of the service, for Alembic and the migrations test: importing this module
registers each domain's models on the one metadata. Code imports a table from its
domain (workflows.cases.models, workflows.staff.models, workflows.messaging.models)."""

from workflows.cases.models import *  # noqa: F403
from workflows.messaging.models import *  # noqa: F403
from workflows.platform.orm import Base
from workflows.staff.models import *  # noqa: F403

__all__ = ["Base"]
