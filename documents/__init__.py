"""Documents written from the catalogue and the read layer: the briefings (工作简报) as PDF and DOCX."""
