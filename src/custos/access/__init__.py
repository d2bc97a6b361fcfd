"""Staff accounts, roles and grants."""
