"""Pydantic models of every contract that crosses a service boundary."""
