"""The records of processing activities (Art. 30), generated from the policy and the register."""
