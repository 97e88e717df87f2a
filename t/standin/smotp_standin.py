#!/usr/bin/env python3
"""Local stand-in for the StartMessaging OTP API.

The tests and the demo of ngx_http_smotp_module never reach the real API
(https://api.startmessaging.com); they talk to this server instead.  It
speaks the same JSON envelope, keeps OTP requests and idempotency keys per
API key, "sends" SMS into an in-memory inbox (printed to stdout unless
--quiet), and can be told, one request at a time, to misbehave.

Usage:

    python3 t/standin/smotp_standin.py --port 19850 \\
        [--tls-port 19851 --cert server.crt --key server.key] \\
        --api-key sm_test_0123456789abcdef [--api-key another ...] \\
        [--listen 127.0.0.1] [--pid-file F] [--otp-ttl 600] \\
        [--quiet] [--verbose]

API (X-API-Key required):  POST /otp/send, POST /otp/verify,
                           POST /otp/resend, GET /wallet
Test helpers (no key):     GET /_test/inbox?phone=..., GET /_test/last?...,
                           GET /_test/stats[?...], POST /_test/reset
Fault injection:           request header "X-Standin-Fault: a=1; b=2",
                           see FAULT_PARAMS below and README.md.

Only the Python 3 standard library is used (python3 >= 3.11).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


PHONE_RE = re.compile(r"\+[1-9][0-9]{7,14}")       # used with fullmatch
DEFAULT_API_KEY = "sm_test_0123456789abcdef"
DEFAULT_OTP_TTL = 600.0
OTP_ATTEMPTS = 3
WALLET = {"balance": 250.0, "currency": "INR"}
MAX_BODY = 10 * 1024 * 1024
HUGE_SIZE = 200 * 1024
SERVER_NAME = "smotp-standin/1.0"

SEND, VERIFY, RESEND, WALLET_PATH = "/otp/send", "/otp/verify", \
    "/otp/resend", "/wallet"


# --------------------------------------------------------------------------
# small helpers

def iso_utc(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and a Z: 2026-02-15T10:30:00.000Z."""
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 characters, stars in between."""
    if len(phone) <= 7:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def to_json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def query_param(query: dict[str, list[str]], name: str) -> str | None:
    """A query parameter; a phone's unencoded '+' (decoded as ' ') is kept."""
    values = query.get(name)
    if not values:
        return None
    value = values[-1]
    if value.startswith(" "):
        value = "+" + value[1:]
    return value


# --------------------------------------------------------------------------
# results and responses

@dataclass
class ApiResult:
    """What an API handler answers, before it is put in the envelope."""
    status: int
    data: dict | None = None
    message: str | None = None
    message_id: str | None = None      # for id_name=otpRequestId
    success: bool | None = None        # default: message is None

    @property
    def ok(self) -> bool:
        return self.message is None if self.success is None else self.success


@dataclass
class Response:
    """Bytes ready to be written, and how to frame them."""
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def plain_json(status: int, obj: Any) -> Response:
    return Response(status, to_json(obj))


# --------------------------------------------------------------------------
# shared state

@dataclass
class OtpRequest:
    request_id: str
    phone: str
    code: str
    expires_at: float
    attempts_left: int
    message_id: str
    verified: bool = False


@dataclass
class Account:
    otps: dict[str, OtpRequest] = field(default_factory=dict)
    idempotency: dict[Any, ApiResult] = field(default_factory=dict)


@dataclass
class Sms:
    phone: str
    code: str
    request_id: str


class State:
    """Everything the server remembers; every access holds self.lock."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self.lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.inbox: dict[str, dict] = {}          # phone -> latest SMS
        self.by_phone: dict[str, dict] = {}       # phone -> {count, last}
        self.by_request_id: dict[str, dict] = {}  # requestId -> {count, last}
        self.fault_hits: dict[tuple, int] = {}
        self.connections = 0
        self.requests = 0
        self.sms = 0

    def reset(self) -> None:
        with self.lock:
            self._clear()

    # ---- statistics and the request log

    def count_connection(self) -> None:
        with self.lock:
            self.connections += 1

    def record_request(self, entry: dict) -> None:
        body = entry["body"]
        with self.lock:
            self.requests += 1
            if not isinstance(body, dict):
                return
            for value, index in ((body.get("phoneNumber"), self.by_phone),
                                 (body.get("requestId"), self.by_request_id)):
                if isinstance(value, str):
                    slot = index.setdefault(value, {"count": 0, "last": None})
                    slot["count"] += 1
                    slot["last"] = entry

    def last_request(self, phone: str | None, request_id: str | None):
        with self.lock:
            slot = (self.by_phone.get(phone) if phone is not None
                    else self.by_request_id.get(request_id))
            return slot["last"] if slot else None

    def stats(self, phone: str | None, request_id: str | None) -> dict:
        with self.lock:
            if phone is not None:
                slot = self.by_phone.get(phone)
                sms = self.inbox.get(phone)
                return {"requests": slot["count"] if slot else 0,
                        "sms": sms["count"] if sms else 0}
            if request_id is not None:
                slot = self.by_request_id.get(request_id)
                return {"requests": slot["count"] if slot else 0}
            return {"connections": self.connections,
                    "requests": self.requests, "sms": self.sms}

    def latest_sms(self, phone: str) -> dict | None:
        with self.lock:
            sms = self.inbox.get(phone)
            return dict(sms) if sms else None

    def fault_hit(self, key: tuple) -> int:
        """Count one more request carrying this fault; return the count."""
        with self.lock:
            self.fault_hits[key] = self.fault_hits.get(key, 0) + 1
            return self.fault_hits[key]

    # ---- OTP operations (each one atomic)

    def _deliver(self, otp: OtpRequest) -> Sms:
        self.sms += 1
        slot = self.inbox.get(otp.phone)
        count = slot["count"] + 1 if slot else 1
        self.inbox[otp.phone] = {"phoneNumber": otp.phone, "code": otp.code,
                                 "requestId": otp.request_id, "count": count}
        return Sms(otp.phone, otp.code, otp.request_id)

    @staticmethod
    def _otp_data(otp: OtpRequest) -> dict:
        return {"requestId": otp.request_id,
                "expiresAt": iso_utc(otp.expires_at),
                "attemptsLeft": otp.attempts_left}

    def send(self, api_key: str, phone: str, idem_key: str
             ) -> tuple[ApiResult, Sms | None]:
        with self.lock:
            account = self.accounts.setdefault(api_key, Account())
            first = account.idempotency.get(idem_key)
            if first is not None:
                return first, None
            otp = OtpRequest(request_id=str(uuid.uuid4()), phone=phone,
                             code=f"{secrets.randbelow(10 ** 6):06d}",
                             expires_at=time.time() + self.ttl,
                             attempts_left=OTP_ATTEMPTS,
                             message_id=new_message_id())
            account.otps[otp.request_id] = otp
            result = ApiResult(201, self._otp_data(otp),
                               message_id=otp.message_id)
            account.idempotency[idem_key] = result
            return result, self._deliver(otp)

    def verify(self, api_key: str, request_id: str, code: str) -> ApiResult:
        with self.lock:
            account = self.accounts.setdefault(api_key, Account())
            otp = account.otps.get(request_id)
            if otp is None:
                return ApiResult(404, message="OTP request not found")
            if (otp.verified or otp.attempts_left <= 0
                    or time.time() >= otp.expires_at):
                return ApiResult(410, message="OTP request expired")
            if secrets.compare_digest(otp.code.encode(), code.encode()):
                otp.verified = True
                return ApiResult(200, {"verified": True})
            otp.attempts_left -= 1
            return ApiResult(200, {"verified": False,
                                   "attemptsLeft": otp.attempts_left})

    def resend(self, api_key: str, request_id: str, idem_key: str | None
               ) -> tuple[ApiResult, Sms | None]:
        with self.lock:
            account = self.accounts.setdefault(api_key, Account())
            # a resend's key is its own: the same key twice is one SMS
            idem = None if idem_key is None else ("resend", idem_key)
            first = account.idempotency.get(idem) if idem else None
            if first is not None:
                return first, None
            otp = account.otps.get(request_id)
            if otp is None:
                return ApiResult(404, message="OTP request not found"), None
            if otp.verified or time.time() >= otp.expires_at:
                return ApiResult(410, message="OTP request expired"), None
            otp.code = f"{secrets.randbelow(10 ** 6):06d}"
            otp.expires_at = time.time() + self.ttl
            otp.attempts_left = OTP_ATTEMPTS
            otp.message_id = new_message_id()
            result = ApiResult(200, self._otp_data(otp),
                               message_id=otp.message_id)
            if idem:
                account.idempotency[idem] = result
            return result, self._deliver(otp)


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(8)


# --------------------------------------------------------------------------
# fault injection

def _number(kind: type, low: float, high: float) -> Callable[[str], Any]:
    def check(value: str):
        number = kind(value)
        if not low <= number <= high:
            raise ValueError(f"must be {low}..{high}")
        return number
    return check


def _one_of(*allowed: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return check


def _raw_text(value: str) -> bytes:
    """Bytes given in hex, to be sent unescaped inside a JSON string: any
    byte but '"', '\\' and control characters, which would end or break
    the string; not checked to be UTF-8, which is the point."""
    raw = bytes.fromhex(value)
    if any(b < 0x20 or b in b'"\\' for b in raw):
        raise ValueError("no control characters, '\"' or '\\'")
    return raw


# stands for message_hex's bytes in the envelope until it is serialised
RAW_MESSAGE = "\x00smotp-standin-raw-message\x00"


# name -> validator of its value (raises ValueError)
FAULT_PARAMS: dict[str, Callable[[str], Any]] = {
    "status": _number(int, 100, 599),
    "message": str,
    "message_field": _one_of("message", "error"),
    "message_hex": _raw_text,
    "retry_after": str,
    "delay": _number(float, 0, 3600),
    "reset": _one_of("headers", "body", "midway"),
    "body": _one_of("nonjson", "nodata", "wrongtypes", "truncated", "huge",
                    "notobject"),
    "chunked": _one_of("0", "1"),
    "close": _one_of("0", "1"),
    "id_name": _one_of("requestId", "otpRequestId"),
    "id": str,
    "fail_first": _number(int, 0, 1_000_000),
    "attempts_left": json.loads,
    "pad": _number(int, 0, 1_000_000),
}


class FaultError(ValueError):
    pass


def parse_faults(header: str) -> dict[str, Any]:
    """Parse "name=value; name=value" into validated values."""
    faults: dict[str, Any] = {}
    for part in header.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not eq or name not in FAULT_PARAMS:
            raise FaultError(f"unknown fault parameter {part!r}")
        try:
            faults[name] = FAULT_PARAMS[name](value)
        except ValueError as e:
            raise FaultError(f"bad fault parameter {part!r}: {e}") from None
    for flag in ("chunked", "close"):
        if faults.get(flag) == "0":
            del faults[flag]
    return faults


def fault_subject(path: str, body: Any) -> str | None:
    """What fail_first counts per: the idempotency key or the request id."""
    if not isinstance(body, dict):
        return None
    name = "idempotencyKey" if path == SEND else "requestId"
    value = body.get(name) if path in (SEND, VERIFY, RESEND) else None
    return value if isinstance(value, str) else None


def synthetic_data(path: str, ttl: float) -> dict:
    """Plausible success data for a faulted answer (nothing is stored)."""
    if path in (SEND, RESEND):
        return {"requestId": str(uuid.uuid4()),
                "expiresAt": iso_utc(time.time() + ttl),
                "attemptsLeft": OTP_ATTEMPTS}
    if path == VERIFY:
        return {"verified": True}
    if path == WALLET_PATH:
        return dict(WALLET)
    return {}


def wrong_types_data(path: str) -> dict:
    """The right keys with the wrong JSON types."""
    if path in (SEND, RESEND):
        return {"requestId": 123456789, "expiresAt": 1767225600,
                "attemptsLeft": "3"}
    if path == VERIFY:
        return {"verified": "true"}
    if path == WALLET_PATH:
        return {"balance": "250.0", "currency": 356}
    return {"data": 0}


HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Service Unavailable"
             b"</title></head>\n<body><h1>Service temporarily unavailable"
             b"</h1><p>Please try again later.</p></body></html>\n")


# --------------------------------------------------------------------------
# the application: routes, envelope, faults

@dataclass
class Route:
    methods: tuple[str, ...]
    handler: Callable


class App:
    """Turns a parsed request into a Response; owns the State."""

    def __init__(self, api_keys: list[str], ttl: float, quiet: bool,
                 verbose: bool):
        self.api_keys = frozenset(api_keys)
        self.ttl = ttl
        self.quiet = quiet
        self.verbose = verbose
        self.state = State(ttl)
        self.print_lock = threading.Lock()
        self.api_routes = {
            SEND: Route(("POST",), self.otp_send),
            VERIFY: Route(("POST",), self.otp_verify),
            RESEND: Route(("POST",), self.otp_resend),
            WALLET_PATH: Route(("GET",), self.wallet),
        }
        self.test_routes = {
            "/_test/inbox": Route(("GET",), self.test_inbox),
            "/_test/last": Route(("GET",), self.test_last),
            "/_test/stats": Route(("GET",), self.test_stats),
            "/_test/reset": Route(("POST",), self.test_reset),
        }

    def key_valid(self, api_key: str | None) -> bool:
        return api_key is not None and api_key in self.api_keys

    def say(self, line: str) -> None:
        with self.print_lock:
            try:
                print(line, flush=True)
            except (OSError, ValueError):
                pass

    def print_sms(self, sms: Sms | None) -> None:
        if sms is not None and not self.quiet:
            self.say(f"SMS to {mask_phone(sms.phone)}: your code is "
                     f"{sms.code} (requestId {sms.request_id})")

    # ---- API handlers: (api_key, body) -> ApiResult

    def otp_send(self, api_key: str, body: Any) -> ApiResult:
        if not isinstance(body, dict):
            return ApiResult(400, message="Request body must be a JSON object")
        phone = body.get("phoneNumber")
        if not isinstance(phone, str) or not PHONE_RE.fullmatch(phone):
            return ApiResult(400, message="phoneNumber must be in E.164 "
                             "format, e.g. +919876543210")
        idem = body.get("idempotencyKey")
        if not isinstance(idem, str) or not idem:
            return ApiResult(400, message="idempotencyKey is required and "
                             "must be a non-empty string")
        result, sms = self.state.send(api_key, phone, idem)
        self.print_sms(sms)
        return result

    def otp_verify(self, api_key: str, body: Any) -> ApiResult:
        if not isinstance(body, dict):
            return ApiResult(400, message="Request body must be a JSON object")
        request_id, code = body.get("requestId"), body.get("otpCode")
        if not isinstance(request_id, str) or not request_id:
            return ApiResult(400, message="requestId is required and must "
                             "be a string")
        if not isinstance(code, str) or not code:
            return ApiResult(400, message="otpCode is required and must be "
                             "a string")
        return self.state.verify(api_key, request_id, code)

    def otp_resend(self, api_key: str, body: Any) -> ApiResult:
        if not isinstance(body, dict):
            return ApiResult(400, message="Request body must be a JSON object")
        request_id = body.get("requestId")
        if not isinstance(request_id, str) or not request_id:
            return ApiResult(400, message="requestId is required and must "
                             "be a string")
        idem = body.get("idempotencyKey")
        if idem is not None and (not isinstance(idem, str) or not idem):
            return ApiResult(400, message="idempotencyKey must be a "
                             "non-empty string")
        result, sms = self.state.resend(api_key, request_id, idem)
        self.print_sms(sms)
        return result

    def wallet(self, api_key: str, body: Any) -> ApiResult:
        return ApiResult(200, dict(WALLET))

    # ---- the API side

    def api_result(self, method: str, path: str, api_key: str | None,
                   body: Any) -> tuple[ApiResult, list[tuple[str, str]]]:
        """Route, check method and key, run the real handler."""
        route = self.api_routes.get(path)
        if route is None:
            return ApiResult(404, message=f"Cannot {method} {path}"), []
        if method not in route.methods:
            return (ApiResult(405, message=f"Method {method} not allowed"),
                    [("Allow", ", ".join(route.methods))])
        if not self.key_valid(api_key):
            return ApiResult(401, message="Invalid API key"), []
        return route.handler(api_key, body), []

    def faulted_result(self, path: str, faults: dict) -> ApiResult:
        """An answer made up in place of the real handler: nothing stored,
        no SMS sent."""
        status = faults.get("status")
        if status is not None:
            return ApiResult(status, message=faults.get(
                "message", f"injected {status}"), success=False)
        kind = faults["body"]
        # nonjson, nodata and notobject answer 200; the "valid looking"
        # faults answer what the endpoint would (201 for a send).
        valid_looking = ("wrongtypes", "huge", "truncated")
        status = 201 if path == SEND and kind in valid_looking else 200
        if kind == "nodata":
            return ApiResult(status, None, success=True)
        if kind == "wrongtypes":
            return ApiResult(status, wrong_types_data(path),
                             message_id=new_message_id())
        return ApiResult(status, synthetic_data(path, self.ttl),
                         message_id=new_message_id())

    def envelope(self, result: ApiResult, faults: dict) -> dict:
        env: dict[str, Any] = {
            "success": result.ok,
            "statusCode": result.status,
            "requestId": "req_" + secrets.token_hex(6),
            "timestamp": iso_utc(time.time()),
        }
        if result.ok:
            if result.data is not None:
                env["data"] = self.rename_id(result, faults)
        else:
            env[faults.get("message_field", "message")] = (
                RAW_MESSAGE if "message_hex" in faults
                else result.message or status_phrase(result.status))
        return env

    @staticmethod
    def raw_message(body: bytes, faults: dict) -> bytes:
        """message_hex's bytes in place of their stand-in, unescaped."""
        if "message_hex" not in faults:
            return body
        return body.replace(to_json(RAW_MESSAGE),
                            b'"' + faults["message_hex"] + b'"', 1)

    def failure(self, status: int, message: str) -> Response:
        """A failure envelope outside the API handlers (bad request...)."""
        return Response(status, to_json(self.envelope(
            ApiResult(status, message=message), {})))

    @staticmethod
    def rename_id(result: ApiResult, faults: dict) -> dict:
        data = result.data or {}
        if "id" in faults and "requestId" in data:
            data = dict(data, requestId=faults["id"])
        if "attempts_left" in faults:
            data = dict(data, attemptsLeft=faults["attempts_left"])
        if faults.get("id_name") != "otpRequestId" or "requestId" not in data:
            return data
        renamed = {"otpRequestId": data["requestId"]}
        renamed.update((k, v) for k, v in data.items() if k != "requestId")
        renamed["messageId"] = result.message_id or new_message_id()
        renamed["status"] = "queued"
        return renamed

    def api_response(self, method: str, path: str, api_key: str | None,
                     body: Any, faults: dict) -> Response:
        """The whole answer to an API call, with status/body faults."""
        extra: list[tuple[str, str]] = []
        if "status" in faults or "body" in faults:
            result = self.faulted_result(path, faults)
        else:
            result, extra = self.api_result(method, path, api_key, body)
        if "retry_after" in faults:
            extra.append(("Retry-After", faults["retry_after"]))

        kind = faults.get("body")
        if kind == "nonjson":
            return Response(result.status, HTML_PAGE,
                            "text/html; charset=utf-8", extra)
        env = self.envelope(result, faults)
        if kind == "notobject":
            return Response(result.status,
                            self.raw_message(to_json([env]), faults),
                            headers=extra)
        size = HUGE_SIZE if kind == "huge" else faults.get("pad")
        if size is not None:
            env["padding"] = ""
            room = size - len(to_json(env))
            env["padding"] = "x" * max(room, 0)
        return Response(result.status, self.raw_message(to_json(env), faults),
                        headers=extra)

    # ---- test helpers (no API key)

    def test_response(self, method: str, path: str,
                      query: dict[str, list[str]]) -> Response:
        route = self.test_routes.get(path)
        if route is None:
            return plain_json(404, {"error": "not found"})
        if method not in route.methods:
            resp = plain_json(405, {"error": "method not allowed"})
            resp.headers.append(("Allow", ", ".join(route.methods)))
            return resp
        return route.handler(query)

    def test_inbox(self, query) -> Response:
        phone = query_param(query, "phone")
        if phone is None:
            return plain_json(400, {"error": "phone is required"})
        sms = self.state.latest_sms(phone)
        if sms is None:
            return plain_json(404, {"error": "no SMS"})
        return plain_json(200, sms)

    def test_last(self, query) -> Response:
        phone = query_param(query, "phone")
        request_id = query_param(query, "requestId")
        if phone is None and request_id is None:
            return plain_json(400, {"error": "phone or requestId is required"})
        entry = self.state.last_request(phone, request_id)
        if entry is None:
            return plain_json(404, {"error": "no request"})
        return plain_json(200, entry)

    def test_stats(self, query) -> Response:
        return plain_json(200, self.state.stats(
            query_param(query, "phone"), query_param(query, "requestId")))

    def test_reset(self, query) -> Response:
        self.state.reset()
        return plain_json(200, {"reset": True})


# --------------------------------------------------------------------------
# HTTP plumbing

class BodyError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    """One connection; keepalive, chunked bodies, and the transport faults."""

    protocol_version = "HTTP/1.1"
    server_version = SERVER_NAME
    sys_version = ""
    timeout = 300                   # idle keepalive connections
    disable_nagle_algorithm = True
    server: "StandinServer"

    @property
    def app(self) -> App:
        return self.server.app

    def setup(self) -> None:
        self.app.state.count_connection()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()

    # ---- one request

    def _dispatch(self) -> None:
        try:
            self._handle()
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
            raise
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            try:
                self._emit(self.app.failure(500, "stand-in bug"), {})
            except OSError:
                pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = \
        do_HEAD = _dispatch

    def _handle(self) -> None:
        url = urlsplit(self.path)
        path = url.path

        if path.startswith("/_test/"):
            if self._read_body_or_fail() is None:
                return
            self._emit(self.app.test_response(self.command, path,
                                              parse_qs(url.query)), {})
            return

        raw_faults = "; ".join(self.headers.get_all("X-Standin-Fault") or [])
        try:
            faults, fault_error = parse_faults(raw_faults), None
        except FaultError as e:
            faults, fault_error = {}, str(e)

        if faults.get("reset") == "headers" and "fail_first" not in faults:
            self._delay(faults)
            self._reset_connection()
            return

        raw = self._read_body_or_fail()
        if raw is None:
            return
        body = self._parse_json(raw)
        api_key = self.headers.get("X-API-Key")
        self.app.state.record_request({
            "method": self.command,
            "path": path,
            "headerNames": sorted(n.lower() for n in self.headers.keys()),
            "apiKeyValid": self.app.key_valid(api_key),
            "body": body,
        })

        if fault_error is not None:
            print(f"smotp-standin: {fault_error}", file=sys.stderr, flush=True)
            self._emit(self.app.failure(400, "stand-in: " + fault_error), {})
            return

        faults = self._active_faults(faults, raw_faults, path, body)
        self._delay(faults)
        if faults.get("reset") in ("headers", "body"):
            self._reset_connection()
            return
        self._emit(self.app.api_response(self.command, path, api_key, body,
                                         faults), faults)

    def _active_faults(self, faults: dict, raw: str, path: str,
                       body: Any) -> dict:
        """Apply fail_first: past the first N, only id_name is kept."""
        if "fail_first" not in faults:
            return faults
        hits = self.app.state.fault_hit((raw, path, fault_subject(path, body)))
        if hits <= faults["fail_first"]:
            return faults
        return {k: v for k, v in faults.items() if k == "id_name"}

    @staticmethod
    def _delay(faults: dict) -> None:
        if faults.get("delay"):
            time.sleep(faults["delay"])

    @staticmethod
    def _parse_json(raw: bytes) -> Any:
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    # ---- request bodies

    def _read_body_or_fail(self) -> bytes | None:
        try:
            return self._read_body()
        except BodyError as e:
            self.close_connection = True
            self._emit(self.app.failure(e.status, str(e)), {})
            return None

    def _read_body(self) -> bytes:
        te = self.headers.get("Transfer-Encoding", "")
        if te:
            if te.strip().lower() != "chunked":
                raise BodyError(501, f"Transfer-Encoding {te!r} not supported")
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            raise BodyError(400, "bad Content-Length")
        n = int(length)
        if n > MAX_BODY:
            raise BodyError(413, "request body too large")
        data = self.rfile.read(n)
        if len(data) < n:
            raise ConnectionResetError("client closed during the body")
        return data

    def _read_chunked(self) -> bytes:
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise ConnectionResetError("client closed during the body")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BodyError(400, "bad chunk size") from None
            if size < 0:
                raise BodyError(400, "bad chunk size")
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise BodyError(413, "request body too large")
            data = self.rfile.read(size)
            if len(data) < size:
                raise ConnectionResetError("client closed during the body")
            chunks.append(data)
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise BodyError(400, "bad chunk terminator")
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass                                    # trailers
        return b"".join(chunks)

    # ---- responses

    def _header_lines(self, resp: Response, faults: dict) -> list[bytes]:
        reason = status_phrase(resp.status)
        chunked = "chunked" in faults
        closing = ("close" in faults or faults.get("body") == "truncated"
                   or self.close_connection)
        lines = [f"HTTP/1.1 {resp.status} {reason}",
                 f"Server: {SERVER_NAME}",
                 f"Date: {self.date_time_string()}",
                 f"Content-Type: {resp.content_type}"]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif "close" not in faults:
            lines.append(f"Content-Length: {len(resp.body)}")
        lines += [f"{name}: {value}" for name, value in resp.headers]
        lines.append("Connection: " + ("close" if closing else "keep-alive"))
        if closing:
            self.close_connection = True
        return [line.encode("latin-1") + b"\r\n" for line in lines]

    def _emit(self, resp: Response, faults: dict) -> None:
        """Write resp, framed as the faults say (chunked, close, truncated,
        reset=midway)."""
        lines = self._header_lines(resp, faults)
        self.log_request(resp.status, len(resp.body))

        if faults.get("reset") == "midway":
            half = max(2, (len(lines) + 1) // 2)
            self.wfile.write(b"".join(lines[:half]))
            time.sleep(0.05)            # let the client read the bytes first
            self._reset_connection()
            return

        head = b"".join(lines) + b"\r\n"
        body = b"" if self.command == "HEAD" else resp.body
        truncated = faults.get("body") == "truncated"
        if truncated:
            body = body[:len(body) // 2]

        if "chunked" in faults and self.command != "HEAD":
            self.wfile.write(head)
            for piece in split_in(body, 3):
                time.sleep(0.01)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            if not truncated:
                self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(head + body)

    def _reset_connection(self) -> None:
        """Abort with a TCP RST (SO_LINGER 0), answering nothing more.

        The socket is really closed, hence reset, by finish() right after
        this request, when rfile and wfile let go of it."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    # ---- errors and logs

    def send_error(self, code, message=None, explain=None) -> None:
        """Protocol errors (bad request line, ...) also answer JSON."""
        self.close_connection = True
        try:
            self._emit(self.app.failure(code, message or status_phrase(code)),
                       {})
        except OSError:
            pass

    def log_message(self, format: str, *args) -> None:
        if self.app.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def log_error(self, format: str, *args) -> None:
        text = format % args
        if self.app.verbose or not text.startswith("Request timed out"):
            sys.stderr.write(f"smotp-standin: {text}\n")


def split_in(data: bytes, n: int) -> list[bytes]:
    """Split data in up to n non-empty pieces."""
    if not data:
        return []
    step = max(1, -(-len(data) // n))
    return [data[i:i + step] for i in range(0, len(data), step)]


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App,
                 ssl_context: ssl.SSLContext | None):
        self.app = app
        self.ssl_context = ssl_context
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind() resolves the host name: slow without DNS.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_context is not None:
            # The handshake runs in the connection's own thread (setup()).
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            if self.app.verbose:
                print(f"smotp-standin: {client_address[0]}: "
                      f"{type(exc).__name__}: {exc}", file=sys.stderr)
        elif isinstance(exc, OSError):
            print(f"smotp-standin: {client_address[0]}: {exc}",
                  file=sys.stderr)
        else:
            print(f"smotp-standin: error on a connection from "
                  f"{client_address[0]}:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)


# --------------------------------------------------------------------------
# command line

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Local stand-in for the StartMessaging OTP API.")
    p.add_argument("--port", type=int, help="plain HTTP port")
    p.add_argument("--tls-port", type=int, help="HTTPS port (needs --cert "
                   "and --key)")
    p.add_argument("--cert", help="PEM server certificate (chain)")
    p.add_argument("--key", help="PEM private key of --cert")
    p.add_argument("--api-key", action="append", dest="api_keys",
                   metavar="KEY", help="a valid X-API-Key (repeatable; "
                   f"default {DEFAULT_API_KEY})")
    p.add_argument("--listen", default="127.0.0.1", help="address to bind "
                   "(default 127.0.0.1)")
    p.add_argument("--pid-file", help="write the pid here once listening")
    p.add_argument("--otp-ttl", type=float, default=DEFAULT_OTP_TTL,
                   metavar="SECONDS", help="OTP lifetime (default 600)")
    p.add_argument("--quiet", action="store_true",
                   help="do not print the SMS or the banner")
    p.add_argument("--verbose", action="store_true",
                   help="log every request and connection error to stderr")
    args = p.parse_args(argv)
    if args.port is None and args.tls_port is None:
        p.error("give --port and/or --tls-port")
    if args.tls_port is not None and not (args.cert and args.key):
        p.error("--tls-port needs --cert and --key")
    if not args.api_keys:
        args.api_keys = [DEFAULT_API_KEY]
    return args


def make_ssl_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def write_pid_file(path: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(tmp, path)


def remove_pid_file(path: str) -> None:
    try:
        with open(path) as f:
            if f.read().strip() == str(os.getpid()):
                os.unlink(path)
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = App(args.api_keys, args.otp_ttl, args.quiet, args.verbose)

    servers: list[tuple[str, StandinServer]] = []
    try:
        if args.port is not None:
            servers.append(("http", StandinServer(
                (args.listen, args.port), app, None)))
        if args.tls_port is not None:
            try:
                ctx = make_ssl_context(args.cert, args.key)
            except (OSError, ssl.SSLError) as e:
                raise OSError(f"--cert/--key: {e}") from None
            servers.append(("https", StandinServer(
                (args.listen, args.tls_port), app, ctx)))
    except (OSError, ssl.SSLError) as e:
        print(f"smotp-standin: cannot start: {e}", file=sys.stderr)
        return 1

    # a plain flag: the handler runs in the main thread between two of its
    # bytecodes, and a threading.Event's set() there would take the lock
    # its wait() may hold at that moment, and hang the stand-in for good
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))

    for _, server in servers:
        threading.Thread(target=server.serve_forever, kwargs={
            "poll_interval": 0.2}, daemon=True).start()
    if args.pid_file:
        write_pid_file(args.pid_file)
    if not args.quiet:
        host = f"[{args.listen}]" if ":" in args.listen else args.listen
        urls = ", ".join(f"{scheme}://{host}:{s.server_port}"
                         for scheme, s in servers)
        app.say(f"smotp stand-in listening on {urls}")

    while not stop:
        time.sleep(0.2)

    for _, server in servers:
        server.shutdown()
        server.server_close()
    if args.pid_file:
        remove_pid_file(args.pid_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
