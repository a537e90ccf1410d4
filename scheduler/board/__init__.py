"""The station's public board (公示): buildings and their heads, people listed with their
consent, the week's duty roster and the month's figures."""
