#!/usr/bin/env python3
"""Serves a static provider registry tree (from `platform-release registry`/`mirror`) over HTTPS.

For trying a release on one machine and for the end-to-end test; in production put the same
tree on any static HTTPS host (see RELEASING.md). Only the standard library is used.

    serve-registry.py --root DIR --cert server.pem --key server-key.pem [--bind 127.0.0.1] [--port 8443]

Terraform insists on `Content-Type: application/json` for `/.well-known/terraform.json`, which
the `.json` suffix gives here. Each request is logged to stderr as `GET <path> <status>`.
"""
import argparse
import functools
import http.server
import ssl
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("%s\n" % (format % args))
        sys.stderr.flush()

    def log_request(self, code="-", size="-"):
        sys.stderr.write("%s %s %s\n" % (self.command, self.path, code))
        sys.stderr.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the tree to serve")
    parser.add_argument("--cert", required=True, help="server certificate chain (PEM)")
    parser.add_argument("--key", required=True, help="server private key (PEM)")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    handler = functools.partial(Handler, directory=args.root)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    sys.stderr.write("serving %s on https://%s:%d/\n" % (args.root, args.bind, args.port))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
