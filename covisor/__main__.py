from covisor.cli import main

raise SystemExit(main())
