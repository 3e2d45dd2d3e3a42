"""The inventory: brands, ESP accounts and tracking hosts read from a hand-written TOML file and
validated with every problem located (file, line, field); where secrets come from; where trackdeck
keeps its files."""
