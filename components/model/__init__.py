"""Floor 1: the job spec, the stack config and the rules AWS sets for them; plain values, no Pulumi, no boto3."""
