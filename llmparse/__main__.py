"""``python -m llmparse``: the same as the ``llmparse`` command."""

import sys

from ._cli import main

sys.exit(main())
