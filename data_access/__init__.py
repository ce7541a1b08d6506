"""Data access: settings, engine, schema, demo data, metrics. Never imports streamlit."""
