from bpfhol.cli import main

raise SystemExit(main())
