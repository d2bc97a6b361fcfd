"""Connected systems: the data map of each customer system, and finding, exporting and erasing a person in it."""
