"""``python -m piimask ...``: the same commands as the ``piimask`` CLI (e.g. ``python -m piimask run train``)."""

import sys

from .cli import main

sys.exit(main())
