"""Streamlit-only helpers shared by the pages: login, the cached engine and reads, widgets."""
