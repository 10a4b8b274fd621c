"""Entry point for ``python -m dockerlab``."""

import sys

from .cli import main

sys.exit(main())
