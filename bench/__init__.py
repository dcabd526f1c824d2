"""Benchmarks: scripts run by make bench and make bench-scale; the scale seeding is imported by its test."""
