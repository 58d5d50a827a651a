"""Sanctions-list versions: which stored copy of each source screening uses."""
