"""End-to-end accuracy on rendered synthetic walkers: the same as ``gaitlab validate``.

    python benchmarks/validate_video.py [--quick | --clips N] [--workers 2] [--out DIR] [--no-write-docs]

Renders the sweep (gaitlab.validate.sweep), analyses every clip with the whole pipeline, prints the
accuracy table against the truth, writes docs/validation.md's video section (full sweep only) and exits
1 when a target is missed.
"""

import sys

from gaitlab.validate.cli import main

if __name__ == "__main__":
    sys.exit(main())
