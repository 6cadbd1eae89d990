"""Renderers: each turns the canonical result document into one output format."""
