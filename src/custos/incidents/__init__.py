"""Personal data breaches (Art. 33, 34): the register of incidents, the 72-hour clock, and who must be told."""
