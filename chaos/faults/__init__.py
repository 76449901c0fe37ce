"""Faults: what the harness does to a fleet (config pushes, toxics, cuts, node faults)."""
