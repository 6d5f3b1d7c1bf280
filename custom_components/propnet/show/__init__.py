"""Shows: timelines of prop cues and Home Assistant actions on the hub's clock, free of Home Assistant."""
