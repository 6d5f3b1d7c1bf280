"""A pytest plugin that validates with Probatio, as Home Assistant does since 2026.9.

Loaded with ``-p tests.probatio_engine`` before Home Assistant is imported:
``import voluptuous`` then resolves to Probatio everywhere, PropNet's schemas
and Home Assistant's own alike, the way 2026.9 and newer install it.
"""

from probatio.compat import install_as_voluptuous

install_as_voluptuous()
