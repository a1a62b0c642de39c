"""The client layer, written once, as async code (the source of ``fruxon_core._sync``).

Edit these modules, then run ``python scripts/unasync.py`` to regenerate the
synchronous twins (CI runs it with ``--check``). Nothing here is imported by
``import fruxon_core``.
"""
