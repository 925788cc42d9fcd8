"""One module per tobsctl verb. Each has NAME, HELP, `add_arguments(parser)`
and `run(ctx) -> exit status`; tobsctl.__main__ lists them by hand."""
