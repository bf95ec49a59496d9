"""The headless command line: ask, list, export, import and key management."""
