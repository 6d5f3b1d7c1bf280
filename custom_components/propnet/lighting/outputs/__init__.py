"""Where the show lighting state goes: DMX interfaces and servers."""
