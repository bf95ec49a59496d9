"""MCP servers through the official SDK: a connection per server and the ToolHub over them.

Importing this package does not import the `mcp` SDK; that happens when a server first starts.
"""

from kibitz.core.tools.mcp.hub import StatusListener, ToolHub

__all__ = ["StatusListener", "ToolHub"]
