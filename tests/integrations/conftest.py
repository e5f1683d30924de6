"""The end-to-end gateway tests run their own keyplane on SQLite: the gateways' behaviour does not
depend on the backend (the data plane's ext_authz tests, tests/dataplane/test_ext_authz.py, run
on both), and each run starts real gateways, which is too slow to repeat."""
from __future__ import annotations

import sys

import pytest

from tests.conftest import backend
from tests.integrations.gateways import PLUGIN_SRC

if str(PLUGIN_SRC) not in sys.path:
    sys.path.insert(0, str(PLUGIN_SRC))  # keyplane_litellm's pure parts (money) are tested here too


@pytest.fixture(scope="module")
def sqlite_only():
    if backend() != "sqlite":
        pytest.skip("end-to-end gateway tests run once, on SQLite (see tests/integrations/conftest.py)")
