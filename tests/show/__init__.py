"""Shows: the show files and the runner, without Home Assistant."""
