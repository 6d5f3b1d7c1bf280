"""The host tool for prop firmware: validate, build, deploy and simulate."""
