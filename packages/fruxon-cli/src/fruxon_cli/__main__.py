"""``python -m fruxon_cli``: the same as the ``fruxon`` command."""

from fruxon_cli.app import main

main()
