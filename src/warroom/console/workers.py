"""The one way the console runs something in the background, once Textual is up.

A job (a read, a write, an export, a checkpoint, an import) runs in a Textual thread
worker and hands its result back as a Message (console/messages.py), posted to the node
that started it and handled there by an `on_<message>` method; a job with nothing to say
returns None. Every worker belongs to the App, whose one `worker_changed` handler tells any
failure (Worker.StateChanged does not bubble: a screen's own worker would fail unseen). A
worker never ends the console (exit_on_error=False), and a cancelled one posts nothing.

Writes never go in an exclusive group: exclusive cancels the previous worker of the group,
and a cancelled write would still be recorded, unseen.

The one exception is the read of the room begun at start-up (WarRoomApp.__init__), before
Textual runs: see there why it cannot be a worker."""
from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, get_current_worker

Job = Callable[[], Message | None]


def start_worker(node: MessagePump, job: Job, *, group: str, description: str = "",
                 exclusive: bool = False) -> Worker[None]:
    """Run `job` in a thread; post the Message it returns to `node`, unless cancelled meanwhile.
    `group` names the kind of work, as `worker_changed` tells its failures."""

    def run() -> None:
        message = job()
        if message is not None and not get_current_worker().is_cancelled:
            node.post_message(message)

    return node.app.run_worker(run, group=group, description=description or group, exit_on_error=False,
                               exclusive=exclusive, thread=True)
