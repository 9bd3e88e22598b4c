"""Placeholder while this page is being built."""

import streamlit as st

from db.models import Role
from ui.auth import require_role

actor = require_role(*Role)
st.title("log_results")
