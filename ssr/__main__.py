"""``python -m ssr ARGS`` runs the command line (the same as the ``ssr`` console script)."""
import sys

from ssr.cli import main

sys.exit(main())
