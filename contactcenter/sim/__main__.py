"""`python -m contactcenter.sim` is `contactcenter sim`: the simulator in its own process."""

import sys

from contactcenter.sim.control import main

sys.exit(main())
