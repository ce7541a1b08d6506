"""Geometry: CRS conversion, partitions, measures and overlays. Never imports streamlit."""
