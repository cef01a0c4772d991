"""`python -m engine.audit PATH...`: the audit without the `mtus` front end (same options)."""
import sys

from .command import main

if __name__ == "__main__":
    sys.exit(main(["audit", *sys.argv[1:]]))
