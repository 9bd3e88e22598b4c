"""The store's words that pages and ui speak: roles, kinds, statuses, work modes, a challenge.

They are defined beside the tables in ``db.models`` and re-exported here, so that
pages and ui depend on ``engagement`` alone and ``db`` stays replaceable beneath it
(import-linter holds the layers: pages, ui, engagement, db).
"""

from db.models import Challenge, GoalMeasure, Kind, Role, Status, WorkMode

__all__ = ["Challenge", "GoalMeasure", "Kind", "Role", "Status", "WorkMode"]
