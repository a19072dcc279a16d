"""A small local HTTP endpoint for programs that mask prompts: ``piimask serve``.

``POST /mask`` takes the Lambda handler's body, ``{"text", "style", "include_mapping"}``, and
answers as the handler does (:func:`piimask.runtime.aws_lambda.handler` does the work): ``200
{masked_text, entities, style, mapping?}``, ``400 {error}`` for a bad request, ``413`` past the
size limit. Beside it: ``GET /health`` (``200 {"status": "ok"}``), ``404`` for other paths,
``405`` for other methods, ``411`` without a Content-Length. Input never causes a 5xx; a 500
means the masking itself failed.

It binds 127.0.0.1 by default and has no authentication: it is for programs on the same machine.
The model is loaded once, before the server starts; requests are masked one at a time. The log
holds the method, path (without query), status and sizes, never the text.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import aws_lambda

log = logging.getLogger("piimask.runtime.serve")
DEFAULT_MAX_CHARS = 20_000


class MaskHandler(BaseHTTPRequestHandler):
    """One request; ``server.masker``, ``server.limit`` and ``server.lock`` are set by make_server."""

    server_version = "piimask"
    sys_version = ""
    timeout = 30  # seconds a client may take to send its request: a stalled one frees its thread
    protocol_version = "HTTP/1.1"

    # -- answers -------------------------------------------------------------------------------
    def _send(self, status: int, body: dict | str) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("ascii", "backslashreplace")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/") or "/"

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass  # the base class logs the request line; log_request below logs no text

    def log_request(self, code="-", size="-") -> None:
        path = self._path() if self._path() in ("/mask", "/health") else "<other path>"  # a path may hold text
        log.info("%s %s %s", self.command if self.command in ("GET", "HEAD", "POST") else "<other method>", path, code)

    # -- methods -------------------------------------------------------------------------------
    def do_GET(self) -> None:
        if self._path() == "/health":
            self._send(200, {"status": "ok"})
        elif self._path() == "/mask":
            self._send(405, {"error": 'use POST /mask with a JSON body like {"text": "..."}'})
        else:
            self._send(404, {"error": "no such path; use POST /mask or GET /health"})

    do_HEAD = do_GET

    def do_POST(self) -> None:
        if self._path() != "/mask":
            self._send(404, {"error": "no such path; use POST /mask or GET /health"})
            return
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            self._send(411, {"error": "send the body with a Content-Length, not chunked"})
            return
        length = self.headers.get("Content-Length")
        if length is None:
            self._send(411, {"error": "a Content-Length header is needed"})
            return
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            self._send(400, {"error": "Content-Length must be a whole number of bytes"})
            return
        cap = aws_lambda.raw_limit(self.server.limit)
        if n > cap:  # refused before reading: a huge body never enters memory
            self._send(413, {"error": f"body is {n:,} bytes; the text limit is {self.server.limit:,} characters"})
            return
        try:
            raw = self.rfile.read(n)
        except OSError:  # the client went away or stalled past the timeout
            self.close_connection = True
            return
        if len(raw) < n:
            self._send(400, {"error": f"body ended after {len(raw):,} of {n:,} bytes"})
            return
        with self.server.lock:
            resp = aws_lambda.handler({"body": raw}, masker=self.server.masker, limit=self.server.limit)
        self._send(resp["statusCode"], resp["body"])

    def _not_allowed(self) -> None:
        self._send(405, {"error": "use POST /mask or GET /health"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed


def make_server(
    masker, host: str = "127.0.0.1", port: int = 8080, limit: int = DEFAULT_MAX_CHARS
) -> ThreadingHTTPServer:
    """A server (not yet serving) that masks with ``masker``; port 0 picks a free one."""
    server = ThreadingHTTPServer((host, port), MaskHandler)
    server.daemon_threads = True
    server.masker, server.limit, server.lock = masker, limit, threading.Lock()
    return server


def serve(masker, host: str = "127.0.0.1", port: int = 8080, limit: int = DEFAULT_MAX_CHARS, ready=None) -> None:
    """Serve until interrupted; ``ready(server)`` is called once the socket is bound."""
    server = make_server(masker, host, port, limit)
    if ready:
        ready(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
