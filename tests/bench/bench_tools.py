"""Benchmark of one tool round trip through ToolHub to a stdio MCP server that is already up.

Run: `bash tests/run.sh --bench tools` or `.venv/bin/python tests/bench/bench_tools.py
[--calls N]`. Target (issue 16): the hub adds under 20 ms to a call beyond the tool's own time.

Both sides call the test server's `lookup` (it returns at once, so a round trip is all
overhead: JSON-RPC over the pipes and the server's own dispatch), interleaved call by call:
- ToolHub.call: the hand-off to the server's task, the SDK's Client, the result turned into a
  ToolOutput (what the engine pays per call);
- baseline: the bare SDK, `ClientSession.call_tool` on a second process of the same server
  (after the plain initialize handshake; the hub's Client negotiates the newest protocol).
The first start of the server (spawn, SDK import in the child, handshake, tools/list) is
printed for reference.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script
os.chdir(ROOT)  # the test server is started as `python -m tests.support.mcp_server`

from tests.support.mcp_server import STDIO_COMMAND, stdio_server  # noqa: E402

from kibitz.core.secrets import MemorySecretStore  # noqa: E402
from kibitz.core.settings.schema import ToolsSettings  # noqa: E402
from kibitz.core.tools.mcp import ToolHub  # noqa: E402

TARGET_MS = 20.0


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"median {statistics.median(samples) * 1000:6.2f} ms  "
        f"p95 {p95 * 1000:6.2f} ms  min {ordered[0] * 1000:6.2f} ms"
    )


async def _run(calls: int) -> int:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    hub = ToolHub(ToolsSettings(servers=(stdio_server("bench"),)), MemorySecretStore())
    started = time.perf_counter()
    tools = {t.name: t for t in await hub.tools()}
    first_start = time.perf_counter() - started
    lookup = tools["lookup"]

    command, *args = STDIO_COMMAND
    params = StdioServerParameters(command=command, args=args, env=dict(os.environ))
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(params, errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            for _ in range(20):  # warm both: imports, the server's worker threads
                await hub.call(lookup, {"key": "warm"})
                await session.call_tool("lookup", {"key": "warm"})
            hub_times: list[float] = []
            bare_times: list[float] = []
            for i in range(calls):
                arguments = {"key": f"k{i}"}
                start = time.perf_counter()
                output = await hub.call(lookup, arguments)
                hub_times.append(time.perf_counter() - start)
                assert output.text == f"value of k{i}"
                start = time.perf_counter()
                result = await session.call_tool("lookup", arguments)
                bare_times.append(time.perf_counter() - start)
                assert not result.is_error
    await hub.aclose()

    overhead = statistics.median(hub_times) - statistics.median(bare_times)
    print(f"first start of the stdio server through the hub: {first_start:.2f} s")
    print(f"{calls} calls of `lookup`, interleaved:")
    print(f"  ToolHub.call                      {_ms(hub_times)}")
    print(f"  baseline ClientSession.call_tool  {_ms(bare_times)}")
    verdict = "PASS" if overhead * 1000 <= TARGET_MS else "MISS"
    print(
        f"  the hub's overhead (median - median): {overhead * 1000:.2f} ms "
        f"(target < {TARGET_MS:g} ms): {verdict}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    return asyncio.run(_run(args.calls))


if __name__ == "__main__":
    sys.exit(main())
