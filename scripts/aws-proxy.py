#!/usr/bin/env python3
"""An HTTP/1.1 proxy between an AWS SDK client and moto server: counts, slows down and breaks calls.

Used by the fault-injection acceptance tests (acceptance-tests/tests/faults.rs) and the benchmark
to see every AWS call the provider makes, add latency so a test can interrupt an apply half-way,
and inject the errors real AWS sends under load. Standard library only.

    aws-proxy.py --upstream http://127.0.0.1:PORT [--host 127.0.0.1] [--port 0]
        [--log FILE.jsonl] [--latency-ms N] [--fault-rate R] [--faults throttle,500,503,drop] [--seed N]

Prints `listening on <port>` once it accepts connections, then serves until SIGTERM.

Each AWS call is classified by its SigV4 credential scope (service), `X-Amz-Target` (JSON
protocols) or `Action=` (query protocols, form body or query string) for the action; REST calls
are named `<METHOD> <path>`. A call is *mutating* unless its action starts with a read verb
(READ_PREFIXES) or it is a REST GET/HEAD.

A faulted call is answered by the proxy INSTEAD of being forwarded, so it has no side effect
upstream: what the client sees as a failed call really did nothing, as AWS does for throttling.
  throttle  HTTP 400 ThrottlingException (JSON) / Throttling (query, REST-XML);
            EC2: HTTP 503 RequestLimitExceeded, as EC2 really answers
  500, 503  that status with InternalError / ServiceUnavailable in the protocol's shape
  drop      the connection is closed without any response
Whether a call is faulted is random (--fault-rate, seeded); the kinds take turns, so any run
with as many faults as kinds sees each kind, however few calls the client makes.

--log FILE writes one JSON line per AWS call (flushed at once):
  {"t": unix seconds, "service", "action", "mutating", "status": int|null, "fault": null|kind, "ms"}
GET /__proxy/stats answers JSON totals; POST /__proxy/reset zeroes them. Paths under /moto-api/
are forwarded but neither logged, counted nor faulted.

Upstream keep-alive: one connection per client connection (= handler thread). A request that
fails on a reused upstream connection because the emulator closed it is sent once more on a
fresh one; any other upstream failure is answered with 502.
"""
import argparse
import http.client
import http.server
import json
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid

READ_PREFIXES = ("Describe", "List", "Get", "Check", "Validate", "BatchGet", "Lookup", "Search", "Filter")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
              "te", "trailer", "transfer-encoding", "upgrade", "expect", "content-length"}
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
FAULT_KINDS = ("throttle", "500", "503", "drop")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.calls = self.mutating = self.read = self.faults = 0
            self.by_action = {}
            self.by_fault = {}

    def add(self, service, action, mutating, fault):
        with self.lock:
            self.calls += 1
            if mutating:
                self.mutating += 1
            else:
                self.read += 1
            key = "%s:%s" % (service, action)
            self.by_action[key] = self.by_action.get(key, 0) + 1
            if fault:
                self.faults += 1
                self.by_fault[fault] = self.by_fault.get(fault, 0) + 1

    def snapshot(self):
        with self.lock:
            return {"calls": self.calls, "mutating": self.mutating, "read": self.read, "faults": self.faults,
                    "by_action": dict(self.by_action), "by_fault": dict(self.by_fault)}


def classify(method, path, headers, body):
    """(service, action, mutating, protocol) where protocol is json, ec2, query or rest."""
    scope = CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
    service = scope.group(2) if scope else "unknown"
    target = headers.get("X-Amz-Target")
    if target:
        action, protocol = target.rsplit(".", 1)[-1], "json"
    else:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        content_type = headers.get("Content-Type", "")
        if "Action" not in query and content_type.startswith("application/x-www-form-urlencoded"):
            query = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in query:
            action, protocol = query["Action"][0], "ec2" if service == "ec2" else "query"
        else:
            action = "%s %s" % (method, urllib.parse.urlsplit(path).path)
            protocol = "json" if "json" in content_type else "rest"
            return service, action, method not in ("GET", "HEAD"), protocol
    return service, action, not action.startswith(READ_PREFIXES), protocol


def fault_response(kind, protocol):
    """(status, headers, body) of an injected error, shaped like the protocol's real errors."""
    request_id = str(uuid.uuid4())
    if kind == "throttle":
        if protocol == "ec2":
            status, code, message = 503, "RequestLimitExceeded", "Request limit exceeded."
        else:
            status, code = 400, "ThrottlingException" if protocol == "json" else "Throttling"
            message = "Rate exceeded"
        sender = "Sender"
    elif kind == "500":
        status, code, message, sender = 500, "InternalError", "We encountered an internal error.", "Receiver"
    else:
        status, code, message = 503, "ServiceUnavailable", "Service is unavailable. Try again later."
        sender = "Receiver"
    headers = {"x-amzn-RequestId": request_id}
    if protocol == "json":
        headers["Content-Type"] = "application/x-amz-json-1.1"
        headers["x-amzn-ErrorType"] = code
        body = json.dumps({"__type": code, "message": message})
    elif protocol == "ec2":
        headers["Content-Type"] = "text/xml;charset=UTF-8"
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>%s</Code>"
                "<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>"
                % (code, message, request_id))
    else:
        headers["Content-Type"] = "text/xml"
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>%s</Type><Code>%s</Code>"
                "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>"
                % (sender, code, message, request_id))
    return status, headers, body.encode()


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, args):
        super().__init__(address, Handler)
        upstream = urllib.parse.urlsplit(args.upstream)
        self.upstream = (upstream.hostname, upstream.port or 80)
        self.latency = args.latency_ms / 1000.0
        self.fault_rate = args.fault_rate
        self.faults = [f for f in args.faults.split(",") if f]
        unknown = set(self.faults) - set(FAULT_KINDS)
        if unknown:
            raise SystemExit("unknown fault kinds: %s" % ",".join(sorted(unknown)))
        self.rng = random.Random(args.seed)
        self.rng_lock = threading.Lock()
        self.faults_given = 0
        self.stats = Stats()
        self.log_lock = threading.Lock()
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def pick_fault(self):
        with self.rng_lock:
            if self.faults and self.rng.random() < self.fault_rate:
                kind = self.faults[self.faults_given % len(self.faults)]
                self.faults_given += 1
                return kind
        return None

    def record(self, entry):
        if self.log:
            with self.log_lock:
                self.log.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None

    def log_message(self, format, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def forward(self, body):
        server = self.server
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
        for attempt in (1, 2):
            reused = self.upstream is not None
            if not reused:
                self.upstream = http.client.HTTPConnection(*server.upstream, timeout=300)
            try:
                self.upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    self.upstream.putheader(name, value)
                self.upstream.putheader("Content-Length", str(len(body)))
                self.upstream.endheaders(body)
                response = self.upstream.getresponse()
                data = response.read()
                if response.will_close:
                    self.upstream.close()
                    self.upstream = None
                out = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
                return response.status, out, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self.upstream.close()
                self.upstream = None
                if not reused or attempt == 2:
                    return 502, [("Content-Type", "text/plain")], ("upstream: %s" % error).encode()
            except OSError as error:
                self.upstream.close()
                self.upstream = None
                return 502, [("Content-Type", "text/plain")], ("upstream: %s" % error).encode()

    def handle_one(self):
        server = self.server
        body = self.read_body()
        if self.path.startswith("/__proxy/"):
            if self.path == "/__proxy/stats" and self.command == "GET":
                payload = json.dumps(server.stats.snapshot()).encode()
            elif self.path == "/__proxy/reset" and self.command == "POST":
                server.stats.reset()
                payload = b"{}"
            else:
                return self.reply(404, [("Content-Type", "text/plain")], b"unknown proxy path")
            return self.reply(200, [("Content-Type", "application/json")], payload)
        if self.path.startswith("/moto-api/"):
            return self.reply(*self.forward(body))

        started = time.time()
        service, action, mutating, protocol = classify(self.command, self.path, self.headers, body)
        if server.latency:
            time.sleep(server.latency)
        fault = server.pick_fault()
        status = None
        try:
            if fault == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif fault:
                status, headers, payload = fault_response(fault, protocol)
                self.reply(status, list(headers.items()), payload)
            else:
                status, headers, payload = self.forward(body)
                self.reply(status, headers, payload)
        finally:
            server.stats.add(service, action, mutating, fault)
            server.record({"t": started, "service": service, "action": action, "mutating": mutating,
                           "status": status, "fault": fault, "ms": round((time.time() - started) * 1000, 3)})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_one

    def finish(self):
        super().finish()
        if self.upstream is not None:
            self.upstream.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:4566")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--log", help="JSON-lines file, one line per AWS call")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each AWS call")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="probability a call is faulted")
    parser.add_argument("--faults", default="throttle,500,503,drop", help="kinds, in turn")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    server = Proxy((args.host, args.port), args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("listening on %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if server.log:
            server.log.close()


if __name__ == "__main__":
    main()
