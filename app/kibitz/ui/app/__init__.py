"""The app's own machinery: the notice bridge and the crash handler (more moves here later)."""
