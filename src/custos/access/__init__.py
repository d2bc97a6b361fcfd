"""Staff accounts, roles, grants, sessions and API tokens: who may see and do what (Art. 25, 32)."""
