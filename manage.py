#!/usr/bin/env python
"""Development entry point; the same as the `sqm` console script."""

from sqm.cli import main

if __name__ == "__main__":
    main()
