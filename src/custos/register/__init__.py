"""The personal-data register."""
