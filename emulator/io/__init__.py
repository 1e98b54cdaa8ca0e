"""Stimulus generators, results and plots."""
