"""Python client of the longcut job API.

    from longcut.client import Client

    with Client("http://127.0.0.1:8000", token) as api:
        job = api.submit("a red ball bounces on grass", seconds=8)
        for event in api.events(job["id"]):
            print(event["stage"], event["percent"])
        api.wait(job["id"])
        api.download(job["id"], "ball.mp4")
        api.delete(job["id"])  # its files leave the server

Errors the server reports raise ``ApiError`` (a ``LongcutError``) carrying the
HTTP status, the server's message and the limit that was hit, if any.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from longcut.errors import LongcutError

TERMINAL = ("succeeded", "failed", "cancelled")


class ApiError(LongcutError):
    """The server refused a request or could not be reached."""

    def __init__(self, message: str, status: int | None = None, limit: str | None = None) -> None:
        super().__init__(message)
        self.status, self.limit = status, limit


class JobTimeout(LongcutError):
    """``wait`` gave up before the job ended."""


class Client:
    """A connection to one server, authenticated by one token."""

    def __init__(self, base_url: str, token: str, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {token}"},
                                  timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --------------------------------------------------------------- plumbing
    def _request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, url, **kw)
        except httpx.HTTPError as err:
            raise ApiError(f"cannot reach {self.base_url}: {err}") from err
        _raise_for(resp)
        return resp

    # ------------------------------------------------------------------ jobs
    def upload(self, path: str | os.PathLike[str]) -> str:
        """Upload a PNG/JPEG reference image; returns its upload id (a file that cannot be read is an ``InputError``)."""
        from longcut.tools.paths import read_input_bytes

        data = read_input_bytes(path, "reference image", None)  # the server applies its own size limit
        resp = self._request("POST", "/v1/uploads",
                             files={"file": (Path(path).name, data, "application/octet-stream")})
        return resp.json()["id"]

    def submit(self, request: str, seconds: float | None = None, model: str | None = None,
               planner: str | None = None, seed: int = 0, references: dict[str, str | os.PathLike[str]] | None = None,
               idempotency_key: str | None = None, keep_continuity: bool = False,
               judge: str | None = None, narrate: bool = False, voice: str | None = None,
               burn_subtitles: bool = False) -> dict[str, Any]:
        """Queue a video. ``references`` maps names to image files (uploaded first) or upload ids.

        ``judge``: none, evaluator or vlm (the server's vision-language judge); None: the server's default.
        ``narrate``: a narrator speaks a line per shot, subtitled (``voice``, ``burn_subtitles`` imply it).
        """
        refs = []
        for name, ref in (references or {}).items():
            upload_id = self.upload(ref) if Path(ref).is_file() else str(ref)
            refs.append({"name": name, "upload_id": upload_id})
        body = {"request": request, "seconds": seconds, "references": refs,
                "options": {"model": model, "planner": planner, "seed": seed, "keep_continuity": keep_continuity}}
        if judge is not None:
            body["options"]["judge"] = judge
        if narrate or voice or burn_subtitles:
            body["options"] |= {"narrate": narrate, "voice": voice, "burn_subtitles": burn_subtitles}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._request("POST", "/v1/jobs", json=body, headers=headers).json()

    def status(self, job_id: str) -> dict[str, Any]:
        """The job: status, progress, storyboard, error."""
        return self._request("GET", f"/v1/jobs/{_id(job_id)}").json()

    def jobs(self, limit: int = 20, cursor: str | None = None, status: str | None = None) -> dict[str, Any]:
        """One page of your jobs (``jobs``, ``next_cursor``)."""
        params = {k: v for k, v in {"limit": limit, "cursor": cursor, "status": status}.items() if v is not None}
        return self._request("GET", "/v1/jobs", params=params).json()

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Ask the server to stop the job."""
        return self._request("POST", f"/v1/jobs/{_id(job_id)}/cancel").json()

    def delete(self, job_id: str) -> None:
        """Delete a finished job and its files (a queued or running one: cancel it first, else HTTP 409)."""
        self._request("DELETE", f"/v1/jobs/{_id(job_id)}")

    def events(self, job_id: str, last_event_id: int | None = None, reconnects: int = 5) -> Iterator[dict[str, Any]]:
        """Progress events (each with its ``id``) until the job ends; reconnects with ``Last-Event-ID``."""
        last, tries = last_event_id, 0
        while True:
            headers = {"Last-Event-ID": str(last)} if last is not None else {}
            try:
                with self._http.stream("GET", f"/v1/jobs/{_id(job_id)}/events", headers=headers) as resp:
                    if resp.status_code >= 400:
                        resp.read()
                        _raise_for(resp)
                    for kind, event_id, data in _sse(resp.iter_lines()):
                        tries = 0
                        if kind == "end":
                            return
                        if event_id is not None:
                            last = int(event_id)
                        yield {"id": last, **json.loads(data)}
                return  # the server closed the stream without an end: the job is gone
            except (httpx.TransportError, httpx.RemoteProtocolError) as err:
                tries += 1
                if tries > reconnects:
                    raise ApiError(f"lost the event stream of job {job_id!r}: {err}") from err
                time.sleep(min(2.0, 0.2 * 2**tries))

    def wait(self, job_id: str, timeout: float | None = None,
             on_event: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Follow the job until it ends; returns its final status (whatever it is)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for event in self.events(job_id):
            if on_event is not None:
                on_event(event)
            if deadline is not None and time.monotonic() > deadline:
                break
        job = self.status(job_id)
        while job["status"] not in TERMINAL:
            if deadline is not None and time.monotonic() > deadline:
                raise JobTimeout(f"job {job_id!r} is still {job['status']} after {timeout:g}s")
            time.sleep(0.5)
            job = self.status(job_id)
        return job

    def download(self, job_id: str, out: str | os.PathLike[str]) -> Path:
        """Save the finished video to ``out`` (written under a temporary name, then renamed)."""
        from longcut.tools.paths import atomic_output

        out = Path(out).expanduser()
        with atomic_output(out) as tmp:
            try:
                with self._http.stream("GET", f"/v1/jobs/{_id(job_id)}/result") as resp:
                    if resp.status_code >= 400:
                        resp.read()
                        _raise_for(resp)
                    with open(tmp, "wb") as fh:
                        for block in resp.iter_bytes(1 << 20):
                            fh.write(block)
            except httpx.HTTPError as err:
                raise ApiError(f"download of job {job_id!r} failed: {err}") from err
        return out

    def subtitles(self, job_id: str, fmt: str = "srt") -> str:
        """The subtitles of a finished narrated video, as SubRip (``srt``) or WebVTT (``vtt``) text."""
        if fmt not in ("srt", "vtt"):
            raise ValueError(f"subtitle format must be srt or vtt, got {fmt!r}")
        return self._request("GET", f"/v1/jobs/{_id(job_id)}/result/subtitles.{fmt}").content.decode("utf-8")

    def project(self, job_id: str) -> dict[str, Any]:
        """The project JSON of a finished job."""
        return self._request("GET", f"/v1/jobs/{_id(job_id)}/result/project").json()

    # -------------------------------------------------------------- sessions
    def refine(self, session: str, feedback: str, idempotency_key: str | None = None) -> dict[str, Any]:
        """A new turn of a session: a job that regenerates only what the feedback changes."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._request("POST", f"/v1/sessions/{_id(session)}/turns", json={"feedback": feedback},
                             headers=headers).json()

    def session(self, name: str) -> dict[str, Any]:
        """A session's revisions and jobs."""
        return self._request("GET", f"/v1/sessions/{_id(name)}").json()


def _id(value: str) -> str:
    """An id as one URL path segment (a ``/`` or ``?`` in it can never reach another endpoint)."""
    return quote(str(value), safe="")


def _raise_for(resp: httpx.Response) -> None:
    if resp.status_code < 400:
        return
    try:
        body = resp.json()
    except ValueError:
        body = {"detail": resp.text[:300]}
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, list):  # request validation: field: message
        detail = "; ".join(f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}" for d in detail)
    limit = body.get("limit") if isinstance(body, dict) else None
    raise ApiError(f"HTTP {resp.status_code}: {detail}", resp.status_code, limit)


def _sse(lines: Iterator[str]) -> Iterator[tuple[str, str | None, str]]:
    """Parse a Server-Sent Events stream into (event, id, data) triples."""
    kind, event_id, data = "message", None, []
    for line in lines:
        if not line:
            if data:
                yield kind, event_id, "\n".join(data)
            kind, event_id, data = "message", None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            kind = value
        elif field == "id":
            event_id = value
        elif field == "data":
            data.append(value)
