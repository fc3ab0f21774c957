"""Floor 4: the Pulumi components, which only wire the documents to resources."""
