"""Sub-commands of the arazzo-runner CLI beyond run and list: each module has register(subparsers) and run(args)."""
