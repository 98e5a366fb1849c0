"""Pydantic models of what crosses the wire; the domain never imports them."""
