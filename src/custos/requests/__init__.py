"""Data subject requests (GDPR Art. 12, 15–21): intake, verification, deadlines, fulfilment and answers."""
