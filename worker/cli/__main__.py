"""`python -m worker.cli`, as the console script runs it."""

from worker.cli import main

raise SystemExit(main())
