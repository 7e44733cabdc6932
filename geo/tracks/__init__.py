"""Reading and cleaning GPS tracks: the ingest half of the compute core (no web, no database)."""
