"""Floor 3: every AWS document the stack deploys, as pure functions of the model (no Pulumi)."""
