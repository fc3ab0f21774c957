"""Floor 2: finding the job modules, validating the whole stack, and the messages a user gets."""
