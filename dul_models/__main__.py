"""`python -m dul_models ...`: the command line (see `dul_models.cli.main`)."""

from dul_models.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
