"""Data access: settings, the clock, engine, schema and migrations, the read layer (reads/), summaries, imports and
the demo. Never imports streamlit."""
