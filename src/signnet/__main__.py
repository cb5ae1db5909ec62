"""``python -m signnet ...``: the same command line as the ``signnet`` script."""

import sys

from signnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
