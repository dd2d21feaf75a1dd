"""Identity work done in Python, between the raw landing and dbt."""
