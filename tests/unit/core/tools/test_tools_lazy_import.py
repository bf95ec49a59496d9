"""The MCP SDK loads only when a server starts: not with the tools package, the hub's module,
nor the CLI's other commands."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import kibitz.core.tools, kibitz.core.tools.mcp, kibitz.core.tools.approval
import kibitz.core.tools.import_config, kibitz.core.tools.server_secrets
import kibitz.cli.parser, kibitz.cli.commands, kibitz.cli.mcp
kibitz.cli.parser.parse_args(["mcp", "list"])
sdk = ("mcp", "mcp_types", "httpx2")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in sdk)))
"""


def test_importing_the_tools_and_the_cli_does_not_import_the_sdk() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
