"""The fleet scan: every inventory host's outside checks merged with its ESP's own view, in this
process or a child; the expectations, guesses and network settings it is built from."""
