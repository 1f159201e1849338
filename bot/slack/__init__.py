"""The Slack runtime: the Bolt app, the HTTP and Socket Mode server, the request gate, the Web client."""
