"""Lists at a real compound's size, and bad input answered 4xx: issue 12, parts 1 and 4."""
