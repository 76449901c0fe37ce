"""Observation: probes of every node and the recorder that builds the timeline."""
