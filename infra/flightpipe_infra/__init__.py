"""The flightpipe AWS CDK app: the stack, its configuration from context, and Docker-free packaging."""
