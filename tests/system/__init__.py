"""System tests: the whole show under faults, bad input and load."""
