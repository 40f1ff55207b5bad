"""Classification and routing: what a mention is, and where it goes next."""
