"""Privacy work in Python before dbt: the requests of people who asked to be forgotten."""
