"""The window side of tools (MCP servers): the shared ToolService and its views' helpers."""
