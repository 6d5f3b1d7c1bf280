"""The PropNet wire contract as plain Python, free of Home Assistant imports."""
