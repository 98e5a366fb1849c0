"""Refuse oversized request bodies before they are read into memory.

A declared ``Content-Length`` over the limit is answered 413 at once; a
chunked body is read here up to the limit (413 past it) and handed on whole.
Uvicorn itself refuses a body longer than its declared length.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huizhen.api.errors import error_body


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes or declared < 0:
                    await self._refuse(send, declared)
                    return
        if scope.get("method") in ("GET", "HEAD", "DELETE", "OPTIONS") or any(
                name == b"content-length" for name, _ in scope.get("headers", [])):
            await self.app(scope, receive, send)
            return
        # A streamed (chunked) body: read it here, up to the limit, then replay it.
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(send, None)
                return
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(parts)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, declared: int | None) -> None:
        if declared is None:
            message, field = f"request body exceeds the limit of {self.max_bytes} bytes", "body"
        elif declared >= 0:
            message = f"request body of {declared} bytes exceeds the limit of {self.max_bytes}"
            field = "Content-Length"
        else:
            message, field = "invalid Content-Length", "Content-Length"
        status = 400 if declared is not None and declared < 0 else 413
        body = json.dumps(error_body("PayloadTooLargeError" if status == 413 else "InputError",
                                     message, field, declared)).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
