"""The ML backend served over real HTTP from a background thread, for tests and bench/, and stopped cleanly.

``python -m pedpatterns.labelstudio backend`` runs waitress' loop in its main thread and closes it there. A test
or a benchmark runs the loop in a thread of its own; closing the server from outside races that loop's
``select()`` on the sockets being closed (the thread dies with "Bad file descriptor", seen in CI). So the
server is closed from inside its loop: a trigger's thunk closes every socket of the loop's map, the loop
finds its map empty and returns, and the thread is joined before the backend itself is closed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from pedpatterns.models.backend import LiveBackend, create_app


@contextlib.contextmanager
def backend_served(backend: LiveBackend, host: str = "127.0.0.1") -> Iterator[str]:
    """``backend`` over HTTP on a free port while the block runs: its base URL. Closes the backend at the end."""
    from waitress import create_server

    server = create_server(create_app(backend), host=host, port=0, threads=4, ident="pedpatterns-backend")
    thread = threading.Thread(target=server.run, name="pedpatterns-backend-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        server.trigger.pull_trigger(lambda: [d.close() for d in list(server._map.values())])
        thread.join(30)
        server.task_dispatcher.shutdown()
        backend.close()
