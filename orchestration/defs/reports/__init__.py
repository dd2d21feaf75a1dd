"""Reports people look at, rendered from the marts after dbt builds them."""
