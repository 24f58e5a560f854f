"""`python -m contactcenter` is the `contactcenter` command."""

import sys

from contactcenter.cli import main

sys.exit(main())
