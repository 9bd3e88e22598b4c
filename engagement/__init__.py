"""Impact Board's domain: every rule the dashboard and the command line share.

Functions take a SQLAlchemy session and the acting person first, check that
person's rights before touching the database, and raise typed errors
(:mod:`engagement.errors`) that the page or CLI edge shows plainly. Nothing
here imports Streamlit.
"""
