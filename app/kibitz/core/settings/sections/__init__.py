"""The settings file's sections, one module each: what they hold, their defaults, ranges and
help text. kibitz.core.settings.schema gathers them into `Settings`; import from there."""
