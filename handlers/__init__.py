"""Slack listeners: thin modules, one per surface, each exposing `register(app)`.

No listener module imports another: what they share is in `handlers.common` (finding the
request's client, refusing another team's value, answering in a modal) and
`handlers.command_text` (Slack's command text), which register nothing.

bot.slack.app registers them in an explicit order. A listener acks first, takes the
workspace and services from the context (bot.slack.context), calls store/
for data and blocks/ for Block Kit, and answers through `respond` or the client.
Errors go to the app's one error handler; raise bot.errors.UserError for a
one-line message the person should see.
"""
