"""Templates and wording of the public `/rights` pages, where data subjects make and follow their requests."""
