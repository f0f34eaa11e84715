"""What a journal event says, in the console: the report's sentence for it (one describer
for both), looked up in the console's mirror of the war room."""
from __future__ import annotations

import json
from types import SimpleNamespace

from ..console.views import Room
from ..export.describe import Known, what
from ..store.reader import Row


def describe(event: dict, room: Room) -> str:
    rows = SimpleNamespace(steps=room.tables["steps"], incidents=room.tables["incidents"],
                           risks=room.tables["risks"], kpis=room.tables["kpis"],
                           meta={"timezone": room.meta("timezone", "UTC")})
    known = Known(rows, {event["id"]: event.get("effect") or {}}, {})
    row = Row(event["id"], event["happened_at"], event["recorded_at"], event["operator"], event["action"],
              event["entity"], event["entity_id"], json.dumps(event["payload"], ensure_ascii=False), "", "")
    return what(row, known, event["payload"])
