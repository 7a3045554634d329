"""`python -m infra.packaging [STAGE ...]`: what `make package` runs."""

import sys

from infra.packaging.cli import main

sys.exit(main())
