"""Cases: what is built around the intake case (figures, queries, rescreening)."""
