"""The HTTP side without Streamlit's UI: the sign-in route, the session gate, /api/v1 and its OpenAPI document, limits,
/healthz and /metrics (server.py gathers the routes and the middleware serve.py mounts)."""
