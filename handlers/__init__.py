"""Slack listeners: thin modules, each exposing `register(app)`.

bot.slack.app registers them in an explicit order. A listener acks first, takes the
workspace and services from the context (bot.slack.context), calls store/
for data and blocks/ for Block Kit, and answers through `respond` or the client.
Errors go to the app's one error handler; raise bot.errors.UserError for a
one-line message the person should see.
"""
