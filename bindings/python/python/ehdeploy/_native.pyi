"""The native module: one function over the Rust core's ``api::call``."""

from typing import Tuple

__version__: str

def call(op: str, request: str) -> Tuple[bool, str]:
    """Run ``op`` on a JSON request without the GIL: ``(True, answer)`` or ``(False, error)``."""
    ...
