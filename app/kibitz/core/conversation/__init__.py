"""The conversation engine: a turn (send, edit, regenerate, continue) as a loop of requests.

`ConversationEngine` (engine.py) is the one road for every turn, run by turn_runner.py; what
it yields is in events.py. Around it: which provider and key (connect.py), the clients kept
per provider (provider_clients.py), what a request sends, trimmed to the window (prepare.py,
context.py, tokenizer.py), the reply rows (replies.py), parameters a model refused and were
left out (refusals.py), titles.
"""
