"""gunicorn's threaded worker, answering the requests it refuses itself in JSON.

gunicorn refuses a request line or header over its limits (config/gunicorn.py) before
Django runs, with a small HTML page. This worker keeps gunicorn's decision (status and
reason) and sends the API's error body instead, so every answer a client gets is JSON.
It imports nothing of Django: gunicorn loads it in the master, before the application.
"""

import json

from gunicorn.workers.gthread import ThreadWorker

# gunicorn's refusals by status; the detail is English (no Django, hence no gettext here).
_CODES = {400: "invalid", 403: "permission_denied", 431: "request_too_large"}
_DETAILS = {
    400: "The request was malformed or its request line is too long.",
    403: "The request was refused.",
    431: "A request header is too large.",
}


class _Captured:
    """Stands in for the client socket while gunicorn writes its HTML error page."""

    def __init__(self):
        self.data = b""

    def gettimeout(self):
        return 0.0

    def sendall(self, data):
        self.data += data


class JsonErrorThreadWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)  # logs, and decides the status
        status_line = captured.data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 3 or not parts[1].isdigit():
            return
        status, reason = int(parts[1]), parts[2]
        body = json.dumps(
            {
                "code": _CODES.get(status, "server_error" if status >= 500 else "invalid"),
                "detail": _DETAILS.get(status, reason),
            }
        ).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        try:
            client.sendall(head + body)
        except OSError:
            self.log.debug("Failed to send error message.")
