"""Selections over the register and lawful mailings to them (Marknadsföringslagen 19–20 §, GDPR Art. 21)."""
