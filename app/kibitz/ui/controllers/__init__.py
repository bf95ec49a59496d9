"""Behaviour behind the views: user intents in, store and engine calls out, failures told."""
