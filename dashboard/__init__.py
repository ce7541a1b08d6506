"""UI building blocks: i18n, theme, cached data, tables and figures."""
