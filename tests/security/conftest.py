"""Console tests here run like the console's own (an event loop per `async def` test)."""
from ..tui.conftest import pytest_pyfunc_call  # noqa: F401  (a pytest hook, found by name)
