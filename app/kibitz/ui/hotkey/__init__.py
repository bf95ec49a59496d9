"""Global hotkeys: one small protocol, a back end per platform, and the service the app uses.

Importing this package loads no back end: each one (with its ctypes libraries or D-Bus)
is imported only when the service picks it.
"""
