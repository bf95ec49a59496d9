"""``python -m tests.support.mcp_server --stdio | --http | --sse [--port N]``."""

from __future__ import annotations

import argparse
import socket
import sys

import anyio

from tests.support.mcp_server.server import build_server


async def _serve_http(kind: str, port: int) -> None:
    import uvicorn

    server = build_server()
    app = server.sse_app() if kind == "sse" else server.streamable_http_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    path = "/sse" if kind == "sse" else "/mcp"
    print(f"http://127.0.0.1:{sock.getsockname()[1]}{path}", flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.mcp_server")
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--stdio", action="store_true")
    kind.add_argument("--http", action="store_true", help="streamable HTTP at /mcp")
    kind.add_argument("--sse", action="store_true", help="the older HTTP+SSE at /sse")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.stdio:
        build_server().run("stdio")
    else:
        anyio.run(_serve_http, "sse" if args.sse else "http", args.port)


if __name__ == "__main__":
    main(sys.argv[1:])
