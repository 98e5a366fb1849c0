"""Reasoners: each takes a Patient plus knowledge and returns scored, explained results."""
