"""Show lighting: one RGB/DMX state, written by one engine, sent to every output."""
