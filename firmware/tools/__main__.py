"""Lets the tool run as ``python -m``."""

import sys

from .cli import main

sys.exit(main())
