"""jobctl: operate the scheduled jobs of one stack (run, status, history, logs, unlock) with nothing but
AWS credentials. It finds every resource by the physical names `components.model.naming` gives them."""
