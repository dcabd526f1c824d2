"""Cases: what the staff lists and pages read about them (queries)."""
