"""Prompt templates (text files) and their loader."""
