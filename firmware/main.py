"""Starts the prop described by prop.json."""

from propnet.node import main

main()
