"""``python -m hiddenspof``: the same as the ``hiddenspof`` command."""

from .cli import main

raise SystemExit(main())
