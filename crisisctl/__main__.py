"""`python -m crisisctl`."""

from crisisctl.entry import main

raise SystemExit(main())
