"""`python -m engine` runs the `mtus` command."""
import sys

from .cli import main

sys.exit(main())
