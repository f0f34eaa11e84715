"""Reusable console widgets: safe text, tables that update by key, forms, the top bar."""
