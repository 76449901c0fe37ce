"""The pytest plugin (entry point `pytest11`): kept light, so starting pytest imports no Docker."""
