"""The station-independent pages: health check, language choice, the home redirect."""
