"""`python -m server '<settings as JSON>'`: run the front of `adekg serve` (see server/front.py)."""
import sys

from .front import main

sys.exit(main(sys.argv[1:]))
