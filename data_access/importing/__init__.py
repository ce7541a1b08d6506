"""Importing a district's own files: decode, map headers, validate, load all or nothing."""
